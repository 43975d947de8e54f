"""``hatch-airflow-go build-wheels``: one correctly tagged wheel per Go target, in one run.

Each ``--target`` (GOOS/GOARCH) gets its own wheel, built by hatchling in this process with
the hook forced to that target (see :mod:`hatch_airflow_go.wheelbuild` for why in-process,
and what is checked first). Wheels go to ``--out`` (default ``PROJECT_DIR/dist``, like
hatch), each renamed into place only once complete. Standard output gets one line per
wheel as it is finished, ``PATH  TAG  BUNDLES``, or with ``--json`` one JSON list at the end
(one object per target, in the order given); hatchling's and the hook's progress goes to
stderr, each line prefixed with its target.

Exit status: 0 when every wheel was built; 1 when a target failed (the run stops there,
as cibuildwheel does, unless ``--keep-going``; finished wheels stay); 2 for a bad
``--target`` (unknown, malformed, given twice, or one ``cgo = true`` cannot cross-build):
nothing is built then.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hatch_airflow_go import log
from hatch_airflow_go.commands.inspect_wheel import describe_wheel
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.wheelbuild import TargetResult, build_wheels, parse_targets

NAME = "build-wheels"
HELP = "build one wheel per --target GOOS/GOARCH from one machine"
ORDER = 27


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "project",
        nargs="?",
        type=Path,
        default=Path("."),
        metavar="PROJECT_DIR",
        help="the project to build (default: the current directory)",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        dest="targets",
        metavar="GOOS/GOARCH",
        help="a platform to build a wheel for; repeat for each (e.g. --target linux/arm64)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the wheels go (default: PROJECT_DIR/dist)",
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="build the remaining targets after one fails (the run still exits 1)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON list, one object per target"
    )


def describe(wheel: Path) -> tuple[str, list[dict[str, Any]]]:
    """The wheel's compressed tag (from its name) and its bundles, read back and verified."""
    tag = "-".join(wheel.name[: -len(".whl")].split("-")[-3:])
    bundles = [
        {
            "name": bundle["member"].rsplit("/", 1)[-1],
            "member": bundle["member"],
            "binary_sha256": bundle["binary_sha256"],
            "dags": bundle["dags"],
            "ok": bundle["ok"],
            "problems": bundle["problems"],
        }
        for bundle in describe_wheel(wheel)["bundles"]
    ]
    return tag, bundles


def run(args: argparse.Namespace) -> int:
    targets = parse_targets(args.targets)
    out_dir = args.out if args.out is not None else args.project / "dist"

    def report(result: TargetResult) -> None:
        if result.status == "built" and not args.json:
            print(result.line(), flush=True)

    results = build_wheels(
        args.project,
        targets,
        out_dir,
        describe=describe,
        keep_going=args.keep_going,
        verbosity=1 if log.is_verbose() else 0,
        on_result=report,
    )
    if args.json:
        print(json.dumps([result.to_json() for result in results], indent=2))
    failed = [result for result in results if result.status == "failed"]
    if not failed:
        return 0
    for result in failed:
        error = AirflowGoError(
            f"target {result.target}: the wheel was not built: {result.first_error_line()}",
            fix=f"fix what the [{result.target}] lines above say, and run build-wheels again",
        )
        print(f"hatch-airflow-go: error: {error}", file=sys.stderr)
    skipped = [result.target for result in results if result.status == "not built"]
    if skipped:
        print(
            f"hatch-airflow-go: not built: {', '.join(skipped)} (the run stops at the first "
            "failing target; --keep-going builds the rest)",
            file=sys.stderr,
        )
    return 1
