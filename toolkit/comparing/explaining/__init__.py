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

The *questioned* figures of a conflict are its outliers, each tested against the others'
consensus (the conflict is explained when every outlier is), or, in a conflict of two,
either side against the other. In a conflict of three or more where no majority agrees,
no one figure's reading reconciles the rest: only the link test applies. Explaining never
changes a status. Everything is arrays over the
figures in conflict; evidence is written for the explained groups only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from toolkit.columnar import run_starts, texts_at
from toolkit.comparing.consensus import CONFLICT
from toolkit.comparing.explaining.questioned import (
    BREAKDOWN,
    DEFINITION,
    LINK,
    RANK,
    TIMING,
    TRIED,
    UNEXPLAINED,
    questioned,
)
from toolkit.comparing.explaining.relations import Relation, relations
from toolkit.comparing.explaining.timing import Tests

if TYPE_CHECKING:
    from toolkit.comparing.result import Core
    from toolkit.suite import Suite

__all__ = [
    "BREAKDOWN",
    "DEFINITION",
    "LINK",
    "TIMING",
    "TRIED",
    "UNEXPLAINED",
    "Explained",
    "Relation",
    "explain",
    "relations",
]


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
    q = questioned(core)
    none = np.zeros(0, dtype=object)
    if not len(q.figure):
        empty = np.zeros(0, dtype=np.int64)
        return Explained(
            code, texts_at(np.full(n_groups, -1), []), empty, empty.astype(np.int8), empty,
            none, none, np.zeros(0),
        )  # fmt: skip
    tests = Tests(core, figures, suite, q)
    tests.definition()
    tests.timing()
    tests.breakdown()
    tests.link()
    found = tests.found
    at, reading, instead, said, lag = tests.recorded()
    # per group: the first explanation (in the order tried) any questioned figure has;
    # a conflict with outliers is explained only when each of them is
    n = len(found)
    starts = run_starts(q.group)
    best = np.minimum.reduceat(RANK[found].astype(np.int64) * n + np.arange(n), starts)
    first = best % n
    groups = q.group[first]
    missed = np.maximum.reduceat((found == UNEXPLAINED).astype(np.int8), starts) > 0
    missed &= core.outliers.has_outlier[groups]
    code[groups] = np.where(missed, UNEXPLAINED, found[first])
    record = np.full(n, -1, dtype=np.int64)
    record[at] = np.arange(len(at))
    where = np.full(n_groups, -1, dtype=np.int64)
    where[groups] = np.where(missed, -1, record[first])
    return Explained(
        code, texts_at(where, said.tolist()), q.figure, found, at, reading, instead, lag
    )
