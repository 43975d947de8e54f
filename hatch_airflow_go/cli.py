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


def command_module_names() -> list[str]:
    """The subcommand modules, found without importing them."""
    return sorted(
        info.name
        for info in pkgutil.iter_modules(commands.__path__)
        if not info.name.startswith("_")
    )


def _command_modules(only: Optional[str] = None) -> list[ModuleType]:
    """Import the subcommand modules: just ``only`` when given, so that a command does not
    pay for the imports of all the others (the CLI's start-up is on every hook's path)."""
    names = command_module_names()
    if only is not None and only in names:
        names = [only]
    found = [importlib.import_module(f"{commands.__name__}.{name}") for name in names]
    return sorted(found, key=lambda module: (getattr(module, "ORDER", 100), module.NAME))


def _requested_module(argv: Sequence[str]) -> Optional[str]:
    """The module of the subcommand named on the command line, if any (a module ``x_y``
    implements the command ``x-y``)."""
    for arg in argv:
        if arg == "--":
            return None
        if not arg.startswith("-"):
            return arg.replace("-", "_")
    return None


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Pack, inspect, verify, scan and smoke-test Airflow Go executable bundles.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="echo every go command as it runs"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules(only):
        sub = subparsers.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def _parse(
    parser: argparse.ArgumentParser, argv: list[str], *, passthrough: bool
) -> argparse.Namespace:
    """Parse; a command with ``PASSTHROUGH = True`` gets everything after ``--`` verbatim
    (other commands see ``--`` as argparse does: the end of options)."""
    if passthrough and "--" in argv:
        cut = argv.index("--")
        args = parser.parse_args(argv[:cut])
        args.passthrough = argv[cut + 1 :]
        return args
    args = parser.parse_args(argv)
    args.passthrough = []
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    requested = _requested_module(arguments)
    parser = build_parser(only=requested)
    takes_passthrough = requested in command_module_names() and getattr(
        importlib.import_module(f"{commands.__name__}.{requested}"), "PASSTHROUGH", False
    )
    args = _parse(parser, arguments, passthrough=takes_passthrough)
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
