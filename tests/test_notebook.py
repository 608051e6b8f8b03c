"""The example notebook runs top to bottom under a real Jupyter kernel."""

from __future__ import annotations

import json

import nbformat
from conftest import ROOT
from nbclient import NotebookClient

NOTEBOOK = ROOT / "examples" / "al-qaryatayn.ipynb"


def test_the_committed_notebook_has_its_outputs_stripped():
    document = json.loads(NOTEBOOK.read_text())
    for cell in document["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == []
            assert cell["execution_count"] is None


def test_the_example_notebook_runs_and_shows_what_it_says(tmp_path):
    # Run it in a copy of the repository's layout, so that the report it writes to
    # ../reports lands in the test's folder, not in the working tree.
    (tmp_path / "examples").mkdir()
    (tmp_path / "reports").mkdir()
    (tmp_path / "fixtures").symlink_to(ROOT / "fixtures", target_is_directory=True)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path / "examples")}},
    ).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
        assert not [o for o in cell.outputs if o.get("name") == "stderr"], cell.source

    def html(cell) -> str:
        (result,) = [o for o in cell.outputs if o.output_type == "execute_result"]
        return result.data["text/html"]

    read, checked, side_by_side, plot, revisions, revision_plot, report = code
    assert "at least 45" in html(read)
    assert "crosscheck: check" in html(checked)
    assert "no errors" in html(checked)
    # SOHR's and Al-Masdar's killed figures, side by side
    table = html(side_by_side)
    assert "Syrian Observatory for Human Rights" in table
    assert "Al-Masdar News" in table
    assert "≥ 128" in table
    assert "≥ 45" in table
    assert [o for o in plot.outputs if "image/png" in o.get("data", {})]
    assert "≥ 67" in html(revisions)
    assert "up" in html(revisions)
    assert [o for o in revision_plot.outputs if "image/png" in o.get("data", {})]
    assert "al-qaryatayn-notebook.html True" in "".join(o.get("text", "") for o in report.outputs)
    assert (tmp_path / "reports" / "al-qaryatayn-notebook.html").stat().st_size > 0
