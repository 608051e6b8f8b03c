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
from toolkit.comparing.result import compared_on
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
    none). Per questioned figure (``figure``: positions in ``Latest``), the code of the
    first explanation that holds for it (``figure_code``); per explained one (``at``:
    positions in ``figure``) how it holds (``reading``: ``equals killed``, ``includes
    killed.perpetrators``, ``earlier``, ``later``, ``stages``…), the measure the figure
    then is (``instead``, None where none) and the days between the stages compared
    (``lag_days``, timing), for the patterns across incidents."""

    code: np.ndarray
    evidence: pd.Series
    figure: np.ndarray
    figure_code: np.ndarray
    at: np.ndarray
    reading: np.ndarray
    instead: np.ndarray
    lag_days: np.ndarray


def explain(core: Core, figures: pd.DataFrame, suite: Suite) -> Explained:
    """Each conflict's explanation and evidence (see the module notes)."""
    g = core.groups
    n_groups = len(g.status)
    code = np.full(n_groups, -1, dtype=np.int8)
    code[g.status == CONFLICT] = UNEXPLAINED
    q = _questioned(core)
    none = np.zeros(0, dtype=object)
    if not len(q.figure):
        empty = np.zeros(0, dtype=np.int64)
        return Explained(
            code, _texts_at(np.full(n_groups, -1), []), empty, empty.astype(np.int8), empty,
            none, none, np.zeros(0),
        )  # fmt: skip
    tests = _Tests(core, figures, suite, q)
    tests.definition()
    tests.timing()
    tests.breakdown()
    tests.link()
    found = tests.found
    at, reading, instead, said, lag = tests.recorded()
    # per group: the first explanation (in the order tried) any questioned figure has
    n = len(found)
    starts = run_starts(q.group)
    best = np.minimum.reduceat(_RANK[found].astype(np.int64) * n + np.arange(n), starts)
    first = best % n
    groups = q.group[first]
    code[groups] = found[first]
    record = np.full(n, -1, dtype=np.int64)
    record[at] = np.arange(len(at))
    where = np.full(n_groups, -1, dtype=np.int64)
    where[groups] = record[first]
    return Explained(
        code, _texts_at(where, said.tolist()), q.figure, found, at, reading, instead, lag
    )


def _texts_at(at: np.ndarray, texts: list[str]) -> pd.Series:
    """A text column: ``texts[at[i]]``, missing where ``at[i]`` is -1 (one Arrow take)."""
    import pyarrow as pa

    taken = pa.array(texts, type=pa.large_string()).take(pa.array(at, mask=at < 0))
    return pd.Series(taken.to_pandas(types_mapper=None), dtype="str")


@dataclass(frozen=True)
class _Questioned:
    """The questioned figures (positions in ``Latest``, in group order), their groups,
    and the intersection of the other figures they are tested against."""

    figure: np.ndarray
    group: np.ndarray
    t_lo: np.ndarray
    t_hi: np.ndarray


def _questioned(core: Core) -> _Questioned:
    """The figures in question: a conflict's outliers, tested against the others'
    consensus; where no majority agrees, every figure. Then, in a conflict of two, each
    is tested against the other; in one of three or more without a majority, the others
    never meet (if all but one met, they would be a majority and that one an outlier),
    so only the tests that need no target apply."""
    k = core.latest
    part = np.flatnonzero(in_conflict(k, core.groups))
    grp = k.group[part]
    has = core.outliers.has_outlier[grp]
    keep = core.outlier[part] | ~has
    part, grp, has = part[keep], grp[keep], has[keep]
    t_lo = core.outliers.inner_lo[grp].astype(np.float64)
    t_hi = core.outliers.inner_hi[grp].astype(np.float64)
    nobody = ~has
    if nobody.any():
        t_lo[nobody] = t_hi[nobody] = np.nan
        # a conflict of two: runs of two in ``grp`` (sorted), each the other's target
        starts = run_starts(grp)
        size = np.diff(np.r_[starts, len(grp)])
        two = starts[(size == 2) & nobody[starts]]
        if len(two):
            first, second = part[two], part[two + 1]
            t_lo[two], t_hi[two] = k.lo[second], k.hi[second]
            t_lo[two + 1], t_hi[two + 1] = k.lo[first], k.hi[first]
    return _Questioned(part, grp, t_lo, t_hi)


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
    """The explanations' tests over the questioned figures, in the order tried: each
    looks at those no explanation holds for yet and records those it explains, with
    their evidence."""

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
        span = (int(k.g_inc.max(initial=0)) + 1) * self.n_mea
        self.dense: np.ndarray | None = None
        if span <= 4 * max(len(self.group_key), 1):  # a group's position by its key
            self.dense = np.full(span, -1, dtype=np.int64)
            self.dense[self.group_key] = np.arange(len(self.group_key))
        self._past: pd.DataFrame | None = None
        self.newest = compared_on(k).view(np.int64)  # per group, its newest figure's day
        self.found = np.full(self.n, UNEXPLAINED, dtype=np.int8)
        self._said: list[tuple[np.ndarray, object, object, np.ndarray, np.ndarray]] = []

    def _open(self) -> np.ndarray:
        """The questioned figures no explanation holds for yet."""
        out: np.ndarray = self.found == UNEXPLAINED
        return out

    def _record(
        self,
        rows: np.ndarray,
        code: int,
        reading: object,
        instead: object,
        said: np.ndarray,
        days: np.ndarray | None = None,
    ) -> None:
        """Explanation ``code`` holds for questioned figures ``rows``: how (``reading``,
        one or per row), the measure then meant, the evidence and the days apart."""
        if not len(rows):
            return
        self.found[rows] = code
        lag = np.full(len(rows), np.nan) if days is None else np.asarray(days, dtype=np.float64)
        self._said.append((rows, reading, instead, np.asarray(said, dtype=object), lag))

    def recorded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every figure explained: its position, reading, measure meant, evidence, days."""
        if not self._said:
            none = np.zeros(0, dtype=object)
            return np.zeros(0, dtype=np.int64), none, none, none, np.zeros(0)

        def each(value: object, n: int) -> np.ndarray:
            if isinstance(value, np.ndarray):
                return value.astype(object)
            out = np.empty(n, dtype=object)
            out[:] = [value] * n
            return out

        rows = [r for r, *_ in self._said]
        return (
            np.concatenate(rows),
            np.concatenate([each(h, len(r)) for r, h, *_ in self._said]),
            np.concatenate([each(m, len(r)) for r, _, m, *_ in self._said]),
            np.concatenate([t for *_, t, _ in self._said]),
            np.concatenate([d for *_, d in self._said]),
        )

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
        if self.dense is not None:
            where = self.dense[keys]
            return np.maximum(where, 0), where >= 0
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

    def definition(self) -> None:
        core = self.core
        code = {m: i for i, m in enumerate(self.names)}
        usable = ~np.isnan(core.g_lo) & (core.g_lo <= core.g_hi) & (core.g_lo > 0)
        for rel in relations(self.suite.taxonomy, self.names):
            rows = np.flatnonzero(self._open() & (self.mea == code[rel.m]))
            if not len(rows):
                continue
            r = np.full(len(rows), code[rel.r])
            at, found = self._group_of(self.inc[rows], r)
            found &= usable[at]  # the others give r, and agree on it
            if rel.how != "equals":  # the others agree on m too, and a count on both sides
                found &= self.target[rows] & (self.lo[rows] > 0)
            rows, at, r = rows[found], at[found], r[found]
            r_lo, r_hi = core.g_lo[at], core.g_hi[at]
            lo, hi = self.lo[rows], self.hi[rows]
            t_lo, t_hi = self.q.t_lo[rows], self.q.t_hi[rows]
            if rel.how == "equals":
                # its figure is the others' r; a source that gives r too defines them apart
                ok = _meets(lo, hi, r_lo, r_hi)
                if ok.any():
                    maybe = np.flatnonzero(ok)
                    ok[maybe] = ~self._gives(self.inc[rows[maybe]], r[maybe], self.src[rows[maybe]])
            elif rel.how == "includes":
                ok = _meets(lo - r_hi, hi - r_lo, t_lo, t_hi)
            else:  # omits: a part smaller than the whole the others give
                ok = (r_hi < t_lo) & _meets(lo + r_lo, hi + r_hi, t_lo, t_hi)
            if ok.any():
                chosen = rows[ok]
                said = self._definition_text(chosen, rel, r_lo[ok], r_hi[ok])
                self._record(chosen, DEFINITION, f"{rel.how} {rel.r}", rel.instead, said)

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

    def timing(self) -> None:
        for name, test in (
            ("earlier", self._earlier),
            ("later", self._later),
            ("stages", self._stages),
        ):
            rows = np.flatnonzero(self._open())
            if not len(rows):
                return
            ok, said, days = test(rows)
            self._record(rows[ok], TIMING, name, None, said, days)

    def _history(self) -> pd.DataFrame:
        """The dated figures of groups in conflict that are not the figures compared
        (other reports), with their group key and source code; computed once."""
        if self._past is not None:
            return self._past
        coded, k = self.coded, self.k
        compared = np.zeros(len(coded.lo), dtype=bool)
        compared[k.rep] = True
        day = coded.dates.view(np.int64)
        where = np.flatnonzero(~compared)
        where = where[
            (day[where] != NAT_INT64) & ~np.isnan(coded.lo[where]) & (coded.src[where] >= 0)
        ]
        row_key = coded.inc[where].astype(np.int64) * self.n_mea + coded.mea[where]
        keys = self.group_key[self.core.groups.status == CONFLICT]  # sorted, unique
        at = np.minimum(np.searchsorted(keys, row_key), max(len(keys) - 1, 0))
        inside = (len(keys) > 0) & (keys[at] == row_key)
        where, row_key = where[inside], row_key[inside]
        self._past = pd.DataFrame(
            {
                "key": row_key,
                "src": coded.src[where],
                "day": day[where],
                "lo": coded.lo[where],
                "hi": coded.hi[where],
            }
        )
        return self._past

    def _with_history(self, rows: np.ndarray) -> np.ndarray:
        """Which of the questioned figures ``rows`` have other reports in their group."""
        keys = self._history()["key"].to_numpy()
        flag = np.zeros(len(self.group_key), dtype=bool)
        flag[np.searchsorted(self.group_key, keys)] = True  # every key is a group's
        out: np.ndarray = flag[self.q.group[rows]]
        return out

    def _earlier(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Its figure meets one another source published earlier for the incident (before
        that source's figure compared now): the same toll at an earlier stage."""
        none = np.zeros(len(rows), dtype=bool), np.zeros(0, dtype=object), np.zeros(0)
        if len(self.coded.lo) == len(self.k.rep):
            return none  # one figure per source and group: no earlier report anywhere
        past = self._history()
        i = np.flatnonzero(self._with_history(rows))
        if past.empty or not len(i):
            return none
        k = self.k
        mine = pd.DataFrame(
            {
                "i": i,
                "key": self.group_key[self.q.group[rows[i]]],
                "me": self.src[rows[i]],
                "my_lo": self.lo[rows[i]],
                "my_hi": self.hi[rows[i]],
                "my_day": k.day[self.q.figure[rows[i]]],
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
        pairs = pairs.sort_values(["i", "day", "src", "lo", "hi"]).drop_duplicates("i", keep="last")
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
        i = np.flatnonzero(
            self._with_history(rows) & self.target[rows] & (k.day[self.q.figure[rows]] != NAT_INT64)
        )
        if not len(i):
            return none
        mine = pd.DataFrame(
            {
                "i": i,
                "key": self.group_key[self.q.group[rows[i]]],
                "src": self.src[rows[i]],
                "my_day": k.day[self.q.figure[rows[i]]],
                "t_lo": self.q.t_lo[rows[i]],
                "t_hi": self.q.t_hi[rows[i]],
            }
        )
        pairs = mine.merge(self._history(), on=["key", "src"])
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
        pairs = pairs.sort_values(["i", "day", "lo", "hi"]).drop_duplicates("i", keep="first")
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
        ok = self.target[rows]  # a lower figure needs the others to agree on a higher one
        some = np.flatnonzero(ok)
        ok[some] = (self.hi[rows[some]] < q.t_lo[rows[some]]) & self.coded.cumulative(self.suite)[
            self.mea[rows[some]]
        ]
        my_day = k.day[q.figure[rows]]
        newest = self.newest[q.group[rows]]
        ok &= (my_day != NAT_INT64) & (my_day < newest)
        maybe = np.flatnonzero(ok)
        ok[maybe] = ~self._final(rows[maybe], my_day[maybe])  # still developing
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
        final = np.zeros(len(rows), dtype=bool)
        if not len(rows):
            return final
        ends = coded.ends.to_numpy(dtype="datetime64[us]").view(np.int64)
        known = ends != NAT_INT64
        if not known.any():
            return final
        last = pd.Series(ends[known]).groupby(coded.inc[known]).max()
        end = last.reindex(self.inc[rows], fill_value=NAT_INT64).to_numpy()
        margin = self.suite.compare.developing_days * float(DAY_US)
        after = day.astype(np.float64) - end.astype(np.float64)
        final[:] = (end != NAT_INT64) & (after > margin)
        return final

    # --- breakdown and link ------------------------------------------------------------

    def breakdown(self) -> None:
        """A whole derived from its source's parts, below the others: the sum misses a
        part the source did not publish."""
        if "derived" not in self.figures:
            return
        rows = np.flatnonzero(self._open() & self.target & (self.hi < self.q.t_lo))
        derived = self.figures["derived"].take(self.k.rep[self.q.figure[rows]])
        derived = derived.reset_index(drop=True)
        ok = derived.notna().to_numpy()
        rows, derived = rows[ok], derived[ok].reset_index(drop=True)
        if not len(rows):
            return
        short = np.ceil(self.q.t_lo[rows] - self.hi[rows] - _SLACK)
        said = (
            self._who(rows)
            + " is the sum of its "
            + derived
            + "; the others' "
            + self._others(rows)
            + " leaves "
            + pd.Series(_texts(short, short), dtype="str")
            + " in no part it published"
        )
        self._record(rows, BREAKDOWN, "breakdown", None, said.to_numpy(dtype=object))

    def link(self) -> None:
        """The incident's figures were linked by an automatic proposal scoring below the
        review threshold: per group, its lowest-scored figure."""
        if "link_score" not in self.figures:
            return
        k, q = self.k, self.q
        score = self.figures["link_score"].to_numpy(dtype="float64", na_value=np.nan)
        threshold = self.suite.compare.review_threshold
        member = np.flatnonzero(in_conflict(k, self.core.groups))
        s = score[k.rep[member]]
        weak = ~np.isnan(s) & (s < threshold)
        if not weak.any():
            return
        # the weakest link of each group in conflict
        wm, ws = member[weak], s[weak]
        order = np.lexsort((ws, k.group[wm]))
        first = order[run_starts(k.group[wm][order])]
        weakest = pd.Series(ws[first], index=k.group[wm][first])
        at = wm[first]
        per_group = pd.Series(np.arange(len(first)), index=k.group[wm][first])
        rows = np.flatnonzero(self._open() & np.isin(q.group, per_group.index.to_numpy()))
        if not len(rows):
            return
        pick = per_group.reindex(q.group[rows]).to_numpy()
        key_of = (
            self.figures["source_incident"].take(k.rep[at[pick]]).reset_index(drop=True)
            if "source_incident" in self.figures
            else pd.Series(pd.array([None] * len(pick), dtype="str"))
        )
        scores = weakest.reindex(q.group[rows]).to_numpy()
        said = (
            take_names(k.src[at[pick]], self.coded.src_names)
            + "'s incident "
            + key_of.fillna("?")
            + " was linked by a proposal scoring "
            + pd.Series([f"{x:.3f}" for x in scores], dtype="str")
            + f", below the review threshold {threshold:.2f}: no person reviewed the link"
        )
        self._record(rows, LINK, "link", None, said.to_numpy(dtype=object))


def _distance(lo: np.ndarray, hi: np.ndarray, t_lo: np.ndarray, t_hi: np.ndarray) -> np.ndarray:
    """How far apart two intervals are (0 where they meet)."""
    out: np.ndarray = np.maximum(np.maximum(t_lo - hi, lo - t_hi), 0.0)
    return out
