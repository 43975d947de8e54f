"""The ``hatch-airflow-go`` command line: discovers the subcommands and runs one.

Exit codes: 0 success, 1 findings or a failure the user must act on, 2 usage errors
(argparse's own convention), 141 when the reader of standard output went away (``| head``):
the status a shell reports for git or grep killed by SIGPIPE (128 + 13), with nothing
printed. SIGTERM, SIGHUP and SIGINT stop a command cleanly, with 128 + the signal's number
(:mod:`hatch_airflow_go.signals`). An :class:`AirflowGoError`, an OSError, running out of
memory and even a bug all become one message on stderr, never a traceback
(``HATCH_AIRFLOW_GO_TRACEBACK=1`` shows the traceback of a bug).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any, Optional, TextIO

from hatch_airflow_go import __version__, commands, log, signals
from hatch_airflow_go.errors import AirflowGoError

PROG = "hatch-airflow-go"
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what the shell reports for `git log | head -1`
STDOUT = "standard output"
_STDOUT_FIX = "run it with its output going somewhere it can be written (`> /dev/null` discards it)"


class _StdoutFailed(Exception):
    """Writing to standard output failed; carries the OSError (not itself an OSError, so a
    command's own ``except OSError`` about files never mistakes it for one)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedOutput:
    """Standard output (text, or its ``buffer``) whose write errors are told apart."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> Any:
        try:
            return self._stream.write(data)
        except OSError as error:
            raise _StdoutFailed(error) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            raise _StdoutFailed(error) from None

    @property
    def buffer(self) -> _GuardedOutput:
        return _GuardedOutput(self._stream.buffer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _escape_unencodable(stream: Optional[TextIO]) -> None:
    """Print what cannot be encoded (a lone surrogate from a manifest's ``\\uD800``) as an
    escape: in JSON output ``\\ud800`` is exactly the JSON escape of that character."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):  # a stream that cannot change
            reconfigure(errors="backslashreplace")


def _discard_stdout(stream: TextIO) -> None:
    """Point the standard output file descriptor at /dev/null, so that the interpreter's own
    flush at exit does not fail again with a second message (Python's documented advice)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture output)
        pass


def _error(problem: str, fix: str) -> None:
    print(f"{PROG}: error: {problem} (fix: {fix})", file=sys.stderr)


def _os_error(error: OSError) -> str:
    text = error.strerror or str(error)
    if error.filename is not None:
        return f"{os.fsdecode(error.filename)}: {text}"
    return text


def command_module_names() -> list[str]:
    """The subcommand modules, found without importing them: a listing of the package's
    folder (``pkgutil.iter_modules`` would import ``inspect``, 6 ms of every command's
    start-up)."""
    names: set[str] = set()
    for folder in commands.__path__:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            stem, _, suffix = entry.partition(".")
            if suffix == "py" and stem.isidentifier() and not stem.startswith("_"):
                names.add(stem)
    return sorted(names)


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


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``, found the same way without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        stream = sys.__stdout__
        try:
            columns = os.get_terminal_size(stream.fileno()).columns if stream else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns if columns > 0 else 80


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, given the terminal's width: left to find it, argparse imports
    shutil (2 ms of every command's start-up, as every ``add_argument`` makes a formatter)."""

    def __init__(self, prog: str, *args: Any, **kwargs: Any) -> None:
        if len(args) < 3 and kwargs.get("width") is None:
            kwargs["width"] = _terminal_columns() - 2  # what argparse makes of shutil's answer
        super().__init__(prog, *args, **kwargs)


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Pack, inspect, verify, scan and smoke-test Airflow Go executable bundles.",
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="echo every go command as it runs"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _command_modules(only):
        sub = subparsers.add_parser(
            module.NAME, help=module.HELP, description=module.HELP, formatter_class=_HelpFormatter
        )
        # -v after the subcommand too; SUPPRESS keeps a -v given before it from being undone.
        sub.add_argument(
            "-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
            help="echo every go command as it runs",
        )  # fmt: skip
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
    if sys.stdout is None:  # started with standard output closed (`>&-`)
        _error(f"{STDOUT} is closed", _STDOUT_FIX)
        return 1
    _escape_unencodable(sys.stdout)
    _escape_unencodable(sys.stderr)
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        requested = _requested_module(arguments)
        parser = build_parser(only=requested)
        takes_passthrough = requested in command_module_names() and getattr(
            importlib.import_module(f"{commands.__name__}.{requested}"), "PASSTHROUGH", False
        )
        args = _parse(parser, arguments, passthrough=takes_passthrough)
    except KeyboardInterrupt:  # Ctrl-C while the command's modules load: nothing ran yet
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    if args.verbose:
        log.set_verbose(True)
    stdout = sys.stdout
    sys.stdout = _GuardedOutput(stdout)
    try:
        # SIGTERM/SIGHUP/SIGINT unwind like Ctrl-C: children killed, temporary files removed.
        with signals.stop_cleanly():
            result: int = args.run(args)
            sys.stdout.flush()
    except _StdoutFailed as failed:
        _discard_stdout(stdout)
        if isinstance(failed.error, BrokenPipeError):
            return EXIT_BROKEN_PIPE  # the reader has all it wanted: end quietly
        _error(f"{STDOUT}: cannot write the output: {_os_error(failed.error)}", _STDOUT_FIX)
        return 1
    except AirflowGoError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    except signals.Terminated as stop:
        print(
            f"{PROG}: stopped by {stop.signal_name}: its processes were killed and its "
            "temporary files removed",
            file=sys.stderr,
        )
        return stop.exit_status  # 128 + the signal's number, as a shell reports it
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except OSError as error:
        from hatch_airflow_go import oserror  # only on this path: start-up stays lean

        _error(*oserror.describe(error, arguments))
        return 1
    except MemoryError:
        _error(
            "ran out of memory",
            "pass regular files of a sensible size (a bundle's manifest is a few kilobytes)",
        )
        return 1
    except Exception as error:  # a bug: still one message, and how to see where it is
        if os.environ.get("HATCH_AIRFLOW_GO_TRACEBACK") == "1":
            raise
        _error(
            f"internal error: {type(error).__name__}: {error}",
            "report this as a bug in hatch-airflow-go with the command line; "
            "HATCH_AIRFLOW_GO_TRACEBACK=1 shows the traceback",
        )
        return 1
    finally:
        sys.stdout = stdout
    return result


if __name__ == "__main__":
    sys.exit(main())
