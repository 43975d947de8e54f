"""Where the library reports progress and the commands it runs.

The CLI prints to stderr; the hatch hook routes messages through hatch's ``app`` object by
installing its own sink. Every subprocess is echoed as ``$ ENV=... cmd args`` at verbose
level so that a failing command can be replayed by copy and paste.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import Callable, Optional

Sink = Callable[[str, str], None]  # (level, message); level is "info", "warning" or "debug"


def _stderr_sink(level: str, message: str) -> None:
    if level == "debug" and not _state["verbose"]:
        return
    prefix = "warning: " if level == "warning" else ""
    print(f"{prefix}{message}", file=sys.stderr)


_state: dict[str, object] = {"verbose": False}
_sink: list[Sink] = [_stderr_sink]


def set_verbose(verbose: bool) -> None:
    _state["verbose"] = verbose


def is_verbose() -> bool:
    return bool(_state["verbose"])


def set_sink(sink: Optional[Sink]) -> None:
    """Route messages to ``sink`` (``None`` restores stderr)."""
    _sink[0] = sink if sink is not None else _stderr_sink


def info(message: str) -> None:
    _sink[0]("info", message)


def warning(message: str) -> None:
    _sink[0]("warning", message)


def debug(message: str) -> None:
    _sink[0]("debug", message)


def format_command(
    argv: Sequence[str], env_changes: Optional[Mapping[str, str]] = None, cwd: Optional[str] = None
) -> str:
    """A copy-pasteable rendering: ``$ (cd DIR &&) KEY=val cmd args``."""
    parts = [f"{key}={shlex.quote(value)}" for key, value in sorted((env_changes or {}).items())]
    parts.extend(shlex.quote(arg) for arg in argv)
    text = " ".join(parts)
    if cwd:
        text = f"(cd {shlex.quote(cwd)} && {text})"
    return f"$ {text}"
