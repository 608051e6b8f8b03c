"""First-level subdivisions (state, province, governorate) as ISO 3166-2 codes.

Outlets write one state as "New York", "NY" or "N.Y.", one governorate as "Homs" or
"Ḩimş". Where the country is known and pycountry knows its subdivisions, a name (accents
and words such as "Division" or "Province" aside), a transliteration that differs in its
vowels, or a postal code becomes the subdivision's code (``US-NY``, ``SY-HI``); anything
else stays as published, trimmed. Each distinct (country, text) is looked up once.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from toolkit.columnar import distinct, distinct_rows_formatted, take_names
from toolkit.model.names import skeleton, words

_FILLER = frozenset(
    [
        *("state", "province", "division", "governorate", "region", "district", "oblast"),
        *("department", "county", "prefecture", "territory", "muhafazat", "of", "the"),
    ]
)


def _plain(text: str) -> str:
    """Lower case, accents and punctuation gone, filler words dropped."""
    return " ".join(words(text, _FILLER))


def _skeleton(text: str) -> str:
    return " ".join(skeleton(w) for w in text.split())


@cache
def _index(alpha2: str) -> tuple[dict[str, str], dict[str, str], dict[str, set[str]]]:
    """Per country: plain name -> code, postal suffix -> code, skeleton -> codes."""
    import pycountry

    names: dict[str, str] = {}
    suffixes: dict[str, str] = {}
    skeletons: dict[str, set[str]] = {}
    for sub in pycountry.subdivisions.get(country_code=alpha2) or ():  # type: ignore[no-untyped-call]  # pycountry is untyped
        if getattr(sub, "parent_code", None):
            continue  # first level only
        plain = _plain(sub.name)
        names.setdefault(plain, sub.code)
        suffix = sub.code.split("-", 1)[1].lower()
        if suffix.isalpha():
            suffixes[suffix] = sub.code
        skeletons.setdefault(_skeleton(plain), set()).add(sub.code)
    return names, suffixes, skeletons


@cache
def _alpha2(country: str) -> str | None:
    import pycountry

    if len(country) == 3:
        found = pycountry.countries.get(alpha_3=country.upper())
    elif len(country) == 2:
        found = pycountry.countries.get(alpha_2=country.upper())
    else:
        found = None
    return str(found.alpha_2) if found is not None else None


def admin1_code(country: object, text: object) -> str | None:
    """The ISO 3166-2 code of a first-level subdivision, or the text as published.

    >>> admin1_code("USA", "New York"), admin1_code("USA", "NY"), admin1_code("USA", "N.Y.")
    ('US-NY', 'US-NY', 'US-NY')
    >>> admin1_code("SYR", "Homs Governorate"), admin1_code(None, "Homs")
    ('SY-HI', 'Homs')
    """
    if not isinstance(text, str) or not text.strip():
        return None
    published = " ".join(text.split())
    alpha2 = _alpha2(country) if isinstance(country, str) else None
    if alpha2 is None:
        return published
    names, suffixes, skeletons = _index(alpha2)
    plain = _plain(published)
    if plain in names:
        return names[plain]
    compact = plain.replace(" ", "")
    if compact in suffixes:
        return suffixes[compact]
    codes = skeletons.get(_skeleton(plain), set()) if len(compact) >= 4 else set()
    return next(iter(codes)) if len(codes) == 1 else published


def admin1_codes(country: pd.Series, admin1: pd.Series) -> pd.Series:
    """:func:`admin1_code` of a column, each distinct (country, text) once."""
    c_codes, c_names = distinct(country.reset_index(drop=True))
    a_codes, a_names = distinct(admin1.reset_index(drop=True))
    countries, texts = [None, *c_names], [None, *a_names]  # code + 1: missing is 0
    codes, looked_up = distinct_rows_formatted(
        [c_codes + 1, a_codes + 1],
        lambda c, a: admin1_code(countries[int(c)], texts[int(a)]),
    )
    out = take_names(codes, pd.Series(pd.array(looked_up, dtype="str")))
    return out.set_axis(admin1.index)
