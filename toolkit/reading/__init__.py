"""Read stage: exports (files or directories) through source profiles into one figures table.

``formats`` and ``delimited`` turn bytes into raw tables of records (``raw``), ``mapping``
applies a source profile to them, ``cells`` and ``qualifiers`` read their values. The stage's
result is a :class:`ReadResult`; :func:`read` returns its figures table, which carries the
result along (``figures.attrs["crosscheck"]``) for the check that follows.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.errors import InputError, NotATable
from toolkit.model import figures as ft
from toolkit.model import findings as fd
from toolkit.reading.formats import read_raw
from toolkit.reading.mapping import apply_profile, text_columns
from toolkit.reading.raw import RawTable
from toolkit.suite import SUITE_FILE, Suite, find_suite
from toolkit.suite.profiles import CANONICAL, CANONICAL_KEYS, Profile

_NOT_EXPORTS = (".md", ".txt", ".yaml", ".yml", ".py", ".ipynb")
_EXPORT_SUFFIXES = (
    ".csv",
    ".tsv",
    ".tab",
    ".xlsx",
    ".json",
    ".jsonl",
    ".ndjson",
    ".parquet",
    ".pq",
)


@dataclass(frozen=True)
class FileReport:
    """What reading one file gave."""

    path: str
    profile: str
    format: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    figures: int
    blank_cells: int


@dataclass(frozen=True, eq=False)
class ReadResult:
    """What the read stage gave: the figures table, the ``input`` findings, per-file
    counts, the files nobody claims, and the suite used."""

    figures: pd.DataFrame
    findings: pd.DataFrame
    files: tuple[FileReport, ...]
    unclaimed: tuple[str, ...]
    suite: Suite

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def display_path(path: Path) -> str:
    """A path as findings name it: relative to where crosscheck runs, as text."""
    try:
        shown = Path(os.path.relpath(path)).as_posix()
    except ValueError:
        shown = path.as_posix()
    # a name that is not UTF-8 (bytes kept as surrogates) shown with \xNN escapes: every
    # table, report and output is UTF-8
    return shown.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _is_export(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    return name.endswith(_EXPORT_SUFFIXES)


def discover(
    paths: Iterable[str | Path], suite: Suite
) -> tuple[list[tuple[Path, Path | None]], list[str]]:
    """Files to read (with the directory they were found under) and files nobody claims.

    Hidden files, suite files and README/licence texts are not exports. A path that is
    not there but a pattern (``exports/2024-*.csv``, ``parts/**/*.parquet``) names the files
    and folders it matches, sorted out as a folder's files are.
    """
    found: list[tuple[Path, Path | None]] = []
    skipped: list[str] = []

    def walk(files: Iterable[Path], root: Path) -> None:
        """Files met under ``root``, sorted out as a folder's are."""
        for f in files:
            rel = f.relative_to(root)
            if not f.is_file() or any(part.startswith(".") for part in rel.parts):
                continue
            if suite.is_suite_file(f) or (f.parent / SUITE_FILE).is_file():
                continue
            if _is_export(f) or suite.profile_for(f, root) is not None:
                found.append((f, root))
            elif f.suffix.lower() not in _NOT_EXPORTS and f.name.upper() not in (
                "LICENSE",
                "NOTICE",
            ):
                skipped.append(display_path(f))

    for p in map(Path, paths):
        if not p.exists() and glob.has_magic(str(p)):  # a pattern the shell left quoted
            matches = sorted(Path(m) for m in glob.glob(str(p), recursive=True))
            if not matches:
                raise InputError("no file matches this pattern", p)
            root = _fixed_part(p)
            for m in matches:  # as if the folder the pattern starts from were read
                walk(sorted(m.rglob("*")) if m.is_dir() else [m], m if m.is_dir() else root)
            continue
        if not p.is_dir():
            found.append((p, None))
            continue
        walk(sorted(p.rglob("*")), p)
    return found, skipped


def _fixed_part(pattern: Path) -> Path:
    """The folder a pattern starts from: its parts before the first with a wildcard."""
    fixed = []
    for part in pattern.parts:
        if glob.has_magic(part):
            break
        fixed.append(part)
    return Path(*fixed) if fixed else Path(".")


def _is_figures_table(columns: Iterable[object]) -> bool:
    names = set(map(str, columns))
    return names >= CANONICAL_KEYS and bool(names & {"value", "figure_text"})


def _read_one(path: Path, root: Path | None, suite: Suite) -> tuple[RawTable, Profile] | None:
    """The raw table and the profile for one file; None for a directory file nobody claims.

    A file no profile claims is read once as it is; if its columns are the figures table's
    own, that read is used.
    """
    profile = suite.profile_for(path, root)
    if profile is not None:
        raw = read_raw(path, profile, columns_as_text=text_columns(profile), limits=suite.limits)
        return raw, profile
    try:
        raw = read_raw(path, None, columns_as_text=text_columns(CANONICAL), limits=suite.limits)
    except NotATable:  # well-formed, but no records: in a folder, a stray file
        if root is None:
            raise
        return None
    except InputError as exc:  # in a folder too: an export that cannot be read is no stray
        if not path.is_file():
            raise
        raise InputError(
            f"{exc.reason} (no source profile claims this file: it was read as a figures table)",
            exc.path,
            exc.line,
            exc.column,
        ) from None
    if _is_figures_table(raw.frame.columns):
        return raw, CANONICAL
    if root is None:
        raise InputError(
            "no source profile claims this file, and its columns are not the figures "
            "table's (incident, source, measure, value). Add a profile to the suite's "
            "profiles/ folder",
            path,
        )
    return None


class ReadRecord(dict[str, Any]):
    """What a figures table knows of the read that made it, in ``attrs["crosscheck"]``.

    Its items are JSON-native (the suite's folder and the row counts), so a table written
    with ``to_parquet`` keeps them; the :class:`ReadResult` itself rides along by reference,
    never serialised. pandas deep-copies ``attrs`` whenever it derives a frame: a record
    copies as itself.
    """

    def __init__(self, result: ReadResult) -> None:
        super().__init__(
            suite=result.suite.path,
            rows_read=result.rows_read,
            rows_accepted=result.rows_accepted,
            rows_rejected=result.rows_rejected,
        )
        self.result = result

    def __copy__(self) -> ReadRecord:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> ReadRecord:
        return self


def read_of(figures: pd.DataFrame) -> ReadResult | None:
    """The read a figures table came from (None for a table built another way)."""
    record = figures.attrs.get("crosscheck")
    return record.result if isinstance(record, ReadRecord) else None


def given_paths(paths: str | Path | Sequence[str | Path]) -> list[str | Path]:
    """The paths a run was given, as a list (one path alone too); none is an error."""
    found = [paths] if isinstance(paths, (str, Path)) else list(paths)
    if not found:
        raise InputError("no files to read")
    return found


def read_figures(
    paths: str | Path | Sequence[str | Path], suite: str | Path | Suite | None = None
) -> ReadResult:
    """Read exports into a :class:`ReadResult`.

    Raises :class:`~toolkit.errors.InputError` for a file that cannot be read at all.
    """
    paths = given_paths(paths)
    the_suite = find_suite(paths, suite)
    files, skipped = discover(paths, the_suite)
    reads = [read_file(path, root, the_suite) for path, root in files]
    reports, records, unclaimed, kept = gathered(
        paths, files, [(r[0], r[2]) for r in reads], skipped
    )
    frames = [reads[k][1] for k in kept]
    figures = pd.concat(frames, ignore_index=True) if frames else ft.empty()
    if len(frames) > 1:
        figures = ft.conform(figures)
    result = ReadResult(
        figures,
        fd.sort(fd.from_records(records)),
        tuple(reports),
        tuple(unclaimed),
        the_suite,
    )
    figures.attrs["crosscheck"] = ReadRecord(result)
    return result


def read_file(
    path: Path, root: Path | None, suite: Suite
) -> tuple[FileReport | None, pd.DataFrame, list[dict[str, Any]]]:
    """One export read into figures: its report, its figures and its input findings (as
    records); no report (and no figures) for a file in a folder that nobody claims. What
    :func:`read_figures` does per file, and what the Dask engine runs on a worker."""
    found = _read_one(path, root, suite)
    if found is None:
        return None, ft.empty(), []
    return _map_one(*found, path, suite)


def gathered(
    paths: Sequence[str | Path],
    files: Sequence[tuple[Path, Path | None]],
    said: Sequence[tuple[FileReport | None, list[dict[str, Any]]]],
    skipped: Sequence[str],
) -> tuple[list[FileReport], list[dict[str, Any]], list[str], list[int]]:
    """What the reads of ``files`` said (each its report, None for a file nobody claims,
    and its input findings), put together: the reports, every input finding (unclaimed
    files included), the unclaimed files, and which reads gave figures. Zero rows read in
    all is an :class:`InputError`."""
    reports: list[FileReport] = []
    records: list[dict[str, Any]] = []
    unclaimed = list(skipped)
    kept: list[int] = []
    for k, ((path, _), (report, problems)) in enumerate(zip(files, said, strict=True)):
        if report is None:
            unclaimed.append(display_path(path))
            continue
        reports.append(report)
        records.extend(problems)
        kept.append(k)
    check_something_read(paths, reports, unclaimed)
    records.extend(unclaimed_findings(unclaimed))
    return reports, records, unclaimed, kept


def check_something_read(
    paths: Sequence[str | Path], reports: Sequence[FileReport], unclaimed: Sequence[str]
) -> None:
    """Zero rows read from every file: an :class:`InputError` saying what was found."""
    if not any(r.rows_read for r in reports):
        raise _nothing_read(paths, reports, unclaimed)


def unclaimed_findings(unclaimed: Iterable[str]) -> list[dict[str, Any]]:
    """An ``unclaimed-file`` finding per file in a folder that no profile claims."""
    return [
        fd.input_finding(
            "unclaimed-file",
            "no source profile claims this file; it was not read",
            origin_file=f,
        )
        for f in unclaimed
    ]


def _nothing_read(
    paths: Sequence[str | Path],
    reports: Sequence[FileReport],
    unclaimed: Sequence[str],
) -> InputError:
    """Zero rows read: an error that lists what was found, and how to read it."""
    shown = [f"{u} (no source profile claims it)" for u in unclaimed[:10]]
    shown += [f"{r.path} (read: no rows)" for r in reports[: max(0, 10 - len(shown))]]
    more = len(unclaimed) + len(reports) - len(shown)
    listed = "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
    where = ", ".join(str(p) for p in paths)
    if not shown:
        return InputError(f"no exports found in {where}: nothing to read")
    first = Path(paths[0])
    folder = first if first.is_dir() else first.parent
    hint = (
        f". Draft a profile for each export with `crosscheck profile FILE --into {folder}`"
        if unclaimed
        else ""
    )
    return InputError(f"no rows read from {where}: {listed}{hint}")


def _map_one(
    raw: RawTable, profile: Profile, path: Path, suite: Suite
) -> tuple[FileReport, pd.DataFrame, list[dict[str, Any]]]:
    """One file's figures through its profile: its counts, figures and input findings."""
    display = display_path(path)
    mapped = apply_profile(raw, profile, suite.taxonomy, suite.words, display)
    report = FileReport(
        display,
        profile.name,
        raw.format,
        raw.rows_read,
        raw.rows_read - mapped.rows_rejected,
        mapped.rows_rejected,
        len(mapped.figures),
        mapped.blank_cells,
    )
    records = [dict(p, origin_file=display) for p in raw.problems]
    if len(mapped.problems):
        rows = mapped.problems.drop(columns=["record"]).assign(origin_file=display)
        records.extend({str(k): v for k, v in r.items()} for r in rows.to_dict("records"))
    if raw.rows_read == 0:
        records.append(
            fd.input_finding(
                "no-rows",
                "the file has a header but no rows",
                origin_file=display,
                origin_row=1,
            )
        )
    return report, mapped.figures, records


def read(
    paths: str | Path | Sequence[str | Path], suite: str | Path | Suite | None = None
) -> pd.DataFrame:
    """Read outlets' exports into one figures table.

    Parameters
    ----------
    paths
        Files or directories. A directory reads every file a source profile claims.
    suite
        A suite folder; by default the suite the directory carries, else the default suite.

    Returns
    -------
    pandas.DataFrame
        The figures table (see DESIGN.md). Rows that could not be read are ``input``
        findings of the read, which the table carries for :func:`toolkit.checking`
        (``read_figures`` returns them with per-file counts).

    Examples
    --------
    >>> figs = read("fixtures/al-qaryatayn")
    >>> sorted(figs["source"].unique())[:2]
    ['Al-Masdar News', 'Associated Press']
    """
    return read_figures(paths, suite).figures
