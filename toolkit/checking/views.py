"""The shapes rules look at, computed once per check: intervals and group keys.

Cross-row rules (child <= parent in one report, cumulative tolls over time, one figure per
report) all group figures by report or by series; the keys are computed here once and
shared, since computing them dominates the cost of those rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from toolkit.columnar import codes, combine_codes
from toolkit.model.incidents import runs_of
from toolkit.model.intervals import intervals

# one line of an export (or, for a table built in memory, one report)
LINE = ["origin_file", "origin_row", "incident", "source", "reported_on", "event_start", "location"]


@dataclass
class Views:
    """A figures table with its intervals and group keys.

    ``report``: one code per (incident, source, reported_on). ``series``: one code per
    (incident, source, measure). Missing dates form their own report. A key that names
    two incidents (event starts more than ``days`` apart) is split by them.
    """

    figures: pd.DataFrame
    tolerance: float = 0.1
    days: float = 3  # event starts further apart: two incidents under one key

    @cached_property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        return intervals(self.figures, self.tolerance)

    @property
    def lo(self) -> np.ndarray:
        return self.bounds[0]

    @property
    def hi(self) -> np.ndarray:
        return self.bounds[1]

    @cached_property
    def _measure_rows(self) -> dict[str, np.ndarray]:
        measure = self._codes["measure"]
        names = pd.unique(self.figures["measure"])  # same order as the codes: first seen
        order = np.argsort(measure, kind="stable")
        bounds = np.searchsorted(measure[order], np.arange(len(names) + 1))
        return {str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(names)}

    @cached_property
    def _codes(self) -> dict[str, np.ndarray]:
        f = self.figures
        return {
            c: codes(f[c], missing_group=True)
            for c in ("incident", "source", "measure", "reported_on")
        }

    @cached_property
    def key(self) -> np.ndarray:
        """One code per (incident, source): a source's incident key."""
        return self._combine("incident", "source")

    @cached_property
    def runs(self) -> np.ndarray:
        """Per row, which incident of its key it belongs to (1, 2, … by event start) for
        the keys whose event starts fall into runs more than ``days`` apart; 0 elsewhere
        (:mod:`toolkit.model.incidents`)."""
        return runs_of(self.key, self.figures["event_start"].to_numpy("datetime64[us]"), self.days)

    @cached_property
    def two_incident_keys(self) -> np.ndarray:
        """Per row, whether its key names several incidents and the row is one of them."""
        several: np.ndarray = self.runs > 0
        return several

    @cached_property
    def first_of_line(self) -> np.ndarray:
        """Per row, whether it is the first figure of its export line (of its report, for
        a table built in memory)."""
        line = self.figures[LINE]
        first: np.ndarray = ~line.duplicated().to_numpy()
        return first

    def _split(self, codes: np.ndarray) -> np.ndarray:
        """``codes`` told apart by incident where a key names several (see ``runs``)."""
        if not self.two_incident_keys.any():
            return codes
        return combine_codes([codes, self.runs], len(self.figures))

    def _combine(self, *names: str) -> np.ndarray:
        """One dense code per distinct combination of the named columns' codes."""
        return combine_codes([self._codes[name] for name in names], len(self.figures))

    @cached_property
    def day(self) -> np.ndarray:
        """Codes of reported_on, ordered as the dates are (NaT last)."""
        dates = self.figures["reported_on"].to_numpy(dtype="datetime64[us]")
        return np.unique(dates, return_inverse=True)[1].astype(np.int64)

    @cached_property
    def report(self) -> np.ndarray:
        """One code per (incident, source, reported_on) — and, where one key names several
        incidents (see ``runs``), per incident too, so that two incidents' figures are
        never taken for one report's."""
        return self._split(self._combine("incident", "source", "reported_on"))

    @cached_property
    def series(self) -> np.ndarray:
        """One code per (incident, source, measure), split like ``report``."""
        return self._split(self._combine("incident", "source", "measure"))

    @cached_property
    def n_reports(self) -> int:
        return int(self.report.max(initial=-1)) + 1

    def rows_of(self, measure: str) -> np.ndarray:
        """Row positions of one measure, in table order (grouped once for all rules)."""
        return self._measure_rows.get(measure, np.zeros(0, dtype=np.int64))

    def loosest(self, measure: str) -> tuple[np.ndarray, np.ndarray]:
        """Per report, the loosest interval of ``measure`` (lowest lo, highest hi); NaN
        where the report has no figure for it. Computed once per measure."""
        if measure not in self._loosest:
            self._loosest[measure] = self._loosest_of(measure)
        return self._loosest[measure]

    @cached_property
    def _loosest(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {}

    def _loosest_of(self, measure: str) -> tuple[np.ndarray, np.ndarray]:
        rows = self.rows_of(measure)
        lo = np.full(self.n_reports, np.nan)
        hi = np.full(self.n_reports, np.nan)
        r = self.report[rows]
        np.fmin.at(lo, r, self.lo[rows])
        np.fmax.at(hi, r, self.hi[rows])
        return lo, hi
