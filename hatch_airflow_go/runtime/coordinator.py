"""A minimal supervisor for Airflow's coordinator protocol, used to smoke-test a bundle.

It plays the DAG processor's part once: listen on two loopback ports (comm and logs), start
the bundle with ``--comm`` and ``--logs``, send one ``DagFileParseRequest`` and read the
``DagFileParsingResult``. The DAG and task ids in that reply are compared with the manifest
the bundle carries, so a bundle whose runtime registration differs from what it told the
packer is caught before Airflow meets it.

Frames are a 4-byte big-endian length followed by a msgpack array (requests ``[id, body,
...]``, responses ``[id, body, error]``); the logs connection carries one JSON object per
line. Every step is bounded by what is left of one overall time budget, and the child's whole
process group is killed on the way out, so nothing outlives the call: no process, thread or
socket.

Task ids are read the way Airflow's serializer (and the Go SDK) writes a serialized DAG's
tasks: ``{"__type": "operator", "__var": {"task_id": ...}}``. A bare ``{"task_id": ...}``
object or a plain string is accepted too. Where a DAG's entry carries no ``tasks`` list its
task ids are not compared.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Optional

import msgpack

from hatch_airflow_go import log
from hatch_airflow_go.errors import PathLike
from hatch_airflow_go.format.footer import read_bundle, read_regions
from hatch_airflow_go.format.manifest import parse_embedded
from hatch_airflow_go.process import exit_status, kill_group, new_session, wait_exited

REQUEST_ID = 0
MAX_FRAME = 64 * 1024 * 1024
STDERR_TAIL = 64 * 1024
MAX_LOG_LINES = 10_000
MAX_LOG_LINE = 1024 * 1024
# How often waiting loops look at the child, so a child that dies early is noticed at once
# rather than when the step's timeout runs out.
POLL_INTERVAL = 0.05
# Words a task-only SDK uses when it refuses a parse request.
STARTUP_FIRST_MARKERS = ("StartupDetails", "startup_details", "StartupDetail")


@dataclass
class SmokeResult:
    """What one coordinator-protocol exchange with a bundle showed.

    ``exit_code`` is None when the bundle was still running when the exchange ended and had to
    be killed; ``stderr`` is the tail of what it wrote there; ``log_lines`` are the JSON objects
    it sent on the logs connection.
    """

    bundle: Path
    ok: bool
    problems: list[str]
    dag_ids: list[str]
    task_ids: dict[str, list[str]]
    exit_code: Optional[int]
    stderr: str
    log_lines: list[dict[str, Any]]
    seconds: float
    # A short name for the first thing that went wrong ("ok" when nothing did): one of
    # OUTCOMES. Tools branch on it; people read ``problems``.
    outcome: str = "ok"
    expected_dags: dict[str, list[str]] = field(default_factory=dict)
    # The loopback ports the supervisor listened on (closed again when the result exists).
    ports: tuple[int, int] = (0, 0)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready record (what ``smoke --json`` prints)."""
        return {
            "bundle": str(self.bundle),
            "ok": self.ok,
            "outcome": self.outcome,
            "problems": list(self.problems),
            "dag_ids": list(self.dag_ids),
            "task_ids": {dag: list(tasks) for dag, tasks in self.task_ids.items()},
            "expected_dags": {dag: list(tasks) for dag, tasks in self.expected_dags.items()},
            "exit_code": self.exit_code,
            "stderr": self.stderr,
            "log_lines": list(self.log_lines),
            "seconds": round(self.seconds, 3),
        }


OUTCOMES = (
    "ok",
    "never-connected",
    "timeout",
    "crashed",
    "no-reply",
    "cannot-parse",
    "garbage-frame",
    "oversized-frame",
    "truncated-frame",
    "wrong-reply",
    "error-reply",
    "bad-exit",
    "mismatch",
    "launch-failed",
)


class _Failure(Exception):
    """Ends the exchange early with an outcome and the message for ``problems``."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message


class _NoReply(Exception):
    """The bundle closed the comm connection without a reply; judged once it has exited."""


class _Budget:
    """One overall deadline shared by every step."""

    def __init__(self, seconds: float) -> None:
        self.total = seconds
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())


class _StderrTail(threading.Thread):
    """Drains the child's stderr, keeping only the last STDERR_TAIL bytes."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(name="smoke-stderr", daemon=True)
        self.stream = stream
        self.data = bytearray()

    def run(self) -> None:
        try:
            while True:
                chunk = self.stream.read1(65536) if hasattr(self.stream, "read1") else b""
                if not chunk:
                    return
                self.data += chunk
                if len(self.data) > STDERR_TAIL:
                    del self.data[: len(self.data) - STDERR_TAIL]
        except (OSError, ValueError):
            return

    def text(self) -> str:
        return bytes(self.data).decode("utf-8", "replace")


class _LogReader(threading.Thread):
    """Collects the newline-delimited JSON objects of the logs connection."""

    def __init__(self, conn: socket.socket) -> None:
        super().__init__(name="smoke-logs", daemon=True)
        self.conn = conn
        self.lines: list[dict[str, Any]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        buffer = b""
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
        if not raw.strip() or len(self.lines) >= MAX_LOG_LINES:
            return
        text = raw.decode("utf-8", "replace")
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
class _Exchange:
    """Everything observed so far; turned into a SmokeResult at the end."""

    problems: list[str] = field(default_factory=list)
    outcome: str = "ok"
    reply: Optional[dict[str, Any]] = None
    exit_code: Optional[int] = None
    no_reply: bool = False

    def fail(self, outcome: str, message: str) -> None:
        if self.outcome == "ok":
            self.outcome = outcome
        self.problems.append(message)


def smoke_test(bundle: PathLike, *, timeout: float = 30.0) -> SmokeResult:
    """Run a packed bundle through one DAG-parse exchange and compare it with its manifest.

    Raises :class:`~hatch_airflow_go.errors.BundleError` (or ``ManifestError``) when the file
    is not a valid bundle; everything the running bundle does wrong is reported in the result.
    """
    path = Path(bundle)
    info = read_bundle(path)
    _source, manifest_bytes = read_regions(info)
    manifest = parse_embedded(manifest_bytes, path=path)
    return run_exchange(path, expected_dags=manifest.dags, timeout=timeout)


def run_exchange(
    executable: PathLike,
    *,
    expected_dags: Optional[Mapping[str, Sequence[str]]],
    timeout: float = 30.0,
    file: Optional[PathLike] = None,
) -> SmokeResult:
    """Supervise ``executable`` through one DAG-parse exchange.

    ``expected_dags`` (dag id -> task ids) is what the reply must match; ``None`` skips the
    comparison. ``file`` is the path sent as the request's ``file`` (default: the executable).
    Never raises for anything the executable does.
    """
    path = Path(executable)
    started = time.monotonic()
    budget = _Budget(timeout)
    exchange = _Exchange()
    stderr_text = ""
    logs: list[dict[str, Any]] = []
    listeners: list[socket.socket] = []
    ports = (0, 0)
    conns: list[socket.socket] = []
    proc: Optional[subprocess.Popen[bytes]] = None
    stderr_reader: Optional[_StderrTail] = None
    log_reader: Optional[_LogReader] = None
    try:
        comm_listener = _listen()
        listeners.append(comm_listener)
        logs_listener = _listen()
        listeners.append(logs_listener)
        ports = (comm_listener.getsockname()[1], logs_listener.getsockname()[1])
        # Absolute, so a bare name ("mybundle") means the file here, not a program on PATH.
        argv = [
            str(path.absolute()),
            f"--comm=127.0.0.1:{ports[0]}",
            f"--logs=127.0.0.1:{ports[1]}",
        ]
        log.debug(log.format_command(argv))
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                **new_session(),
            )
        except OSError as error:
            raise _Failure("launch-failed", f"cannot start the bundle: {error}") from None
        assert proc.stderr is not None
        stderr_reader = _StderrTail(proc.stderr)
        stderr_reader.start()

        comm, logs_conn = _accept_both(proc, comm_listener, logs_listener, budget)
        conns.extend((comm, logs_conn))
        log_reader = _LogReader(logs_conn)
        log_reader.start()

        # Airflow's DAG processor names the file and its bundle folder by absolute path.
        target = Path(file if file is not None else path).absolute()
        request = {
            "type": "DagFileParseRequest",
            "file": os.fspath(target),
            "bundle_path": os.fspath(target.parent),
        }
        _send_frame(comm, [REQUEST_ID, request, None], budget)
        try:
            exchange.reply = _read_reply(comm, budget)
        except _NoReply:
            # Why it hung up shows in how it exits, so wait for that before judging.
            exchange.no_reply = True
            exchange.exit_code = _wait_exit(
                proc, budget, "closed the comm connection without a reply but"
            )
        else:
            exchange.exit_code = _wait_exit(proc, budget, "answered but")
    except _Failure as failure:
        exchange.fail(failure.outcome, failure.message)
    finally:
        if proc is not None:
            # A child still running here is one we gave up on: its exit code would only be our
            # own SIGKILL, so it is reported as None.
            code_before_kill = exit_status(proc)
            _kill_group(proc)
            if exchange.exit_code is None and code_before_kill is not None:
                exchange.exit_code = code_before_kill
        if log_reader is not None:
            # The child is gone, so its end of the logs connection is closed: let the reader
            # drain what is still buffered before the socket is closed under it.
            log_reader.join(timeout=1.0)
            log_reader.stop.set()
            log_reader.join(timeout=1.0)
            logs = list(log_reader.lines)
        for conn in conns:
            _close(conn)
        for listener in listeners:
            _close(listener)
        if stderr_reader is not None:
            stderr_reader.join(timeout=2.0)
            stderr_text = stderr_reader.text()
        if proc is not None and proc.stderr is not None:
            proc.stderr.close()

    dag_ids, task_ids = _reply_ids(exchange.reply) if exchange.reply is not None else ([], {})
    expected = {dag: list(tasks) for dag, tasks in (expected_dags or {}).items()}
    _judge(exchange, stderr_text, logs)
    if exchange.reply is not None:
        _judge_reply(exchange, dag_ids, task_ids, expected if expected_dags is not None else None)
    return SmokeResult(
        bundle=path,
        ok=not exchange.problems,
        problems=exchange.problems,
        dag_ids=dag_ids,
        task_ids=task_ids,
        exit_code=exchange.exit_code,
        stderr=stderr_text,
        log_lines=logs,
        seconds=time.monotonic() - started,
        outcome=exchange.outcome,
        expected_dags=expected,
        ports=ports,
    )


def _listen() -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
    except OSError:
        listener.close()
        raise
    return listener


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


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


def _describe_exit(code: int) -> str:
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
    budget: _Budget,
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
                raise _Failure(
                    "never-connected",
                    f"never connected: the bundle {_describe_exit(code)} before "
                    f"dialling the {missing} address",
                )
            if budget.left() <= 0:
                raise _Failure(
                    "never-connected",
                    f"never connected: timeout after {budget.total:g}s waiting for the bundle "
                    "to dial the comm and logs addresses",
                )
    except BaseException:
        for conn in accepted.values():
            _close(conn)
        raise
    return accepted[comm_listener.fileno()], accepted[logs_listener.fileno()]


def _send_frame(conn: socket.socket, message: Any, budget: _Budget) -> None:
    payload = msgpack.packb(message, use_bin_type=True)
    conn.settimeout(max(budget.left(), 0.001))
    try:
        conn.sendall(len(payload).to_bytes(4, "big") + payload)
    except socket.timeout:
        raise _Failure(
            "timeout", "timeout: the bundle did not read the DagFileParseRequest"
        ) from None
    except OSError as error:
        # The bundle closed its end first; what it did instead is judged from its exit.
        log.debug(f"sending the parse request failed: {error}")


def _recv_exactly(conn: socket.socket, size: int, budget: _Budget, step: str) -> bytes:
    """Read ``size`` bytes; fewer come back only when the peer closed the connection."""
    chunks = bytearray()
    while len(chunks) < size:
        left = budget.left()
        if left <= 0:
            raise _Failure("timeout", f"timeout: no answer after {budget.total:g}s ({step})")
        conn.settimeout(min(left, 0.25))
        try:
            chunk = conn.recv(min(size - len(chunks), 1024 * 1024))
        except socket.timeout:
            continue
        except OSError:
            break
        if not chunk:
            break
        chunks += chunk
    return bytes(chunks)


def _read_reply(conn: socket.socket, budget: _Budget) -> dict[str, Any]:
    """Read and check the response frame (_NoReply when the bundle hung up without one)."""
    header = _recv_exactly(conn, 4, budget, "waiting for the reply to DagFileParseRequest")
    if not header:
        raise _NoReply()
    if len(header) < 4:
        raise _Failure(
            "truncated-frame",
            f"truncated frame: the connection closed after {len(header)} of the 4 length bytes",
        )
    size = int.from_bytes(header, "big")
    if size > MAX_FRAME:
        raise _Failure(
            "oversized-frame",
            f"oversized frame: the reply declares {size} bytes, over the {MAX_FRAME}-byte limit",
        )
    payload = _recv_exactly(conn, size, budget, "reading the reply frame")
    if len(payload) < size:
        raise _Failure(
            "truncated-frame",
            f"truncated frame: the connection closed after {len(payload)} of {size} bytes",
        )
    try:
        # msgpack raises many unrelated exception types on bad input, hence the broad except.
        frame = msgpack.unpackb(payload, raw=False, strict_map_key=False, use_list=True)
    except Exception as error:
        raise _Failure(
            "garbage-frame",
            f"garbage frame: the {size}-byte reply is not valid msgpack ({_error_name(error)})",
        ) from None
    if not isinstance(frame, list) or len(frame) < 2:
        raise _Failure(
            "garbage-frame",
            f"garbage frame: the reply is not a msgpack array [id, body, error] "
            f"(got {_short(frame)})",
        )
    reply_id, body = frame[0], frame[1]
    error_part = frame[2] if len(frame) > 2 else None
    if error_part is not None:
        text = _error_text(error_part)
        if any(marker in text for marker in STARTUP_FIRST_MARKERS):
            raise _Failure("cannot-parse", _cannot_parse_message(f"it answered: {text}"))
        raise _Failure("error-reply", f"error reply: {text}")
    if reply_id != REQUEST_ID:
        raise _Failure(
            "wrong-reply",
            f"wrong reply id: expected {REQUEST_ID} (the request's id), got {_short(reply_id)}",
        )
    kind = body.get("type") if isinstance(body, dict) else None
    if kind != "DagFileParsingResult":
        shown = repr(kind) if kind is not None else _short(body)
        raise _Failure(
            "wrong-reply", f"wrong reply type: expected DagFileParsingResult, got {shown}"
        )
    assert isinstance(body, dict)
    return body


def _wait_exit(proc: subprocess.Popen[bytes], budget: _Budget, what: str) -> int:
    """The child's exit code, once it has exited; it is left unreaped for _kill_group."""
    code = wait_exited(proc, budget.left())
    if code is None:
        raise _Failure(
            "timeout", f"timeout: the bundle {what} had not exited after {budget.total:g}s"
        )
    return code


def _cannot_parse_message(evidence: str) -> str:
    return (
        "the bundle's SDK cannot parse DAGs: it expects StartupDetails first and rejected the "
        f"DagFileParseRequest ({evidence}); rebuild it with an SDK version that answers "
        "DagFileParseRequest"
    )


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        kind = error.get("error")
        detail = error.get("detail")
        if isinstance(detail, dict) and set(detail) == {"message"}:
            detail = detail["message"]
        parts = [str(part) for part in (kind, detail) if part not in (None, "", {})]
        if parts:
            return ": ".join(parts)
    return _short(error)


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _error_name(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _excerpt(text: str, head: int = 4, tail: int = 6) -> str:
    """The first and last lines of a long output: a Go panic's message is at the top, the
    failing frame near the bottom."""
    lines = text.rstrip().splitlines()
    if len(lines) <= head + tail:
        return "\n".join(lines)
    return "\n".join([*lines[:head], "...", *lines[-tail:]])


def _mentions_startup_first(stderr: str, logs: Sequence[Mapping[str, Any]]) -> bool:
    texts = [stderr] + [json.dumps(line, default=str) for line in logs]
    return any(marker in text for text in texts for marker in STARTUP_FIRST_MARKERS)


def _judge(exchange: _Exchange, stderr: str, logs: Sequence[Mapping[str, Any]]) -> None:
    """Turn a missing reply, a bad exit or a timeout into the precise problem."""
    code = exchange.exit_code
    if exchange.no_reply and exchange.outcome == "ok":
        if code is not None and code != 0 and _mentions_startup_first(stderr, logs):
            exchange.fail("cannot-parse", _cannot_parse_message(f"it {_describe_exit(code)}"))
        elif code is not None and code != 0:
            exchange.fail(
                "crashed",
                f"crashed: the bundle {_describe_exit(code)} before answering the "
                f"DagFileParseRequest{_evidence(stderr, logs)}",
            )
        else:
            exchange.fail(
                "no-reply",
                "no reply: the bundle closed the comm connection and exited with code 0 "
                f"without answering the DagFileParseRequest{_evidence(stderr, logs)}",
            )
        return
    if exchange.reply is not None and code is not None and code != 0:
        exchange.fail(
            "bad-exit",
            f"the bundle answered but then {_describe_exit(code)}{_evidence(stderr, logs)}",
        )


def _evidence(stderr: str, logs: Sequence[Mapping[str, Any]]) -> str:
    parts = []
    if stderr.strip():
        parts.append("stderr:\n" + _excerpt(stderr))
    if logs:
        shown = [f"{line.get('level', '?')}: {line.get('event', '')}" for line in list(logs)[-5:]]
        parts.append("last log lines:\n" + "\n".join(shown))
    return "; " + "; ".join(parts) if parts else ""


def _reply_ids(reply: Mapping[str, Any]) -> tuple[list[str], dict[str, list[str]]]:
    """Dag ids in reply order, and task ids for the DAGs whose entries list their tasks."""
    dag_ids: list[str] = []
    task_ids: dict[str, list[str]] = {}
    entries = reply.get("serialized_dags")
    if not isinstance(entries, list):
        return dag_ids, task_ids
    for entry in entries:
        dag = _dag_dict(entry)
        if dag is None or not isinstance(dag.get("dag_id"), str):
            continue
        dag_id = dag["dag_id"]
        dag_ids.append(dag_id)
        tasks = dag.get("tasks")
        if isinstance(tasks, list):
            task_ids[dag_id] = [tid for tid in (_task_id(task) for task in tasks) if tid]
    return dag_ids, task_ids


def _dag_dict(entry: Any) -> Optional[Mapping[str, Any]]:
    # Airflow's shape is {"data": {"__version": 3, "dag": {...}}}; the inner forms are accepted
    # too so a bundle that leaves out a wrapper is still compared rather than called empty.
    if isinstance(entry, dict) and isinstance(entry.get("data"), dict):
        entry = entry["data"]
    if isinstance(entry, dict) and isinstance(entry.get("dag"), dict):
        entry = entry["dag"]
    return entry if isinstance(entry, dict) else None


def _task_id(task: Any) -> Optional[str]:
    if isinstance(task, str):
        return task
    if isinstance(task, dict):
        inner = task.get("__var")
        if isinstance(inner, dict) and isinstance(inner.get("task_id"), str):
            return str(inner["task_id"])
        if isinstance(task.get("task_id"), str):
            return str(task["task_id"])
    return None


def _judge_reply(
    exchange: _Exchange,
    dag_ids: list[str],
    task_ids: dict[str, list[str]],
    expected: Optional[dict[str, list[str]]],
) -> None:
    assert exchange.reply is not None
    errors = exchange.reply.get("import_errors")
    if isinstance(errors, dict) and errors:
        listed = "; ".join(f"{name}: {message}" for name, message in errors.items())
        exchange.fail("error-reply", f"the parse result reports import errors: {listed}")
    if expected is None:
        return
    if not dag_ids and not expected:
        return
    missing = [dag for dag in expected if dag not in dag_ids]
    extra = [dag for dag in dag_ids if dag not in expected]
    if missing:
        exchange.fail(
            "mismatch",
            "dag ids in the manifest but not in the parse result: " + ", ".join(missing),
        )
    if extra:
        exchange.fail(
            "mismatch",
            "dag ids in the parse result but not in the manifest: " + ", ".join(extra),
        )
    for dag in dag_ids:
        if dag not in expected or dag not in task_ids:
            continue
        got, want = task_ids[dag], expected[dag]
        lost = [task for task in want if task not in got]
        gained = [task for task in got if task not in want]
        if lost:
            exchange.fail(
                "mismatch",
                f"dag {dag}: task ids in the manifest but not in the parse result: "
                + ", ".join(lost),
            )
        if gained:
            exchange.fail(
                "mismatch",
                f"dag {dag}: task ids in the parse result but not in the manifest: "
                + ", ".join(gained),
            )
