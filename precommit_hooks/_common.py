"""What every hook shares: the one-line finding format and the error boundary.

pre-commit and prek show a failing hook's output verbatim, so each finding is one line a
user can act on: ``path: problem (fix: ...)``. A hook never lets a traceback reach the user:
library errors are printed in that same form and turn into exit code 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Callable, Optional, TextIO

from hatch_airflow_go.errors import AirflowGoError, PathLike

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_INTERRUPTED = 130


def format_finding(path: Optional[PathLike], problem: str, fix: Optional[str] = None) -> str:
    """The one-line form of a finding: ``path: problem (fix: ...)``."""
    text = problem if path is None else f"{os.fspath(path)}: {problem}"
    if fix:
        text += f" (fix: {fix})"
    return text


def print_finding(
    path: Optional[PathLike],
    problem: str,
    fix: Optional[str] = None,
    *,
    stream: Optional[TextIO] = None,
) -> None:
    """Print one finding line (to stdout, which pre-commit shows for a failing hook)."""
    print(format_finding(path, problem, fix), file=stream or sys.stdout)


def print_error(error: AirflowGoError, *, stream: Optional[TextIO] = None) -> None:
    """Print a library error: its one-line summary, then any tool output indented below."""
    out = stream or sys.stdout
    print(error.summary(), file=out)
    if error.detail:
        for line in error.detail.rstrip().splitlines():
            print(f"    {line}", file=out)


def guarded(body: Callable[[], int]) -> int:
    """Run a hook's body, turning library errors into findings and Ctrl-C into 130."""
    try:
        return body()
    except AirflowGoError as error:
        print_error(error)
        return EXIT_FINDINGS
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def argv_list(argv: Optional[Sequence[str]]) -> list[str]:
    """The arguments to parse: ``argv`` when given (tests), else the process's own."""
    return list(sys.argv[1:] if argv is None else argv)
