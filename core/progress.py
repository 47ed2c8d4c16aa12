"""Progress for management commands and long jobs: a bar on a terminal, lines elsewhere.

    with Progress(total=len(rows), label="orders") as progress:
        for row in rows:
            ...
            progress.advance()

On a TTY it redraws one line (at most ten times a second); in a log or a pipe
it writes a line every `log_every` percent or `log_seconds`, whichever comes
first, so a CI log shows that a long import is alive without flooding.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self,
        total: int,
        label: str = "",
        *,
        stream: TextIO | None = None,
        width: int = 30,
        log_every: int = 10,
        log_seconds: float = 5.0,
        enabled: bool = True,
    ):
        self.total = max(0, total)
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.log_every = log_every
        self.log_seconds = log_seconds
        self.enabled = enabled
        self.done = 0
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._last_percent_logged = -1
        self._last_log = self.started
        isatty = getattr(self.stream, "isatty", None)
        self.tty = bool(isatty and isatty())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)

    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.done / elapsed if elapsed > 0 else 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            if now - self._last_draw >= 0.1 or self.done >= self.total:
                self._last_draw = now
                self._draw()
            return
        percent = self.percent()
        step = percent // self.log_every * self.log_every
        if step > self._last_percent_logged or now - self._last_log >= self.log_seconds:
            self._last_percent_logged = max(step, self._last_percent_logged)
            self._last_log = now
            self.stream.write(f"{self._status()}\n")
            self.stream.flush()

    def _status(self) -> str:
        label = f"{self.label}: " if self.label else ""
        return f"{label}{self.percent():3d}% {self.done:,}/{self.total:,} ({self.rate():,.0f}/s)"

    def _draw(self) -> None:
        filled = self.width * self.percent() // 100
        bar = "#" * filled + "-" * (self.width - filled)
        label = f"{self.label} " if self.label else ""
        self.stream.write(
            f"\r{label}[{bar}] {self.percent():3d}% {self.done:,}/{self.total:,} "
            f"{self.rate():,.0f}/s"
        )
        self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self.tty:
            self._draw()
            self.stream.write("\n")
        elif self._last_percent_logged < 100:
            self.stream.write(f"{self._status()}\n")
        self.stream.flush()
        self.enabled = False
