"""How long the pre-commit hooks take where a commit waits for them.

1. check-go-tool-directive over 200 go.mod files in one process (target < 0.3 s): the hook is
   called in-process (best of N), and also as pre-commit runs it, one console-script process
   for all files (interpreter start-up and imports included). For scale, ``go mod edit
   -json`` run once per file, the subprocess-per-file approach the hook avoids.
2. check-go-bundles on an unchanged repository (target < 1 s): one bundle, cache warm, the
   console script timed as a whole process, best of N; and a cold run (empty pipeline cache)
   for comparison.

Run: ``.venv/bin/python benchmarks/bench_precommit.py [--files 200] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from precommit_hooks import check_go_bundles, check_go_tool_directive  # noqa: E402
from tests.precommit_support import gomod_text, init_repo, write_project  # noqa: E402

BIN = Path(sys.executable).parent


def best_of(repeat: int, action: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def write_gomods(root: Path, count: int) -> list[str]:
    """``count`` go.mod files of a realistic size; every fourth one has findings."""
    deps = "".join(f"\texample.com/dep{i:02d} v1.{i}.0 // indirect\n" for i in range(25))
    files = []
    for index in range(count):
        broken = index % 4 == 3
        text = gomod_text(
            module=f"example.com/bundle{index}",
            go="1.23" if broken else "1.24",
            tool=not broken,
        )
        text += f"\nrequire (\n{deps})\n"
        path = root / f"m{index:03d}" / "go.mod"
        path.parent.mkdir()
        path.write_text(text)
        files.append(str(path))
    return files


def run_quiet(command: Sequence[str], cwd: Path, env: dict[str, str]) -> int:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,  # the callers assert on the exit code
    ).returncode


def bench_directive(work: Path, count: int, repeat: int, go: str) -> None:
    files = write_gomods(work, count)

    def in_process() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            code = check_go_tool_directive.main(files)
        assert code == 1  # a quarter of the files have findings

    inproc = best_of(repeat, in_process)
    script = [str(BIN / "check-go-tool-directive"), *files]
    env = dict(os.environ)
    process = best_of(repeat, lambda: run_quiet(script, work, env))
    env_go = {**env, "GOTOOLCHAIN": "local", "GOFLAGS": ""}
    per_file = best_of(
        max(1, repeat // 2),
        lambda: [run_quiet([go, "mod", "edit", "-json", f], work, env_go) for f in files],
    )
    print(f"check-go-tool-directive, {count} go.mod files (best of {repeat}):")
    print(f"  in-process main(argv)              {inproc:8.3f} s   target < 0.3 s")
    print(f"  console script, one process        {process:8.3f} s")
    print(f"  go mod edit -json, one per file    {per_file:8.3f} s   ({per_file / inproc:.0f}x)")


def bench_bundles(work: Path, repeat: int) -> None:
    project = write_project(work / "project")
    init_repo(project)
    env = {**os.environ, "AIRFLOW_GO_CACHE_DIR": str(work / "cache")}
    script = [str(BIN / "check-go-bundles")]
    started = time.perf_counter()
    assert run_quiet(script, project, env) == 0
    cold = time.perf_counter() - started
    warm = best_of(repeat, lambda: run_quiet(script, project, env))
    inproc_env = {**os.environ}
    os.environ["AIRFLOW_GO_CACHE_DIR"] = env["AIRFLOW_GO_CACHE_DIR"]
    os.chdir(project)
    try:

        def in_process() -> None:
            with contextlib.redirect_stderr(io.StringIO()):
                assert check_go_bundles.main([]) == 0

        inproc = best_of(repeat, in_process)
    finally:
        os.chdir(REPO)
        os.environ.clear()
        os.environ.update(inproc_env)
    print(f"check-go-bundles, one bundle (best of {repeat}):")
    print(f"  first run (empty pipeline cache)   {cold:8.3f} s")
    print(f"  unchanged repo, console script     {warm:8.3f} s   target < 1 s")
    print(f"  unchanged repo, in-process main()  {inproc:8.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    go = shutil.which("go")
    if go is None:
        sys.exit("bench_precommit needs go on PATH (for the go mod edit comparison)")
    with tempfile.TemporaryDirectory(prefix="bench-precommit-") as temp:
        work = Path(temp)
        (work / "gomods").mkdir()
        bench_directive(work / "gomods", args.files, args.repeat, go)
        bench_bundles(work, args.repeat)


if __name__ == "__main__":
    main()
