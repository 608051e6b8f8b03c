"""The figures in question in each conflict, what they are tested against, and the tests
that need no history: ``definition``, ``breakdown``, ``link`` (see the package notes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.columnar import NAT_INT64, product_key, run_starts, take_names
from toolkit.comparing.consensus import CONFLICT, in_conflict
from toolkit.comparing.explaining.relations import Relation, relations
from toolkit.comparing.result import compared_on
from toolkit.model.intervals import interval_texts
from toolkit.model.vocabulary import EXPLANATIONS

if TYPE_CHECKING:
    from toolkit.comparing.result import Core
    from toolkit.suite import Suite

# the order explanations are tried in (codes into EXPLANATIONS)
DEFINITION, TIMING, BREAKDOWN, LINK, UNEXPLAINED = (
    EXPLANATIONS.index(e) for e in ("definition", "timing", "breakdown", "link", "unexplained")
)
TRIED = (DEFINITION, TIMING, BREAKDOWN, LINK, UNEXPLAINED)
RANK = np.argsort(np.array(TRIED))  # code -> its place in the order tried
SLACK = 1e-9


@dataclass(frozen=True)
class Questioned:
    """The questioned figures (positions in ``Latest``, in group order), their groups,
    the intersection of the other figures they are tested against (NaN: none), and
    which stand for a whole conflict that no one figure's reading can settle
    (``alone``: only the link test applies)."""

    figure: np.ndarray
    group: np.ndarray
    t_lo: np.ndarray
    t_hi: np.ndarray
    alone: np.ndarray


def questioned(core: Core) -> Questioned:
    """The figures in question: a conflict's outliers, each tested against the others'
    consensus (the conflict is explained when every outlier is); in a conflict of two
    without a majority, each side against the other (either explains it). In one of three
    or more without a majority no single figure's reading can reconcile the rest (if all
    but one met, they would be a majority and that one an outlier): its first figure
    stands for it, for the link test alone."""
    k = core.latest
    if k.a is None:  # every figure takes part: whole groups, found from the groups alone
        part, grp, size, alone = _by_group(core)
    else:
        part = np.flatnonzero(in_conflict(k, core.groups))
        grp = k.group[part]
        starts = run_starts(grp)
        runs = np.diff(np.r_[starts, len(grp)])
        size = np.repeat(runs, runs)
        head = np.zeros(len(grp), dtype=bool)
        head[starts] = True
        has = core.outliers.has_outlier[grp]
        alone = ~has & (size > 2) & head
        keep = core.outlier[part] | (~has & (size == 2)) | alone
        part, grp, size, alone = part[keep], grp[keep], size[keep], alone[keep]
    has = core.outliers.has_outlier[grp]
    t_lo = core.outliers.inner_lo[grp].astype(np.float64)
    t_hi = core.outliers.inner_hi[grp].astype(np.float64)
    t_lo[~has] = t_hi[~has] = np.nan
    two = np.flatnonzero(~has & (size == 2))[::2]  # each conflict of two: the other side
    if len(two):
        first, second = part[two], part[two + 1]
        t_lo[two], t_hi[two] = k.lo[second], k.hi[second]
        t_lo[two + 1], t_hi[two + 1] = k.lo[first], k.hi[first]
    return Questioned(part, grp, t_lo, t_hi, alone)


def _by_group(core: Core) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`questioned`'s figures where every figure of a group takes part: the
    outliers, both figures of a conflict of two, the first of a larger one without a
    majority; their groups, their groups' sizes, and which stand alone."""
    k, g = core.latest, core.groups
    conflict = g.status == CONFLICT
    has = core.outliers.has_outlier
    out = np.flatnonzero(core.outlier)
    two = np.flatnonzero(conflict & ~has & (g.active == 2))
    many = np.flatnonzero(conflict & ~has & (g.active > 2))
    part = np.concatenate([out, k.starts[two], k.starts[two] + 1, k.starts[many]])
    alone = np.zeros(len(part), dtype=bool)
    alone[len(part) - len(many) :] = True
    order = np.argsort(part, kind="stable")
    part, alone = part[order], alone[order]
    grp = k.group[part]
    return part, grp, g.active[grp], alone


def meets(lo: np.ndarray, hi: np.ndarray, t_lo: np.ndarray, t_hi: np.ndarray) -> np.ndarray:
    slack = SLACK * np.maximum(1.0, np.abs(np.nan_to_num(t_lo, posinf=0.0, neginf=0.0)))
    out: np.ndarray = (lo <= t_hi + slack) & (t_lo <= hi + slack)
    return out


def interval_strs(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return interval_texts(np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64))


def day_texts(ticks: np.ndarray) -> np.ndarray:
    days = ticks.astype("datetime64[us]").astype("datetime64[D]").astype(str)
    out: np.ndarray = np.where(ticks == NAT_INT64, "undated", days).astype(object)
    return out


class Readings:
    """The explanations' tests over the questioned figures, in the order tried: each
    looks at those no explanation holds for yet and records those it explains, with
    their evidence."""

    def __init__(self, core: Core, figures: pd.DataFrame, suite: Suite, q: Questioned) -> None:
        self.core, self.figures, self.suite, self.q = core, figures, suite, q
        k, coded = core.latest, core.coded
        self.k, self.coded = k, coded
        self.n = len(q.figure)
        self.src = k.src[q.figure]
        self.inc = k.g_inc[q.group]
        self.mea = k.g_mea[q.group]
        self.lo, self.hi = k.lo[q.figure], k.hi[q.figure]
        self.target = (q.t_lo <= q.t_hi + SLACK) & ~np.isnan(q.t_lo)
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

    def _open(self, alone_too: bool = False) -> np.ndarray:
        """The questioned figures no explanation holds for yet (and, ``alone_too``, the
        conflicts no one figure's reading can settle)."""
        out: np.ndarray = self.found == UNEXPLAINED
        return out if alone_too else out & ~self.q.alone

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
            + pd.Series(interval_strs(k.published_lo[at], k.published_hi[at]), dtype="str")
        )

    def _others(self, rows: np.ndarray) -> pd.Series:
        return pd.Series(interval_strs(self.q.t_lo[rows], self.q.t_hi[rows]), dtype="str")

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
                ok = meets(lo, hi, r_lo, r_hi)
                if ok.any():
                    maybe = np.flatnonzero(ok)
                    ok[maybe] = ~self._gives(self.inc[rows[maybe]], r[maybe], self.src[rows[maybe]])
            elif rel.how == "includes":
                ok = meets(lo - r_hi, hi - r_lo, t_lo, t_hi)
            else:  # omits: a part smaller than the whole the others give
                ok = (r_hi < t_lo) & meets(lo + r_lo, hi + r_hi, t_lo, t_hi)
            if ok.any():
                chosen = rows[ok]
                said = self._definition_text(chosen, rel, r_lo[ok], r_hi[ok])
                self._record(chosen, DEFINITION, f"{rel.how} {rel.r}", rel.instead, said)

    def _definition_text(
        self, rows: np.ndarray, rel: Relation, r_lo: np.ndarray, r_hi: np.ndarray
    ) -> np.ndarray:
        k, coded = self.k, self.coded
        at = self.q.figure[rows]
        # a few distinct texts per column: joined per row in Python (no frame per step)
        src = coded.src_names.to_numpy(dtype=object)[k.src[at]]
        shown = interval_strs(k.published_lo[at], k.published_hi[at])
        r_text = interval_strs(r_lo, r_hi)
        others = interval_strs(self.q.t_lo[rows], self.q.t_hi[rows])
        m, r = rel.m, rel.r
        tail = f" (read it as {rel.instead})" if rel.instead else ""
        if rel.how == "equals":
            form = "{0}'s {m} {1} meets the others' {r} ({2}): it gives {r} as {m}"
        elif rel.how == "includes":
            form = "{0}'s {m} {1} = the others' {m} ({3}) + {r} ({2}): its {m} includes {r}"
        else:
            form = "{0}'s {m} {1} + {r} ({2}) meets the others' {m} ({3}): its {m} leaves out {r}"
        said = [
            form.format(a, b, c, d, m=m, r=r) + tail
            for a, b, c, d in zip(src, shown, r_text, others, strict=True)
        ]
        return np.array(said, dtype=object)

    # --- breakdown and link (timing, which reads other reports, is in .timing) ----------

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
        short = np.ceil(self.q.t_lo[rows] - self.hi[rows] - SLACK)
        said = (
            self._who(rows)
            + " is the sum of its "
            + derived
            + "; the others' "
            + self._others(rows)
            + " leaves "
            + pd.Series(interval_strs(short, short), dtype="str")
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
        rows = np.flatnonzero(self._open(True) & np.isin(q.group, per_group.index.to_numpy()))
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
