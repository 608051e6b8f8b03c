"""The ``timing`` explanation: a figure of another stage of the same toll (within
``compare.lag_days``), a figure its source later revised to meet the others, or an
earlier, lower figure of a cumulative toll still developing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.columnar import DAY_US, NAT_INT64, product_key, take_names
from toolkit.comparing.consensus import CONFLICT
from toolkit.comparing.explaining.questioned import (
    TIMING,
    Readings,
    day_texts,
    interval_strs,
    meets,
)
from toolkit.comparing.latest import final


class Tests(Readings):
    """Every explanation's test, in the order tried (see :class:`Readings`)."""

    def timing(self) -> None:
        for name, test in (
            ("earlier", self._earlier),
            ("later", self._later),
            ("stages", self._stages),
        ):
            rows = np.flatnonzero(self._open())
            if not len(rows):
                return
            ok, said, days = test(rows)
            self._record(rows[ok], TIMING, name, None, said, days)

    def _history(self) -> pd.DataFrame:
        """The dated figures of groups in conflict that are not the figures compared
        (other reports), with their group key and source code; computed once."""
        if self._past is not None:
            return self._past
        coded, k = self.coded, self.k
        compared = np.zeros(len(coded.lo), dtype=bool)
        compared[k.rep] = True
        day = coded.dates.view(np.int64)
        where = np.flatnonzero(~compared)
        where = where[
            (day[where] != NAT_INT64) & ~np.isnan(coded.lo[where]) & (coded.src[where] >= 0)
        ]
        row_key = coded.inc[where].astype(np.int64) * self.n_mea + coded.mea[where]
        keys = self.group_key[self.core.groups.status == CONFLICT]  # sorted, unique
        at = np.minimum(np.searchsorted(keys, row_key), max(len(keys) - 1, 0))
        inside = (len(keys) > 0) & (keys[at] == row_key)
        where, row_key = where[inside], row_key[inside]
        self._past = pd.DataFrame(
            {
                "key": row_key,
                "src": coded.src[where],
                "day": day[where],
                "lo": coded.lo[where],
                "hi": coded.hi[where],
            }
        )
        return self._past

    def _with_history(self, rows: np.ndarray) -> np.ndarray:
        """Which of the questioned figures ``rows`` have other reports in their group."""
        keys = self._history()["key"].to_numpy()
        flag = np.zeros(len(self.group_key), dtype=bool)
        flag[np.searchsorted(self.group_key, keys)] = True  # every key is a group's
        out: np.ndarray = flag[self.q.group[rows]]
        return out

    def _earlier(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Its figure meets one another source published earlier for the incident (before
        that source's figure compared now): the same toll at an earlier stage."""
        none = np.zeros(len(rows), dtype=bool), np.zeros(0, dtype=object), np.zeros(0)
        if len(self.coded.lo) == len(self.k.rep):
            return none  # one figure per source and group: no earlier report anywhere
        past = self._history()
        i = np.flatnonzero(self._with_history(rows))
        if past.empty or not len(i):
            return none
        k = self.k
        mine = pd.DataFrame(
            {
                "i": i,
                "key": self.group_key[self.q.group[rows[i]]],
                "me": self.src[rows[i]],
                "my_lo": self.lo[rows[i]],
                "my_hi": self.hi[rows[i]],
                "my_day": k.day[self.q.figure[rows[i]]],
            }
        )
        pairs = mine.merge(past, on="key")
        pairs = pairs[pairs["src"].to_numpy() != pairs["me"].to_numpy()]
        meet = meets(
            pairs["my_lo"].to_numpy(),
            pairs["my_hi"].to_numpy(),
            pairs["lo"].to_numpy(),
            pairs["hi"].to_numpy(),
        )
        pairs = pairs[meet]
        # before that source's figure compared now (and so on or before an as-of date)
        at = rows[pairs["i"].to_numpy()]
        now_key = product_key(
            [
                (self.inc[at], 0),
                (self.mea[at], self.n_mea),
                (pairs["src"].to_numpy(), max(len(self.coded.src_names), 1)),
            ]
        )
        now_at = np.minimum(np.searchsorted(k.key, now_key), max(len(k.key) - 1, 0))
        before = (k.key[now_at] == now_key) & (pairs["day"].to_numpy() < k.day[now_at])
        # at most lag_days from its own date: a growing toll passes every lower figure once
        days_apart = np.abs(pairs["day"].to_numpy() - pairs["my_day"].to_numpy()) / float(DAY_US)
        before &= (pairs["my_day"].to_numpy() != NAT_INT64) & (
            days_apart <= self.suite.compare.lag_days
        )
        pairs = pairs.assign(now_at=now_at)[before]
        if pairs.empty:
            return none
        # the latest such figure per questioned figure
        pairs = pairs.sort_values(["i", "day", "src", "lo", "hi"]).drop_duplicates("i", keep="last")
        ok = np.zeros(len(rows), dtype=bool)
        i = pairs["i"].to_numpy()
        ok[i] = True
        chosen = rows[i]
        other = take_names(pairs["src"].to_numpy(), self.coded.src_names)
        now_at = pairs["now_at"].to_numpy()
        now = pd.Series(interval_strs(k.published_lo[now_at], k.published_hi[now_at]), dtype="str")
        said = (
            self._who(chosen)
            + " ("
            + pd.Series(day_texts(k.day[self.q.figure[chosen]]), dtype="str")
            + ") is what "
            + other
            + " gave on "
            + pd.Series(day_texts(pairs["day"].to_numpy()), dtype="str")
            + " ("
            + pd.Series(interval_strs(pairs["lo"].to_numpy(), pairs["hi"].to_numpy()), dtype="str")
            + "); "
            + other
            + " gives "
            + now
            + " since"
        )
        gap = (k.day[now_at] - pairs["day"].to_numpy()) / float(DAY_US)
        days = np.full(len(rows), np.nan)
        days[i] = gap
        return ok, said.to_numpy(dtype=object), days[ok]

    def _later(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Its source later (after the date compared: an as-of date) gave a figure that
        meets the others': it revised its own figure towards them."""
        ok = np.zeros(len(rows), dtype=bool)
        none = ok, np.zeros(0, dtype=object), np.zeros(0)
        if len(self.coded.lo) == len(self.k.rep):
            return none
        k = self.k
        i = np.flatnonzero(
            self._with_history(rows) & self.target[rows] & (k.day[self.q.figure[rows]] != NAT_INT64)
        )
        if not len(i):
            return none
        mine = pd.DataFrame(
            {
                "i": i,
                "key": self.group_key[self.q.group[rows[i]]],
                "src": self.src[rows[i]],
                "my_day": k.day[self.q.figure[rows[i]]],
                "t_lo": self.q.t_lo[rows[i]],
                "t_hi": self.q.t_hi[rows[i]],
            }
        )
        pairs = mine.merge(self._history(), on=["key", "src"])
        after = (pairs["day"].to_numpy() - pairs["my_day"].to_numpy()) / float(DAY_US)
        pairs = pairs[
            (after > 0)
            & (after <= self.suite.compare.lag_days)
            & meets(
                pairs["lo"].to_numpy(),
                pairs["hi"].to_numpy(),
                pairs["t_lo"].to_numpy(),
                pairs["t_hi"].to_numpy(),
            )
        ]
        if pairs.empty:
            return none
        pairs = pairs.sort_values(["i", "day", "lo", "hi"]).drop_duplicates("i", keep="first")
        ok[pairs["i"].to_numpy()] = True  # i ascends: the same order as rows[ok]
        chosen = rows[ok]
        said = (
            self._who(chosen)
            + " ("
            + pd.Series(day_texts(k.day[self.q.figure[chosen]]), dtype="str")
            + ") was revised later to "
            + pd.Series(interval_strs(pairs["lo"].to_numpy(), pairs["hi"].to_numpy()), dtype="str")
            + " ("
            + pd.Series(day_texts(pairs["day"].to_numpy()), dtype="str")
            + "), which meets the others' "
            + self._others(chosen)
        )
        days = (pairs["day"].to_numpy() - k.day[self.q.figure[chosen]]) / float(DAY_US)
        return ok, said.to_numpy(dtype=object), days

    def _stages(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """An earlier, lower figure of a cumulative toll still developing: the others
        published later."""
        k, q = self.k, self.q
        ok = self.target[rows]  # a lower figure needs the others to agree on a higher one
        some = np.flatnonzero(ok)
        ok[some] = (self.hi[rows[some]] < q.t_lo[rows[some]]) & self.coded.cumulative(self.suite)[
            self.mea[rows[some]]
        ]
        my_day = k.day[q.figure[rows]]
        newest = self.newest[q.group[rows]]
        ok &= (my_day != NAT_INT64) & (my_day < newest)
        maybe = np.flatnonzero(ok)
        still = ~final(self.coded, self.inc[rows[maybe]], my_day[maybe], self.suite)
        ok[maybe] = still  # a toll still developing
        chosen = rows[ok]
        said = (
            self._who(chosen)
            + " ("
            + pd.Series(day_texts(my_day[ok]), dtype="str")
            + ") is an earlier, lower figure of a toll still developing: the others' "
            + self._others(chosen)
            + " came on "
            + pd.Series(day_texts(newest[ok]), dtype="str")
        )
        days = (newest[ok] - my_day[ok]) / float(DAY_US)
        return ok, said.to_numpy(dtype=object), days
