"""Which measures the taxonomy relates, and how a figure of one may stand for another's:
the readings the ``definition`` explanation tries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from toolkit.suite.taxonomy import Taxonomy


@dataclass(frozen=True)
class Relation:
    """How measure ``m`` may stand for what the others give: ``equals`` (it is their
    ``r``), ``includes`` (it counts their ``r`` too), ``omits`` (it leaves their part ``r``
    out). ``instead``: the measure a source's ``m`` then is (None where the taxonomy
    does not say)."""

    m: str
    r: str
    how: str
    instead: str | None


def relations(taxonomy: Taxonomy, present: list[str]) -> list[Relation]:
    """The relations between measures of ``present`` the taxonomy allows, in the order
    they are tried: ``includes`` a sibling, ``omits`` a part, ``equals`` an ancestor or a
    part (the most specific reading first: a whole derived from two parts is their sum)."""
    known = [m for m in present if m in taxonomy.measures]
    up = {m: _wholes(taxonomy, m) for m in known}
    down = {m: {d for d in known if m in up[d]} for m in known}
    out: list[Relation] = []
    for m in known:
        for r in sorted(_siblings(taxonomy, m) & set(known)):
            out.append(Relation(m, r, "includes", _sum_of(taxonomy, {m, r})))
    for m in known:
        for r in sorted(down[m]):
            out.append(Relation(m, r, "omits", _rest_of(taxonomy, m, r)))
    for m in known:
        for r in known:
            if r != m and (r in up[m] or r in down[m]):
                out.append(Relation(m, r, "equals", r))
    return out


def _wholes(taxonomy: Taxonomy, m: str) -> set[str]:
    """Every measure ``m`` is a part of: its ancestors and the wholes of its partitions,
    and theirs."""
    found: set[str] = set()
    todo = [m]
    while todo:
        x = todo.pop()
        above = set(taxonomy.ancestors(x)) | {p.whole for p in taxonomy.partitions if x in p.parts}
        todo += sorted(above - found)
        found |= above
    found.discard(m)
    return found


def _siblings(taxonomy: Taxonomy, m: str) -> set[str]:
    """Measures beside ``m`` in one partition of a whole: counts apart from it (two
    children of one parent may overlap: civilians and victims)."""
    same: set[str] = set()
    for p in taxonomy.partitions:
        if m in p.parts:
            same |= set(p.parts)
    same.discard(m)
    return same


def _sum_of(taxonomy: Taxonomy, parts: set[str]) -> str | None:
    """The whole of an exhaustive partition whose parts are exactly ``parts``."""
    for p in taxonomy.partitions:
        if p.exhaustive and set(p.parts) == parts:
            return p.whole
    return None


def _rest_of(taxonomy: Taxonomy, whole: str, part: str) -> str | None:
    """The other part of an exhaustive two-part partition of ``whole`` with ``part``."""
    for p in taxonomy.partitions:
        if p.exhaustive and p.whole == whole and part in p.parts and len(p.parts) == 2:
            return next(x for x in p.parts if x != part)
    return None
