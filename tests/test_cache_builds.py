"""The bundle cache in real builds that unpack the sdist in a new folder each time.

``python -m build`` (no target flag) and ``uv build`` build the sdist, unpack it into a fresh
temporary folder and build the wheel there: with location-independent keys, the second such
build of an unchanged project is served from the cache, and stores nothing new.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hatch_airflow_go.build import cache

from .plugin_support import VENV_BIN, build, build_env, copy_project, run

pytestmark = pytest.mark.slow

CACHED = "[airflow_go] hello (linux/amd64)"


def ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def bundle_line(output: str) -> str:
    (line,) = [line for line in output.splitlines() if CACHED in line]
    return line


def test_python_m_build_twice_from_the_sdist_hits_the_cache(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(root)})
    project = copy_project("single", tmp_path / "single")
    first = ok(build(project, kind="both", outdir=tmp_path / "one", env=env))
    assert "built in" in bundle_line(first)
    second = ok(build(project, kind="both", outdir=tmp_path / "two", env=env))
    assert bundle_line(second).endswith(", cached")
    (entry,) = cache.list_entries(root)
    assert (entry.project, entry.bundle, entry.target) == ("single-bundle", "hello", "linux/amd64")


def test_uv_build_twice_from_the_sdist_hits_the_cache(tmp_path: Path) -> None:
    uv = VENV_BIN / "uv"
    assert uv.exists(), "uv is a test dependency (pyproject.toml's test extra): run dev/bootstrap"
    root = tmp_path / "cache"
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(root)})
    project = copy_project("single", tmp_path / "single")
    # Without isolation, from this environment (where this checkout's hook is installed).
    argv = [str(uv), "build", "--no-build-isolation", "--offline", "--python", sys.executable]
    first = ok(run([*argv, "-o", str(tmp_path / "one"), "."], cwd=project, env=env))
    assert "built in" in bundle_line(first)
    second = ok(run([*argv, "-o", str(tmp_path / "two"), "."], cwd=project, env=env))
    assert bundle_line(second).endswith(", cached")
    assert len(cache.list_entries(root)) == 1
