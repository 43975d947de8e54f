"""Stop cleanly on SIGTERM, SIGHUP and SIGINT: no process and no temporary file stays.

Python's default for SIGTERM and SIGHUP is to die on the spot, so ``finally`` blocks never
run: a bundle under introspection keeps running (it leads a session of its own) and the
scratch folder stays. Inside :func:`stop_cleanly` the three signals instead

1. stop new children from starting (``process.new_session`` raises),
2. SIGKILL the process group of every child (a ``go build``, a bundle being introspected or
   smoke-tested) and every process carrying a run mark of ours (bundles' escapers), and
3. raise :class:`Terminated` (a KeyboardInterrupt) in the main thread, so that every
   ``finally`` on the way out runs: temporary folders are removed, half-written files are
   thrown away, outputs stay as they were.

When the block is left by that exception, what is still around is removed as well (children
started in the meantime, tracked temporary paths whose cleanup the signal interrupted), and
the exception goes on to the caller: the CLI exits with 128 + the signal number. A further
signal during that cleanup is ignored, so the cleanup finishes, and no child starts any more
(a caller that means to go on after catching :class:`Terminated` calls
:func:`allow_starting`). A signal that was ignored on entry (``nohup`` ignores SIGHUP)
stays ignored.

:func:`exit_cleanly` is the form for code that cannot unwind (the build hook between its
``initialize`` and ``finalize``, while hatchling writes the wheel): the signal cleans up
in the handler and then ends the process as it would have without us.

This module is cheap to import (the CLI imports it for every command); what kills and
removes is imported when a signal comes.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from types import FrameType
from typing import Any, Callable, Optional, Union

_Handler = Union[Callable[[int, Optional[FrameType]], Any], int, signal.Handlers, None]

STOP_SIGNALS: tuple[int, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)

# The handlers in place before any of ours (what resend() ends with), and those exit_cleanly()
# replaced (what restore() puts back).
_original: dict[int, _Handler] = {}
_exit_replaced: dict[int, _Handler] = {}
# The signal that is stopping this program, once one is.
_stopping: list[int] = []
# How deep the main thread is in deferred() sections, and the stop they hold back.
_deferring: list[int] = [0]
_held: list[Callable[[int, Optional[FrameType]], None]] = []


class Terminated(KeyboardInterrupt):
    """The program was asked to stop by a signal (SIGTERM, SIGHUP, SIGINT).

    A KeyboardInterrupt, so that ``except Exception`` never swallows it and code that
    cleans up after Ctrl-C cleans up after it too.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_status(self) -> int:
        """What a shell reports for a program the signal ended: 128 + its number."""
        return 128 + self.signum


def stop_starting(signum: int) -> None:
    """From now on ``process.new_session`` raises :class:`Terminated`: we are stopping."""
    _stopping[:] = [signum]


def allow_starting() -> None:
    """Undo :func:`stop_starting` (a new run in the same process)."""
    _stopping.clear()
    _held.clear()


def stopping() -> Optional[int]:
    """The signal the program is stopping for, or None."""
    return _stopping[0] if _stopping else None


def kill_processes() -> None:
    """Kill every child of ours (with its group) and every process carrying our run mark."""
    from hatch_airflow_go import process

    process.kill_children()
    process.kill_marked()


def clean_up() -> None:
    """:func:`kill_processes`, then remove every tracked temporary path."""
    from hatch_airflow_go import tempfiles

    kill_processes()
    tempfiles.remove_tracked()


def _on_signal_raise(signum: int, frame: Optional[FrameType]) -> None:
    if _stopping:
        return  # already stopping: let the cleanup that is under way finish
    stop_starting(signum)
    kill_processes()
    if _deferring[0]:
        _held.append(_raise)
        return
    _raise(signum, frame)


def _raise(signum: int, frame: Optional[FrameType]) -> None:
    raise Terminated(signum)


def _on_signal_exit(signum: int, frame: Optional[FrameType]) -> None:
    if _stopping:
        return
    stop_starting(signum)
    if _deferring[0]:
        _held.append(_exit)
        return
    _exit(signum, frame)


def _exit(signum: int, frame: Optional[FrameType]) -> None:
    clean_up()
    resend(signum)


_OURS: tuple[_Handler, ...] = (_on_signal_raise, _on_signal_exit)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold a stop back until the end of the block: for steps that must not be cut in two,
    such as creating a temporary folder and registering it for removal. Only the main
    thread's sections count (the handlers run there); children are still killed at once."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _deferring[0] += 1
    try:
        yield
    finally:
        _deferring[0] -= 1
        if not _deferring[0] and _held and _stopping:
            action = _held.pop()
            _held.clear()
            action(_stopping[0], None)


def _install(handler: Callable[[int, Optional[FrameType]], None]) -> Optional[dict[int, _Handler]]:
    """Install ``handler`` for the stop signals not ignored; returns the handlers it replaced,
    None outside the main thread (only that one can handle signals in Python)."""
    replaced: dict[int, _Handler] = {}
    try:
        for signum in STOP_SIGNALS:
            current = signal.getsignal(signum)
            if current == signal.SIG_IGN:
                continue
            if current not in _OURS:
                _original.setdefault(signum, current)
            replaced[signum] = current
            signal.signal(signum, handler)
    except ValueError:
        _put_back(replaced)
        return None
    return replaced


def _put_back(handlers: dict[int, _Handler]) -> None:
    with _blocked():
        for signum, handler in handlers.items():
            with contextlib.suppress(ValueError):  # not the main thread
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def _blocked() -> contextlib.AbstractContextManager[Any]:
    """Hold the stop signals back while handlers change (delivered right after)."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def block() -> Iterator[None]:
        old = mask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            yield
        finally:
            mask(signal.SIG_SETMASK, old)

    return block()


def restore() -> None:
    """Put back the handlers :func:`exit_cleanly` replaced."""
    _put_back(_exit_replaced)
    _exit_replaced.clear()


def resend(signum: int) -> None:
    """End the way ``signum`` would have ended the program without our handlers: put back
    the handler that was there before ours and deliver the signal again (a Python handler,
    such as the default SIGINT one that raises KeyboardInterrupt, is called instead)."""
    previous = _original.get(signum, signal.SIG_DFL)
    _put_back({signum: previous})
    if callable(previous):
        previous(signum, None)
        return
    if previous == signal.SIG_IGN:
        return
    os.kill(os.getpid(), signum)


@contextlib.contextmanager
def stop_cleanly() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP/SIGINT raise :class:`Terminated` after killing our
    children (see the module's text). Outside the main thread it does nothing, since only
    that thread can receive signals in Python."""
    allow_starting()
    replaced = _install(_on_signal_raise)
    if replaced is None:
        yield
        return
    try:
        yield
    except Terminated:
        clean_up()
        raise
    except KeyboardInterrupt:
        # Raised by other code (or a SIGINT just before our handler was in place).
        stop_starting(signal.SIGINT)
        clean_up()
        raise
    finally:
        _put_back(replaced)


def exit_cleanly() -> None:
    """Until :func:`restore`, SIGTERM/SIGHUP/SIGINT clean up (children, marked processes,
    tracked temporary paths) and then end the process as the signal would have."""
    allow_starting()
    replaced = _install(_on_signal_exit)
    if replaced is not None:
        for signum, handler in replaced.items():
            _exit_replaced.setdefault(signum, handler)
