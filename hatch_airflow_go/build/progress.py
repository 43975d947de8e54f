"""What a build says while it runs: which Go builds which bundles, and that it is alive.

A cold first build can take most of a minute with nothing to show; and two Go versions give
two different binaries, so which one built the bundles matters. A :class:`Progress` prints one
line naming the Go (version, binary, where it came from) and the bundles, then, while a step
(``go list``, ``go build``, introspection) runs longer than the interval, a line every
interval naming what each unfinished bundle is doing. The pipeline tells it of its few
milestones; the lines go through :mod:`hatch_airflow_go.log` (stderr for the CLI, hatch's
``app`` for the hook).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Callable, Optional

from hatch_airflow_go import log
from hatch_airflow_go.golang.toolchain import GoToolchain, provenance

INTERVAL_ENV = "AIRFLOW_GO_PROGRESS_INTERVAL"
DEFAULT_INTERVAL = 5.0


def _interval() -> float:
    """Seconds between progress lines: ``$AIRFLOW_GO_PROGRESS_INTERVAL``, else 5; a value
    that is not a positive number is the default (a progress line never fails a build)."""
    try:
        value = float(os.environ.get(INTERVAL_ENV, ""))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if 0 < value < float("inf") else DEFAULT_INTERVAL


class Progress:
    """Progress lines for one build of ``names`` (the bundles, in order)."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        interval: Optional[float] = None,
        say: Callable[[str], None] = log.info,
    ) -> None:
        self.names = list(names)
        self.interval = interval if interval is not None else _interval()
        self._say = say
        self._lock = threading.Lock()
        self._steps: dict[str, tuple[str, float]] = {}  # bundle -> (step, since)
        self._toolchains: set[tuple[str, str]] = set()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._ticker: Optional[threading.Thread] = None

    def __enter__(self) -> Progress:
        self._ticker = threading.Thread(target=self._tick, name="airflow-go-progress", daemon=True)
        self._ticker.start()
        return self

    def __exit__(
        self,
        kind: Optional[type[BaseException]],
        value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()

    def using(self, toolchain: GoToolchain, bundle: str) -> None:
        """The Go a bundle builds with: the first one is announced with every bundle's name,
        a different one (a bundle of its own `go`) with that bundle's."""
        key = (str(toolchain.go), toolchain.version_text)
        with self._lock:
            first = not self._toolchains
            new = key not in self._toolchains
            self._toolchains.add(key)
        if first:
            count = len(self.names)
            self._say(
                f"building {count} bundle(s) ({', '.join(self.names)}) with {provenance(toolchain)}"
            )
        elif new:
            self._say(f"{bundle}: building with {provenance(toolchain)}")

    def step(self, bundle: str, what: str) -> None:
        with self._lock:
            self._steps[bundle] = (what, time.monotonic())

    def done(self, bundle: str) -> None:
        with self._lock:
            self._steps.pop(bundle, None)

    def _tick(self) -> None:
        while not self._stop.wait(self.interval):
            now = time.monotonic()
            with self._lock:
                steps = [
                    f"{bundle}: {what} ({now - since:.0f} s)"
                    for bundle, (what, since) in self._steps.items()
                    if now - since >= self.interval
                ]
            if steps:
                self._say(f"still working after {now - self._started:.0f} s: {'; '.join(steps)}")


def bundle_label(name: Optional[str], package: str) -> str:
    """What progress lines call a bundle before its name is known from its source."""
    return name or package
