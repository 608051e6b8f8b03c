"""Names as people write them, folded for comparison: place names when linking
incidents, state names when reading them as ISO 3166-2 codes, title words."""

from __future__ import annotations

import re
import unicodedata

_WORDS = re.compile(r"[^\w]+")
_VOWELS = re.compile(r"(?<=.)[aeiouyw]+")
_DOUBLES = re.compile(r"(.)\1+")


def fold(text: str) -> str:
    """Lower case, accents gone ("Bhāndāria" -> "bhandaria")."""
    plain = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()


def words(text: str, filler: frozenset[str] = frozenset()) -> list[str]:
    """The folded words of a name (punctuation and underscores split them), ``filler``
    words dropped.

    >>> words("Al-Qaryatayn, Homs_Governorate", frozenset({"al", "governorate"}))
    ['qaryatayn', 'homs']
    """
    return [w for w in _WORDS.split(fold(text).replace("_", " ")) if w and w not in filler]


def skeleton(word: str) -> str:
    """The consonants of a word, doubles collapsed: transliterations of one Arabic or
    Pashto name mostly differ in their vowels ("Qaryatayn" / "Qaryatain", "Kunduz" /
    "Kondoz", "Hodeidah" / "Hudaydah").

    >>> skeleton("qaryatayn"), skeleton("qaryatain"), skeleton("hodeidah"), skeleton("hudaydah")
    ('qrtn', 'qrtn', 'hdh', 'hdh')
    """
    return _DOUBLES.sub(r"\1", _VOWELS.sub("", word))
