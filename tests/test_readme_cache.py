"""The README's "The bundle cache" commands, run exactly as printed, on a real cache."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hatch_airflow_go.build import cache
from hatch_airflow_go.build.pipeline import pack_bundle
from tests.conftest import REPO
from tests.test_pipeline import spec_for, write_module

START, END = "<!-- cache:start -->", "<!-- cache:end -->"


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index(START) + len(START) : text.index(END)]
    return [line for line in block.splitlines() if line and not line.startswith("```")]


def test_cache_commands_as_printed(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    module = write_module(tmp_path / "mod")
    for project, name in (("single-bundle", "hello"), ("other", "etl")):
        pack_bundle(
            spec_for(module, tmp_path / project, name=name, project=project), cache_dir=root
        )
    env = {
        **os.environ,
        "AIRFLOW_GO_CACHE_DIR": str(root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }

    def run(command: str) -> str:
        result = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    info, listing, prune, clear_one, clear_all = readme_commands()
    shown = run(info)
    assert f"folder:  {root}" in shown
    assert "entries: 2" in shown
    assert "limit:   2.0 GiB" in shown
    listed = run(listing)
    assert "single-bundle  hello  " in listed
    assert "other  etl  " in listed
    assert "removed 0 entries" in run(prune)  # two small bundles fit in 500 MB
    assert "removed 1 entry" in run(clear_one)
    assert [entry.project for entry in cache.list_entries(root)] == ["other"]
    assert "removed 1 entry" in run(clear_all)
    assert cache.list_entries(root) == []
