"""SIGINT and SIGTERM stop a long-running command at any moment, start-up included.

Both raise KeyboardInterrupt in the main thread, so whatever was started is stopped on the
way out (context managers, `finally`). While a child process is being started, or stopped,
a signal is held and raised once that is done: a child is never left without an owner, and
stopping it is never cut short. A service manager stops a service with SIGTERM; a terminal,
with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """Install with `with StopSignals() as signals:`; `signals.held()` around critical steps."""

    def __init__(self) -> None:
        self._held = 0
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        self._previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
        self._install()
        return self

    def __exit__(self, *exc: object) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)

    @contextmanager
    def held(self) -> Iterator[None]:
        """No interruption inside; a signal that came meanwhile is raised on leaving.

        Our handlers are installed again on entry: a library (Prefect's runner) may have
        put its own in place meanwhile.
        """
        self._install()
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._pending is not None:
                self._pending = None
                raise KeyboardInterrupt

    def _install(self) -> None:
        for number in STOP_SIGNALS:
            signal.signal(number, self._on_signal)

    def _on_signal(self, number: int, frame: FrameType | None) -> None:
        if self._held:
            self._pending = number
            return
        raise KeyboardInterrupt
