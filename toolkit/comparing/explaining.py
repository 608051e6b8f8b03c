"""Why sources conflict: each conflicting incident x measure tested against the
explanations the taxonomy and the data allow, the first that holds kept with its evidence.

In this order:

- ``definition``: a questioned figure meets the others once a measure the taxonomy relates
  is taken as meant: it *is* the others' figure of an ancestor or a part (``equals``), it
  counts a sibling the others leave out (``includes``: victims that count the
  perpetrators), or it leaves out a part the others count (``omits``);
- ``timing``: it is what another source published within ``compare.lag_days`` of it (the
  toll at another stage), its source later (after an as-of date) revised it to meet the
  others, or it is an earlier, lower figure of a cumulative toll still developing;
- ``breakdown``: it is a whole derived from its source's parts, below the others: a part
  its source did not publish is missing from the sum;
- ``link``: the incident's sources were linked by an automatic proposal scoring below
  ``compare.review_threshold`` (no person reviewed it);
- ``unexplained``: none holds: the conflicts a person must look at.

The *questioned* figures of a conflict are its outliers, or every figure where no majority
agrees; each is tested against the intersection of the other figures (the consensus of
the non-outliers). Explaining never changes a status. Everything is arrays over the
figures in conflict; evidence is written for the explained groups only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.columnar import DAY_US, NAT_INT64, product_key, run_starts, take_names
from toolkit.comparing.consensus import CONFLICT, in_conflict
from toolkit.model.intervals import interval_texts
from toolkit.model.vocabulary import EXPLANATIONS

if TYPE_CHECKING:
    from toolkit.comparing.result import Core
    from toolkit.suite import Suite
    from toolkit.suite.taxonomy import Taxonomy

# the order explanations are tried in (codes into EXPLANATIONS)
DEFINITION, TIMING, BREAKDOWN, LINK, UNEXPLAINED = (
    EXPLANATIONS.index(e) for e in ("definition", "timing", "breakdown", "link", "unexplained")
)
TRIED = (DEFINITION, TIMING, BREAKDOWN, LINK, UNEXPLAINED)
_RANK = np.argsort(np.array(TRIED))  # code -> its place in the order tried
_SLACK = 1e-9


@dataclass(frozen=True)
class Relation:
    """How measure ``m`` may stand for what the others give: ``equals`` (it is their
    ``r``), ``includes`` (it counts their ``r`` too), ``omits`` (it leaves their part ``r``
    out). ``instead``: the measure a source's ``m`` then is (None where the taxonomy
    does not say)."""

    m: str
    r: str
    how: str
    instead: str | None


def relations(taxonomy: Taxonomy, present: list[str]) -> list[Relation]:
    """The relations between measures of ``present`` the taxonomy allows, in the order
    they are tried: ``includes`` a sibling, ``omits`` a part, ``equals`` an ancestor or a
    part (the most specific reading first: a whole derived from two parts is their sum)."""
    known = [m for m in present if m in taxonomy.measures]
    up = {m: _wholes(taxonomy, m) for m in known}
    down = {m: {d for d in known if m in up[d]} for m in known}
    out: list[Relation] = []
    for m in known:
        for r in sorted(_siblings(taxonomy, m) & set(known)):
            out.append(Relation(m, r, "includes", _sum_of(taxonomy, {m, r})))
    for m in known:
        for r in sorted(down[m]):
            out.append(Relation(m, r, "omits", _rest_of(taxonomy, m, r)))
    for m in known:
        for r in known:
            if r != m and (r in up[m] or r in down[m]):
                out.append(Relation(m, r, "equals", r))
    return out


def _wholes(taxonomy: Taxonomy, m: str) -> set[str]:
    """Every measure ``m`` is a part of: its ancestors and the wholes of its partitions,
    and theirs."""
    found: set[str] = set()
    todo = [m]
    while todo:
        x = todo.pop()
        above = set(taxonomy.ancestors(x)) | {p.whole for p in taxonomy.partitions if x in p.parts}
        todo += sorted(above - found)
        found |= above
    found.discard(m)
    return found


def _siblings(taxonomy: Taxonomy, m: str) -> set[str]:
    """Measures beside ``m`` in one partition of a whole: counts apart from it (two
    children of one parent may overlap: civilians and victims)."""
    same: set[str] = set()
    for p in taxonomy.partitions:
        if m in p.parts:
            same |= set(p.parts)
    same.discard(m)
    return same


def _sum_of(taxonomy: Taxonomy, parts: set[str]) -> str | None:
    """The whole of an exhaustive partition whose parts are exactly ``parts``."""
    for p in taxonomy.partitions:
        if p.exhaustive and set(p.parts) == parts:
            return p.whole
    return None


def _rest_of(taxonomy: Taxonomy, whole: str, part: str) -> str | None:
    """The other part of an exhaustive two-part partition of ``whole`` with ``part``."""
    for p in taxonomy.partitions:
        if p.exhaustive and p.whole == whole and part in p.parts and len(p.parts) == 2:
            return next(x for x in p.parts if x != part)
    return None


@dataclass(frozen=True)
class Explained:
    """Per group (incident x measure, in ``Latest`` order): its explanation code (into
    ``EXPLANATIONS``; -1 where it is not in conflict) and its evidence (missing where
    none). Per questioned figure (``figure``: positions in ``Latest``): the code of the
    first explanation that holds for it, and how (``reading``: ``equals killed``,
    ``includes killed.perpetrators``, ``earlier``, ``later``, ``stages``…; ``instead``:
    the measure the figure then is), for the patterns across incidents."""

    code: np.ndarray
    evidence: pd.Series
    figure: np.ndarray
    figure_code: np.ndarray
    reading: np.ndarray
    instead: np.ndarray
    lag_days: np.ndarray


def explain(core: Core, figures: pd.DataFrame, suite: Suite) -> Explained:
    """Each conflict's explanation and evidence (see the module notes)."""
    g = core.groups
    n_groups = len(g.status)
    code = np.full(n_groups, -1, dtype=np.int8)
    code[g.status == CONFLICT] = UNEXPLAINED
    evidence = pd.Series(pd.array([None] * n_groups, dtype="str"))
    q = _questioned(core)
    if not len(q.figure):
        return Explained(code, evidence, *_nothing())
    tests = _Tests(core, figures, suite, q)
    found = np.full(len(q.figure), UNEXPLAINED, dtype=np.int8)
    reading = np.full(len(q.figure), "", dtype=object)
    instead = np.full(len(q.figure), None, dtype=object)
    lag = np.full(len(q.figure), np.nan)
    said = np.full(len(q.figure), None, dtype=object)
    for tried, test in ((DEFINITION, tests.definition), (TIMING, tests.timing)):
        open_ = found == UNEXPLAINED
        if not open_.any():
            break
        hit, how, other, text, days = test(open_)
        found[hit] = tried
        reading[hit], instead[hit], said[hit], lag[hit] = how[hit], other[hit], text[hit], days[hit]
    open_ = found == UNEXPLAINED
    hit, text = tests.breakdown(open_)
    found[hit], reading[hit], said[hit] = BREAKDOWN, "breakdown", text[hit]
    open_ = found == UNEXPLAINED
    hit, text = tests.link(open_)
    found[hit], reading[hit], said[hit] = LINK, "link", text[hit]
    # per group: the first explanation any of its questioned figures has
    order = np.lexsort((_RANK[found], q.group))
    first = order[run_starts(q.group[order])]
    groups = q.group[first]
    code[groups] = found[first]
    words = said[first]
    has = words != None  # noqa: E711 - an object array
    if has.any():
        evidence.iloc[groups[has]] = pd.array(words[has].astype(str), dtype="str")
    return Explained(code, evidence, q.figure, found, reading, instead, lag)


def _nothing() -> tuple[np.ndarray, ...]:
    empty = np.zeros(0, dtype=object)
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8), empty, empty, np.zeros(0)


@dataclass(frozen=True)
class _Questioned:
    """The questioned figures (positions in ``Latest``, in group order), their groups,
    and the intersection of the other figures they are tested against."""

    figure: np.ndarray
    group: np.ndarray
    t_lo: np.ndarray
    t_hi: np.ndarray


def _questioned(core: Core) -> _Questioned:
    k = core.latest
    part = np.flatnonzero(in_conflict(k, core.groups))
    grp = k.group[part]
    has = core.outliers.has_outlier[grp]
    out = core.outlier[part]
    t_lo = core.outliers.inner_lo[grp].astype(np.float64)
    t_hi = core.outliers.inner_hi[grp].astype(np.float64)
    loo = ~has  # no majority: each figure against all the others
    if loo.any():
        sub, sg = part[loo], grp[loo]
        starts = run_starts(sg)
        t_lo[loo] = _leave_one_out(np.maximum, k.lo[sub], starts, -np.inf)
        t_hi[loo] = _leave_one_out(np.minimum, k.hi[sub], starts, np.inf)
    keep = out | ~has
    return _Questioned(part[keep], grp[keep], t_lo[keep], t_hi[keep])


def _leave_one_out(op: np.ufunc, v: np.ndarray, starts: np.ndarray, identity: float) -> np.ndarray:
    """Per element, ``op`` over the other elements of its run (runs of two or more)."""
    size = np.diff(np.r_[starts, len(v)])
    best = np.repeat(op.reduceat(v, starts), size)
    is_best = v == best
    ties = np.repeat(np.add.reduceat(is_best.astype(np.int64), starts), size)
    second = np.repeat(op.reduceat(np.where(is_best, identity, v), starts), size)
    out: np.ndarray = np.where(is_best & (ties == 1), second, best)
    return out


def _meets(lo: np.ndarray, hi: np.ndarray, t_lo: np.ndarray, t_hi: np.ndarray) -> np.ndarray:
    slack = _SLACK * np.maximum(1.0, np.abs(np.nan_to_num(t_lo, posinf=0.0, neginf=0.0)))
    out: np.ndarray = (lo <= t_hi + slack) & (t_lo <= hi + slack)
    return out


def _texts(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return interval_texts(np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64))


def _day_texts(ticks: np.ndarray) -> np.ndarray:
    days = ticks.astype("datetime64[us]").astype("datetime64[D]").astype(str)
    out: np.ndarray = np.where(ticks == NAT_INT64, "undated", days).astype(object)
    return out


class _Tests:
    """The explanations' tests over the questioned figures; each takes a mask of those
    still unexplained and returns which it explains and their evidence."""

    def __init__(self, core: Core, figures: pd.DataFrame, suite: Suite, q: _Questioned) -> None:
        self.core, self.figures, self.suite, self.q = core, figures, suite, q
        k, coded = core.latest, core.coded
        self.k, self.coded = k, coded
        self.n = len(q.figure)
        self.src = k.src[q.figure]
        self.inc = k.g_inc[q.group]
        self.mea = k.g_mea[q.group]
        self.lo, self.hi = k.lo[q.figure], k.hi[q.figure]
        self.target = (q.t_lo <= q.t_hi + _SLACK) & ~np.isnan(q.t_lo)
        self.names = [str(m) for m in coded.mea_names]
        self.n_mea = max(len(self.names), 1)
        self.group_key = k.g_inc * self.n_mea + k.g_mea  # sorted: groups in name order

    # --- shared pieces ---------------------------------------------------------------

    def _who(self, rows: np.ndarray) -> pd.Series:
        """``Source's measure figure`` of questioned figures ``rows``."""
        k, coded = self.k, self.coded
        at = self.q.figure[rows]
        return (
            take_names(k.src[at], coded.src_names)
            + "'s "
            + take_names(self.mea[rows], coded.mea_names)
            + " "
            + pd.Series(_texts(k.published_lo[at], k.published_hi[at]), dtype="str")
        )

    def _others(self, rows: np.ndarray) -> pd.Series:
        return pd.Series(_texts(self.q.t_lo[rows], self.q.t_hi[rows]), dtype="str")

    def _group_of(self, inc: np.ndarray, mea: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The group of each (incident, measure) asked, and whether there is one."""
        keys = inc * self.n_mea + mea
        at = np.minimum(np.searchsorted(self.group_key, keys), max(len(self.group_key) - 1, 0))
        found: np.ndarray = (len(self.group_key) > 0) & (self.group_key[at] == keys)
        return at, found

    def _gives(self, inc: np.ndarray, mea: np.ndarray, src: np.ndarray) -> np.ndarray:
        """Whether each source gives a compared figure for (incident, measure)."""
        n_src = max(len(self.coded.src_names), 1)
        keys = product_key([(inc, 0), (mea, self.n_mea), (src, n_src)])
        given = self.k.key
        at = np.minimum(np.searchsorted(given, keys), max(len(given) - 1, 0))
        out: np.ndarray = (len(given) > 0) & (given[at] == keys)
        return out

    # --- definition --------------------------------------------------------------------

    def definition(
        self, open_: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        core = self.core
        hit = np.zeros(self.n, dtype=bool)
        how = np.full(self.n, "", dtype=object)
        instead = np.full(self.n, None, dtype=object)
        text = np.full(self.n, None, dtype=object)
        code = {m: i for i, m in enumerate(self.names)}
        for rel in relations(self.suite.taxonomy, self.names):
            rows = np.flatnonzero(open_ & ~hit & (self.mea == code[rel.m]))
            if not len(rows):
                continue
            r = np.full(len(rows), code[rel.r])
            at, found = self._group_of(self.inc[rows], r)
            r_lo, r_hi = core.g_lo[at], core.g_hi[at]
            known = found & ~np.isnan(r_lo) & (r_lo <= r_hi)
            lo, hi = self.lo[rows], self.hi[rows]
            t_lo, t_hi = self.q.t_lo[rows], self.q.t_hi[rows]
            if rel.how == "equals":
                # its figure is the others' r; a source that gives r too defines them apart
                ok = known & (r_lo > 0) & _meets(lo, hi, r_lo, r_hi)
                ok &= ~self._gives(self.inc[rows], r, self.src[rows])
            else:
                # a count on both sides (0 + the whole, or the whole - itself, says nothing)
                ok = known & self.target[rows] & (r_lo > 0) & (lo > 0)
                if rel.how == "includes":
                    ok &= _meets(lo - r_hi, hi - r_lo, t_lo, t_hi)
                else:  # omits: a part smaller than the whole the others give
                    ok &= (r_hi < t_lo) & _meets(lo + r_lo, hi + r_hi, t_lo, t_hi)
            if not ok.any():
                continue
            chosen = rows[ok]
            hit[chosen] = True
            how[chosen] = f"{rel.how} {rel.r}"
            instead[chosen] = rel.instead
            text[chosen] = self._definition_text(chosen, rel, r_lo[ok], r_hi[ok])
        return hit, how, instead, text, np.full(self.n, np.nan)

    def _definition_text(
        self, rows: np.ndarray, rel: Relation, r_lo: np.ndarray, r_hi: np.ndarray
    ) -> np.ndarray:
        who = self._who(rows)
        r_text = pd.Series(_texts(r_lo, r_hi), dtype="str")
        m, r = rel.m, rel.r
        if rel.how == "equals":
            said = who + f" meets the others' {r} (" + r_text + f"): it gives {r} as {m}"
        elif rel.how == "includes":
            said = (
                who
                + f" = the others' {m} ("
                + self._others(rows)
                + f") + {r} ("
                + r_text
                + f"): its {m} includes {r}"
            )
        else:
            said = (
                who
                + f" + {r} ("
                + r_text
                + f") meets the others' {m} ("
                + self._others(rows)
                + f"): its {m} leaves out {r}"
            )
        if rel.instead:
            said = said + f" (read it as {rel.instead})"
        return said.to_numpy(dtype=object)

    # --- timing ------------------------------------------------------------------------

    def timing(
        self, open_: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        hit = np.zeros(self.n, dtype=bool)
        how = np.full(self.n, "", dtype=object)
        text = np.full(self.n, None, dtype=object)
        lag = np.full(self.n, np.nan)
        for name, test in (
            ("earlier", self._earlier),
            ("later", self._later),
            ("stages", self._stages),
        ):
            rows = np.flatnonzero(open_ & ~hit)
            if not len(rows):
                break
            ok, said, days = test(rows)
            chosen = rows[ok]
            hit[chosen], how[chosen], text[chosen], lag[chosen] = True, name, said, days
        return hit, how, np.full(self.n, None, dtype=object), text, lag

    def _history(self, rows: np.ndarray) -> pd.DataFrame:
        """The dated figures of the groups of questioned figures ``rows`` that are not
        the figures compared (earlier reports), with their group and source codes."""
        coded, k = self.coded, self.k
        keys = np.unique(self.group_key[self.q.group[rows]])
        row_key = coded.inc.astype(np.int64) * self.n_mea + coded.mea
        where = np.flatnonzero(np.isin(row_key, keys) & (coded.src >= 0))
        compared = np.zeros(len(coded.lo), dtype=bool)
        compared[k.rep] = True
        day = coded.dates.view(np.int64)
        where = where[~compared[where] & (day[where] != NAT_INT64) & ~np.isnan(coded.lo[where])]
        return pd.DataFrame(
            {
                "key": row_key[where],
                "src": coded.src[where],
                "day": day[where],
                "lo": coded.lo[where],
                "hi": coded.hi[where],
            }
        )

    def _earlier(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Its figure meets one another source published earlier for the incident (before
        that source's figure compared now): the same toll at an earlier stage."""
        none = np.zeros(len(rows), dtype=bool), np.zeros(0, dtype=object), np.zeros(0)
        if len(self.coded.lo) == len(self.k.rep):
            return none  # one figure per source and group: no earlier report anywhere
        past = self._history(rows)
        if past.empty:
            return none
        k = self.k
        mine = pd.DataFrame(
            {
                "i": np.arange(len(rows)),
                "key": self.group_key[self.q.group[rows]],
                "me": self.src[rows],
                "my_lo": self.lo[rows],
                "my_hi": self.hi[rows],
                "my_day": k.day[self.q.figure[rows]],
            }
        )
        pairs = mine.merge(past, on="key")
        pairs = pairs[pairs["src"].to_numpy() != pairs["me"].to_numpy()]
        meet = _meets(
            pairs["my_lo"].to_numpy(),
            pairs["my_hi"].to_numpy(),
            pairs["lo"].to_numpy(),
            pairs["hi"].to_numpy(),
        )
        pairs = pairs[meet]
        # before that source's figure compared now (and so on or before an as-of date)
        at = rows[pairs["i"].to_numpy()]
        now_key = product_key(
            [
                (self.inc[at], 0),
                (self.mea[at], self.n_mea),
                (pairs["src"].to_numpy(), max(len(self.coded.src_names), 1)),
            ]
        )
        now_at = np.minimum(np.searchsorted(k.key, now_key), max(len(k.key) - 1, 0))
        before = (k.key[now_at] == now_key) & (pairs["day"].to_numpy() < k.day[now_at])
        # at most lag_days from its own date: a growing toll passes every lower figure once
        days_apart = np.abs(pairs["day"].to_numpy() - pairs["my_day"].to_numpy()) / float(DAY_US)
        before &= (pairs["my_day"].to_numpy() != NAT_INT64) & (
            days_apart <= self.suite.compare.lag_days
        )
        pairs = pairs.assign(now_at=now_at)[before]
        if pairs.empty:
            return none
        # the latest such figure per questioned figure
        pairs = pairs.sort_values(["i", "day"]).drop_duplicates("i", keep="last")
        ok = np.zeros(len(rows), dtype=bool)
        i = pairs["i"].to_numpy()
        ok[i] = True
        chosen = rows[i]
        other = take_names(pairs["src"].to_numpy(), self.coded.src_names)
        now_at = pairs["now_at"].to_numpy()
        now = pd.Series(_texts(k.published_lo[now_at], k.published_hi[now_at]), dtype="str")
        said = (
            self._who(chosen)
            + " ("
            + pd.Series(_day_texts(k.day[self.q.figure[chosen]]), dtype="str")
            + ") is what "
            + other
            + " gave on "
            + pd.Series(_day_texts(pairs["day"].to_numpy()), dtype="str")
            + " ("
            + pd.Series(_texts(pairs["lo"].to_numpy(), pairs["hi"].to_numpy()), dtype="str")
            + "); "
            + other
            + " gives "
            + now
            + " since"
        )
        gap = (k.day[now_at] - pairs["day"].to_numpy()) / float(DAY_US)
        days = np.full(len(rows), np.nan)
        days[i] = gap
        return ok, said.to_numpy(dtype=object), days[ok]

    def _later(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Its source later (after the date compared: an as-of date) gave a figure that
        meets the others': it revised its own figure towards them."""
        ok = np.zeros(len(rows), dtype=bool)
        none = ok, np.zeros(0, dtype=object), np.zeros(0)
        if len(self.coded.lo) == len(self.k.rep):
            return none
        k = self.k
        mine = pd.DataFrame(
            {
                "i": np.arange(len(rows)),
                "key": self.group_key[self.q.group[rows]],
                "src": self.src[rows],
                "my_day": k.day[self.q.figure[rows]],
                "t_lo": self.q.t_lo[rows],
                "t_hi": self.q.t_hi[rows],
            }
        )
        mine = mine[self.target[rows] & (mine["my_day"].to_numpy() != NAT_INT64)]
        if mine.empty:
            return none
        pairs = mine.merge(self._history(rows), on=["key", "src"])
        after = (pairs["day"].to_numpy() - pairs["my_day"].to_numpy()) / float(DAY_US)
        pairs = pairs[
            (after > 0)
            & (after <= self.suite.compare.lag_days)
            & _meets(
                pairs["lo"].to_numpy(),
                pairs["hi"].to_numpy(),
                pairs["t_lo"].to_numpy(),
                pairs["t_hi"].to_numpy(),
            )
        ]
        if pairs.empty:
            return none
        pairs = pairs.sort_values(["i", "day"]).drop_duplicates("i", keep="first")
        ok[pairs["i"].to_numpy()] = True  # i ascends: the same order as rows[ok]
        chosen = rows[ok]
        said = (
            self._who(chosen)
            + " ("
            + pd.Series(_day_texts(k.day[self.q.figure[chosen]]), dtype="str")
            + ") was revised later to "
            + pd.Series(_texts(pairs["lo"].to_numpy(), pairs["hi"].to_numpy()), dtype="str")
            + " ("
            + pd.Series(_day_texts(pairs["day"].to_numpy()), dtype="str")
            + "), which meets the others' "
            + self._others(chosen)
        )
        days = (pairs["day"].to_numpy() - k.day[self.q.figure[chosen]]) / float(DAY_US)
        return ok, said.to_numpy(dtype=object), days

    def _stages(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An earlier, lower figure of a cumulative toll still developing: the others
        published later."""
        k, q = self.k, self.q
        cumulative = self.coded.cumulative(self.suite)[self.mea[rows]]
        my_day = k.day[q.figure[rows]]
        newest = np.maximum.reduceat(k.day, k.starts)[q.group[rows]]
        lower = self.target[rows] & (self.hi[rows] < q.t_lo[rows])
        earlier = (my_day != NAT_INT64) & (my_day < newest)
        developing = ~self._final(rows, my_day)
        ok = cumulative & lower & earlier & developing
        chosen = rows[ok]
        said = (
            self._who(chosen)
            + " ("
            + pd.Series(_day_texts(my_day[ok]), dtype="str")
            + ") is an earlier, lower figure of a toll still developing: the others' "
            + self._others(chosen)
            + " came on "
            + pd.Series(_day_texts(newest[ok]), dtype="str")
        )
        days = (newest[ok] - my_day[ok]) / float(DAY_US)
        return ok, said.to_numpy(dtype=object), days

    def _final(self, rows: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether each figure was reported more than ``developing_days`` after the latest
        event end any source gives for its incident (unknown: still developing)."""
        coded = self.coded
        ends = coded.ends.to_numpy(dtype="datetime64[us]").view(np.int64)
        known = ends != NAT_INT64
        final = np.zeros(len(rows), dtype=bool)
        if not known.any():
            return final
        last = pd.Series(ends[known]).groupby(coded.inc[known]).max()
        end = last.reindex(self.inc[rows], fill_value=NAT_INT64).to_numpy()
        margin = self.suite.compare.developing_days * float(DAY_US)
        after = day.astype(np.float64) - end.astype(np.float64)
        final[:] = (end != NAT_INT64) & (after > margin)
        return final

    # --- breakdown and link ------------------------------------------------------------

    def breakdown(self, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A whole derived from its source's parts, below the others: the sum misses a
        part the source did not publish."""
        text = np.full(self.n, None, dtype=object)
        if "derived" not in self.figures:
            return np.zeros(self.n, dtype=bool), text
        rep = self.k.rep[self.q.figure]
        derived = self.figures["derived"].take(rep).reset_index(drop=True)
        is_derived = derived.notna().to_numpy()
        hit = open_ & is_derived & self.target & (self.hi < self.q.t_lo)
        rows = np.flatnonzero(hit)
        if len(rows):
            short = self.q.t_lo[rows] - self.hi[rows]
            text[rows] = (
                self._who(rows)
                + " is the sum of its "
                + derived.take(rows).reset_index(drop=True)
                + "; the others' "
                + self._others(rows)
                + " leaves "
                + pd.Series(_texts(np.ceil(short - _SLACK), np.ceil(short - _SLACK)), dtype="str")
                + " in no part it published"
            ).to_numpy(dtype=object)
        return hit, text

    def link(self, open_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The incident's figures were linked by an automatic proposal scoring below the
        review threshold: per group, its lowest-scored figure."""
        text = np.full(self.n, None, dtype=object)
        hit = np.zeros(self.n, dtype=bool)
        if "link_score" not in self.figures:
            return hit, text
        k, q = self.k, self.q
        score = self.figures["link_score"].to_numpy(dtype="float64", na_value=np.nan)
        threshold = self.suite.compare.review_threshold
        member = np.flatnonzero(in_conflict(k, self.core.groups))
        s = score[k.rep[member]]
        weak = ~np.isnan(s) & (s < threshold)
        if not weak.any():
            return hit, text
        # the weakest link of each group in conflict
        wm, ws = member[weak], s[weak]
        order = np.lexsort((ws, k.group[wm]))
        first = order[run_starts(k.group[wm][order])]
        weakest = pd.Series(ws[first], index=k.group[wm][first])
        at = wm[first]
        per_group = pd.Series(np.arange(len(first)), index=k.group[wm][first])
        rows = np.flatnonzero(open_ & np.isin(q.group, per_group.index.to_numpy()))
        if not len(rows):
            return hit, text
        hit[rows] = True
        pick = per_group.reindex(q.group[rows]).to_numpy()
        key_of = (
            self.figures["source_incident"].take(k.rep[at[pick]]).reset_index(drop=True)
            if "source_incident" in self.figures
            else pd.Series(pd.array([None] * len(pick), dtype="str"))
        )
        scores = weakest.reindex(q.group[rows]).to_numpy()
        text[rows] = (
            take_names(k.src[at[pick]], self.coded.src_names)
            + "'s incident "
            + key_of.fillna("?")
            + " was linked by a proposal scoring "
            + pd.Series([f"{x:.2f}" for x in scores], dtype="str")
            + f", below the review threshold {threshold:.2f}: no person reviewed the link"
        ).to_numpy(dtype=object)
        return hit, text


def _distance(lo: np.ndarray, hi: np.ndarray, t_lo: np.ndarray, t_hi: np.ndarray) -> np.ndarray:
    """How far apart two intervals are (0 where they meet)."""
    out: np.ndarray = np.maximum(np.maximum(t_lo - hi, lo - t_hi), 0.0)
    return out
