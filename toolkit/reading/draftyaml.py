"""A drafted profile as YAML text, written by hand so that each ``# review:`` comment
stays beside the guess it is about. Every value is a double-quoted YAML scalar (JSON
string syntax, which YAML reads), so a header holding a colon, a quote or a ``#`` is safe.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from toolkit.reading.drafting import Draft


def q(value: Any) -> str:
    """A YAML scalar: booleans and whole numbers as they are, any text double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _comment(note: str) -> str:
    """A note on one line, as a review comment."""
    text = " ".join(str(note).split())
    if text.startswith("HXL "):
        return f"  # {text}"  # mapped by its hashtag: sure, nothing to review
    return f"  # review: {text}" if text else ""


def to_yaml(draft: Draft) -> str:
    lines = [
        "# Drafted by `crosscheck profile`: check each '# review:' line, then delete it.",
        f"name: {q(draft.name)}",
        f"description: {q(draft.description)}",
        f"files: [{q(draft.files)}]",
    ]
    for key in ("format", "encoding", "delimiter", "sheet", "records", "skip_hashtag_row"):
        if key in draft.settings:
            lines.append(f"{key}: {q(draft.settings[key])}{_comment(draft.notes.get(key, ''))}")
    if "sheet" in draft.notes and "sheet" not in draft.settings:
        lines.append(f"#{_comment(draft.notes['sheet']).strip()}")
    lines += _block("columns", draft.columns, draft.notes)
    lines += _block("constants", draft.constants, draft.notes)
    if draft.dates:
        lines.append("dates:")  # a date column feeding nothing needs no format
        for column, formats in draft.dates.items():
            for target in ("reported_on", "event_start", "event_end"):
                if draft.columns.get(target) == column:
                    lines.append(f"  {target}: [{', '.join(q(f) for f in formats)}]")
    if lines[-1] == "dates:":
        lines.pop()
    if draft.sentinels:
        lines.append(f"sentinels: [{', '.join(str(s) for s in draft.sentinels)}]")
    lines += _figures(draft) if draft.long is None else _long(draft.long)
    lines += [f"# review: {' '.join(r.split())}" for r in draft.reviews]
    return "\n".join(lines) + "\n"


def _block(key: str, mapping: dict[str, Any], notes: dict[str, str]) -> list[str]:
    if not mapping:
        return []
    lines = [f"{key}:"]
    for target, value in mapping.items():
        shown = f"{{template: {q(value['template'])}}}" if isinstance(value, dict) else q(value)
        lines.append(f"  {target}: {shown}{_comment(notes.get(f'{key}.{target}', ''))}")
    return lines


def _figures(draft: Draft) -> list[str]:
    lines = ["figures:"]
    for f in draft.figures:
        bounds = (f", low: {q(f.low)}" if f.low else "") + (
            f", high: {q(f.high)}" if f.high else ""
        )
        entry = f"- {{measure: {q(f.measure or '')}, value: {q(f.value)}{bounds}}}"
        lines.append(
            f"  {entry}{_comment(f.review)}" if f.measure else f"  # {entry}{_comment(f.review)}"
        )
    if not any(f.measure for f in draft.figures):
        lines[0] = (
            "figures: []  # review: no figure column found: map one, "
            "e.g. - {measure: killed, value: COLUMN}"
        )
        lines[1:] = [f"#{line}" for line in lines[1:]]
    return lines


def _long(long: dict[str, Any]) -> list[str]:
    lines = ["long:", f"  measure: {q(long['measure'])}", f"  value: {q(long['value'])}"]
    mapped = {k: v for k, v in long["measures"].items() if v[0]}
    lines.append("  measures:" if mapped else "  measures: {}")
    for text, (measure, note) in long["measures"].items():
        entry = f"{q(text)}: {q(measure or '')}"
        lines.append(
            f"    {entry}{_comment(note)}" if measure else f"    # {entry}{_comment(note)}"
        )
    return lines
