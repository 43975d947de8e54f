"""Start a bundle the way Airflow's ``ExecutableCoordinator`` does, and clean up after it.

Two listeners on 127.0.0.1 (comm and logs), then ``BUNDLE --comm=127.0.0.1:P1
--logs=127.0.0.1:P2`` with the caller's environment plus ``AIRFLOW__LOGGING__LOGGING_LEVEL``
and ``AIRFLOW__LOGGING__NAMESPACE_LEVELS``, stdout and stderr captured. The bundle must dial
both within the startup timeout. Everything is bounded: the tail of stdout and stderr, the
number and length of log lines, and the time of every step. On the way out the bundle's whole
process group is killed, then every process carrying the run's mark (what the bundle started
outside its group, with setsid or a double fork; see :func:`process.kill_marked`), and every
socket closed, so nothing outlives the call.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Optional

from hatch_airflow_go import log
from hatch_airflow_go.process import exit_status, kill_group, kill_marked, mark, new_session

OUTPUT_TAIL = 64 * 1024
MAX_LOG_LINES = 10_000
MAX_LOG_LINE = 64 * 1024
MAX_LOG_BYTES = 16 * 1024 * 1024
# How often waiting loops look at the child, so a child that dies early is noticed at once.
POLL_INTERVAL = 0.05
DEFAULT_STARTUP_TIMEOUT = 10.0  # ExecutableCoordinator's task_startup_timeout


class LaunchFailure(Exception):
    """The bundle could not be started or never connected; ``outcome`` names which."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message


class Budget:
    """One overall deadline shared by every step."""

    def __init__(self, seconds: float) -> None:
        self.total = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


class _OutputTail(threading.Thread):
    """Drains one of the child's output streams, keeping only the last OUTPUT_TAIL bytes."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        super().__init__(name=f"bundle-{name}", daemon=True)
        self.stream = stream
        self.data = bytearray()

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else b""
                if not chunk:
                    return
                self.data += chunk
                if len(self.data) > OUTPUT_TAIL:
                    del self.data[: len(self.data) - OUTPUT_TAIL]
        except (OSError, ValueError):
            return

    def text(self) -> str:
        return bytes(self.data).decode("utf-8", "replace")


class _LogReader(threading.Thread):
    """Collects the newline-delimited JSON objects of the logs connection, bounded."""

    def __init__(self, conn: socket.socket) -> None:
        super().__init__(name="bundle-logs", daemon=True)
        self.conn = conn
        self.lines: list[dict[str, Any]] = []
        self.dropped = 0
        self.stop = threading.Event()

    def run(self) -> None:
        buffer = b""
        received = 0
        # A short timeout lets the thread notice ``stop`` without relying on close() waking a
        # blocked recv, which it does not do on every platform.
        self.conn.settimeout(0.1)
        while not self.stop.is_set():
            try:
                chunk = self.conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            received += len(chunk)
            if received > MAX_LOG_BYTES:
                # Past the limit the rest is read and thrown away, so a flood cannot block the
                # bundle on a full socket nor fill our memory.
                self.dropped += chunk.count(b"\n")
                continue
            buffer += chunk
            *complete, buffer = buffer.split(b"\n")
            for line in complete:
                self._add(line)
            if len(buffer) > MAX_LOG_LINE:
                self._add(buffer)
                buffer = b""
        if buffer.strip():
            self._add(buffer)

    def _add(self, raw: bytes) -> None:
        if not raw.strip():
            return
        if len(self.lines) >= MAX_LOG_LINES:
            self.dropped += 1
            return
        text = raw[:MAX_LOG_LINE].decode("utf-8", "replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            self.lines.append(parsed)
        else:
            # Kept, but marked, so a bundle writing plain text to the logs channel shows up.
            self.lines.append({"event": text.rstrip("\r"), "unparsed": True})


@dataclass
class Launched:
    """A running bundle and its two accepted connections."""

    path: Path
    argv: list[str]
    proc: subprocess.Popen[bytes]
    comm: socket.socket
    logs: socket.socket
    ports: tuple[int, int]
    _log_reader: _LogReader
    _stdout: _OutputTail
    _stderr: _OutputTail

    def exit_code(self) -> Optional[int]:
        """The exit status once the bundle has exited (it is left unreaped), else None."""
        return exit_status(self.proc)


@dataclass
class Leftovers:
    """What a finished bundle left to look at: its output tails and log lines."""

    stdout: str = ""
    stderr: str = ""
    log_lines: list[dict[str, Any]] = field(default_factory=list)
    dropped_log_lines: int = 0


def bundle_environment(base: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The environment ExecutableCoordinator gives a bundle: the caller's plus log levels."""
    env = dict(os.environ if base is None else base)
    env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO")
    env.setdefault("AIRFLOW__LOGGING__NAMESPACE_LEVELS", "")
    return env


@contextlib.contextmanager
def launch(
    bundle: Path,
    budget: Budget,
    leftovers: Leftovers,
    *,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    env: Optional[Mapping[str, str]] = None,
) -> Iterator[Launched]:
    """Start ``bundle`` and wait for it to dial both listeners.

    Raises :class:`LaunchFailure` (``launch-failed``, ``never-connected``). Whatever happens,
    on exit the process group is killed, the sockets closed, and ``leftovers`` filled in.
    """
    listeners: list[socket.socket] = []
    conns: list[socket.socket] = []
    proc: Optional[subprocess.Popen[bytes]] = None
    run_mark: Optional[str] = None
    tails: list[_OutputTail] = []
    log_reader: Optional[_LogReader] = None
    try:
        for _ in range(2):
            listeners.append(_listen())
        ports = (listeners[0].getsockname()[1], listeners[1].getsockname()[1])
        # Absolute, so a bare name ("mybundle") means the file here, not a program on PATH.
        argv = [
            str(bundle.absolute()),
            f"--comm=127.0.0.1:{ports[0]}",
            f"--logs=127.0.0.1:{ports[1]}",
        ]
        log.debug(log.format_command(argv))
        run_env = bundle_environment(env)
        run_mark = mark(run_env)
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=run_env,
                **new_session(),
            )
        except OSError as error:
            raise LaunchFailure("launch-failed", f"cannot start the bundle: {error}") from None
        assert proc.stdout is not None
        assert proc.stderr is not None
        tails = [_OutputTail(proc.stdout, "stdout"), _OutputTail(proc.stderr, "stderr")]
        for tail in tails:
            tail.start()
        connect = Budget(min(startup_timeout, budget.left()))
        comm, logs_conn = _accept_both(proc, listeners[0], listeners[1], connect, startup_timeout)
        conns.extend((comm, logs_conn))
        log_reader = _LogReader(logs_conn)
        log_reader.start()
        yield Launched(bundle, argv, proc, comm, logs_conn, ports, log_reader, *tails)
    finally:
        if proc is not None:
            _kill_group(proc)
        if run_mark is not None:
            kill_marked(run_mark)
        if log_reader is not None:
            # The child is gone, so its end of the logs connection is closed: let the reader
            # drain what is still buffered before the socket is closed under it.
            log_reader.join(timeout=1.0)
            log_reader.stop.set()
            log_reader.join(timeout=1.0)
            leftovers.log_lines = list(log_reader.lines)
            leftovers.dropped_log_lines = log_reader.dropped
        for sock in (*conns, *listeners):
            with contextlib.suppress(OSError):
                sock.close()
        for tail in tails:
            tail.join(timeout=2.0)
        if tails:
            leftovers.stdout, leftovers.stderr = tails[0].text(), tails[1].text()
        if proc is not None:
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()


def _listen() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
    except OSError:
        listener.close()
        raise
    return listener


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child's whole process group, then reap the child."""
    # Nothing before this point reaps the child, so its pid is still its group's id. Killing
    # even after a clean exit takes any grandchildren it left behind with it.
    kill_group(proc)
    try:
        proc.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def describe_exit(code: int) -> str:
    """``exited with code N`` or ``was killed by SIGNAME``."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


def _accept_both(
    proc: subprocess.Popen[bytes],
    comm_listener: socket.socket,
    logs_listener: socket.socket,
    budget: Budget,
    startup_timeout: float,
) -> tuple[socket.socket, socket.socket]:
    """Wait for the bundle to dial both listeners (in either order)."""
    accepted: dict[int, socket.socket] = {}
    waiting = {comm_listener.fileno(): comm_listener, logs_listener.fileno(): logs_listener}

    def accept_ready(wait: float) -> None:
        ready, _, _ = select.select(list(waiting.values()), [], [], wait)
        for listener in ready:
            conn, _addr = listener.accept()
            accepted[listener.fileno()] = conn
            del waiting[listener.fileno()]

    try:
        while waiting:
            accept_ready(min(POLL_INTERVAL, budget.left()))
            if not waiting:
                break
            code = exit_status(proc)
            if code is not None:
                # A bundle may dial and exit at once: its connections are still queued on the
                # listeners, so take those before calling it never connected.
                accept_ready(0)
                if not waiting:
                    break
                missing = "comm" if comm_listener.fileno() in waiting else "logs"
                raise LaunchFailure(
                    "never-connected",
                    f"never connected: the bundle {describe_exit(code)} before dialling the "
                    f"{missing} address",
                )
            if budget.left() <= 0:
                missing = " and ".join(
                    name
                    for name, listener in (("comm", comm_listener), ("logs", logs_listener))
                    if listener.fileno() in waiting
                )
                raise LaunchFailure(
                    "never-connected",
                    f"never connected: the bundle did not dial the {missing} address within "
                    f"{budget.total:g}s (Airflow's task_startup_timeout is "
                    f"{startup_timeout:g}s)",
                )
    except BaseException:
        for conn in accepted.values():
            with contextlib.suppress(OSError):
                conn.close()
        raise
    return accepted[comm_listener.fileno()], accepted[logs_listener.fileno()]
