"""What changed between two recorded runs: findings new and fixed (by fingerprint, not by
line), input files added, removed or changed (by content), and silent edits (figures of
one source that read otherwise in the later run's exports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit.errors import HistoryError
from toolkit.history.edits import silent_edits
from toolkit.history.store import Store, shown_url


@dataclass(frozen=True)
class Diff:
    """Runs ``a`` and ``b`` (their rows), and what changed from one to the other."""

    a: dict[str, Any]
    b: dict[str, Any]
    new: pd.DataFrame
    fixed: pd.DataFrame
    files: pd.DataFrame
    edits: pd.DataFrame


def pick_runs(store: Store, a: int | None, b: int | None) -> tuple[int, int]:
    """The two runs to compare: as given; B by default the last run; A by default the run
    of B's suite before B."""
    for given in (a, b):
        if given is not None and not 0 < given < 2**63:
            raise HistoryError(f"history {shown_url(store.url)}: no run {given}")
    runs = store.runs()
    if runs.empty:
        raise HistoryError(f"history {shown_url(store.url)}: no runs recorded yet")
    b_row = store.run(b if b is not None else int(runs["id"].iloc[-1]))
    if a is None:
        same = runs[
            (runs["suite_name"] == b_row["suite_name"])
            & (runs["suite_folder"] == b_row["suite_folder"])
            & (runs["id"] < b_row["id"])
        ]
        if same.empty:
            raise HistoryError(
                f"history {shown_url(store.url)}: run {b_row['id']} is the first of suite "
                f"{b_row['suite_name']!r}: nothing to compare it with"
            )
        a = int(same["id"].iloc[-1])
    store.run(a)  # an error naming the runs there are, when it is not there
    return int(a), int(b_row["id"])


def diff(store: Store, a: int | None = None, b: int | None = None) -> Diff:
    """Compare two runs (default: the last two of the last run's suite)."""
    a_id, b_id = pick_runs(store, a, b)
    fa, fb = store.findings(a_id), store.findings(b_id)
    new = fb[~np.isin(fb["fingerprint"], fa["fingerprint"])]
    fixed = fa[~np.isin(fa["fingerprint"], fb["fingerprint"])]
    return Diff(
        a=store.run(a_id),
        b=store.run(b_id),
        new=new.reset_index(drop=True),
        fixed=fixed.reset_index(drop=True),
        files=_files(store.files(a_id), store.files(b_id)),
        edits=silent_edits(store.figures(a_id), store.figures(b_id)),
    )


def _files(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Files added, removed or changed (another SHA-256) from ``a`` to ``b``, by path."""
    both = a[["path", "sha256"]].merge(
        b[["path", "sha256"]], on="path", how="outer", suffixes=("_a", "_b")
    )
    change = np.select(
        [both["sha256_a"].isna(), both["sha256_b"].isna(), both["sha256_a"] != both["sha256_b"]],
        ["added", "removed", "changed"],
        default="",
    )
    out = both.assign(change=change)
    return out[out["change"] != ""][["change", "path", "sha256_a", "sha256_b"]].reset_index(
        drop=True
    )
