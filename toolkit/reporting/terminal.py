"""The one door to the terminal: every console line crosscheck prints passes through
:class:`ConsoleStream`, which shows data as plain text.

Data (a source's name, a file name, a message quoting a cell) reaches the console inside
lines crosscheck writes, so data must not be able to end a line and start its own, drive
the terminal, or be read as a CI command. The stream, not each caller, makes sure of it:

- a newline ends a line only when it is written alone, as ``print`` writes its line end
  (apart from its text), or ends a write that is one whole line; any other newline is
  data and is shown as ``?``;
- every other control character (C0, DEL, C1 such as ``\\x9b``, the bidirectional overrides
  such as U+202E, the Unicode line separators) is shown as ``?``;
- a line that would start a GitHub Actions command (``::`` after blanks) is prefixed with
  ``?``, and the runner's older command form ``##[`` is broken wherever it appears; only
  :meth:`ConsoleStream.command` writes a command, and it writes one already escaped;
- a character the console's encoding cannot show is shown as ``?``;
- when the reader goes away (a pipe into ``head``), the rest of the output is dropped and
  the run finishes with its own exit code.

crosscheck's own escape sequences (colour, the progress line) go through
:meth:`ConsoleStream.style` and :meth:`ConsoleStream.status`, never through text.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from typing import TextIO

# Shown as "?": C0 (the line end is handled apart), DEL, C1, the Arabic letter mark and
# the bidirectional marks, embeddings, overrides and isolates, the Unicode line and
# paragraph separators, and lone surrogates (a file name's undecodable bytes), which no
# encoding can write.
_CONTROL = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
# The runner's legacy command prefix, anywhere in a line, with anything but printable
# ASCII between its characters (its culture-aware search skips zero-width characters).
_LEGACY_COMMAND = re.compile(r"#[^\x20-\x7e]*#[^\x20-\x7e]*\[")
# What the runner trims or skips before looking for "::" at the start of a line.
_SKIPPED = ("Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me")
_COMMAND = re.compile(r"::(error|warning|notice|debug|group|endgroup)( [^\n]*)?::[^\n]*")
_SGR = re.compile(r"\d+(;\d+)*")


def plain(text: str) -> str:
    """``text`` as plain text on one line: control characters (a line end too) and lone
    surrogates are ``?``.

    >>> plain("S1\\n::error::x \\x1b[31mred\\x07 \\u202eevil")
    'S1?::error::x ?[31mred? ?evil'
    """
    return _CONTROL.sub("?", text)


def safe_line(text: str) -> str:
    """One console line as it may be printed: :func:`plain`, and no CI command in it.

    >>> safe_line("  ::error file=a::forged"), safe_line("see ##[error]x")
    ('  ?::error file=a::forged', 'see #?#[error]x')
    """
    return _guarded(plain(text), plain(text))


def _guarded(line: str, visible: str) -> str:
    """``line`` with the legacy command prefix broken, and ``?`` in front when its visible
    text starts like a command (``:`` after what the runner skips)."""
    start = 0
    while start < len(visible) and unicodedata.category(visible[start]) in _SKIPPED:
        start += 1
    if visible.startswith(":", start):
        # with crosscheck's own sequences in the line, mark its very start
        line = f"{line[:start]}?{line[start:]}" if line == visible else f"?{line}"
    return _LEGACY_COMMAND.sub("#?#[", line)


class ConsoleStream(io.TextIOBase):
    """A text stream in front of ``raw`` (stdout or stderr) that prints lines made safe by
    :func:`safe_line`. Text is held until its line ends (or :meth:`finish`)."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw
        self._parts: list[tuple[str, bool]] = []  # (text, crosscheck's own escape sequence)
        self._broken = False
        encoding = getattr(raw, "encoding", None)
        self._encoding = encoding if isinstance(encoding, str) else None

    # What callers ask of a stream.
    @property
    def encoding(self) -> str:  # type: ignore[override]  # io.TextIOBase declares it read-only
        return self._encoding or "utf-8"

    def isatty(self) -> bool:
        return bool(getattr(self.raw, "isatty", lambda: False)())

    def fileno(self) -> int:
        return int(self.raw.fileno())

    def writable(self) -> bool:
        return True

    def write(self, s: str) -> int:
        """Add ``s`` to the current line. A newline ends it only when written alone (as
        ``print`` writes its line end) or at the end of a write that is one whole line (as
        ``logging`` writes); any other newline is data, shown as ``?``."""
        whole_line = not self._parts and s.endswith("\n") and "\n" not in s[:-1]
        if s == "\n" or whole_line:
            if s[:-1]:
                self._parts.append((s[:-1], False))
            self._emit(self._line() + "\n")
        elif s:
            self._parts.append((s, False))
        return len(s)

    def style(self, code: str) -> None:
        """crosscheck's own colour: an SGR sequence (``"31"``, ``"0"``) in the current line."""
        if not _SGR.fullmatch(code):
            raise ValueError(f"not an SGR code: {code!r}")
        self._parts.append((f"\x1b[{code}m", True))

    def status(self, text: str) -> None:
        """Redraw the status line (a progress bar) in place: carriage return, then ``text``
        made safe, with no line end."""
        self._emit("\r" + safe_line(text))
        self.flush()

    def command(self, line: str) -> None:
        """Print one CI workflow command (``::error file=…::message``), built and escaped by
        its writer (:mod:`toolkit.reporting.github`); anything else is refused."""
        if self._parts:
            self.write("\n")
        if not _COMMAND.fullmatch(line) or line != plain(line):
            raise ValueError(f"not an escaped workflow command: {line!r}")
        self._emit(line + "\n")

    def flush(self) -> None:
        if self._broken:
            return
        try:
            self.raw.flush()
        except BrokenPipeError:
            self._went_away()

    def finish(self) -> None:
        """Print what is left of an unfinished line, then flush."""
        if self._parts:
            self._emit(self._line())
        self.flush()

    # Inside.
    def _line(self) -> str:
        """The current line made safe; crosscheck's own sequences kept as they are."""
        parts, self._parts = self._parts, []
        visible = plain("".join(text for text, own in parts if not own))
        line = "".join(text if own else plain(text) for text, own in parts)
        return _guarded(line, visible)

    def _emit(self, text: str) -> None:
        if self._broken:
            return
        if self._encoding:  # what the console cannot show becomes "?", not an error
            text = text.encode(self._encoding, "replace").decode(self._encoding)
        try:
            self.raw.write(text)
        except BrokenPipeError:
            self._went_away()

    def _went_away(self) -> None:
        """The reader closed the pipe: drop the rest, and point the descriptor at the null
        device so the interpreter's last flush at exit does not fail either."""
        self._broken = True
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.raw.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            pass  # not a file descriptor (a StringIO): nothing will flush it at exit
