"""Link stage: which incidents of different sources are the same incident.

Sources rarely share incident keys. ``evidence`` turns each source's incidents into records
(country, state, place, title, dates, toll), pairs them by blocking and scores each pair;
``places`` compares place names as people write them; ``matching`` accepts pairs best
first and builds the crosswalk a person reviews; ``findings`` says what it could not
decide. :func:`link_figures` is the stage: ``none`` keeps each source's keys,
``crosswalk`` applies the suite's reviewed crosswalk only, ``auto`` matching's proposals
with the reviewed crosswalk overriding them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from toolkit.errors import CrosscheckError
from toolkit.linking.matching import CROSSWALK_COLUMNS, Matching, match
from toolkit.linking.places import normalise_place, place_similarity
from toolkit.model import findings as fd
from toolkit.model.names import skeleton
from toolkit.model.vocabulary import LINK_MODES
from toolkit.suite import Suite
from toolkit.suite.crosswalk import crosswalk_links, read_crosswalk_table

__all__ = [
    "CROSSWALK_COLUMNS",
    "LINK_MODES",
    "Linked",
    "Matching",
    "link_figures",
    "link_mode",
    "match",
    "normalise_place",
    "place_similarity",
    "reviewed_matching",
    "skeleton",
]


# --- the stage -------------------------------------------------------------------------


@dataclass(frozen=True)
class Linked:
    """What the link stage gave: the figures under shared incident keys (each source's
    own key kept in ``source_incident``), and the matching behind them (None when nothing
    was linked)."""

    figures: pd.DataFrame
    matching: Matching | None = None

    @property
    def findings(self) -> pd.DataFrame:
        """What linking could not decide (none when nothing was linked)."""
        return self.matching.findings if self.matching is not None else fd.empty()


def link_mode(suite: Suite, link: str | None = None) -> str:
    """How a run links incidents: as asked, else as the suite says."""
    mode = link if link is not None else suite.link
    if mode not in LINK_MODES:
        raise CrosscheckError(f"unknown link mode {mode!r}; choose one of {', '.join(LINK_MODES)}")
    return mode


def reviewed_matching(suite: Suite) -> Matching:
    """The suite's reviewed crosswalk as a matching (``crosswalk`` linking: nothing else
    is linked)."""
    reviewed = read_crosswalk_table(suite.crosswalk or "")
    walk = pd.DataFrame(
        [(s, i, m, "crosswalk") for (s, i), m in crosswalk_links(reviewed).items()],
        columns=["source", "incident", "match", "status"],
    )
    return Matching(walk, pd.DataFrame(), fd.empty(), suite, reviewed)


def link_figures(figures: pd.DataFrame, suite: Suite, link: str | None = None) -> Linked:
    """Link incidents across sources: ``none`` keeps each source's keys; ``crosswalk``
    applies only the suite's reviewed crosswalk; ``auto`` applies matching's proposals at
    or above the threshold, with the reviewed crosswalk overriding them. By default as
    the suite says."""
    mode = link_mode(suite, link)
    if mode == "none" or (mode == "crosswalk" and not suite.crosswalk):
        return Linked(figures)
    if mode == "crosswalk":
        matching = reviewed_matching(suite)
        return Linked(matching.apply(figures), matching)
    matching = match(figures, suite)
    return Linked(matching.apply(figures), matching)
