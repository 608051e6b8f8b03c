"""Suites: a folder with ``suite.yaml``, the taxonomy, source profiles, tolerances and rules.

Finding the suite: ``--suite`` when given; else a suite the directory being read carries
(``expectations/suite.yaml`` or ``suite.yaml`` inside it); else the default suite shipped with
crosscheck. A suite ``extends`` another (the default, unless it says ``extends: none``).

Every path a suite names stays inside its folder, and ``extends:`` names the default suite
or a folder beside the suite's own: see :mod:`toolkit.suite.paths`.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import SuiteError, did_you_mean, quoted
from toolkit.model.vocabulary import FAMILIES, LINK_MODES
from toolkit.suite.paths import inside, named_file, named_folder, sibling_suite
from toolkit.suite.profiles import Profile, parse_profile
from toolkit.suite.rulefile import PARAMETERS, read_rule_file, uses_parameter
from toolkit.suite.settings import CompareSettings, Limits, family_settings
from toolkit.suite.taxonomy import Taxonomy

SUITE_FILE = "suite.yaml"
SUITE_KEYS = {
    "name",
    "description",
    "extends",
    "taxonomy",
    "profiles",
    "words",
    "compare",
    "dates",
    "rules",
    "severity",
    "mostly",
    "crosswalk",
    "link",
    "limits",
    "history",
}


def read_yaml(path: Path) -> Any:
    """Load one YAML file with the safe loader; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SuiteError("file not found", path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"cannot read: {exc}", path) from None
    try:
        return yaml.safe_load(text)
    except RecursionError:
        raise SuiteError("not valid YAML here: nested too deeply", path) from None
    except ValueError as exc:  # a number of 4,300+ digits; a date that is none (2017-02-30)
        why = "a number of more than 4,300 digits" if "digits" in str(exc) else str(exc)
        raise SuiteError(f"not valid YAML here: {why}", path) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise SuiteError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def default_suite_dir() -> Path:
    """The default suite: inside the installed package, else the repository's expectations/."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "expectations", here.parent / "expectations"):
        if (candidate / SUITE_FILE).is_file():
            return candidate
    raise SuiteError("the default suite is missing from this installation", here)


@dataclass(frozen=True)
class RuleFile:
    """A hand-written rules file and its expectations (GX's JSON form, as written)."""

    path: str
    expectations: tuple[Mapping[str, Any], ...]

    @property
    def families(self) -> tuple[str, ...]:
        """The finding families its rules name (``meta.family``; ``custom`` by default)."""
        return tuple(
            dict.fromkeys(
                str((e.get("meta") or {}).get("family", "custom")) for e in self.expectations
            )
        )


@dataclass(frozen=True)
class Suite:
    """Everything a run needs to know besides the data."""

    name: str
    path: str
    taxonomy: Taxonomy
    profiles: tuple[Profile, ...]
    words: Mapping[str, object] = field(default_factory=dict)
    compare: CompareSettings = field(default_factory=CompareSettings)
    date_floor: str | None = None
    rule_files: tuple[RuleFile, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    mostly: Mapping[str, float] = field(default_factory=dict)
    chain: tuple[str, ...] = ()
    crosswalk: str | None = None
    link: str = "none"
    limits: Limits = field(default_factory=Limits)
    history: str | None = (
        None  # where runs are recorded: a database URL (an output, not a file of the suite)
    )

    def severity_of(self, code: str) -> str:
        """A finding family's severity: the suite's, else the family's default."""
        return self.severity.get(code, FAMILIES[code].severity.value)

    def profile_for(self, path: Path, root: Path | None = None) -> Profile | None:
        for profile in self.profiles:
            if profile.claims(path, root):
                return profile
        return None

    def is_suite_file(self, path: Path) -> bool:
        """True for files that belong to this suite (never read as exports)."""
        resolved = path.resolve()
        return any(resolved.is_relative_to(Path(p).resolve()) for p in self.chain)


def load_suite(path: str | Path | None = None) -> Suite:
    """Load a suite folder (or its ``suite.yaml``); ``None`` loads the default suite.

    Examples
    --------
    >>> suite = load_suite()
    >>> "killed.civilians" in suite.taxonomy
    True
    """
    if path is None:
        return _load(str(default_suite_dir()))
    p = Path(path)
    if p.is_file() and p.name == SUITE_FILE:
        p = p.parent
    folder = suite_folder(p)
    if folder is None:
        raise SuiteError(f"no {SUITE_FILE} in this folder, nor in its expectations/", p)
    return _load(str(folder.resolve()))


def suite_folder(folder: Path) -> Path | None:
    """The suite a folder holds: ``folder/expectations/suite.yaml`` (a data folder that
    carries its suite), else ``folder/suite.yaml`` (the suite folder itself); else None.
    ``--suite`` and the folder being read accept the same folders."""
    for candidate in (folder / "expectations", folder):
        if (candidate / SUITE_FILE).is_file():
            return candidate
    return None


def _mapping(conf: Mapping[str, Any], key: str, path: Path) -> Mapping[str, Any]:
    value = conf.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise SuiteError(f"{key}: expected a mapping, not {value!r}", path)
    return value


@cache
def _load(folder: str, _depth: int = 0) -> Suite:
    if _depth > 8:
        raise SuiteError("suites extend each other in a loop", folder)
    root = Path(folder)
    conf_path = root / SUITE_FILE
    inside(root, SUITE_FILE, SUITE_FILE, conf_path)  # suite.yaml itself may not lead out
    conf = read_yaml(conf_path) or {}
    if not isinstance(conf, Mapping):
        raise SuiteError("suite.yaml must be a mapping", conf_path)
    for key in conf:
        if key not in SUITE_KEYS:
            raise SuiteError(
                f"unknown key {key!r}." + did_you_mean(str(key), SUITE_KEYS), conf_path
            )
    base = _base(conf, root, conf_path, _depth)
    taxonomy = _taxonomy(conf, root, conf_path, base)
    floor = _floor(conf, conf_path, base)
    given = tuple(p for p in PARAMETERS if p != "floor" or floor is not None)
    rule_files = [
        *(base.rule_files if base else ()),
        *_rule_files(conf, root, conf_path, taxonomy, given),
    ]
    if floor is None and any(uses_parameter(r.expectations, "floor") for r in rule_files):
        raise SuiteError("dates.floor: the suite's rules need a date floor; give one", conf_path)
    written = [f for r in rule_files for f in r.families]
    severity = dict(base.severity) if base else {}
    severity.update(family_settings("severity", conf.get("severity"), conf_path, written))
    mostly = dict(base.mostly) if base else {}
    mostly.update(family_settings("mostly", conf.get("mostly"), conf_path, written))
    _text(conf, "description", conf_path)  # shown to no one, but text all the same
    crosswalk = base.crosswalk if base else None
    if conf.get("crosswalk") is not None:
        crosswalk = str(named_file(root, "crosswalk", conf["crosswalk"], conf_path))
    return Suite(
        name=_text(conf, "name", conf_path) or root.name,
        path=str(root),
        taxonomy=taxonomy,
        profiles=(*_profiles(conf, root, conf_path, taxonomy), *(base.profiles if base else ())),
        words=_words(conf, conf_path, base),
        compare=(base.compare if base else CompareSettings()).with_values(
            conf.get("compare"), conf_path
        ),
        date_floor=floor,
        rule_files=tuple(rule_files),
        severity=severity,
        mostly=mostly,
        chain=(str(root), *(base.chain if base else ())),
        crosswalk=crosswalk,
        link=_link(conf, conf_path, base),
        limits=(base.limits if base else Limits()).with_values(conf.get("limits"), conf_path),
        history=_history(conf, conf_path, base),
    )


def _text(conf: Mapping[str, Any], key: str, conf_path: Path) -> str | None:
    """``name:`` or ``description:``: text (a number is read as text)."""
    value = conf.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SuiteError(f"{key}: expected text, not {value!r}", conf_path)
    return str(value)


# A word's qualifier: how the number it stands for is bounded ("dozens": at least 12).
_WORD_QUALIFIERS = ("at_least", "more_than", "at_most", "fewer_than", "about", "exact")
_WORD_MAX = 2**63 - 1


def _words(conf: Mapping[str, Any], conf_path: Path, base: Suite | None) -> dict[str, object]:
    """``words:``: each word a whole number (read as "at least" it), or ``{value: n,
    qualifier: q}``."""
    words = dict(base.words) if base else {}
    for key, value in _mapping(conf, "words", conf_path).items():
        where = f"words.{key}"
        spec = value if isinstance(value, Mapping) else {"value": value}
        unknown = [str(k) for k in spec if k not in ("value", "qualifier")]
        if unknown:
            raise SuiteError(f"{where}: unknown keys {unknown}; only value, qualifier", conf_path)
        number = spec.get("value")
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= _WORD_MAX:
            raise SuiteError(
                f"{where}: expected a whole number (or {{value: n, qualifier: q}}), not {number!r}",
                conf_path,
            )
        qualifier = spec.get("qualifier", "at_least")
        if qualifier not in _WORD_QUALIFIERS:
            raise SuiteError(
                f"{where}.qualifier: expected one of {', '.join(_WORD_QUALIFIERS)}, "
                f"not {qualifier!r}",
                conf_path,
            )
        words[str(key).lower()] = (
            number if "qualifier" not in spec else {"value": number, "qualifier": qualifier}
        )
    return words


def _history(conf: Mapping[str, Any], conf_path: Path, base: Suite | None) -> str | None:
    """``history:``: the database URL runs are recorded in (``sqlite:///reports/h.sqlite``,
    ``postgresql+psycopg://host/db``): text; checked when a run opens it."""
    value = conf.get("history")
    if value is None:
        return base.history if base else None
    if not isinstance(value, str) or not value.strip():
        raise SuiteError(
            f"history: expected a database URL (e.g. sqlite:///reports/history.sqlite), "
            f"not {quoted(value)}",
            conf_path,
        )
    return value.strip()


def _link(conf: Mapping[str, Any], conf_path: Path, base: Suite | None) -> str:
    """How the suite links incidents: as it says; else through its crosswalk if it names
    one; else as the suite it extends."""
    link = conf.get("link")
    if link is None:
        return "crosswalk" if conf.get("crosswalk") else (base.link if base else "none")
    if link not in LINK_MODES:
        raise SuiteError(
            f"link: {link!r} is not one of {', '.join(LINK_MODES)}."
            + did_you_mean(str(link), LINK_MODES),
            conf_path,
        )
    return str(link)


def _base(conf: Mapping[str, Any], root: Path, conf_path: Path, depth: int) -> Suite | None:
    extends = conf.get("extends", "default")
    if extends in (None, "none"):
        return None
    if extends == "default":
        base_dir = default_suite_dir().resolve()
        if base_dir == root.resolve():  # the default suite itself
            return None
    else:
        base_dir = sibling_suite(root, extends, conf_path, SUITE_FILE)
    return _load(str(base_dir), depth + 1)


def _taxonomy(conf: Mapping[str, Any], root: Path, conf_path: Path, base: Suite | None) -> Taxonomy:
    taxonomy = base.taxonomy if base else None
    named = conf.get("taxonomy")
    if named is not None:
        path: Path | None = named_file(root, "taxonomy", named, conf_path)
    elif (root / "taxonomy.yaml").is_file():
        path = inside(root, "taxonomy", "taxonomy.yaml", conf_path)
    else:
        path = None
    if path is not None:
        taxonomy = Taxonomy.from_mapping(read_yaml(path), source=str(path), base=taxonomy)
    if taxonomy is None:
        raise SuiteError("a suite that extends nothing needs a taxonomy.yaml", conf_path)
    return taxonomy


def _profiles(
    conf: Mapping[str, Any], root: Path, conf_path: Path, taxonomy: Taxonomy
) -> list[Profile]:
    """The profiles in the folder the suite names (``profiles``, where it names none and
    has one); a profile that is a link leading out of the suite folder is refused."""
    named = conf.get("profiles")
    if named is not None:
        prof_dir = named_folder(root, "profiles", named, conf_path)
    elif (root / "profiles").is_dir():
        prof_dir = inside(root, "profiles", "profiles", conf_path)
    else:
        return []
    profiles: list[Profile] = []
    for f in sorted(prof_dir.glob("*.y*ml")):
        inside(root, "profiles", str(f.relative_to(root.resolve())), conf_path)
        profile = parse_profile(read_yaml(f), str(f))
        for spec in profile.figures:
            if spec.measure is not None:
                taxonomy.require(spec.measure, f"profile {f.name}", source=str(f))
        for measure in profile.long.measures.values() if profile.long else ():
            taxonomy.require(measure, f"profile {f.name}", source=str(f))
        if profile.dates_in_columns is not None:
            taxonomy.require(profile.dates_in_columns.measure, f"profile {f.name}", str(f))
        profiles.append(profile)
    return profiles


def _rule_files(
    conf: Mapping[str, Any],
    root: Path,
    conf_path: Path,
    taxonomy: Taxonomy,
    parameters: tuple[str, ...],
) -> list[RuleFile]:
    rules = conf.get("rules") or []
    names = [rules] if isinstance(rules, str) else rules
    if not isinstance(names, list) or not all(isinstance(r, str) for r in names):
        raise SuiteError("rules: expected a file name or a list of file names", conf_path)
    files = []
    for r in names:
        path = named_file(root, "rules", r, conf_path)
        files.append(RuleFile(str(path), read_rule_file(path, taxonomy, parameters)))
    return files


def _floor(conf: Mapping[str, Any], conf_path: Path, base: Suite | None) -> str | None:
    dates = _mapping(conf, "dates", conf_path)
    unknown = set(dates) - {"floor"}
    if unknown:
        raise SuiteError(
            f"dates: unknown keys {sorted(map(str, unknown))}; only 'floor'", conf_path
        )
    floor = dates.get("floor", base.date_floor if base else None)
    if floor is None:
        return None
    try:
        return date.fromisoformat(str(floor)).isoformat()
    except ValueError:
        raise SuiteError(f"dates.floor: {floor!r} is not a date (YYYY-MM-DD)", conf_path) from None


def find_suite(paths: Sequence[str | Path], suite: str | Path | Suite | None) -> Suite:
    """The suite for a run: the one given; else the one found the way git finds ``.git``:
    in the first path's folder (a file's own folder), then in each folder above it (see
    :func:`suite_folder`); else the default suite."""
    if isinstance(suite, Suite):
        return suite
    if suite is not None:
        return load_suite(suite)
    for p in map(Path, paths):
        if not p.exists() and glob.has_magic(str(p)):  # a pattern: where its first match is
            matches = sorted(glob.glob(str(p), recursive=True))
            p = Path(matches[0]) if matches else p.parent
        found = suite_above(p if p.is_dir() else p.parent)
        if found is not None:
            return load_suite(found)
    return load_suite(None)


def suite_above(start: Path) -> Path | None:
    """The suite folder ``start`` holds (see :func:`suite_folder`), else the first one a
    folder above it holds; None when there is none up to the root."""
    for folder in (start, *start.resolve().parents):
        found = suite_folder(folder)
        if found is not None:
            return found
    return None


def suite_for(figures: Any, suite: str | Path | Suite | None = None) -> Suite:
    """The suite to use on a figures table: the one given, else the one the table was
    read with (its read record, ``figures.attrs["crosscheck"]["suite"]``), else the
    default suite."""
    if isinstance(suite, Suite):
        return suite
    if suite is not None:
        return load_suite(suite)
    carried = getattr(figures, "attrs", {}).get("crosscheck", {})
    path = carried.get("suite") if isinstance(carried, Mapping) else None
    return load_suite(path) if path else load_suite()
