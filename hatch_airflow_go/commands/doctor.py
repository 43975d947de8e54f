"""``hatch-airflow-go doctor``: what a build of this project would do, before it runs.

A build hook table hatchling never reads (``[tool.hatch.build.target.wheel.hooks.airflow_go]``,
``targets.whl``, ``hooks.airflow-go``) does not fail a build: hatchling ignores it and makes a
pure-Python wheel without bundles, exit status 0. ``doctor`` reads pyproject.toml and reports
such tables with the name they need, checks that the build requirements name this package,
that the settings are valid, and which Go would build the bundles. Exit 1 on any finding.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hatch_airflow_go.build.config import WHEEL_TABLE, load_settings, read_pyproject
from hatch_airflow_go.build.tablecheck import read_tables, unread_tables
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.golang.toolchain import find_go, provenance

NAME = "doctor"
HELP = "check a project's pyproject.toml: hook tables hatchling never reads, settings, Go"
ORDER = 80


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pyproject",
        nargs="?",
        type=Path,
        default=Path("pyproject.toml"),
        help="the project's pyproject.toml (default: ./pyproject.toml)",
    )


def _requires_us(data: Mapping[str, Any]) -> bool:
    system = data.get("build-system")
    requires = system.get("requires") if isinstance(system, Mapping) else None
    if not isinstance(requires, list):
        return False
    names = (re.split(r"[\s\[<>=!~;@(]", str(item).strip(), maxsplit=1)[0] for item in requires)
    return any(re.sub(r"[-_.]+", "-", name).lower() == "hatch-airflow-go" for name in names)


def run(args: argparse.Namespace) -> int:
    pyproject: Path = args.pyproject
    data = read_pyproject(pyproject)
    findings = [f"{pyproject}: {table.line()}" for table in unread_tables(data)]
    if not _requires_us(data):
        findings.append(
            f"{pyproject}: [build-system] requires does not name hatch-airflow-go, so an "
            'isolated build cannot load the hook (fix: add it: requires = ["hatchling", '
            '"hatch-airflow-go"])'
        )
    present = read_tables(data)
    if not present:
        findings.append(
            f"{pyproject}: no [{WHEEL_TABLE}] table: a wheel build makes no bundles (fix: add "
            f'it with [[{WHEEL_TABLE}.bundles]] package = "./cmd/NAME")'
        )
    else:
        try:
            settings = load_settings(pyproject)
        except AirflowGoError as error:
            findings.append(error.summary())
        else:
            packages = ", ".join(bundle.package for bundle in settings.bundles) or "(none)"
            print(f"{pyproject}: [{', '.join(present)}] read by hatchling; bundles: {packages}")
            if not settings.skip:
                try:
                    go = find_go(
                        explicit=settings.go,
                        module_dir=settings.module_dir,
                        origin=settings.go_origin,
                    )
                except AirflowGoError as error:
                    findings.append(error.summary())
                else:
                    print(f"{pyproject}: Go: {provenance(go)}")
    for line in findings:
        print(line)
    if findings:
        return 1
    print(f"{pyproject}: ok")
    return 0
