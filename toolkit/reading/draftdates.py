"""A date column's formats, guessed from its values for a drafted profile: the fewest
formats (from the ones outlets use) that together read every value that is not blank,
checked with the reader's own ``parse_dates``."""

from __future__ import annotations

import pandas as pd

from toolkit.columnar import is_arrow_date
from toolkit.reading.cells import as_text, parse_dates

# Tried in order; a format is kept only when it reads values the ones before it did not.
CANDIDATES = (
    "%Y%m%d",  # before ISO 8601, which reads 20200520 too: the reader must be told
    "ISO8601",
    "%m/%d/%y",
    "%m/%d/%Y",
    "%d/%m/%y",
    "%d/%m/%Y",
    "%d.%m.%Y",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%m/%d/%Y %H:%M",
    "%a, %m/%d/%Y - %H:%M",
)


def date_formats(series: pd.Series) -> list[str] | None:
    """The formats reading every value ([] when the reader needs none: real dates, or ISO
    dates the default reads), or None when no mix of the candidates reads them all."""
    values = series.dropna()
    if values.empty:
        return None
    if is_arrow_date(values.dtype) or pd.api.types.is_datetime64_any_dtype(values.dtype):
        return []  # real dates (spreadsheet cells, Arrow dates)
    if values.map(lambda v: hasattr(v, "year")).all():
        return []
    text = as_text(values.astype(str)).dropna()
    text = text[text.str.strip() != ""]
    if text.empty:
        return None
    if bool(text.str.fullmatch(r"\d{1,7}").any()):
        return None  # plain numbers (years, counts) are not dates
    left = text.reset_index(drop=True)
    chosen: list[str] = []
    for fmt in CANDIDATES:
        _, failed = parse_dates(left, (fmt,))
        if failed.all():
            continue
        chosen.append(fmt)
        left = left[failed].reset_index(drop=True)
        if left.empty:
            break
    if not left.empty:
        return None
    return [] if chosen == ["ISO8601"] else chosen  # %y before %Y: "10/23/17" is not year 17
