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

A group does not hold a descendant that starts a session of its own (``setsid``), nor one
that a daemonising double fork hands to init. Bundles are therefore started with a mark in
their environment (:func:`mark`), which every descendant inherits: after the run,
:func:`kill_marked` kills every process that carries the run's mark, wherever it has gone,
and the descendants of those (by parent pid, for a child that clears its environment while
its parent lives). The mark names the run's owner (pid, start time), so the same pass also
kills what a run killed with SIGKILL left running. Only a process that both clears its
environment and leaves its parent escapes; catching that one would take a cgroup.

When the program is stopped by a signal (:mod:`hatch_airflow_go.signals`),
:func:`new_session`, which every child start goes through, raises ``Terminated``, so that
no new child starts while the run shuts down, and :func:`kill_children` ends the groups of
the children already running.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, MutableMapping
from typing import Any, Optional, TypedDict

from hatch_airflow_go import signals, tempfiles

# The same back-off Popen.wait() uses: quick to notice a short-lived child, cheap for a long one.
_FIRST_DELAY = 0.0005
_MAX_DELAY = 0.05

MARK_VARIABLE = "HATCH_AIRFLOW_GO_RUN"
_MARK_VALUE = re.compile(rb"(?:^|\0)" + MARK_VARIABLE.encode() + rb"=([^\0]*)")
_MARK_OWNER = re.compile(r"(\d+)-(\d+)-(\d+)-\d+")
_run_numbers = itertools.count(1)
_STALE_ONLY = ""  # a token no run has: kill_marked() then kills only what dead runs left


class SessionOptions(TypedDict):
    """Keyword arguments for ``subprocess.Popen`` that make the child lead its own group."""

    start_new_session: bool
    creationflags: int


def new_session() -> SessionOptions:
    """Popen options that start the child in a new session (POSIX) or process group (Windows).

    Raises :class:`Terminated` once the program is stopping: no child starts then.
    """
    stopping = signals.stopping()
    if stopping is not None:
        raise signals.Terminated(stopping)
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


def mark(env: MutableMapping[str, str]) -> str:
    """Put a fresh run mark (``<owner tag>-<n>``) into ``env`` and return it."""
    token = f"{tempfiles.owner_tag()}-{next(_run_numbers)}"
    env[MARK_VARIABLE] = token
    return token


def _stat_fields(pid: str) -> Optional[list[bytes]]:
    """The fields of /proc/PID/stat after the command name: state, ppid, pgrp, ..."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return data[data.rfind(b")") + 2 :].split()


def _mark_of(pid: str) -> Optional[str]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            environ = handle.read()
    except OSError:
        return None
    found = _MARK_VALUE.search(environ)
    return found.group(1).decode("ascii", "replace") if found else None


def _stale(token: str) -> bool:
    """Whether the run that made ``token`` is gone (its owner process no longer exists)."""
    owner = _MARK_OWNER.fullmatch(token)
    if owner is None:
        return False
    pid, start, namespace = (int(group) for group in owner.groups())
    return tempfiles.owner_gone(pid, start, namespace, mtime=time.time())


def _ancestors() -> set[int]:
    """This process and its ancestors: never to be killed, whatever they carry."""
    found = {os.getpid()}
    pid = os.getppid()
    while pid > 1 and pid not in found:
        found.add(pid)
        fields = _stat_fields(str(pid))
        if fields is None or len(fields) < 2:
            break
        pid = int(fields[1])
    return found


def _marked_processes(wanted: Callable[[str], bool]) -> list[int]:
    """Live processes whose mark satisfies ``wanted(token)``, with their descendants.

    One read of each process's environment (a zombie's reads empty); the parent pids, for
    the descendants, are only read when something marked was found.
    """
    uid = os.geteuid()
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []
    chosen: set[int] = set()
    for name in pids:
        token = _mark_of(name)
        if token is None or not wanted(token):
            continue
        try:
            if os.stat(f"/proc/{name}").st_uid == uid:
                chosen.add(int(name))
        except OSError:
            continue
    if not chosen:
        return []
    parents: dict[int, int] = {}
    for name in pids:
        fields = _stat_fields(name)
        if fields is not None and len(fields) >= 2 and fields[0] != b"Z":
            parents[int(name)] = int(fields[1])
    chosen &= set(parents)  # zombies are dead already: only their parent can reap them
    # Descendants by parent pid: a child that cleared its environment under a marked parent.
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in chosen and pid not in chosen:
                chosen.add(pid)
                grew = True
    return sorted(chosen - _ancestors())


def kill_marked(token: Optional[str] = None, *, timeout: float = 5.0) -> list[int]:
    """SIGKILL every process carrying run mark ``token`` (every run of this program when None)
    and every process left by a run whose owner is gone; wait until they are dead.

    Returns the pids killed. Does nothing where there is no /proc (the group kill is all
    there is there).
    """
    if not os.path.isdir("/proc/self") or not hasattr(os, "geteuid"):
        return []
    prefix = f"{tempfiles.owner_tag()}-"

    def wanted(found: str) -> bool:
        if found.startswith(prefix):
            return token is None or found == token
        return _stale(found)

    killed: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        victims = _marked_processes(wanted)
        if not victims or time.monotonic() > deadline:
            return killed
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            if pid not in killed:
                killed.append(pid)
        # A killed process may have forked just before: look again until none is left.
        time.sleep(0.002)


def sweep_leftovers() -> None:
    """Remove what runs killed with SIGKILL left behind: their scratch folders in the system
    temporary folder and the bundles they still had running (marked by a run whose owner
    process is gone). Runs of this process, even concurrent ones, are left alone."""
    tempfiles.sweep_scratch()
    kill_marked(_STALE_ONLY)


def children() -> list[tuple[int, int, bool]]:
    """(pid, process group, exited) of every unreaped child of ours (Linux; [] elsewhere)."""
    me = os.getpid()
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        fields = _stat_fields(name)
        if fields is None or len(fields) < 3:
            continue
        if int(fields[1]) == me:
            found.append((int(name), int(fields[2]), fields[0] == b"Z"))
    return found


def kill_children(*, timeout: float = 2.0) -> list[int]:
    """SIGKILL every child of this process, with its whole group when it leads one of its
    own (every child started with :func:`new_session`); wait up to ``timeout`` seconds for
    them to die. The children stay unreaped: whoever started each still waits for it.

    A child is only signalled while it is a child of ours and not reaped, so its pid, and
    so its group id, cannot belong to anyone else yet.
    """
    own_group = os.getpgrp() if hasattr(os, "getpgrp") else None
    killed: list[int] = []
    deadline = time.monotonic() + timeout
    while True:
        found = children()
        for pid, group, _exited in found:
            # An exited, unreaped leader still holds its group id: what it left in the group
            # is reached through it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if group == pid and group != own_group:
                    os.killpg(group, signal.SIGKILL)
                else:
                    os.kill(pid, signal.SIGKILL)
            if pid not in killed:
                killed.append(pid)
        if all(exited for _pid, _group, exited in found) or time.monotonic() > deadline:
            return killed
        time.sleep(0.005)
