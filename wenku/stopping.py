"""SIGINT and SIGTERM stop a long-running command at any moment, start-up included.

A handler only records that a stop was asked for; the command looks at it where stopping is
safe (`check()` between start-up steps, a poll while it waits or serves) and unwinds from
there, stopping what it started. Nothing is raised at an arbitrary point: an exception from
a signal handler can land inside a library (pydantic serialising, a C extension importing)
that wraps or swallows it. A service manager stops a service with SIGTERM; a terminal, with
Ctrl-C (SIGINT).
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Stopped(Exception):
    """A stop was asked for (SIGINT or SIGTERM): unwind, stopping what was started."""


class StopSignals:
    """`with StopSignals() as signals:` records SIGINT and SIGTERM until the block ends."""

    def __init__(self) -> None:
        self.requested: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        self._previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
        self.install()
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    def install(self) -> None:
        """Put our handlers (back) in place: a library may have installed its own."""
        for number in STOP_SIGNALS:
            signal.signal(number, self._on_signal)

    def check(self) -> None:
        """Raise Stopped when a stop was asked for."""
        if self.requested is not None:
            raise Stopped(signal.Signals(self.requested).name)

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        self.requested = number
