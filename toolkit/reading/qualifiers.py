"""Published figure text ("at least 128", "12-15", "١٢٨") to value, bounds and qualifier.

A figure is an interval. :func:`parse_figure` reads one text; :func:`parse_figures` reads a
column (each distinct text once). ``toolkit.model.intervals`` turns parsed figures into
closed numeric intervals.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.columnar import distinct

INT64_MAX = 2**63 - 1

# Words a suite may map to numbers (ACLED codes "dozens" as 12). A mapping is
# {word: number} (read as "at least number") or {word: {value: n, qualifier: q}}.
WordMap = Mapping[str, object]

_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    (phrase, qualifier)
    for qualifier, phrases in (
        (
            "at_least",
            (
                "at least",
                "no fewer than",
                "no less than",
                "a minimum of",
                "minimum of",
                "minimum",
                "min.",
                "not less than",
            ),
        ),
        ("more_than", ("more than", "upwards of", "in excess of", "exceeding", "over", "above")),
        (
            "at_most",
            (
                "at most",
                "up to",
                "no more than",
                "not more than",
                "a maximum of",
                "maximum of",
                "maximum",
                "max.",
                "as many as",
            ),
        ),
        ("fewer_than", ("fewer than", "less than", "under", "below")),
        (
            "about",
            (
                "approximately",
                "an estimated",
                "estimated",
                "around",
                "roughly",
                "nearly",
                "almost",
                "approx.",
                "approx",
                "about",
                "circa",
                "some",
                "c.",
                "~",
                "≈",
            ),
        ),
        # Arabic, as SOHR and Syrian outlets publish it.
        ("at_least", ("ما لا يقل عن",)),
        ("more_than", ("أكثر من", "اكثر من")),
        ("about", ("حوالي", "نحو")),
    )
    for phrase in phrases
)
# Longest phrase first, so "no more than" wins over "more than".
_PREFIXES = tuple(sorted(_PREFIXES, key=lambda p: -len(p[0])))

_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("or more", "at_least"),
    ("at least", "at_least"),
    ("and more", "at_least"),
    ("or fewer", "at_most"),
    ("or less", "at_most"),
    ("at most", "at_most"),
    ("at the least", "at_least"),
    ("+", "at_least"),
    ("plus", "at_least"),
    ("على الأقل", "at_least"),
)

_UNKNOWN_WORDS = frozenset(
    {
        "unknown",
        "n/a",
        "na",
        "n.a.",
        "not known",
        "unclear",
        "?",
        "-",
        "--",
        "—",
        "none given",
        "not reported",
        "unspecified",
    }
)

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}

# Arabic-Indic (U+0660..) and Extended Arabic-Indic / Persian (U+06F0..) digits, and the
# Arabic thousands and decimal separators.
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
_DIGITS |= {0x066C: ",", 0x066B: "."}
_DASHES = {ord(c): "-" for c in "‐‑‒–—―−"}

_NUM = r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+|\d+(?:\.\d+)?"
_NUMBER_RE = re.compile(rf"^(?P<num>{_NUM})(?:\s*(?P<scale>thousand|million))?$")
_RANGE_RE = re.compile(rf"^(?:between\s+)?(?P<a>{_NUM})\s*(?:-|to|and)\s*(?P<b>{_NUM})$")
_PART_OF_RE = re.compile(rf"^(?P<num>{_NUM}) of (?:the )?(?:{_NUM})(?:\s.*)?$")
_NOUN_TAIL_RE = re.compile(r"^(?P<head>.*?\S)\s+(?P<tail>[^\W\d_][^\d]*)$")


@dataclass(frozen=True)
class ParsedFigure:
    """One parsed figure. ``problem`` says why text could not be read (then ``unknown``)."""

    value: int | None
    low: int | None
    high: int | None
    qualifier: str
    problem: str | None = None
    invalid: bool = False  # a number that cannot be a count (too large, not whole, reversed)


_UNKNOWN = ParsedFigure(None, None, None, "unknown")


def normalize(text: str) -> str:
    """Fold digits, dashes, case and spacing so the grammar sees one spelling.

    >>> normalize("  At least ١٢٨ ")
    'at least 128'
    """
    folded = unicodedata.normalize("NFKC", text).translate(_DIGITS).translate(_DASHES)
    folded = folded.strip().strip("\"'“”‘’").strip().lower()
    return re.sub(r"\s+", " ", folded)


def _number(token: str, words: WordMap) -> tuple[int | None, str | None, str | None]:
    """Read one number token: digits, English number words or a suite word.

    Returns (value, qualifier implied by a suite word or None, problem).
    """
    token = token.strip()
    if token.startswith(("a ", "an ")) and not token.startswith(("a hundred", "a thousand")):
        token = token.split(" ", 1)[1]
    m = _NUMBER_RE.match(token)
    if m:
        digits = re.sub(r"[,\u00a0\u202f ]", "", m["num"])
        scale = _SCALES.get(m["scale"] or "", 1)
        if "." in digits:
            number = float(digits) * scale
            if not number.is_integer():
                return None, None, f"{token!r} is not a whole number"
            value = int(number)
        else:
            value = int(digits) * scale
        if abs(value) > INT64_MAX:
            return None, None, f"{token!r} is too large for a count (max {INT64_MAX})"
        return value, None, None
    if token in words:
        mapped = words[token]
        if isinstance(mapped, Mapping):
            return int(mapped["value"]), str(mapped.get("qualifier", "at_least")), None
        return int(str(mapped)), "at_least", None
    return _number_words(token), None, None


def _number_words(token: str) -> int | None:
    """'six' -> 6, 'twenty-five' -> 25, 'a hundred' -> 100, 'two hundred and five' -> 205."""
    parts = [p for p in re.split(r"[\s-]+", token) if p and p != "and"]
    if not parts:
        return None
    if parts[0] in ("a", "an"):
        parts[0] = "one"
    total, current, seen = 0, 0, False
    for part in parts:
        if part in _UNITS:
            current += _UNITS[part]
        elif part in _TENS:
            current += _TENS[part]
        elif part in _SCALES:
            current = max(current, 1) * _SCALES[part]
            if _SCALES[part] > 100:
                total, current = total + current, 0
        else:
            return None
        seen = True
    return total + current if seen else None


def parse_figure(text: object, words: WordMap | None = None) -> ParsedFigure:
    """Parse one published figure.

    Parameters
    ----------
    text
        The figure as published; numbers pass through as exact figures.
    words
        Words the suite maps to numbers, e.g. ``{"dozens": 12}``.

    Examples
    --------
    >>> parse_figure("at least 128")
    ParsedFigure(value=128, low=128, high=None, qualifier='at_least', problem=None, invalid=False)
    >>> p = parse_figure("12-15")
    >>> (p.value, p.low, p.high, p.qualifier)
    (None, 12, 15, 'range')
    >>> parse_figure("more than 60").low
    61
    >>> parse_figure("dozens").problem
    "cannot read 'dozens' as a figure"
    """
    words = words or {}
    if text is None or (isinstance(text, float) and math.isnan(text)) or text is pd.NA:
        return _UNKNOWN
    if isinstance(text, (int, np.integer)) and not isinstance(text, bool):
        v = int(text)
        return ParsedFigure(v, v, v, "exact")
    raw = str(text)
    t = normalize(raw)
    if not t or t in _UNKNOWN_WORDS:
        return _UNKNOWN

    def fail(why: str | None = None) -> ParsedFigure:
        if why:
            return ParsedFigure(None, None, None, "unknown", why, invalid=True)
        return ParsedFigure(None, None, None, "unknown", f"cannot read {raw!r} as a figure")

    if re.fullmatch(r"-\s*\d+", t):  # a negative number: the reader says why it is no count
        v = -int(t[1:].strip())
        return ParsedFigure(v, v, v, "exact")
    m = _RANGE_RE.match(t)
    if m:
        a, _, pa = _number(m["a"], words)
        b, _, pb = _number(m["b"], words)
        if pa or pb or a is None or b is None:
            return fail(pa or pb)
        if a > b:
            return fail(f"range {raw!r} has its low bound above its high bound")
        return ParsedFigure(None, a, b, "range")

    qualifier = "exact"
    for phrase, q in _SUFFIXES:
        if t.endswith(phrase) and len(t) > len(phrase):
            t, qualifier = t[: -len(phrase)].strip(), q
            break
    for phrase, q in _PREFIXES:
        if t.startswith(phrase) and (
            len(t) > len(phrase) and (not phrase[-1].isalpha() or not t[len(phrase)].isalpha())
        ):
            if qualifier != "exact":
                return ParsedFigure(None, None, None, "unknown", f"{raw!r} has two qualifiers")
            t, qualifier = t[len(phrase) :].strip(), q
            break

    m = _PART_OF_RE.match(t)  # "83 of the 128 in the last 48 hours": the figure is 83
    if m:
        t = m["num"]
    value, implied, problem = _number(t, words)
    if value is None and problem is None:
        # "83 persons", "67 bodies", "dozens of people": a number, then words about it.
        m = _NOUN_TAIL_RE.match(t)
        while m and value is None and problem is None:
            value, implied, problem = _number(m["head"], words)
            if value is None:
                m = _NOUN_TAIL_RE.match(m["head"])
    if problem:
        return fail(problem)
    if value is None:
        return fail()
    if implied is not None and qualifier == "exact":
        qualifier = implied
    return _bounded(value, qualifier)


def _bounded(value: int, qualifier: str) -> ParsedFigure:
    if qualifier == "at_least":
        return ParsedFigure(value, value, None, qualifier)
    if qualifier == "more_than":
        return ParsedFigure(value, value + 1, None, qualifier)
    if qualifier == "at_most":
        return ParsedFigure(value, 0, value, qualifier)
    if qualifier == "fewer_than":
        return ParsedFigure(value, 0, max(value - 1, 0), qualifier)
    if qualifier == "about":
        return ParsedFigure(value, None, None, qualifier)
    return ParsedFigure(value, value, value, "exact")


def _fits(parsed: ParsedFigure, raw: str) -> ParsedFigure:
    """``parsed``, unless a bound of it is past int64 ("more than 9223372036854775807", a
    suite word for a huge number): then a number that cannot be a count."""
    bounds = (parsed.value, parsed.low, parsed.high)
    if all(b is None or -INT64_MAX <= b <= INT64_MAX for b in bounds):
        return parsed
    why = f"{raw!r} is too large for a count (max {INT64_MAX})"
    return ParsedFigure(None, None, None, "unknown", why, invalid=True)


def parse_figures(texts: pd.Series, words: WordMap | None = None) -> pd.DataFrame:
    """Parse a column of figure texts; each distinct text is parsed once.

    Returns a frame aligned with ``texts`` with columns value, low, high (nullable Int64),
    qualifier, problem (str, missing where the text was read) and invalid (bool: the text
    is a number that cannot be a count).
    """
    codes, uniques = distinct(texts)
    parsed = [_fits(parse_figure(u, words), str(u)) for u in uniques]
    out: dict[str, pd.Series] = {}
    take = np.where(codes < 0, len(parsed), codes)
    parsed.append(_UNKNOWN)
    for name in ("value", "low", "high"):
        col = pd.array([getattr(p, name) for p in parsed], dtype="Int64")
        out[name] = pd.Series(col.take(take), index=texts.index, copy=False)
    # Build each text column once per distinct text, then take (Arrow-backed, no per-row str).
    for name in ("qualifier", "problem"):
        per_unique = pd.Series([getattr(p, name) for p in parsed], dtype="str")
        out[name] = per_unique.take(take).set_axis(texts.index)
    out["invalid"] = pd.Series(
        np.array([p.invalid for p in parsed])[take], index=texts.index, copy=False
    )
    return pd.DataFrame(out, copy=False)
