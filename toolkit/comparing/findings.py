"""The comparison's findings: sources in conflict (outliers named), figures far apart
although their intervals meet, and one count published under two definitions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from toolkit.columnar import join_runs, product_key, run_starts, take_names
from toolkit.comparing.consensus import AGREE, STALE, in_conflict
from toolkit.model import findings as fd
from toolkit.model.intervals import interval_texts, number_texts
from toolkit.model.vocabulary import EXPLANATIONS, FAMILIES

if TYPE_CHECKING:
    from toolkit.comparing.latest import Latest
    from toolkit.comparing.result import Comparison
    from toolkit.suite import Suite


def discrepancies(c: Comparison) -> pd.DataFrame:
    """Every finding of a comparison, worst first."""
    parts = [_conflicts(c), _spreads(c), _definitions(c)]
    return fd.concat(fd.from_frame(p) for p in parts if len(p))


def base_columns(rows: pd.DataFrame, code: str, suite: Suite) -> dict[str, Any]:
    """The columns a comparison's finding of family ``code`` takes from its family and
    from ``rows`` (incident, source, measure, report date and where it was read)."""
    family = FAMILIES[code]
    return {
        "kind": family.kind.value,
        "code": code,
        "rule": family.title,
        "severity": suite.severity_of(code),
        "incident": rows["incident"].array,
        "source": rows["source"].array,
        "measure": rows["measure"].array,
        "reported_on": rows["reported_on"].array,
        "origin_file": rows["origin_file"].array,
        "origin_row": rows["origin_row"].array,
    }


def _rows(c: Comparison, mask: np.ndarray) -> pd.DataFrame:
    """Key columns of the compared figures under ``mask`` (text built for those only)."""
    k, coded = c.core.latest, c.core.coded
    rep = k.rep[mask]
    f = c.figures
    return pd.DataFrame(
        {
            "incident": take_names(k.g_inc[k.group[mask]], coded.inc_names),
            "measure": take_names(k.g_mea[k.group[mask]], coded.mea_names),
            "source": take_names(k.src[mask], coded.src_names),
            "reported_on": f["reported_on"].take(rep).reset_index(drop=True),
            "origin_file": f["origin_file"].take(rep).reset_index(drop=True),
            "origin_row": f["origin_row"].take(rep).reset_index(drop=True),
            "shown": c._shown[mask].reset_index(drop=True),
        }
    )


class _Given:
    """Which (incident, measure, source) the comparison has a figure for: ``Latest.key``
    is sorted, so a lookup is a binary search."""

    def __init__(self, k: Latest, n_mea: int, n_src: int) -> None:
        self.k, self.n_mea, self.n_src = k, max(n_mea, 1), max(n_src, 1)

    def find(
        self, inc: np.ndarray, mea: np.ndarray, src: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per (incident, measure, source) asked: the compared figure's position, and
        whether there is one."""
        keys = product_key([(inc, 0), (mea, self.n_mea), (src, self.n_src)])
        given = self.k.key
        at = np.minimum(np.searchsorted(given, keys), max(len(given) - 1, 0))
        found: np.ndarray = (len(given) > 0) & (given[at] == keys)
        return at, found


def _neither_gives_both(k: Latest, both: pd.DataFrame, given: _Given) -> np.ndarray:
    """Per candidate pair (figure i under ``mea``, figure j under ``anc``): whether i's
    source gives nothing under ``anc`` and j's source nothing under ``mea``."""
    i, j = both["i"].to_numpy(), both["j"].to_numpy()
    inc = both["inc"].to_numpy()
    _, i_under_anc = given.find(inc, both["anc"].to_numpy(), k.src[i])
    _, j_under_mea = given.find(inc, both["mea"].to_numpy(), k.src[j])
    neither: np.ndarray = ~i_under_anc & ~j_under_mea
    return neither


def _conflicts(c: Comparison) -> pd.DataFrame:
    core = c.core
    k = core.latest
    conflict = in_conflict(k, core.groups)
    if not conflict.any():
        return pd.DataFrame()
    said_all = join_runs(
        take_names(k.src[conflict], core.coded.src_names)
        + " "
        + c._shown[conflict].reset_index(drop=True),
        k.group[conflict],
    )
    has_outlier = core.outliers.has_outlier
    # Name the outliers where a majority agrees; otherwise every figure is in question.
    flagged_in = (core.outlier | ~has_outlier[k.group])[conflict]
    flagged = conflict.copy()
    flagged[conflict] = flagged_in
    rows = _rows(c, flagged)
    said = said_all[flagged_in].reset_index(drop=True)
    outlier = core.outlier[flagged]
    groups = k.group[flagged]
    verdict = pd.Series(
        np.where(
            outlier,
            " lies outside what the other sources agree on (all: ",
            " cannot be reconciled with the others (all: ",
        ),
        dtype="str",
    )
    message = rows["source"] + "'s " + rows["measure"] + " " + rows["shown"] + verdict + said + ")"
    expected = pd.Series(
        interval_texts(
            np.where(outlier, core.g_lo[groups], np.nan),
            np.where(outlier, core.g_hi[groups], np.nan),
        ),
        dtype="str",
    )
    expected = expected.where(outlier, "overlap with the others")
    out = pd.DataFrame(
        {
            **base_columns(rows, "conflict", c.suite),
            "column": "figure_text",
            "observed": rows["shown"].array,
            "expected": expected.array,
            "message": message.array,
        }
    )
    if c.explained is not None:  # the group's explanation, on each of its findings
        out["explanation"] = take_names(
            c.explained.code[groups].astype(np.int64), pd.Series(EXPLANATIONS, dtype="str")
        ).array
        out["evidence"] = c.explained.evidence.take(groups).reset_index(drop=True).array
    return out


def _spreads(c: Comparison) -> pd.DataFrame:
    core = c.core
    k = core.latest
    wide = core.groups.wide[k.group] & (core.row_status == AGREE) & ~k.stale
    if not wide.any():
        return pd.DataFrame()
    idx = np.flatnonzero(wide)
    said_all = join_runs(
        take_names(k.src[idx], core.coded.src_names)
        + " "
        + c._shown.take(idx).reset_index(drop=True),
        k.group[idx],
    )
    # The figure farthest from the median carries the finding (ties: first by name).
    far = np.lexsort((-np.nan_to_num(core.distance[idx], nan=-1.0), k.group[idx]))
    first = far[run_starts(k.group[idx][far])]
    mask = np.zeros(len(k.rep), dtype=bool)
    mask[idx[first]] = True
    rows = _rows(c, mask)
    # rows come in figure order; match the joined texts to them
    said = said_all.iloc[np.sort(first)].reset_index(drop=True)
    threshold = c.suite.compare.spread_threshold
    return pd.DataFrame(
        {
            **base_columns(rows, "wide-spread", c.suite),
            "column": "figure_text",
            "observed": rows["shown"].array,
            "expected": f"within {threshold:.0%} of the highest figure",
            "message": (
                rows["measure"] + ": the intervals overlap but the figures are far apart: " + said
            ).array,
        }
    )


def _related(c: Comparison, names: list[str]) -> list[tuple[int, int, int]]:
    """Triples of measure codes (m, other, shared) under which one count could be
    published twice: a measure and each of its ancestors (shared: -1, the ancestor is the
    other), and two siblings (parts of one parent: shared, the parent, where given)."""
    taxonomy = c.suite.taxonomy
    code = {m: i for i, m in enumerate(names)}
    known = [m for m in names if m in taxonomy.measures]
    links = [(code[m], code[a], -1) for m in known for a in taxonomy.ancestors(m) if a in code]
    for m in known:
        parent = taxonomy.parent_of(m)
        links += [  # each pair of siblings once
            (code[m], code[o], code.get(parent, -1) if parent is not None else -1)
            for o in known
            if code[m] < code[o] and parent is not None and taxonomy.parent_of(o) == parent
        ]
    return links


def _agree_under_shared(k: Latest, both: pd.DataFrame, given: _Given) -> np.ndarray:
    """Per candidate pair of siblings: whether both sources give their parent (a current
    figure) and agree there — then the same number under two siblings explains nothing."""
    shared = both["shared"].to_numpy()
    inc = both["inc"].to_numpy()
    at, found = [], []
    for side in (both["i"].to_numpy(), both["j"].to_numpy()):
        where, there = given.find(inc, np.maximum(shared, 0), k.src[side])
        at.append(where)
        found.append((shared >= 0) & there & ~k.stale[where])
    (a, b), (fa, fb) = at, found
    meet = np.maximum(k.lo[a], k.lo[b]) <= np.minimum(k.hi[a], k.hi[b])
    agree: np.ndarray = fa & fb & meet
    return agree


def _definitions(c: Comparison) -> pd.DataFrame:
    """One source's figure for a measure equals another's for a related measure (an
    ancestor, or a sibling): the same count under two definitions ("128 civilians" vs
    "128 persons"). Only where it explains something: neither source itself gives both
    measures (a source that gives both defines them apart), two siblings' sources do not
    already agree under their parent, and the figures are not 0."""
    core = c.core
    k, coded = core.latest, core.coded
    taxonomy = c.suite.taxonomy
    names = [str(m) for m in coded.mea_names]
    links = _related(c, names)
    value = c.figures["value"].to_numpy(dtype="float64", na_value=np.nan)[k.rep]
    ok = ~np.isnan(value) & (value > 0) & ~k.stale & (core.row_status != STALE)
    if not links or not ok.any():
        return pd.DataFrame()
    idx = np.flatnonzero(ok)
    mine = pd.DataFrame(
        {"i": idx, "inc": k.g_inc[k.group[idx]], "mea": k.g_mea[k.group[idx]], "v": value[idx]}
    )
    pairs = pd.DataFrame(links, columns=["mea", "anc", "shared"])
    child = mine.merge(pairs, on="mea")
    parent = mine.rename(columns={"i": "j", "mea": "anc"})
    both = child.merge(parent, on=["inc", "v", "anc"])
    both = both[k.src[both["i"].to_numpy()] != k.src[both["j"].to_numpy()]]
    given = _Given(k, len(names), len(coded.src_names))
    both = both[_neither_gives_both(k, both, given)]
    both = both[~_agree_under_shared(k, both, given)]
    if both.empty:
        return pd.DataFrame()
    i, j = both["i"].to_numpy(), both["j"].to_numpy()
    mask_rows = _rows(c, np.isin(np.arange(len(k.rep)), i))
    where = pd.Series(np.arange(len(mask_rows)), index=np.sort(np.unique(i)))
    rows = mask_rows.take(where.loc[i].to_numpy()).reset_index(drop=True)
    other = take_names(k.src[j], coded.src_names)
    ancestor = take_names(k.g_mea[k.group[j]], coded.mea_names)
    other_shown = c._shown.take(j).reset_index(drop=True)
    note_of = {
        (m, a): "; ".join(
            dict.fromkeys(taxonomy.measures[names[m]].notes + taxonomy.measures[names[a]].notes)
        )
        for m, a, _ in links
    }
    notes = pd.Series(
        [note_of[(int(m), int(a))] for m, a in zip(both["mea"], both["anc"], strict=True)],
        dtype="str",
    )
    notes = (" (note: " + notes + ")").where(notes != "", "")
    count = pd.Series(number_texts(value[i].astype("float64")), dtype="str")
    return pd.DataFrame(
        {
            **base_columns(rows, "definition", c.suite),
            "column": "measure",
            "observed": (count + " as " + rows["measure"]).array,
            "expected": (count + " as " + ancestor + " (" + other + ")").array,
            "message": (
                rows["source"]
                + " gives "
                + rows["shown"]
                + " as "
                + rows["measure"]
                + "; "
                + other
                + " gives "
                + other_shown
                + " as "
                + ancestor
                + ": likely one count under two definitions"
                + notes
            ).array,
        }
    )
