"""Suites: a folder with ``suite.yaml``, the taxonomy, source profiles, tolerances and rules.

Finding the suite: ``--suite`` when given; else a suite the directory being read carries
(``expectations/suite.yaml`` or ``suite.yaml`` inside it); else the default suite shipped with
crosscheck. A suite ``extends`` another (the default, unless it says ``extends: none``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import SuiteError, did_you_mean
from toolkit.profiles import Profile, parse_profile
from toolkit.taxonomy import Taxonomy

SUITE_FILE = "suite.yaml"
_SUITE_KEYS = {
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
}
_COMPARE_DEFAULTS: dict[str, float] = {
    "about_tolerance": 0.1,  # "about 200" -> [180, 220]
    "spread_threshold": 0.5,  # point figures more than 50 % apart while intervals overlap
    "match_threshold": 0.8,  # incident matches scoring lower are findings
    "window_days": 7,  # a source's figure this much older than the newest is stale
    "match_days": 3,  # incidents whose dates lie further apart are never matched
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
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise SuiteError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None


def default_suite_dir() -> Path:
    """The default suite: inside the installed package, else the repository's expectations/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "expectations", here.parent / "expectations"):
        if (candidate / SUITE_FILE).is_file():
            return candidate
    raise SuiteError("the default suite is missing from this installation", here)


@dataclass(frozen=True)
class Suite:
    """Everything a run needs to know besides the data."""

    name: str
    path: str
    taxonomy: Taxonomy
    profiles: tuple[Profile, ...]
    words: Mapping[str, object] = field(default_factory=dict)
    compare: Mapping[str, float] = field(default_factory=lambda: dict(_COMPARE_DEFAULTS))
    date_floor: str | None = None
    rule_files: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    mostly: Mapping[str, float] = field(default_factory=dict)
    chain: tuple[str, ...] = ()
    crosswalk: str | None = None

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
    if not (p / SUITE_FILE).is_file():
        raise SuiteError(f"no {SUITE_FILE} in this folder", p)
    return _load(str(p.resolve()))


@cache
def _load(folder: str, _depth: int = 0) -> Suite:
    if _depth > 8:
        raise SuiteError("suites extend each other in a loop", folder)
    root = Path(folder)
    conf_path = root / SUITE_FILE
    conf = read_yaml(conf_path) or {}
    if not isinstance(conf, Mapping):
        raise SuiteError("suite.yaml must be a mapping", conf_path)
    for key in conf:
        if key not in _SUITE_KEYS:
            raise SuiteError(
                f"unknown key {key!r}." + did_you_mean(str(key), _SUITE_KEYS), conf_path
            )

    extends = conf.get("extends", "default")
    base: Suite | None = None
    if extends not in (None, "none"):
        base_dir = default_suite_dir() if extends == "default" else (root / str(extends)).resolve()
        if base_dir.resolve() != root.resolve():
            base = _load(str(base_dir.resolve()), _depth + 1)

    taxonomy = base.taxonomy if base else None
    tax_file = conf.get("taxonomy", "taxonomy.yaml")
    if (root / tax_file).is_file():
        taxonomy = Taxonomy.from_mapping(
            read_yaml(root / tax_file), source=str(root / tax_file), base=taxonomy
        )
    elif "taxonomy" in conf:
        raise SuiteError(f"taxonomy file {tax_file!r} not found", conf_path)
    if taxonomy is None:
        raise SuiteError("a suite that extends nothing needs a taxonomy.yaml", conf_path)

    profiles: list[Profile] = []
    prof_dir = root / str(conf.get("profiles", "profiles"))
    if prof_dir.is_dir():
        for f in sorted(prof_dir.glob("*.y*ml")):
            profile = parse_profile(read_yaml(f), str(f))
            for spec in profile.figures:
                taxonomy.require(spec.measure, f"profile {f.name}")
            for measure in profile.long.measures.values() if profile.long else ():
                taxonomy.require(measure, f"profile {f.name}")
            profiles.append(profile)
    if base:
        profiles.extend(base.profiles)

    words = dict(base.words) if base else {}
    words.update({str(k).lower(): v for k, v in (conf.get("words") or {}).items()})
    compare = dict(base.compare) if base else dict(_COMPARE_DEFAULTS)
    for key, value in (conf.get("compare") or {}).items():
        if key not in _COMPARE_DEFAULTS:
            raise SuiteError(
                f"unknown compare setting {key!r}." + did_you_mean(str(key), _COMPARE_DEFAULTS),
                conf_path,
            )
        compare[key] = float(value)
    dates = conf.get("dates") or {}
    floor = dates.get("floor", base.date_floor if base else None)
    rule_files = list(base.rule_files) if base else []
    rules = conf.get("rules", [])
    for r in [rules] if isinstance(rules, str) else rules:
        if not (root / r).is_file():
            raise SuiteError(f"rules file {r!r} not found", conf_path)
        rule_files.append(str(root / r))
    severity = dict(base.severity) if base else {}
    severity.update({str(k): str(v) for k, v in (conf.get("severity") or {}).items()})
    for rule, level in severity.items():
        if level not in ("error", "warning", "info"):
            raise SuiteError(f"severity of {rule!r} must be error, warning or info", conf_path)
    crosswalk = base.crosswalk if base else None
    if conf.get("crosswalk"):
        crosswalk = str(root / str(conf["crosswalk"]))
        if not Path(crosswalk).is_file():
            raise SuiteError(f"crosswalk file {conf['crosswalk']!r} not found", conf_path)
    mostly = dict(base.mostly) if base else {}
    mostly.update({str(k): float(v) for k, v in (conf.get("mostly") or {}).items()})
    return Suite(
        name=str(conf.get("name", root.name)),
        path=str(root),
        taxonomy=taxonomy,
        profiles=tuple(profiles),
        words=words,
        compare=compare,
        date_floor=None if floor is None else str(floor),
        rule_files=tuple(rule_files),
        severity=severity,
        mostly=mostly,
        chain=(str(root), *(base.chain if base else ())),
        crosswalk=crosswalk,
    )


def find_suite(paths: Sequence[str | Path], suite: str | Path | Suite | None) -> Suite:
    """The suite for a run: given, carried by a directory being read, or the default."""
    if isinstance(suite, Suite):
        return suite
    if suite is not None:
        return load_suite(suite)
    for p in map(Path, paths):
        if p.is_dir():
            for candidate in (p / "expectations", p):
                if (candidate / SUITE_FILE).is_file():
                    return load_suite(candidate)
    return load_suite(None)


def suite_for(figures: Any, suite: str | Path | Suite | None = None) -> Suite:
    """The suite to use on a figures table: the one given, else the one the table was
    read with (``figures.attrs``), else the default suite."""
    if isinstance(suite, Suite):
        return suite
    if suite is not None:
        return load_suite(suite)
    carried = getattr(figures, "attrs", {}).get("crosscheck", {}).get("suite")
    return load_suite(carried) if carried else load_suite()
