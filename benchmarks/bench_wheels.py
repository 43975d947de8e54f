"""Benchmark: every platform's wheel from one machine.

``hatch-airflow-go build-wheels --target linux/amd64 --target linux/arm64 --target
darwin/arm64`` of the example monorepo (examples/monorepo, two bundles) against the baseline
a CI job would otherwise run: three ``python -m build --wheel --no-isolation`` processes, one
per target with ``AIRFLOW_GO_TARGET`` set (``--no-isolation``: the same environment for both,
no PyPI downloads in the figures). Side by side, in the same run, Go's build cache warm:

1. the bundle cache off (``AIRFLOW_GO_CACHE=false``): every bundle is built; build-wheels also
   saves the host-arch twin builds of the cross targets (the host target's binaries answer
   for them);
2. the bundle cache on and nothing changed: every bundle is served from the cache, so what
   is left is process start-up, hatchling and writing the wheels.

Run: ``.venv/bin/python benchmarks/bench_wheels.py [--repeat N]``. Times are best of N after
one untimed warm-up of each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.plugin_support import build_env, copy_project  # noqa: E402

TARGETS = ("linux/amd64", "linux/arm64", "darwin/arm64")
CLI = Path(sys.executable).parent / "hatch-airflow-go"
EXAMPLE = REPO / "examples" / "monorepo"


def timed(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        argv, check=False, cwd=cwd, env=dict(env), capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stdout}\n{result.stderr}")
    return elapsed


def build_wheels(project: Path, out: Path, env: Mapping[str, str]) -> float:
    shutil.rmtree(out, ignore_errors=True)
    argv = [str(CLI), "build-wheels", "--out", str(out)]
    argv += [arg for target in TARGETS for arg in ("--target", target)]
    return timed(argv, cwd=project, env=env)


def separate_builds(project: Path, out: Path, env: Mapping[str, str]) -> float:
    shutil.rmtree(out, ignore_errors=True)
    total = 0.0
    for target in TARGETS:
        argv = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)]
        total += timed(argv, cwd=project, env={**env, "AIRFLOW_GO_TARGET": target})
    return total


def best(
    repeat: int,
    measure: Callable[[Path, Path, Mapping[str, str]], float],
    project: Path,
    out: Path,
    env: Mapping[str, str],
) -> float:
    measure(project, out, env)  # warm-up: page cache, Go's build cache, the bundle cache
    return min(measure(project, out, env) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-wheels-") as scratch:
        work = Path(scratch)
        project = copy_project(EXAMPLE, work / "project")
        rows = []
        for label, extra in (
            ("bundle cache off", {"AIRFLOW_GO_CACHE": "false"}),
            ("bundle cache on, nothing changed", {}),
        ):
            env = build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache"), **extra})
            ours = best(args.repeat, build_wheels, project, work / "ours", env)
            theirs = best(args.repeat, separate_builds, project, work / "theirs", env)
            ours_names = sorted(os.listdir(work / "ours"))
            if ours_names != sorted(os.listdir(work / "theirs")) or len(ours_names) != 3:
                sys.exit(f"the two ways built different wheels: {ours_names}")
            rows.append((label, ours, theirs))
    print(f"3 targets ({', '.join(TARGETS)}), examples/monorepo (2 bundles), best of {args.repeat}")
    print(f"{'':34} {'build-wheels':>13} {'3 x python -m build':>20} {'ratio':>7}")
    for label, ours, theirs in rows:
        print(f"{label:34} {ours:12.2f}s {theirs:19.2f}s {ours / theirs:7.2f}")


if __name__ == "__main__":
    main()
