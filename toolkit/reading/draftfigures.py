"""Which measure a column (or a long export's measure name) holds, for a drafted profile:
an HXL tag first, then a taxonomy measure's name or label, then the words outlets use.
A measure the taxonomy lacks is never invented: the closest parent, with a review note."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from toolkit.suite.taxonomy import Taxonomy

if TYPE_CHECKING:
    from toolkit.reading.drafting import Draft

_BASE = {
    "killed": {"fatalities", "fatality", "deaths", "death", "dead", "killed", "kill", "died"},
    "injured": {"injured", "wounded", "injuries", "injury", "hurt"},
    "missing": {"missing", "disappeared"},
    "detained": {"detained", "arrested", "arrests", "detentions"},
    "displaced": {"displaced"},
}
_QUALIFIERS = {
    "civilians": {"civilian", "civilians"},
    "police": {"police", "enforcement", "officer", "officers"},
    "perpetrators": {"suspect", "suspects", "shooter", "shooters", "perpetrator", "perpetrators"},
    "children": {"children", "child", "minors"},
    "women": {"women", "woman"},
    "victims": {"victims", "victim"},
    "new": {"new", "daily", "increase"},
}
_POLICE = ("police", "officers", "law_enforcement", "enforcement", "security_forces")
_FILLER = {"number", "of", "total", "cum", "cumulative", "count", "num", "nb", "n", "the", "all"}
_FILLER |= {"persons", "people", "reported", "in", "and", "by", "at", "least"}
_CUMULATIVE = {"cum", "cumulative", "total", "all"}
SENTINELS = (-1, -99, -999, -9999)


@dataclass
class Figure:
    """One ``figures:`` entry: ``measure`` None writes it commented out (a column left
    unmapped on purpose, e.g. a second column of a measure already mapped)."""

    measure: str | None
    value: str
    review: str = ""
    low: str | None = None
    high: str | None = None
    rank: int = 0


def words(header: str) -> set[str]:
    """A header's words, lower case: ``deathIncrease`` → {death, increase}."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))
    return {w for w in re.split(r"[^0-9a-z]+", spaced.lower()) if w}


def guess_measure(header: str, taxonomy: Taxonomy, tag: str = "") -> tuple[str | None, str, int]:
    """(measure or None, review note or '', rank: higher is a surer, fuller guess)."""
    names = set(taxonomy.measures)
    said = _stems(words(header))
    cumulative = 2 * bool(words(header) & _CUMULATIVE)
    for name, known in taxonomy.measures.items():
        if header.strip().lower() == name.lower():
            return name, "", 3 + cumulative
        if known.label and said and said == _stems(words(known.label)):
            return name, "", 6 + cumulative
    w = words(header)
    tag_words = set(tag.lower().lstrip("#").split("+")) if tag.startswith("#affected") else set()
    w |= tag_words
    roots = [n for n in names if "." not in n and (n in w or n.rstrip("s") in w)]
    bases = roots or [b for b, syn in _BASE.items() if w & syn and b in names]
    if not bases:
        return None, "", 0
    base = bases[0]
    note = f"several measures fit ({', '.join(bases)})" if len(bases) > 1 else ""
    used = set(_BASE.get(base, {base})) | {base, base.rstrip("s")}
    measure, rank = base, 8 if tag_words else 2
    for qualifier, synonyms in _QUALIFIERS.items():
        if not w & synonyms:
            continue
        used |= synonyms
        choices = [f"{base}.{qualifier}"]
        if qualifier == "police":
            choices = [f"{base}.{p}" for p in _POLICE]
        found = [c for c in choices if c in names]
        if found:
            measure = found[0]
        else:
            note = note or f"no measure {choices[0]} in the taxonomy: mapped to {base}"
        break
    else:
        for name in sorted(names):
            tail = name.split(".")[-1]
            if name.startswith(base + ".") and name.count(".") == 1 and set(tail.split("_")) <= w:
                measure = name
                used |= set(tail.split("_"))
                break
    other = w - used - _FILLER - tag_words - {"affected"}
    other = {o for o in other if not o.isdigit()}
    if other and not note and not tag_words:
        note = f"words not understood: {', '.join(sorted(other))}"
    rank += 2 * bool(w & _CUMULATIVE) - 2 * bool(other and not tag_words)
    return measure, note, rank


def _stems(said: set[str]) -> frozenset[str]:
    """Words without filler, crudely stemmed: "Estimated" and "estimate" match."""
    return frozenset(re.sub(r"(ed|es|e|d|s)$", "", w) for w in said - _FILLER)


def _numeric(series: pd.Series) -> bool:
    values = series.dropna()
    if values.empty:
        return False
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        return True
    text = values.astype(str).str.strip()
    return bool(text.str.fullmatch(r"-?[\d,]+(\.\d+)?").mean() >= 0.9)


def _holds_figures(series: pd.Series) -> bool:
    """Numbers, or texts with a digit, or one text throughout (a figure given in words);
    not a column of varied texts without a number (a cause of death)."""
    if _numeric(series):
        return True
    text = series.dropna().astype(str)
    return bool(text.str.contains(r"\d", regex=True).any()) or text.nunique() <= 1


def _sentinels(series: pd.Series) -> set[int]:
    values = pd.to_numeric(series, errors="coerce").dropna()
    return {s for s in SENTINELS if bool((values == s).any())}


def long_or_wide(
    draft: Draft, frame: pd.DataFrame, hxl: dict[str, str], taxonomy: Taxonomy
) -> None:
    """Fill ``draft.long`` or ``draft.figures`` (and sentinels)."""
    taken = {c for v in draft.columns.values() if isinstance(v, str) for c in [v]}
    if _long(draft, frame, taken, taxonomy):
        return
    figures: list[Figure] = []
    unmapped: list[str] = []
    for column in frame.columns.astype(str):
        if column in taken:
            continue
        measure, note, rank = guess_measure(column, taxonomy, hxl.get(column, ""))
        if measure is None:
            if _numeric(frame[column]) and not words(column) & {"id", "year", "fips", "code"}:
                unmapped.append(column)
            continue
        if not _holds_figures(frame[column]):
            continue
        figures.append(Figure(measure, column, note, rank=rank))
    _one_column_a_measure(figures, taxonomy)
    _bounds(figures, frame, taken)
    bounds = {b for f in figures for b in (f.low, f.high) if b}
    unmapped = [c for c in unmapped if c not in bounds]
    draft.figures = figures
    sentinels: set[int] = set()
    for f in figures:
        if f.measure and f.measure not in taxonomy.signed:  # a change may be -1
            for column in (f.value, f.low, f.high):
                sentinels |= _sentinels(frame[column]) if column else set()
    draft.sentinels = sorted(sentinels, reverse=True)
    if unmapped:
        draft.reviews.append(
            "numeric columns not mapped to a measure: " + ", ".join(repr(c) for c in unmapped)
        )
    if not any(f.measure for f in figures):
        draft.reviews.append(
            "no column holds a figure crosscheck recognises: map one by hand under figures:"
        )


def _one_column_a_measure(figures: list[Figure], taxonomy: Taxonomy) -> None:
    """Keep the surest column of each measure; the others are written commented out, but
    for a bare column beside a cumulative one (``killed`` beside ``killed_cum``): the
    increment, where the taxonomy has one (``killed.new``)."""
    best: dict[str, Figure] = {}
    for f in figures:
        assert f.measure is not None
        if f.measure not in best or f.rank > best[f.measure].rank:
            best[f.measure] = f
    taken = set(best)
    for f in figures:
        if f.measure is None or best[f.measure] is f:
            continue
        winner, new = best[f.measure], f"{f.measure}.new"
        bare = words(f.value) == words(winner.value) - _CUMULATIVE
        if bare and new in taxonomy.measures and new not in taken:
            f.review = f"the increment beside the cumulative {winner.value!r}?"
            f.measure = new
            taken.add(new)
        else:
            f.review = f"{f.measure} is mapped already (from {winner.value!r})"
            f.measure = None


def _bounds(figures: list[Figure], frame: pd.DataFrame, taken: set[str]) -> None:
    """Columns named low/high (min/max) beside one figure column: its bounds."""
    by_word = {w: c for c in frame.columns.astype(str) for w in [c.lower()] if c not in taken}
    low = by_word.get("low") or by_word.get("min")
    high = by_word.get("high") or by_word.get("max")
    mapped = [f for f in figures if f.measure]
    if low and high and mapped:
        target = max(mapped, key=lambda f: f.rank)
        target.low, target.high = low, high


_MEASURE_WORDS = {"measure", "indicator", "what", "variable", "metric", "category", "type"}
_VALUE_WORDS = {"value", "figure", "figures", "count", "number", "statement", "amount", "toll"}


def _long(draft: Draft, frame: pd.DataFrame, taken: set[str], taxonomy: Taxonomy) -> bool:
    """A long export: a column of measure names (few, each naming a measure) and a column
    of figures."""
    n = len(frame)
    for column in frame.columns.astype(str):
        if column in taken or n == 0:
            continue
        values = frame[column].dropna().astype(str)
        distinct = [v for v in values.unique() if v.strip()]
        named_so = bool(words(column) & _MEASURE_WORDS)
        if not distinct or len(distinct) > 50 or (len(distinct) > n // 2 + 1 and not named_so):
            continue
        if _numeric(frame[column]) or guess_measure(column, taxonomy)[0] is not None:
            continue
        guesses = {v: guess_measure(v, taxonomy) for v in distinct}
        mapped = sum(m is not None for m, _, _ in guesses.values())
        if not (mapped == len(distinct) >= 2 or (named_so and mapped >= 1)):
            continue
        rest = [c for c in frame.columns.astype(str) if c not in taken and c != column]
        named = [c for c in rest if words(c) & _VALUE_WORDS]
        value = named[0] if named else _most_digits(frame, rest)
        if value is None:
            continue
        measures: dict[str, tuple[str | None, str]] = {}
        for text, (measure, note, _) in guesses.items():
            measures[text] = (measure, note or ("" if measure else "no measure found: map it"))
        draft.long = {"measure": column, "value": value, "measures": measures}
        return True
    return False


def _most_digits(frame: pd.DataFrame, columns: list[str]) -> str | None:
    scores = {c: frame[c].astype(str).str.contains(r"\d", regex=True).mean() for c in columns}
    best = max(scores, key=lambda c: scores[c], default=None)
    return best if best is not None and scores[best] >= 0.5 else None
