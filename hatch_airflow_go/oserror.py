"""One line for an OSError that escaped a command: which argument, which path, what to do.

The kernel names the path it refused (``error.filename``), not the option it came from, and a
100 KB ``--source`` makes a 100 KB message. This finds the command-line argument the path came
from (``--source``, ``-o``, or a positional), shows an overlong path by its two ends and its
length, and for the "too long" errors (ENAMETOOLONG) says which limit the path breaks.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from typing import Optional

from hatch_airflow_go.errors import shorten

# POSIX's usual limits, for systems where pathconf cannot tell.
_NAME_MAX, _PATH_MAX = 255, 4096


def argument_of(filename: str, arguments: Sequence[str]) -> Optional[str]:
    """The option (``--source``, ``-o``) whose value ``filename`` is, or lies under.

    ``argument`` for a positional; None when no argument names the path (a file the command
    found itself). Words after ``--`` (go build flags) are not ours.
    """
    previous: Optional[str] = None
    for word in arguments:
        if word == "--":
            break
        option: Optional[str] = None
        value = word
        if word.startswith("--") and "=" in word:
            option, value = word.split("=", 1)
        elif previous is not None and previous.startswith("-") and not word.startswith("-"):
            option = previous
        if value and not value.startswith("-") and _names(filename, value):
            return option or "argument"
        previous = word
    return None


def _names(filename: str, value: str) -> bool:
    if filename == value:
        return True
    try:
        absolute = os.path.abspath(value)
    except (OSError, ValueError):
        return False
    return filename == absolute or filename.startswith(absolute.rstrip(os.sep) + os.sep)


def _limits(path: str) -> tuple[int, int]:
    """NAME_MAX and PATH_MAX of the file system the path's nearest existing folder is on."""
    folder = os.path.dirname(os.path.abspath(path)) if len(path) < _PATH_MAX else os.sep
    while folder and not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    try:
        return os.pathconf(folder or os.sep, "PC_NAME_MAX"), os.pathconf(
            folder or os.sep, "PC_PATH_MAX"
        )
    except (OSError, ValueError, AttributeError):  # no pathconf (Windows) or no answer
        return _NAME_MAX, _PATH_MAX


def describe(error: OSError, arguments: Sequence[str]) -> tuple[str, str]:
    """The problem and the fix for ``error``, as the CLI prints them."""
    text = error.strerror or str(error)
    if error.filename is None:
        return text, "check the path, its permissions and the disk it is on"
    filename = os.fsdecode(error.filename)
    option = argument_of(filename, arguments)
    where = f"{option} " if option and option != "argument" else ""
    problem = f"{where}{shorten(filename)}: {text}"
    if error.errno != errno.ENAMETOOLONG:
        return problem, "check the path, its permissions and the disk it is on"
    name_max, path_max = _limits(filename)
    longest = max((len(os.fsencode(part)) for part in filename.split(os.sep)), default=0)
    total = len(os.fsencode(filename))
    if longest > name_max:
        broken = f"one of its parts has {longest:,} bytes; the limit is {name_max}"
    else:
        broken = f"it has {total:,} bytes; the limit is {path_max:,}"
    target = option if option and option != "argument" else "the path"
    return f"{problem} ({broken})", f"shorten {target}"
