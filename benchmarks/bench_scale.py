"""Benchmark: the ``airflow_go`` hook on a module with many bundles (30, and 100).

Generated modules on the vendored stand-in SDK (``tests/scale_support.py``: bundle ``bNNN``
in ``cmd/bNNN``), Go's build cache warm, wheel builds in-process through hatchling's
WheelBuilder (no interpreter start-up in the figures). Side by side, in one run:

1. the hook's own time (its ``initialize``) with an empty bundle cache, against one plain
   ``go build -trimpath -buildvcs=false -o DIR/ ./cmd/...`` of the same packages.
   Target: ratio <= 1.2. For reference, the same packages built by one ``go build`` each,
   one after another (what the hook did before bundles were batched).
2. a rebuild with nothing changed: the hook's own time (target < 0.5 s), and the whole
   wheel build against hatchling packing the same bundle files without the hook (a project
   whose ``shared-data`` names the pre-built bundles, placed where the hook puts them).
   Target: ratio <= 1.1.
3. ``strip = true`` against the default: total bundle size and the hook's cold time.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--repeat N] [--counts 30,100]``.
Times are best of N (after one untimed warm-up for the go builds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _util import hook_seconds  # noqa: E402
from hatchling.builders.wheel import WheelBuilder  # noqa: E402

from hatch_airflow_go.plugin import shared_data_dir  # noqa: E402
from tests.scale_support import bundle_names, write_plain_project, write_project  # noqa: E402

GO_ENV = {"CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
FLAGS = ("-trimpath", "-buildvcs=false")


@contextmanager
def environment(**changes: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def age_tree(root: Path, seconds: float = 120.0) -> None:
    """Files last edited ``seconds`` ago, as in a tree nobody edits right now (the hook's
    stat index leaves just-edited trees unrecorded)."""
    when = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        os.utime(path, (when, when))


def go_build_all(module: Path, work: Path) -> float:
    """One ``go build -o DIR/ ./cmd/...`` into a fresh folder (an up-to-date binary at the
    -o path would let go skip linking)."""
    out = Path(tempfile.mkdtemp(prefix="plain-", dir=work))
    started = time.perf_counter()
    subprocess.run(
        ["go", "build", *FLAGS, "-o", f"{out}{os.sep}", "./cmd/..."],
        cwd=module,
        env={**os.environ, **GO_ENV},
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def go_build_each(module: Path, names: Sequence[str], work: Path) -> float:
    out = Path(tempfile.mkdtemp(prefix="each-", dir=work))
    started = time.perf_counter()
    for name in names:
        subprocess.run(
            ["go", "build", *FLAGS, "-o", str(out / name), f"./cmd/{name}"],
            cwd=module,
            env={**os.environ, **GO_ENV},
            check=True,
            capture_output=True,
        )
    return time.perf_counter() - started


def wheel_build(project: Path, outdir: Path) -> tuple[float, float, Path]:
    """One in-process wheel build: (whole seconds, seconds inside the hook, the wheel)."""
    shutil.rmtree(outdir, ignore_errors=True)
    quiet = open(os.devnull, "w")  # noqa: SIM115 - closed below; hatchling's progress lines
    with (
        quiet,
        redirect_stdout(quiet),
        redirect_stderr(quiet),
        hook_seconds() as spent,
    ):
        started = time.perf_counter()
        builder = WheelBuilder(str(project))
        wheels = list(builder.build(directory=str(outdir), versions=["standard"]))
        whole = time.perf_counter() - started
    return whole, sum(spent), Path(wheels[0])


def bundle_members(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {
            info.filename: archive.read(info)
            for info in archive.infolist()
            if ".data/data/" in info.filename and "executable-bundles" in info.filename
        }


def cold_hook(project: Path, work: Path, repeat: int, **env: str) -> tuple[float, int]:
    """Best hook time with an empty bundle cache (a fresh cache folder per round), and the
    total size of the bundles in the wheel."""
    best = float("inf")
    size = 0
    for round_ in range(repeat):
        cache = work / f"cache-cold-{time.monotonic_ns()}-{round_}"
        with environment(AIRFLOW_GO_CACHE_DIR=str(cache), **env):
            _, hook, wheel = wheel_build(project, work / "wheel-cold")
        best = min(best, hook)
        size = sum(len(data) for data in bundle_members(wheel).values())
        shutil.rmtree(cache, ignore_errors=True)
    return best, size


def verdict(met: bool) -> str:
    return "met" if met else "NOT MET"


def measure(count: int, work: Path, repeat: int, *, full: bool) -> list[str]:
    lines: list[str] = []
    root = work / f"scale-{count}"
    project = write_project(root, count)
    module = project / "go"
    age_tree(project)
    names = bundle_names(count)
    go_build_all(module, work)  # untimed: warms Go's build cache for these packages
    plain_all = min(go_build_all(module, work) for _ in range(repeat))
    hook_cold, default_size = cold_hook(project, work, repeat)
    ratio = hook_cold / plain_all
    lines.append(f"[{count} bundles]")
    lines.append(f"  one go build -o DIR/ ./cmd/... (warm Go cache):   {plain_all:7.2f} s")
    lines.append(
        f"  hook's own time, empty bundle cache:              {hook_cold:7.2f} s  "
        f"ratio {ratio:.2f} (target <= 1.2: {verdict(ratio <= 1.2)})"
    )
    if full:
        each = min(go_build_each(module, names, work) for _ in range(repeat))
        lines.append(
            f"  {count} go builds one after another:".ljust(52) + f"{each:7.2f} s  "
            f"(hook / these: {hook_cold / each:.2f})"
        )

    # No-op rebuild: one cache, filled once, then rebuilt with nothing changed.
    cache = work / f"cache-warm-{count}"
    with environment(AIRFLOW_GO_CACHE_DIR=str(cache)):
        wheel_build(project, work / "wheel-warm")  # fills the bundle cache and stat index
        _, _, noop_wheel = wheel_build(project, work / "wheel-warm")  # + verified stamps
    members = bundle_members(noop_wheel)
    prebuilt = work / f"prebuilt-{count}"
    prebuilt.mkdir(exist_ok=True)
    files: dict[str, Path] = {}
    folder = shared_data_dir("scale")
    for member, data in members.items():
        path = prebuilt / Path(member).name
        path.write_bytes(data)
        path.chmod(0o755)
        files[f"{folder}/{path.name}"] = path
    plain_project = write_plain_project(work / f"plain-{count}", files)
    wheel_build(plain_project, work / "wheel-plain")
    # Interleaved, so that a change in the machine's load hits both sides alike.
    hook_runs, plain_runs = [], []
    for _ in range(max(repeat, 3)):
        with environment(AIRFLOW_GO_CACHE_DIR=str(cache)):
            hook_runs.append(wheel_build(project, work / "wheel-warm"))
        plain_runs.append(wheel_build(plain_project, work / "wheel-plain")[0])
    noop_whole = min(run[0] for run in hook_runs)
    noop_hook = min(run[1] for run in hook_runs)
    plain_whole = min(plain_runs)
    whole_ratio = noop_whole / plain_whole
    lines.append(
        f"  no-op rebuild, hook's own time:                   {noop_hook:7.3f} s  "
        f"(target < 0.5 s: {verdict(noop_hook < 0.5)})"
    )
    lines.append(
        f"  no-op rebuild, whole wheel build:                 {noop_whole:7.2f} s  "
        f"ratio {whole_ratio:.2f} (target <= 1.1: {verdict(whole_ratio <= 1.1)})"
    )
    lines.append(f"  hatchling packing the same files, no hook:        {plain_whole:7.2f} s")
    if len(members) != count:
        lines.append(f"  !! the wheel holds {len(members)} bundles, expected {count}")

    if full:
        strip_cold, strip_size = cold_hook(project, work, repeat, AIRFLOW_GO_STRIP="1")
        lines.append(
            f"  strip = false: {default_size / 2**20:7.1f} MiB of bundles, hook cold "
            f"{hook_cold:.2f} s"
        )
        lines.append(
            f"  strip = true:  {strip_size / 2**20:7.1f} MiB of bundles "
            f"({strip_size / default_size:.2f}x), hook cold {strip_cold:.2f} s "
            f"({strip_cold / hook_cold:.2f}x)"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--counts", default="30,100")
    args = parser.parse_args(argv)
    if shutil.which("go") is None:
        sys.exit("this benchmark compares against plain `go build`: put go on PATH")
    counts = [int(count) for count in args.counts.split(",") if count]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as temp:
        work = Path(temp)
        for index, count in enumerate(counts):
            for line in measure(count, work, args.repeat, full=index == 0):
                print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
