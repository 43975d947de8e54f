"""`hatch-airflow-go pack` of a Go package against plain `go build` of it, side by side.

Both run with a warm Go build cache on the same module, alternating, best of N. The pack side
is the whole CLI (Python start-up, go list, go build, introspection, render, pack) with the
bundle cache off, so it does all the work a cold pack does except compiling what Go caches.
Where upstream's packer can be fetched, `go tool airflow-go-pack` is timed too.

    .venv/bin/python benchmarks/bench_pack_build.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STANDIN = REPO / "hatch_airflow_go" / "scaffold" / "standin-sdk"
MAIN_GO = """\
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("etl").AddTask("extract").AddTask("transform").AddTask("load")
	sdk.Main()
}
"""


def make_module(root: Path) -> None:
    (root / "cmd" / "etl").mkdir(parents=True)
    (root / "go.mod").write_text(
        "module example.com/bench\n\ngo 1.24\n\nrequire example.com/airflow-standin-sdk v0.0.0\n\n"
        f"replace example.com/airflow-standin-sdk => {STANDIN}\n"
    )
    (root / "cmd" / "etl" / "main.go").write_text(MAIN_GO)


def best_of(command: list[str], cwd: Path, env: dict[str, str], rounds: int) -> float:
    """Best wall time of ``command``; ``{out}`` in it becomes a fresh path every round.

    A fresh output path matters: with an up-to-date binary already at its -o path,
    `go build` skips the link step and measures almost nothing.
    """
    times = []
    for index in range(rounds):
        out = Path(tempfile.mkdtemp()) / f"out{index}"
        argv = [arg.replace("{out}", str(out)) for arg in command]
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
        shutil.rmtree(out.parent)
    return min(times)


def best_in_process(module: Path, flags: list[str], rounds: int) -> float:
    """Best time of the library's pack_bundle (what the hatch hook calls), cache off."""
    sys.path.insert(0, str(REPO))
    from hatch_airflow_go.build.pipeline import BundleSpec, pack_bundle

    times = []
    for _ in range(rounds):
        out = Path(tempfile.mkdtemp())
        spec = BundleSpec(
            package="./cmd/etl", module_dir=module, output_dir=out, build_flags=tuple(flags)
        )
        start = time.perf_counter()
        pack_bundle(spec)
        times.append(time.perf_counter() - start)
        shutil.rmtree(out)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    go = shutil.which("go") or "go"
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    flags = ["-trimpath", "-buildvcs=false"]
    cli = [sys.executable, "-m", "hatch_airflow_go", "pack", "./cmd/etl", "--output", "{out}"]
    with tempfile.TemporaryDirectory() as scratch:
        module = Path(scratch) / "mod"
        make_module(module)
        plain = [go, "build", *flags, "-o", "{out}", "./cmd/etl"]
        uncached = [*cli, "--no-cache", "--", *flags]
        cached = [*cli, "--", *flags]
        for warm in (plain, uncached, cached):  # warm Go's cache and fill the bundle cache
            best_of(warm, module, env, 1)
        plain_s = best_of(plain, module, env, args.rounds)
        ours_s = best_of(uncached, module, env, args.rounds)
        library_s = best_in_process(module, flags, args.rounds)
        cached_s = best_of(cached, module, env, args.rounds)
        print(f"rounds: {args.rounds} (best of), warm Go build cache, fresh output each round")
        rows = [
            ("plain go build", plain_s, ""),
            ("pack_bundle() in process (what the hook runs)", library_s, "target <= 1.15"),
            ("hatch-airflow-go pack --no-cache (CLI)", ours_s, "incl. interpreter start-up"),
            ("hatch-airflow-go pack (bundle cache hit)", cached_s, ""),
        ]
        for label, seconds, note in rows:
            print(f"{label:<48} {seconds * 1000:8.1f} ms  ratio {seconds / plain_s:5.2f}  {note}")
        got = subprocess.run(
            [go, "get", "-tool", "github.com/apache/airflow/go-sdk/cmd/airflow-go-pack@latest"],
            cwd=module,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if got.returncode != 0:
            answer = got.stderr.strip().splitlines()[-1].strip()
            print(f"go tool airflow-go-pack: not measured; the module proxy answered: {answer}")
        else:
            upstream = [
                go,
                "tool",
                "airflow-go-pack",
                "./cmd/etl",
                "--output",
                "{out}",
                "--",
                *flags,
            ]
            up_s = best_of(upstream, module, env, args.rounds)
            print(f"{'go tool airflow-go-pack':<48} {up_s * 1000:8.1f} ms")
            print(f"{'ratio pack CLI / upstream packer':<48} {ours_s / up_s:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
