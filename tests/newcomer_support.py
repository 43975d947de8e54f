"""Running printed commands exactly as printed: README blocks and what ``new``/``init`` print.

Each line runs in its own ``bash -c``, verbatim; a line starting with ``cd`` moves the folder
the following lines run in (as it would in the user's shell). The shell finds ``python`` in a
fresh virtual environment (with ``build``), then this checkout's .venv for hatch, uv,
pre-commit and prek, so nothing a test installs lands in .venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .conftest import REPO
from .plugin_support import make_venv, pip_install
from .precommit_support import hook_env
from .test_plugin_build import dags_of

VENV_BIN = Path(sys.executable).parent
BUILD_LINES = ("python -m build", "hatch build", "uv build", "python -m pip install .")


def marked_block(start: str, end: str) -> list[str]:
    """The command lines of the README block between two marker comments."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index(start) + len(start) : text.index(end)]
    return [line for line in block.splitlines() if line and not line.startswith("```")]


def printed_commands(stdout: str) -> list[str]:
    """The indented command lines ``new`` and ``init`` print after "To build"."""
    lines = stdout.splitlines()
    cut = next((i for i, line in enumerate(lines) if "To build, run these lines" in line), None)
    assert cut is not None, f"no build instructions in:\n{stdout}"
    return [line[2:] for line in lines[cut + 1 :] if line.startswith("  ")]


def fresh_python(where: Path) -> Path:
    """A fresh venv with `build` from PyPI: the `python` the printed lines run."""
    python = make_venv(where)
    pip_install(python, "build")
    return python


def shell_env(python: Path, home: Path) -> dict[str, str]:
    """The user's shell: the fresh venv first on PATH, then .venv's tools; caches in ``home``."""
    env = hook_env(home)
    env = {
        key: value
        for key, value in env.items()
        if not key.startswith(("AIRFLOW_GO_", "HATCH_BUILD_", "PIP_", "UV_", "GOOS", "GOARCH"))
    }
    env["PATH"] = os.pathsep.join([str(python.parent), str(VENV_BIN), env.get("PATH", "")])
    env["AIRFLOW_GO_CACHE_DIR"] = str(home / "airflow-go-cache")
    env["HATCH_DATA_DIR"] = str(home / "hatch-data")
    return env


@dataclass
class Ran:
    line: str
    cwd: Path
    result: subprocess.CompletedProcess[str]

    @property
    def output(self) -> str:
        return self.result.stdout + self.result.stderr


def run_lines(lines: list[str], *, cwd: Path, env: Mapping[str, str]) -> tuple[list[Ran], Path]:
    """Run each line as printed, stopping at the first that fails; returns what ran and the
    folder the shell is in at the end."""
    done: list[Ran] = []
    for line in lines:
        script = f"{line}\npwd" if line.startswith("cd ") else line
        result = subprocess.run(
            ["bash", "-c", script],
            cwd=cwd,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=900,
        )
        done.append(Ran(line, cwd, result))
        if result.returncode != 0:
            break
        if line.startswith("cd "):
            cwd = Path(result.stdout.splitlines()[-1])
    return done, cwd


def run_ok(line: str, *, cwd: Path, env: Mapping[str, str]) -> tuple[Ran, Path]:
    """One printed line, which must succeed."""
    (ran,), after = run_lines([line], cwd=cwd, env=env)
    assert ran.result.returncode == 0, f"$ {line}\n{ran.output}"
    return ran, after


def clear_dist(project: Path) -> None:
    """Remove the wheels and sdists an earlier build left in dist/ (the wheelhouse stays)."""
    for old in (project / "dist").glob("*"):
        if old.is_file():
            old.unlink()


def bundle_dags(wheel: Path, member_suffix: str, scratch: Path) -> dict[str, list[str]]:
    """The DAGs of the bundle in ``wheel`` whose member path ends with ``member_suffix``."""
    with zipfile.ZipFile(wheel) as archive:
        (member,) = [n for n in archive.namelist() if n.endswith(member_suffix)]
        scratch.mkdir(parents=True, exist_ok=True)
        target = scratch / Path(member).name
        target.write_bytes(archive.read(member))
    return dags_of(target)


def check_build_line(
    line: str, *, project: Path, env: Mapping[str, str], python: Path, bundle: str, dag: str
) -> None:
    """Run one printed build line in ``project`` and check what it made: a wheel holding the
    bundle with its DAG, or (pip install) the bundle installed into ``python``'s venv."""
    clear_dist(project)
    ran, _ = run_ok(line, cwd=project, env=env)
    if line.endswith("python -m pip install ."):
        installed = list(
            (python.parent.parent / "share" / "airflow" / "executable-bundles").glob(f"*/{bundle}")
        )
        assert len(installed) == 1, (installed, ran.output)
        assert dags_of(installed[0])[dag] == ["extract", "load"]
        return
    wheel = only_file(project / "dist", "*.whl")
    assert bundle_dags(wheel, f"/{bundle}", project / "dist" / "check") == {
        dag: ["extract", "load"]
    }, ran.output
    shutil.rmtree(project / "dist" / "check")


def only_file(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}: {found}"
    return found[0]


def copy_checkout(dest: Path) -> Path:
    """This checkout's working tree as a git repository at ``dest`` (a user's clone)."""
    from .precommit_support import snapshot_worktree

    folder, _commit = snapshot_worktree(dest)
    shutil.rmtree(folder / ".venv", ignore_errors=True)
    return folder
