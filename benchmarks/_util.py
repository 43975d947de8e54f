"""Timing helpers shared by the container benchmarks.

Every measured command runs as its own child process, collected with ``os.wait4`` so its
peak resident set size is that child's alone (``ru_maxrss``), not the largest of all
children so far as ``RUSAGE_CHILDREN`` would report. Timings are best of N, with one
untimed warm-up run so every contender reads from a warm page cache.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable

# The spec's worked example (tests/vectors.py) supplies the manifest and source that the
# benchmarks pack; imported by name so the benchmarks run from any working directory.
sys.path.insert(0, str(REPO))
_vectors = importlib.import_module("tests.vectors")
MANIFEST: bytes = _vectors.WORKED_MANIFEST
SOURCE: bytes = _vectors.WORKED_SOURCE

MIB = 1 << 20
TIME = Path("/usr/bin/time")


@dataclass(frozen=True)
class Run:
    """One child process: wall time and peak RSS."""

    seconds: float
    peak_rss_kib: int


def run_child(
    argv: Sequence[str],
    *,
    env: Optional[Mapping[str, str]] = None,
    cwd: Optional[Path] = None,
    ok_codes: Sequence[int] = (0,),
) -> Run:
    """Run ``argv`` once and measure it; raise if it exits with an unexpected code.

    Peak RSS comes from ``/usr/bin/time -f %M``: Linux records the memory of the process an
    exec replaces, so a child forked straight from this (large) Python process would report
    at least this process's size; ``time`` is small, so what it reports is the command's own.
    Without ``/usr/bin/time`` the ``wait4`` figure is used (an upper bound).
    """
    with tempfile.NamedTemporaryFile(prefix="rss-", suffix=".txt") as rss:
        program = list(argv)
        if TIME.is_file():
            program = [str(TIME), "-f", "%M", "-o", rss.name, *program]
        started = time.perf_counter()
        child = subprocess.Popen(
            program,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.stderr is not None
        stderr = child.stderr.read().decode(errors="replace")
        child.stderr.close()
        if child.returncode not in ok_codes:
            raise RuntimeError(f"{' '.join(argv)} exited {child.returncode}:\n{stderr}")
        reported = Path(rss.name).read_text().split()
    peak = int(reported[-1]) if reported else int(usage.ru_maxrss)
    return Run(seconds=seconds, peak_rss_kib=peak)


def best_of(argv: Sequence[str], rounds: int, **kwargs: Any) -> Run:
    """Warm up once, then the fastest of ``rounds`` runs (and the largest peak RSS seen)."""
    run_child(argv, **kwargs)
    runs = [run_child(argv, **kwargs) for _ in range(rounds)]
    return Run(
        seconds=min(r.seconds for r in runs),
        peak_rss_kib=max(r.peak_rss_kib for r in runs),
    )


def best_time(function: object, rounds: int) -> float:
    """Fastest of ``rounds`` in-process calls of ``function()`` (after one warm-up)."""
    assert callable(function)
    function()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def random_file(path: Path, size: int) -> Path:
    """A file of ``size`` incompressible bytes (1 MiB at a time: constant memory)."""
    with path.open("wb") as handle:
        left = size
        while left:
            step = min(left, MIB)
            handle.write(os.urandom(step))
            left -= step
    path.chmod(0o755)
    return path


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain left-aligned text table."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(line, widths)).rstrip()
        for line in [header, ["-" * w for w in widths], *rows]
    ]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


@contextlib.contextmanager
def hook_seconds() -> Iterator[list[float]]:
    """Within the block, each run of the build hook's initialize() appends its seconds to the
    yielded list: the hook's own share of an in-process wheel build."""
    from unittest import mock

    from hatch_airflow_go.plugin import AirflowGoBuildHook

    spent: list[float] = []
    original = AirflowGoBuildHook.initialize

    def timed_initialize(
        self: AirflowGoBuildHook, version: str, build_data: dict[str, Any]
    ) -> None:
        started = time.perf_counter()
        try:
            original(self, version, build_data)
        finally:
            spent.append(time.perf_counter() - started)

    with mock.patch.object(AirflowGoBuildHook, "initialize", timed_initialize):
        yield spent
