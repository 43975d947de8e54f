"""Child processes that take their descendants with them: start, watch and kill as a group.

A child started with :func:`new_session` leads a process group of its own (POSIX: a new
session, so its pid is the group id; Windows: a new process group). :func:`kill_group` then
reaches everything the child started as well.

The group id is the leader's pid, so it is only safe to signal while that pid cannot have been
handed to another process, that is until the leader is reaped. The helpers here therefore
look at a child's exit without reaping it (:func:`exit_status`, :func:`has_exited`,
:func:`wait_exited`), the group is killed, and only then does the caller reap the child
(``proc.wait()``). Where the operating system cannot report an exit without reaping (no
``os.waitid``), they fall back to ``Popen.poll()``, and :func:`kill_group` then leaves the
group alone rather than signal an id that may belong to someone else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import Any, Optional, TypedDict

# The same back-off Popen.wait() uses: quick to notice a short-lived child, cheap for a long one.
_FIRST_DELAY = 0.0005
_MAX_DELAY = 0.05


class SessionOptions(TypedDict):
    """Keyword arguments for ``subprocess.Popen`` that make the child lead its own group."""

    start_new_session: bool
    creationflags: int


def new_session() -> SessionOptions:
    """Popen options that start the child in a new session (POSIX) or process group (Windows)."""
    if sys.platform == "win32":
        return {
            "start_new_session": False,
            "creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0),
        }
    return {"start_new_session": True, "creationflags": 0}


def exit_status(proc: subprocess.Popen[Any]) -> Optional[int]:
    """The child's exit code (negative signal number if killed), or None while it runs.

    The child is not reaped where ``os.waitid`` exists: an exited child stays a zombie, which
    keeps its pid, and so its process group id, from being reused until ``proc.wait()``.
    """
    if proc.returncode is not None:
        return proc.returncode
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return proc.poll()
    try:
        state = waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        # Reaped elsewhere already (Popen records the code when it did the reaping).
        return proc.poll()
    if state is None:
        return None
    if state.si_code == os.CLD_EXITED:
        return int(state.si_status)
    # CLD_KILLED / CLD_DUMPED: report it the way Popen.returncode does.
    return -int(state.si_status)


def has_exited(proc: subprocess.Popen[Any]) -> bool:
    """Whether the child has exited, without reaping it where the OS allows that."""
    return exit_status(proc) is not None


def wait_exited(proc: subprocess.Popen[Any], timeout: Optional[float]) -> Optional[int]:
    """Wait up to ``timeout`` seconds (None: no limit) for the child to exit, without reaping.

    Returns its exit code, or None when it was still running at the deadline.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    delay = _FIRST_DELAY
    while True:
        code = exit_status(proc)
        if code is not None:
            return code
        if deadline is None:
            time.sleep(delay)
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            time.sleep(min(delay, remaining))
        delay = min(delay * 2, _MAX_DELAY)


def kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the child and every process in its group; does not reap the child.

    Call it before ``proc.wait()``/``proc.poll()`` has reaped the child: after that the group
    id may name an unrelated process group, so nothing is sent. On Windows only the child
    itself is killed.
    """
    if proc.returncode is not None:
        return
    if sys.platform == "win32":
        # Popen.kill() ignores a child that has exited meanwhile.
        proc.kill()
        return
    # The group is gone already, or (ESRCH/EPERM races with exit) there is nothing to kill.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
