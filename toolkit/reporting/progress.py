"""A progress line on stderr for long runs, shown only when stderr is a terminal.

Its label can be a rule's name (from a suite), so it is written as a status line of a
:class:`~toolkit.reporting.terminal.ConsoleStream` (made safe there), or made safe here.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from toolkit.reporting.terminal import safe_line


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
        self._status(f"[{bar}] {self.count}/{self.total} {label:<28} {seconds:5.1f} s")

    def done(self) -> None:
        if self.enabled:
            self._status(" " * (self.width + 50))
            self._status("")

    def _status(self, text: str) -> None:
        """Redraw the line in place: a carriage return, then ``text`` made safe."""
        status = getattr(self.stream, "status", None)
        if status is not None:
            status(text)
        else:
            self.stream.write("\r" + safe_line(text))
            self.stream.flush()
