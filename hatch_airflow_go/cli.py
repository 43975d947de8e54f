"""The ``hatch-airflow-go`` command line: discovers the subcommands and runs one.

Exit codes: 0 success, 1 findings or a failure the user must act on, 2 usage errors
(argparse's own convention). An :class:`AirflowGoError` becomes one message on stderr,
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Optional

from hatch_airflow_go import __version__, commands, log
from hatch_airflow_go.errors import AirflowGoError

PROG = "hatch-airflow-go"


def _command_modules() -> list[ModuleType]:
    found = [
        importlib.import_module(f"{commands.__name__}.{info.name}")
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    ]
    return sorted(found, key=lambda module: (getattr(module, "ORDER", 100), module.NAME))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Pack, inspect, verify, scan and smoke-test Airflow Go executable bundles.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="echo every go command as it runs"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules():
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run, passthrough_allowed=getattr(module, "PASSTHROUGH", False))
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse, giving commands with ``PASSTHROUGH = True`` everything after ``--`` verbatim."""
    if "--" in argv:
        cut = argv.index("--")
        args = parser.parse_args(argv[:cut])
        if getattr(args, "passthrough_allowed", False):
            args.passthrough = argv[cut + 1 :]
            return args
    args = parser.parse_args(argv)
    args.passthrough = []
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    if args.verbose:
        log.set_verbose(True)
    try:
        result: int = args.run(args)
    except AirflowGoError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
