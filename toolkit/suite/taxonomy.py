"""The measure taxonomy: which measures exist and how they relate (parent, partition, cumulative).

Loaded from a suite's ``taxonomy.yaml``; a suite may extend the default taxonomy with measures
of its own. Consistency rules are derived from it (see ``toolkit.checking.rules``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from toolkit.errors import SuiteError, closest, did_you_mean


@dataclass(frozen=True)
class Measure:
    """One measure: ``killed.civilians`` is part of ``killed``."""

    name: str
    parent: str | None = None
    label: str = ""
    cumulative: bool = False
    notes: tuple[str, ...] = ()
    signed: bool = False  # a change, not a count: its figures may be negative


@dataclass(frozen=True)
class Partition:
    """``whole`` = sum of ``parts`` when ``exhaustive``; the parts never sum past the whole."""

    name: str
    whole: str
    parts: tuple[str, ...]
    exhaustive: bool = False


@dataclass(frozen=True)
class Increment:
    """``measure`` is what a report adds to the cumulative ``of`` since the previous report."""

    measure: str
    of: str


@dataclass(frozen=True)
class Taxonomy:
    """Measures and their relations.

    Examples
    --------
    >>> t = Taxonomy.from_mapping({"measures": {"killed": {}, "killed.civilians": {}}})
    >>> t.parent_of("killed.civilians")
    'killed'
    >>> t.ancestors("killed.civilians")
    ('killed',)
    """

    measures: Mapping[str, Measure]
    partitions: tuple[Partition, ...] = ()
    increments: tuple[Increment, ...] = ()
    source: str = "<taxonomy>"

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], source: str = "<taxonomy>", base: Taxonomy | None = None
    ) -> Taxonomy:
        """Build (and check) a taxonomy from parsed YAML, extending ``base`` if given."""
        if not isinstance(data, Mapping):
            raise SuiteError("a taxonomy is a mapping with a 'measures' key", source)
        unknown_keys = set(data) - {"measures", "partitions", "increments"}
        if unknown_keys:
            raise SuiteError(f"unknown keys {sorted(unknown_keys)} in taxonomy", source)
        measures: dict[str, Measure] = dict(base.measures) if base else {}
        raw_measures = data.get("measures") or {}
        if not isinstance(raw_measures, Mapping):
            raise SuiteError("'measures' must map measure names to their settings", source)
        for name, spec in raw_measures.items():
            spec = spec or {}
            if not isinstance(spec, Mapping):
                raise SuiteError(f"measure {name!r}: settings must be a mapping", source)
            extra = set(spec) - {"parent", "label", "cumulative", "notes", "signed"}
            if extra:
                raise SuiteError(f"measure {name!r}: unknown settings {sorted(extra)}", source)
            for flag in ("cumulative", "signed"):
                if not isinstance(spec.get(flag, False), bool):
                    raise SuiteError(
                        f"measure {name!r}: {flag} must be true or false, not {spec[flag]!r}",
                        source,
                    )
            notes = spec.get("notes") or ()
            if isinstance(notes, str):
                notes = (notes,)
            parent = spec.get("parent")
            if parent is None and "." in str(name) and "parent" not in spec:
                parent = str(name).rsplit(".", 1)[0]
            measures[str(name)] = Measure(
                name=str(name),
                parent=None if parent is None else str(parent),
                label=str(spec.get("label", "")),
                cumulative=bool(spec.get("cumulative", False)),
                notes=tuple(str(n) for n in notes),
                signed=bool(spec.get("signed", False)),
            )
        partitions = list(base.partitions) if base else []
        for i, p in enumerate(data.get("partitions") or ()):
            if not isinstance(p, Mapping) or "whole" not in p or "parts" not in p:
                raise SuiteError(f"partition #{i + 1} needs 'whole' and 'parts'", source)
            partitions.append(
                Partition(
                    name=str(p.get("name") or f"{p['whole']} by {'+'.join(p['parts'])}"),
                    whole=str(p["whole"]),
                    parts=tuple(str(x) for x in p["parts"]),
                    exhaustive=bool(p.get("exhaustive", False)),
                )
            )
        increments = list(base.increments) if base else []
        for i, inc in enumerate(data.get("increments") or ()):
            if not isinstance(inc, Mapping) or set(inc) != {"measure", "of"}:
                raise SuiteError(f"increment #{i + 1} needs exactly 'measure' and 'of'", source)
            increments.append(Increment(str(inc["measure"]), str(inc["of"])))
        taxonomy = cls(
            measures=measures,
            partitions=tuple(partitions),
            increments=tuple(increments),
            source=source,
        )
        taxonomy._validate()
        return taxonomy

    def _validate(self) -> None:
        for m in self.measures.values():
            if m.parent is not None and m.parent not in self.measures:
                raise SuiteError(self._unknown_parent(m), self.source)
        for m in self.measures.values():
            seen = [m.name]
            parent = m.parent
            while parent is not None:
                if parent in seen:
                    cycle = " -> ".join([*seen[seen.index(parent) :], parent])
                    raise SuiteError(f"measures form a cycle: {cycle}", self.source)
                seen.append(parent)
                parent = self.measures[parent].parent
        for p in self.partitions:
            for name in (p.whole, *p.parts):
                self.require(name, f"partition {p.name!r}")
            if len(set(p.parts)) != len(p.parts):
                raise SuiteError(f"partition {p.name!r} lists a part twice", self.source)
        for inc in self.increments:
            self.require(inc.measure, "increment")
            self.require(inc.of, "increment")

    def _unknown_parent(self, m: Measure) -> str:
        """Why ``m``'s parent is missing, suggesting a measure that is defined: never ``m``
        itself, nor another that lacks the same parent."""
        parent = str(m.parent)
        others = [n for n in self.measures if n != m.name and not n.startswith(parent + ".")]
        if m.name.rsplit(".", 1)[0] != parent:  # a parent the taxonomy names
            return f"measure {m.name!r} has unknown parent {parent!r}." + did_you_mean(
                parent, others
            )
        close = closest(parent, others)
        return (
            f"measure {m.name!r} has unknown parent {parent!r} (its name up to the last "
            f"dot): define {parent!r} as a measure, or give {m.name!r} a parent: (another "
            "measure, or null for none)."
            + (f" The closest measure defined is {close!r}." if close else "")
        )

    def require(self, name: str, where: str = "", source: str | None = None) -> None:
        """Raise :class:`SuiteError` naming the closest measure if ``name`` is unknown;
        the error names ``source`` (the file that asked for it), else the taxonomy."""
        if name not in self.measures:
            ctx = f" ({where})" if where else ""
            raise SuiteError(
                f"unknown measure {name!r}{ctx}." + did_you_mean(name, self.measures.keys()),
                source or self.source,
            )

    def __contains__(self, name: object) -> bool:
        return name in self.measures

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.measures)

    @property
    def signed(self) -> frozenset[str]:
        """Measures whose figures may be negative: those marked ``signed: true`` (a change,
        not a count), and every increment (a report's change in a cumulative count, which
        a downward revision makes negative)."""
        marked = {m.name for m in self.measures.values() if m.signed}
        return frozenset(marked | {inc.measure for inc in self.increments})

    def parent_of(self, name: str) -> str | None:
        return self.measures[name].parent

    def ancestors(self, name: str) -> tuple[str, ...]:
        out: list[str] = []
        parent = self.measures[name].parent
        while parent is not None:
            out.append(parent)
            parent = self.measures[parent].parent
        return tuple(out)
