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
STANDIN = REPO / "examples" / "standin-sdk"
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
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    go = shutil.which("go") or "go"
    env = {**os.environ, "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod"}
    with tempfile.TemporaryDirectory() as scratch:
        module = Path(scratch) / "mod"
        make_module(module)
        flags = ["-trimpath", "-buildvcs=false"]
        plain = [go, "build", *flags, "-o", str(Path(scratch) / "plain"), "./cmd/etl"]
        ours = [
            sys.executable,
            "-m",
            "hatch_airflow_go",
            "pack",
            "./cmd/etl",
            "--no-cache",
            "--output",
            str(Path(scratch) / "bundle"),
            "--",
            *flags,
        ]
        subprocess.run(plain, cwd=module, env=env, check=True)  # warm Go's cache
        subprocess.run(ours, cwd=module, env=env, check=True, capture_output=True)
        plain_s = best_of(plain, module, env, args.rounds)
        ours_s = best_of(ours, module, env, args.rounds)
        print(f"rounds: {args.rounds} (best of), warm Go build cache")
        print(f"{'plain go build':<42} {plain_s * 1000:8.1f} ms")
        print(f"{'hatch-airflow-go pack --no-cache':<42} {ours_s * 1000:8.1f} ms")
        print(f"{'ratio pack / go build':<42} {ours_s / plain_s:8.2f}  (target <= 1.15)")
        cached = [
            sys.executable,
            "-m",
            "hatch_airflow_go",
            "pack",
            "./cmd/etl",
            "--output",
            str(Path(scratch) / "bundle"),
            "--",
            *flags,
        ]
        subprocess.run(cached, cwd=module, env=env, check=True, capture_output=True)
        cached_s = best_of(cached, module, env, args.rounds)
        print(f"{'hatch-airflow-go pack (cache hit)':<42} {cached_s * 1000:8.1f} ms")
        got = subprocess.run(
            [go, "get", "-tool", "github.com/apache/airflow/go-sdk/cmd/airflow-go-pack@latest"],
            cwd=module,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if got.returncode != 0:
            print(
                "go tool airflow-go-pack: not measured: the Go module proxy does not serve it ("
                + got.stderr.strip().splitlines()[-1]
                + ")"
            )
        else:
            upstream = [
                go,
                "tool",
                "airflow-go-pack",
                "./cmd/etl",
                "--output",
                str(Path(scratch) / "up"),
                "--",
                *flags,
            ]
            up_s = best_of(upstream, module, env, args.rounds)
            print(f"{'go tool airflow-go-pack':<42} {up_s * 1000:8.1f} ms")
            print(f"{'ratio pack / upstream packer':<42} {ours_s / up_s:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
