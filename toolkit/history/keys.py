"""What identifies a finding across runs, and a figure across snapshots of an export.

A finding's *fingerprint* is what makes it "the same finding" in the next run: its family
(code, rule), the incident, source and measure it is about, and the figure (the report
date and what was observed) — never its line, which moves when rows are added above it,
nor its file's name (daily exports are often named by date). Its *content* adds every
other text (severity, message…): the row stored once in the database.

Both are 64-bit hashes computed column-wise by pandas (``hash_pandas_object``, a fixed
key: the same texts give the same hash in every run and process).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.model.findings import COLUMNS

FINGERPRINT = ("code", "rule", "incident", "source", "measure", "reported_on", "column", "observed")
CONTENT = tuple(c for c in COLUMNS if c != "origin_row")  # a line is the run's, not the finding's


def texts(findings: pd.DataFrame) -> pd.DataFrame:
    """The finding columns as text (dates as ``YYYY-MM-DD``), as the database keeps them."""
    out = findings[list(CONTENT)].copy()
    out["reported_on"] = pd.to_datetime(out["reported_on"]).dt.strftime("%Y-%m-%d")
    return out.astype("str")


def _hash(frame: pd.DataFrame) -> np.ndarray:
    hashed: np.ndarray = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashed.view(np.int64)


def fingerprints(text: pd.DataFrame) -> np.ndarray:
    """Per finding (as :func:`texts`), its fingerprint as an int64."""
    return _hash(text[list(FINGERPRINT)])


def contents(text: pd.DataFrame) -> np.ndarray:
    """Per finding (as :func:`texts`), the hash of all its texts as an int64."""
    return _hash(text[list(CONTENT)])
