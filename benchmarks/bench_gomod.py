"""Reading and checking go.mod files in one Python process against `go mod edit -json` per file.

pre-commit hands the hook every changed go.mod at once; this measures what that costs. The
200 files are the test corpus (tests/gomod_corpus, the valid ones) repeated with distinct
module paths, each in its own directory as in a monorepo. The Python side is parse + check
of all 200 in-process (target < 0.3 s); the go side starts `go mod edit -json` once per file,
which is what shelling out per file would cost at the very least.

    .venv/bin/python benchmarks/bench_gomod.py [--files 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from hatch_airflow_go.golang.gomod import check_gomod, read_gomod
from hatch_airflow_go.golang.toolchain import find_go

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "gomod_corpus"


def make_tree(root: Path, count: int) -> list[Path]:
    sources = sorted(p for p in CORPUS.glob("*.mod") if not p.name.startswith("bad_"))
    paths = []
    for index in range(count):
        text = sources[index % len(sources)].read_text(encoding="utf-8")
        # Distinct module paths, so nothing can be cached across files by content.
        text = re.sub(r"^module (\"?[^\"\s(]+)", rf"module \g<1>{index}", text, count=1, flags=re.M)
        directory = root / f"mod{index:03d}"
        directory.mkdir()
        (directory / "go.mod").write_text(text, encoding="utf-8")
        paths.append(directory / "go.mod")
    return paths


def time_python(paths: list[Path]) -> tuple[float, int]:
    start = time.perf_counter()
    findings = 0
    for path in paths:
        findings += len(check_gomod(read_gomod(path)))
    return time.perf_counter() - start, findings


def time_go(go: str, paths: list[Path], env: dict[str, str]) -> float:
    start = time.perf_counter()
    for path in paths:
        subprocess.run([go, "mod", "edit", "-json", "go.mod"], cwd=path.parent, env=env,
                       check=True, capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    toolchain = find_go()
    env = {**toolchain.environment(), "GOFLAGS": ""}
    root = Path(tempfile.mkdtemp(prefix="bench-gomod-"))
    try:
        paths = make_tree(root, args.files)
        py_times, go_times = [], []
        findings = 0
        for _ in range(args.rounds):
            seconds, findings = time_python(paths)
            py_times.append(seconds)
            go_times.append(time_go(str(toolchain.go), paths, env))
        py_best, go_best = min(py_times), min(go_times)
        print(f"go.mod files: {len(paths)} (findings: {findings}), rounds: {args.rounds}, "
              f"go: {toolchain.version_text}, cpus: {os.cpu_count()}")  # fmt: skip
        print(f"python parse+check, one process : {py_best:8.4f} s  "
              f"({py_best / len(paths) * 1e6:7.1f} us/file)  target < 0.3 s")  # fmt: skip
        print(f"go mod edit -json, one per file : {go_best:8.4f} s  "
              f"({go_best / len(paths) * 1e3:7.2f} ms/file)")  # fmt: skip
        print(f"ratio (go / python)             : {go_best / py_best:8.1f}x")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
