"""Writing tables to disk: CSV that is safe to open in a spreadsheet, Parquet, JSON."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from toolkit.errors import CrosscheckError

# Cells a spreadsheet would run as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that start like a formula with ``'`` so spreadsheets show them as text.

    >>> neutralise(pd.DataFrame({"a": ["=1+1", "ok", "-2"]}))["a"].tolist()
    ["'=1+1", 'ok', "'-2"]
    """
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if col.dtype == "str" or col.dtype == object:
            text = col.astype("str")
            risky = text.str.startswith(_FORMULA_START).fillna(False).astype(bool)
            if risky.any():
                out[c] = text.where(~risky, "'" + text)
    return out


def write_table(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` as .csv (neutralised), .parquet or .json (records), by the suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".parquet", ".json"):
        raise CrosscheckError(f"{p}: write .csv, .parquet or .json, not {suffix or 'no suffix'!r}")
    p.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        neutralise(df).to_csv(p, index=False, date_format="%Y-%m-%d")
    elif suffix == ".parquet":
        df.to_parquet(p, index=False)
    else:
        df.to_json(p, orient="records", date_format="iso", indent=1, force_ascii=False)
    return p


def write_json(path: str | Path, **tables: pd.DataFrame) -> Path:
    """Write several tables as one JSON object: ``{"name": [records...], ...}``.

    Dates are ISO 8601; infinite bounds ("at least 128" has no upper bound) are null.
    """
    p = Path(path)
    if p.suffix.lower() != ".json":
        raise CrosscheckError(f"{p}: the --json output must end in .json")
    p.parent.mkdir(parents=True, exist_ok=True)
    parts = [
        f'"{name}": ' + df.to_json(orient="records", date_format="iso", indent=1, force_ascii=False)
        for name, df in tables.items()
    ]
    p.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
    return p
