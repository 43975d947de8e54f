"""Benchmark: the ``airflow_go`` hook's cost in a real ``hatch build``.

1. ``hatch build -t wheel`` of the example monorepo (examples/monorepo, two bundles), with
   Go's build cache warm and the hook's bundle cache off, against the same ``go build``
   commands run plainly one after another. Target: ratio <= 1.25.
2. A second ``hatch build`` with nothing changed (bundle cache on): the hook's share, i.e.
   the hook-enabled build minus the same build with ``HATCH_BUILD_NO_HOOKS=true``. Target:
   under 0.5 s. Measured both as whole ``hatch build`` processes and in-process through
   hatchling's WheelBuilder (less noise from process start-up).

Run: ``.venv/bin/python benchmarks/bench_build.py [--repeat N]``. Times are best of N.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _util import hook_seconds  # noqa: E402
from hatchling.builders.wheel import WheelBuilder  # noqa: E402

from tests.plugin_support import build_env, checkout_wheelhouse, copy_project  # noqa: E402

HATCH = Path(sys.executable).parent / "hatch"
EXAMPLE = REPO / "examples" / "monorepo"
PACKAGES = ("./cmd/etl", "./cmd/reports")  # the example's two bundles


def timed(argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        argv, check=False, cwd=cwd, env=dict(env), capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed: {' '.join(argv)}\n{result.stdout}\n{result.stderr}")
    return elapsed


def best(repeat: int, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> float:
    return min(timed(argv, cwd=cwd, env=env) for _ in range(repeat))


def plain_go_builds(project: Path, env: Mapping[str, str], work: Path) -> float:
    """The two go builds the hook runs, one after another, with the hook's flags.

    Each round writes into a fresh directory, as the hook does: with an up-to-date binary
    already at the -o path, go build would skip linking and measure nothing.
    """
    out = Path(tempfile.mkdtemp(prefix="plain-", dir=work))
    started = time.perf_counter()
    for package in PACKAGES:
        name = package.rsplit("/", 1)[1]
        subprocess.run(
            [
                "go",
                "build",
                "-trimpath",
                "-buildvcs=false",
                "-o",
                str(out / name),
                package,
            ],
            cwd=project / "go",
            env={**env, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"},
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def in_process_build(project: Path, outdir: Path, *, hooks: bool) -> float:
    """One wheel build through hatchling's WheelBuilder in this process."""
    saved = os.environ.get("HATCH_BUILD_NO_HOOKS")
    os.environ["HATCH_BUILD_NO_HOOKS"] = "false" if hooks else "true"
    try:
        started = time.perf_counter()
        builder = WheelBuilder(str(project))
        for _ in builder.build(directory=str(outdir), versions=["standard"]):
            pass
        return time.perf_counter() - started
    finally:
        if saved is None:
            os.environ.pop("HATCH_BUILD_NO_HOOKS", None)
        else:
            os.environ["HATCH_BUILD_NO_HOOKS"] = saved


def hook_own_time(project: Path, outdir: Path) -> float:
    """Seconds spent inside the hook's initialize() during one in-process wheel build.

    The rest of a build's extra time is hatchling's (deflating the bundles into the zip),
    which any wheel carrying the same files pays.
    """
    with hook_seconds() as spent:
        in_process_build(project, outdir, hooks=True)
    return sum(spent)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if shutil.which("go") is None:
        sys.exit("this benchmark compares against plain `go build`: put go on PATH")

    with tempfile.TemporaryDirectory(prefix="bench-build-") as temp:
        work = Path(temp)
        project = copy_project(EXAMPLE, work / "monorepo")
        wheelhouse = checkout_wheelhouse(work / "wheelhouse")
        env = build_env(
            {
                "UV_FIND_LINKS": str(wheelhouse),
                "HATCH_DATA_DIR": str(work / "hatch-data"),
                "AIRFLOW_GO_CACHE_DIR": str(work / "cache"),
            }
        )
        os.environ["AIRFLOW_GO_CACHE_DIR"] = env["AIRFLOW_GO_CACHE_DIR"]
        hatch_build = [str(HATCH), "build", "-t", "wheel"]
        uncached = {**env, "AIRFLOW_GO_CACHE": "0"}
        # Untimed: creates hatch's build environment and warms Go's build cache.
        timed(hatch_build, cwd=project, env=uncached)
        plain_go_builds(project, env, work)

        go_plain = min(plain_go_builds(project, env, work) for _ in range(args.repeat))
        hook_uncached = best(args.repeat, hatch_build, cwd=project, env=uncached)
        no_hooks = best(
            args.repeat, hatch_build, cwd=project, env={**env, "HATCH_BUILD_NO_HOOKS": "true"}
        )
        timed(hatch_build, cwd=project, env=env)  # fills the bundle cache
        hook_cached = best(args.repeat, hatch_build, cwd=project, env=env)

        outdir = work / "inproc"
        in_process_build(project, outdir, hooks=True)
        with_hook = min(in_process_build(project, outdir, hooks=True) for _ in range(args.repeat))
        without = min(in_process_build(project, outdir, hooks=False) for _ in range(args.repeat))
        hook_cached_own = min(hook_own_time(project, outdir) for _ in range(args.repeat))
        os.environ["AIRFLOW_GO_CACHE"] = "0"
        try:
            hook_uncached_own = min(hook_own_time(project, outdir) for _ in range(args.repeat))
        finally:
            del os.environ["AIRFLOW_GO_CACHE"]

    ratio = hook_uncached / go_plain
    print(f"plain go build x2 (warm Go cache):          {go_plain:6.2f} s")
    print(
        f"hatch build, bundle cache off:              {hook_uncached:6.2f} s  "
        f"ratio {ratio:.2f} (target <= 1.25)"
    )
    print(f"hatch build, hooks disabled:                {no_hooks:6.2f} s")
    print(
        f"hatch build, unchanged (bundle cache hit):  {hook_cached:6.2f} s  "
        f"hook share {hook_cached - no_hooks:+.2f} s (target < 0.5)"
    )
    print(
        f"in-process wheel build, hook cached:        {with_hook:6.2f} s  "
        f"hook share {with_hook - without:+.2f} s (target < 0.5)"
    )
    print(f"in-process wheel build, hooks disabled:     {without:6.2f} s")
    print(
        f"hook's own time, bundle cache off:          {hook_uncached_own:6.2f} s  "
        f"ratio {hook_uncached_own / go_plain:.2f} to plain go build x2 (target <= 1.25)"
    )
    print(f"hook's own time, unchanged (cache hit):     {hook_cached_own:6.3f} s  (target < 0.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
