"""Draft a source profile from an export: how to read it, which column feeds which
figures-table column, and which columns hold which measure.

A draft is a guess to review, not a rule: every unsure guess carries a ``review`` note,
which ``draftyaml`` writes as a ``# review:`` comment beside it. The draft must read its
export as it stands (``crosscheck read`` with the draft alone gives every row).
"""

from __future__ import annotations

import csv
import glob
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.errors import InputError
from toolkit.reading.draftdates import date_formats
from toolkit.reading.draftfigures import Figure, long_or_wide, words
from toolkit.reading.formats import detect_format, read_raw
from toolkit.reading.raw import is_hashtag_row
from toolkit.suite.profiles import Profile
from toolkit.suite.settings import Limits
from toolkit.suite.taxonomy import Taxonomy

_DELIMITERS = (",", "\t", ";", "|")
_HEAD_LINES = 50


@dataclass
class Draft:
    """A drafted profile. ``columns`` maps a figures-table column to an export column (or a
    ``{template: …}``); ``notes`` holds a review note per key (``columns.incident``,
    ``figures`` entries carry their own)."""

    name: str
    description: str
    files: str
    settings: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    dates: dict[str, list[str]] = field(default_factory=dict)
    sentinels: list[int] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    long: dict[str, Any] | None = None
    notes: dict[str, str] = field(default_factory=dict)
    reviews: list[str] = field(default_factory=list)


def sniff_delimiter(data: bytes) -> str:
    """The delimiter giving the most consistent field counts (more than one field) on the
    first lines; a comma when none does."""
    text = data[: 1 << 16].decode("utf-8", errors="replace").lstrip("\ufeff")
    best, best_score = ",", (0, 0)
    for delimiter in _DELIMITERS:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        rows = [r for r in rows[:_HEAD_LINES] if r and any(c.strip() for c in r)][:-1] or rows
        counts = [len(r) for r in rows if r]
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _records_key(path: Path, data: bytes) -> str | None:
    """For a JSON object holding its records under a key: the first key whose value is a
    list of objects."""
    try:
        document = json.loads(data.decode("utf-8-sig", errors="replace"))
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return str(key)
    return None


def read_export(path: Path, limits: Limits) -> tuple[pd.DataFrame, dict[str, Any], list[str]]:
    """The export's records (HXL row dropped), the reading settings a profile needs, and the
    HXL hashtags by column (empty when there is no hashtag row)."""
    fmt, gz = detect_format(path, None)
    settings: dict[str, Any] = {}
    if fmt in ("csv", "tsv") and not gz and path.is_file():
        try:
            with path.open("rb") as fh:
                head = fh.read(1 << 16)
        except OSError as exc:
            raise InputError(f"cannot open: {exc.strerror}", path) from None
        delimiter = sniff_delimiter(head)
        if delimiter != ("\t" if fmt == "tsv" else ","):
            settings["delimiter"] = delimiter
    if fmt == "json" and not gz and path.is_file():
        with path.open("rb") as fh:
            start = fh.read(1 << 12).lstrip(b"\xef\xbb\xbf \t\r\n")
        if start.startswith(b"{"):
            key = _records_key(path, path.read_bytes())
            if key is not None:
                settings["records"] = key
    probe = Profile(name="draft", files=("*",), path="<draft>", **settings)
    raw = read_raw(path, probe, columns_as_text=set(), limits=limits)
    if any(p.get("code") == "encoding" for p in raw.problems):
        settings["encoding"] = "cp1252"
    frame = raw.frame
    tags: list[str] = []
    if len(frame):
        first = [_cell(v) for v in frame.iloc[0].tolist()]
        if is_hashtag_row(first):
            settings["skip_hashtag_row"] = True
            tags = first
            frame = frame.iloc[1:].reset_index(drop=True)
    return frame, settings, tags


def _cell(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def draft_profile(
    paths: list[Path], taxonomy: Taxonomy, source: str | None, limits: Limits
) -> Draft:
    """Draft one profile from one or more exports of one outlet (the first decides how to
    read; the others add their rows to the guesses)."""
    frames, settings, tags = [], {}, []
    for i, path in enumerate(paths):
        frame, found, hashtags = read_export(path, limits)
        if i == 0:
            settings, tags = found, hashtags
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    name = _outlet_name(paths[0])
    draft = Draft(
        name=source or name,
        description=f"Drafted by crosscheck profile from {paths[0].name}: review each "
        "'# review:' line.",
        files=_glob(paths),
        settings=settings,
    )
    if paths[0].suffix.lower() == ".xlsx":
        draft.notes["sheet"] = "the first sheet is read: set 'sheet:' for another"
    hxl = dict(zip(frame.columns.astype(str), tags, strict=False)) if tags else {}
    _place_columns(draft, frame, hxl, source)
    long_or_wide(draft, frame, hxl, taxonomy)
    return draft


def _outlet_name(path: Path) -> str:
    stem = path.name.split(".")[0]
    stem = re.sub(r"[-_ ]*(\d{4}([-_]\d{2}){0,2}|v\d+)$", "", stem) or stem
    return stem.replace("_", " ").replace("-", " ").strip() or path.name


def _glob(paths: list[Path]) -> str:
    """A pattern matching the exports' names: the common start, a ``*``, the suffix."""
    names = [p.name for p in paths]
    suffix = "".join(paths[0].suffixes[-2:] if names[0].endswith(".gz") else paths[0].suffixes[-1:])
    stems = [n[: len(n) - len(suffix)] if n.endswith(suffix) else n for n in names]
    prefix = stems[0]
    for stem in stems[1:]:
        while not stem.startswith(prefix):
            prefix = prefix[:-1]
    prefix = re.sub(r"[\d\-_. ]+$", "", prefix) or prefix
    return f"{glob.escape(prefix)}*{glob.escape(suffix)}"  # data[1].csv: no character class


_ROLE_TAGS = {
    "#event": "incident",
    "#adm1": "admin1",
    "#country": "country",
    "#loc": "location",
}
_ROLE_WORDS = {
    "admin1": {"state", "province", "region", "adm1", "admin1", "governorate", "prefecture"},
    "country": {"country", "iso3", "iso", "nation"},
    "location": {"location", "city", "town", "place", "village", "locality", "where", "site"},
    "citation": {"url", "link", "citation", "href", "article", "source_url"},
    "source": {"source", "outlet", "reporter", "publisher", "agency", "media"},
    "title": {"title", "incident", "name", "headline"},
}
_ID_WORDS = {"id", "incident", "event", "case", "caseid", "key", "uid"}


def _place_columns(
    draft: Draft, frame: pd.DataFrame, hxl: dict[str, str], source: str | None
) -> None:
    """Dates, places, citation, source and incident: HXL tags first, then header words."""
    taken: set[str] = set()
    for column, tag in hxl.items():
        base = tag.split("+")[0].lower()
        attrs = set(tag.lower().split("+")[1:])
        target = _ROLE_TAGS.get(base)
        if base == "#event" and "id" not in attrs:
            target = None
        if base == "#country" and "code" not in attrs:
            target = None
        if base == "#meta" and ("url" in attrs or "source" in attrs):
            target = "citation"
        if target and target not in draft.columns:
            draft.columns[target] = column
            draft.notes[f"columns.{target}"] = f"HXL {tag}"
            taken.add(column)
    _date_columns(draft, frame, hxl, taken)
    for target in ("admin1", "country", "location", "citation", "source"):
        if target in draft.columns:
            continue
        for column in frame.columns.astype(str):
            if column in taken:
                continue
            if words(column) & _ROLE_WORDS[target] or column.lower() in _ROLE_WORDS[target]:
                if target == "source" and not _names_outlets(frame[column]):
                    continue
                if (
                    target == "citation"
                    and "link" not in column.lower()
                    and not _looks_cited(frame[column])
                ):
                    continue
                draft.columns[target] = column
                taken.add(column)
                break
    if "source" not in draft.columns:
        draft.constants["source"] = source or draft.name
        if not source:
            draft.notes["constants.source"] = "named after the file: give the outlet's name"
    _incident(draft, frame, taken)


def _names_outlets(series: pd.Series) -> bool:
    """A column naming outlets: short texts, few of them, not numbers nor links."""
    values = series.astype(str).str.strip()
    if bool(series.isna().any()) or bool((values == "").any()):
        return False  # a row without its source would not be read
    if values.empty or values.str.contains(r"^https?://|^[\d.,\-]+$", regex=True).any():
        return False
    return bool(values.str.len().max() <= 80 and values.nunique() <= max(3, len(values) // 2))


def _plain_numbers(series: pd.Series) -> bool:
    text = series.dropna().astype(str).str.strip()
    return bool(text.str.fullmatch(r"-?\d+(\.\d+)?").all())


def _looks_cited(series: pd.Series) -> bool:
    values = series.dropna().astype(str)
    return bool(len(values)) and bool(
        values.str.contains(r"https?://|www\.|\.\w{2,4}/", regex=True).mean() >= 0.5
    )


def _date_columns(draft: Draft, frame: pd.DataFrame, hxl: dict[str, str], taken: set[str]) -> None:
    """Each date-like column, its formats, and which date of the figures table it feeds."""
    found: dict[str, str] = {}  # export column -> role guess ('' when unsure)
    for column in frame.columns.astype(str):
        tag = hxl.get(column, "").lower()
        w = words(column)
        named = "date" in column.lower() or bool(w & {"day", "time", "updated", "update", "when"})
        if tag.startswith("#date") and ("year" in tag or "month" in tag):
            continue
        if not (named or tag.startswith("#date")):
            continue
        formats = date_formats(frame[column])
        if formats is None and _plain_numbers(frame[column]):
            continue  # a year, a precision code: not a date
        if formats is None:
            draft.reviews.append(f"{column!r} looks like a date but no format reads every value")
            continue
        if formats:
            draft.dates[column] = formats
        role = ""
        if "start" in tag or w & {"start", "from", "begin", "began", "occurred"}:
            role = "event_start"
        elif "end" in tag.split("+") or w & {"end", "to", "until", "ended"}:
            role = "event_end"
        elif "reported" in tag or w & {
            "report",
            "reported",
            "dateline",
            "published",
            "updated",
            "update",
            "edit",
            "last",
        }:
            role = "reported_on"
        found[column] = role
    for column, role in found.items():
        if role and role not in draft.columns:
            draft.columns[role] = column
            taken.add(column)
    for column, role in found.items():
        if role:
            continue
        target = "reported_on" if "reported_on" not in draft.columns else "event_start"
        if target in draft.columns:
            continue
        draft.columns[target] = column
        draft.notes[f"columns.{target}"] = (
            f"{column!r} read as the {'report' if target == 'reported_on' else 'event'} date: "
            "is it the day of the report or of the event?"
        )
        taken.add(column)


def _incident(draft: Draft, frame: pd.DataFrame, taken: set[str]) -> None:
    if "incident" in draft.columns:
        return
    best: tuple[float, str] | None = None
    for column in frame.columns.astype(str):
        w = words(column)
        if column in taken or not (w & _ID_WORDS or column.lower().endswith("id")):
            continue
        values = frame[column].dropna()
        if values.empty:
            continue
        distinct = values.astype(str).nunique() / len(values)
        score = distinct + (0.5 if w & {"incident", "event", "case"} else 0)
        if best is None or score > best[0]:
            best = (score, column)
    if best is not None:
        draft.columns["incident"] = best[1]
        if best[0] < 0.5:
            draft.notes["columns.incident"] = "many rows share an id: rows of one incident?"
        return
    dates: tuple[str, ...] = ("event_start", "reported_on")
    parts = [t for t in dates if t in draft.columns][:1]
    places = [t for t in ("location", "admin1", "country") if t in draft.columns][:1]
    if parts == ["reported_on"] and places and _repeats(frame, draft.columns[places[0]]):
        draft.columns["incident"] = {"template": "{" + places[0] + "}"}
        draft.notes["columns.incident"] = (
            "no id column; each place reported day after day: one incident per place?"
        )
        return
    if parts == ["reported_on"] and not places:
        parts = []  # a report date alone names no event: a running toll of one
    parts += places
    if not parts:
        draft.constants["incident"] = draft.name
        draft.notes["constants.incident"] = (
            "no id, event date or place column: one incident for all rows"
        )
        return
    draft.columns["incident"] = {"template": " ".join("{" + p + "}" for p in parts)}
    draft.notes["columns.incident"] = "no id column: a key composed from the date and place"


def _repeats(frame: pd.DataFrame, column: str) -> bool:
    """Whether a column's values recur on most rows (a series: the same places each day)."""
    values = frame[column].dropna()
    return len(values) > 1 and values.nunique() * 2 <= len(values)
