"""Place names compared as people write them: accents, filler words ("al", "town") and
vowels of transliterations ("Qaryatayn" / "Qaryatain") do not make two places different.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.model.names import skeleton, words

_NOISE = frozenset(
    [
        *("al", "el", "ar", "as", "ad", "an", "ash", "at", "az", "the", "of", "in", "near"),
        *("on", "town", "city", "village", "district", "sub", "division", "governorate"),
        *("province", "region", "area", "camp", "port"),
    ]
)


def normalise_place(text: object) -> str:
    """A place name reduced for comparison: lower case, accents and punctuation removed,
    filler words ("al", "town", "near") dropped.

    >>> normalise_place("Al-Qaryatayn, Homs"), normalise_place("Bhāndāria town")
    ('qaryatayn homs', 'bhandaria')
    """
    if not isinstance(text, str):
        return ""
    return " ".join(words(text, _NOISE))


@dataclass(frozen=True)
class Place:
    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]
    primary: str  # the first comma-separated part: usually the most specific place
    primary_skeleton: str


def place(text: object) -> Place | None:
    normal = normalise_place(text)
    if not normal or not isinstance(text, str):
        return None
    tokens = tuple(normal.split())
    primary = normalise_place(text.split(",")[0]) or normal
    return Place(
        tokens,
        tuple(skeleton(t) for t in tokens),
        primary,
        " ".join(skeleton(t) for t in primary.split()),
    )


def place_similarity(a: object, b: object) -> float | None:
    """How alike two place names are, in [0, 1] (None when either is missing).

    The better of two readings: the first parts compared whole ("Al-Qaryatayn, Homs" vs
    "Qaryatain"), and every word matched to its most alike word on the other side, from
    both sides, keeping the weaker side (so "Homs city" is not "Al-Qaryatayn, Homs" just
    because one word is shared). Words compare by letters and by consonant skeleton.

    >>> round(place_similarity("Al-Qaryatayn, Homs", "Qaryatain"), 2)
    1.0
    >>> place_similarity("Homs city", "Al-Qaryatayn, Homs") < 0.6
    True
    """
    pa, pb = (x if isinstance(x, Place) else place(x) for x in (a, b))
    if pa is None or pb is None:
        return None
    from rapidfuzz import fuzz

    def word(x: str, y: str, sx: str, sy: str) -> float:
        skel = fuzz.ratio(sx, sy) if min(len(sx), len(sy)) >= 2 else 0.0
        return max(fuzz.ratio(x, y), skel) / 100.0

    def side(p: Place, q: Place) -> float:
        total = sum(len(t) for t in p.tokens)
        got = sum(
            len(t) * max(word(t, u, st, su) for u, su in zip(q.tokens, q.skeletons, strict=True))
            for t, st in zip(p.tokens, p.skeletons, strict=True)
        )
        return got / total

    first = max(
        fuzz.ratio(pa.primary, pb.primary),
        fuzz.ratio(pa.primary_skeleton, pb.primary_skeleton),
    )
    return max(first / 100.0, min(side(pa, pb), side(pb, pa)))
