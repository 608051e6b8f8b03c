"""A progress line on stderr for long runs, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``[#####-----] 3/6 checking rules`` redrawn in place; silent unless a TTY.

    >>> import io
    >>> p = Progress(4, stream=io.StringIO())   # not a terminal: prints nothing
    >>> p.step("reading"); p.done()
    """

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = max(total, 1)
        self.width = width
        self.count = 0
        self.started = time.monotonic()

    def step(self, label: str, total: int | None = None) -> None:
        """Count one step done; ``total`` updates the number of steps once it is known."""
        if total is not None:
            self.total = max(total, 1)
        self.count = min(self.count + 1, self.total)
        if not self.enabled:
            return
        filled = round(self.width * self.count / self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        seconds = time.monotonic() - self.started
        self.stream.write(f"\r[{bar}] {self.count}/{self.total} {label:<28} {seconds:5.1f} s")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + 50) + "\r")
            self.stream.flush()
