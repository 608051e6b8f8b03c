(function () {
  "use strict";
  var severity = {error: 0, warning: 1, info: 2};
  function value(row, index, kind) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    if (kind === "severity") {
      var rank = severity[cell.textContent];
      return rank === undefined ? 9 : rank;
    }
    var given = cell.getAttribute("data-value");
    var text = given !== null ? given : cell.textContent;
    if (kind === "num" || kind === "rank") {
      var n = parseFloat(text);
      return isNaN(n) ? -Infinity : n;
    }
    return text.toLowerCase();
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, index) {
      var kind = th.getAttribute("data-sort");
      if (!kind) { return; }
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a, index, kind), y = value(b, index, kind);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        var fragment = document.createDocumentFragment();
        rows.forEach(function (r) { fragment.appendChild(r); });
        body.appendChild(fragment);
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  });
  var filters = document.querySelector("#findings .filters");
  var table = document.getElementById("findings-table");
  if (filters && table) {
    filters.hidden = false;
    var text = document.getElementById("finding-filter");
    var severity = document.getElementById("severity-filter");
    var count = document.getElementById("finding-count");
    var onlyNew = document.getElementById("new-filter");
    var apply = function () {
      var q = text.value.toLowerCase(), s = severity.value, shown = 0;
      var fresh = onlyNew !== null && onlyNew.checked;
      var rows = table.tBodies[0].rows;
      Array.prototype.forEach.call(rows, function (row) {
        var ok = (!s || row.getAttribute("data-severity") === s) &&
          (!fresh || row.getAttribute("data-new") === "true") &&
          (!q || row.textContent.toLowerCase().indexOf(q) !== -1);
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      count.textContent = shown + " of " + rows.length + " shown";
    };
    text.addEventListener("input", apply);
    severity.addEventListener("change", apply);
    if (onlyNew !== null) { onlyNew.addEventListener("change", apply); }
    apply();
  }
}());
