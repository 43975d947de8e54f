"""A Go module with many bundles on the stand-in SDK, and a project building them all.

Used by the batching tests and by ``benchmarks/bench_scale.py``: bundle ``bNNN`` lives in
``cmd/bNNN`` with one DAG ``dag_bNNN`` of two tasks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from .plugin_support import STANDIN_SDK

_MAIN = """\
// Bundle {name}: one DAG on the stand-in SDK.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {{
	sdk.AddDAG("dag_{name}").AddTask("extract").AddTask("load")
	sdk.Main()
}}
"""


def bundle_names(count: int) -> list[str]:
    return [f"b{number:03d}" for number in range(1, count + 1)]


def write_go_module(root: Path, count: int, *, module: str = "example.com/scale") -> Path:
    """``root`` with go.mod and ``count`` main packages ``cmd/bNNN``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(
        f"module {module}\n\ngo 1.24\n\n"
        "require example.com/airflow-standin-sdk v0.0.0\n\n"
        f"replace example.com/airflow-standin-sdk => {STANDIN_SDK}\n",
        encoding="utf-8",
    )
    for name in bundle_names(count):
        folder = root / "cmd" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "main.go").write_text(_MAIN.format(name=name), encoding="utf-8")
    return root


def write_project(root: Path, count: int, *, hook_extra: Optional[str] = None) -> Path:
    """A hatch project at ``root`` (package ``scale_pkg``, Go module in ``go/``) whose hook
    builds the ``count`` bundles; ``hook_extra`` is TOML added to the hook's table."""
    write_go_module(root / "go", count)
    (root / "scale_pkg").mkdir(parents=True, exist_ok=True)
    (root / "scale_pkg" / "__init__.py").write_text("", encoding="utf-8")
    table = "tool.hatch.build.targets.wheel.hooks.airflow_go"
    bundles = "".join(
        f'\n[[{table}.bundles]]\npackage = "./cmd/{name}"\n' for name in bundle_names(count)
    )
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling", "hatch-airflow-go"]\n'
        'build-backend = "hatchling.build"\n\n'
        '[project]\nname = "scale"\nversion = "0.1.0"\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["scale_pkg"]\n\n'
        f'[{table}]\nmodule-dir = "go"\n{hook_extra or ""}\n{bundles}',
        encoding="utf-8",
    )
    return root


def write_plain_project(root: Path, files: dict[str, Path]) -> Path:
    """The same wheel without the hook: hatchling packs the pre-built ``files`` (wheel
    path -> file) as shared data, as the hook places its bundles."""
    (root / "scale_pkg").mkdir(parents=True, exist_ok=True)
    (root / "scale_pkg" / "__init__.py").write_text("", encoding="utf-8")
    shared = "".join(f'"{path}" = "{target}"\n' for target, path in files.items())
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "scale"\nversion = "0.1.0"\n\n'
        '[tool.hatch.build.targets.wheel]\npackages = ["scale_pkg"]\n\n'
        f"[tool.hatch.build.targets.wheel.shared-data]\n{shared}",
        encoding="utf-8",
    )
    return root
