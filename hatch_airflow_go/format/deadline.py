"""A time limit for reading, set by the caller and checked inside the YAML loader.

Reading is linear, but PyYAML's pure-Python loader (the one Airflow's ``yaml.safe_load``
uses) needs about 10 microseconds per byte: a 1 MiB introspection answer with 50,000 dags
takes over 10 s on a slow machine. Introspection gives the whole job, running the binary
and reading what it printed, one budget (its timeout); :func:`time_limit` carries the end of
that budget into the loader, which calls :func:`overdue` for every node it composes.

The limit lives in a context variable, so concurrent builds in threads each have their own.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import Optional

_LIMIT: contextvars.ContextVar[Optional[tuple[float, float]]] = contextvars.ContextVar(
    "hatch_airflow_go_reading_deadline", default=None
)


@contextlib.contextmanager
def time_limit(deadline: float, seconds: float) -> Iterator[None]:
    """Within the block, reading must end by ``deadline`` (``time.monotonic()``); ``seconds``
    is the whole budget, for the message."""
    token = _LIMIT.set((deadline, seconds))
    try:
        yield
    finally:
        _LIMIT.reset(token)


def overdue() -> Optional[str]:
    """None while within the limit (or without one), else the problem to report."""
    limit = _LIMIT.get()
    if limit is None or time.monotonic() <= limit[0]:
        return None
    return f"reading it took longer than the {limit[1]:g} s allowed, and was stopped"
