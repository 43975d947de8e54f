"""Benchmark: a bundle-cache hit from a freshly unpacked copy of a project at a new path.

What ``python -m build`` and ``uv build`` do on every build: unpack the sdist in a new
temporary folder and build the wheel there. Each round copies examples/monorepo (two bundles)
to a new path and runs the hook's pipeline on it (the same ``Settings.bundle_specs`` and
``pack_bundles`` the hook calls, in-process, so interpreter start-up is not measured):

- **cold** (the baseline): the bundle cache off, so both bundles are built with ``go build``
  (Go's own build cache warm, as on a developer machine);
- **hit at a new path**: the cache on and holding the bundles from a build at another path;
  the key is computed from scratch (``go list -deps`` plus hashing, the stat index cannot
  help at a new path), each hit's whole file is hashed and its manifest read;
- **hit at the same path** (for reference): the stat index stands for the key, no go command.

Ratios are against the cold build measured side by side in the same run.
Run: ``.venv/bin/python benchmarks/bench_cache.py [--repeat N]``. Times are best of N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hatch_airflow_go.build.config import load_settings  # noqa: E402
from hatch_airflow_go.build.pipeline import pack_bundles  # noqa: E402
from tests.plugin_support import copy_project  # noqa: E402

EXAMPLE = REPO / "examples" / "monorepo"


def fresh_copy(work: Path, label: str) -> Path:
    """The example at a path never used before, its files aged like an unpacked sdist's."""
    project = copy_project(EXAMPLE, Path(tempfile.mkdtemp(prefix=f"{label}-", dir=work)) / "p")
    when = time.time() - 60  # older than the stat index's racy window
    for path in [project, *project.rglob("*")]:
        os.utime(path, (when, when))
    return project


def pack(project: Path, out: Path, cache: Optional[Path]) -> tuple[float, list[bool]]:
    settings = load_settings(project / "pyproject.toml", {})
    specs = settings.bundle_specs(project, out)
    started = time.perf_counter()
    built = pack_bundles(specs, cache_dir=cache)
    return time.perf_counter() - started, [bundle.cached for bundle in built]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if shutil.which("go") is None:
        sys.exit("this benchmark builds Go bundles: put go on PATH")
    with tempfile.TemporaryDirectory(prefix="bench-cache-") as tmp:
        work = Path(tmp)
        cache = work / "cache"
        pack(fresh_copy(work, "warm"), work / "out-warm", None)  # Go's build cache warm
        pack(fresh_copy(work, "seed"), work / "out-seed", cache)  # the cache holds both
        cold: list[float] = []
        new_path: list[float] = []
        same_path: list[float] = []
        for round_ in range(args.repeat):
            seconds, cached = pack(fresh_copy(work, "cold"), work / f"o{round_}c", None)
            assert cached == [False, False]
            cold.append(seconds)
            project = fresh_copy(work, "hit")
            seconds, cached = pack(project, work / f"o{round_}h", cache)
            assert cached == [True, True], cached
            new_path.append(seconds)
            seconds, cached = pack(project, work / f"o{round_}s", cache)
            assert cached == [True, True], cached
            same_path.append(seconds)
    base = min(cold)
    print(f"examples/monorepo (two bundles), best of {args.repeat}:")
    print(f"  cold build, cache off (baseline):  {base:.3f} s")
    for label, times in (("hit at a new path", new_path), ("hit at the same path", same_path)):
        print(f"  {label + ':':34} {min(times):.3f} s  ratio {min(times) / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
