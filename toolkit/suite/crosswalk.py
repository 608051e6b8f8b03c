"""A suite's reviewed crosswalk: which incident of which source is which shared incident.

A CSV with columns ``source``, ``incident`` and ``match`` (more columns, as ``crosscheck
match -o`` writes them, are kept for the reviewer and ignored here). An empty ``match``
keeps that incident apart.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.errors import InputError

COLUMNS = ("source", "incident", "match")


def read_crosswalk_table(path: str | Path) -> pd.DataFrame:
    """The crosswalk file as it is: every column, every value as text ("" where empty)."""
    try:
        table = pd.read_csv(path, dtype="str", keep_default_na=False)
    except (OSError, ValueError) as e:
        raise InputError(f"cannot read the crosswalk: {e}", path=path) from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"the crosswalk needs columns source, incident, match; missing {missing}",
            path=path,
            line=1,
        )
    return table


def crosswalk_links(table: pd.DataFrame) -> dict[tuple[str, str], str | None]:
    """A crosswalk table (as read): (source, incident) -> the shared id it is linked to
    (None: kept apart)."""
    return {
        (source, incident): match or None
        for source, incident, match in zip(
            table["source"], table["incident"], table["match"], strict=True
        )
    }
