"""Keys that name more than one incident: one source reusing a case id for two shootings
years apart.

A source's key (incident, source) names several incidents when its known event starts fall
into runs more than ``days`` apart (sorted, a new run begins after a gap longer than
``days``): two shootings years apart are two runs, a toll whose rows carry each day's date
is one. Place names alone never split a key (outlets spell one place many ways). The
native rules, the GX engine's column and derived wholes all use :func:`runs_of`; the tests
hold it to a plain pandas oracle.
"""

from __future__ import annotations

import numpy as np

from toolkit.columnar import DAY_US, runs_apart


def runs_of(key: np.ndarray, starts: np.ndarray, days: float) -> np.ndarray:
    """Per row, which incident of its key it belongs to: 1, 2, … by event start for the
    keys whose starts fall into runs more than ``days`` apart; 0 for every other row (keys
    naming one incident, rows with no event start). ``key``: one integer per (incident,
    source); ``starts``: the event starts as datetime64[us].

    >>> t = np.array(["2013-08-07", "2013-12-28", "2013-08-08", "NaT"], "datetime64[us]")
    >>> runs_of(np.array([0, 0, 0, 1]), t, 3).tolist()
    [1, 2, 1, 0]
    """
    ticks = np.asarray(starts, dtype="datetime64[us]").view(np.int64)
    return runs_apart(key, ticks, days * float(DAY_US))
