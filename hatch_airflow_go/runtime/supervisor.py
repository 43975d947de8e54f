"""A minimal supervisor for one task of a bundle: what task-sdk's supervisor does, locally.

It starts the bundle (:mod:`launch`), sends ``StartupDetails`` as frame 0, answers the task's
requests from an in-memory execution API (:mod:`execution_api`), acknowledges the terminal
message (``SucceedTask``, ``TaskState``, ``RetryTask``, ...) with an empty frame, and waits for
the bundle to exit. The final state is decided as Airflow's supervisor decides it: the
terminal message's state when the process exits 0; ``success`` for an exit 0 with no terminal
message; ``failed`` for any other exit. Every way the exchange can go wrong is a named outcome
(:data:`OUTCOMES`) with one message, and nothing outlives the call.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from hatch_airflow_go import log
from hatch_airflow_go.process import wait_exited
from hatch_airflow_go.runtime.execution_api import Call, ExecutionState
from hatch_airflow_go.runtime.frames import FrameError, FrameReader, response, short
from hatch_airflow_go.runtime.launch import (
    DEFAULT_STARTUP_TIMEOUT,
    Budget,
    LaunchFailure,
    Leftovers,
    describe_exit,
    launch,
)

STARTUP_ID = 0
# Terminal bodies and the state each one records (RetryTask, DeferTask, ... carry no state
# field the supervisor trusts, so the state is the message's own).
TERMINAL_STATES = {
    "SucceedTask": "success",
    "RetryTask": "up_for_retry",
    "DeferTask": "deferred",
    "RescheduleTask": "up_for_reschedule",
    "AwaitInputTask": "awaiting_input",
    "SkipDownstreamTasks": "success",
}
MAX_REQUESTS = 100_000

OUTCOMES = (
    "ok",
    "launch-failed",
    "never-connected",
    "timeout",
    "crashed",
    "no-terminal",
    "bad-exit",
    "garbage-frame",
    "oversized-frame",
    "truncated-frame",
    "error-frame",
    "wrong-reply",
    "unexpected-request",
)


@dataclass
class TaskRun:
    """What one supervised run of a task showed."""

    bundle: Path
    dag_id: str
    task_id: str
    outcome: str = "ok"
    problems: list[str] = field(default_factory=list)
    terminal: Optional[dict[str, Any]] = None
    terminal_id: Any = None
    state: Optional[str] = None
    exit_code: Optional[int] = None
    calls: list[Call] = field(default_factory=list)
    stdout: str = ""
    stderr: str = ""
    log_lines: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    ports: tuple[int, int] = (0, 0)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, outcome: str, message: str) -> None:
        if self.outcome == "ok":
            self.outcome = outcome
        self.problems.append(message)

    def to_json(self) -> dict[str, Any]:
        from hatch_airflow_go.runtime.startup import jsonable

        return {
            "bundle": str(self.bundle),
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "ok": self.ok,
            "outcome": self.outcome,
            "problems": list(self.problems),
            "state": self.state,
            "terminal": jsonable(self.terminal),
            "exit_code": self.exit_code,
            "calls": [jsonable(call.to_json()) for call in self.calls],
            "stdout": self.stdout,
            "stderr": self.stderr,
            "log_lines": jsonable(self.log_lines),
            "seconds": round(self.seconds, 3),
        }


# Called for each request; returns the Call to answer with, or None to refuse the request
# (the run then fails as "unexpected-request").
Answerer = Callable[[dict[str, Any]], Optional[Call]]


def supervise(
    bundle: Path,
    startup: dict[str, Any],
    *,
    state: Optional[ExecutionState] = None,
    answer: Optional[Answerer] = None,
    timeout: float = 60.0,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    on_call: Optional[Callable[[Call], None]] = None,
) -> TaskRun:
    """Run the task ``startup`` names in ``bundle`` and report how it went.

    Requests are answered by ``answer`` when given, else from ``state``. Never raises for
    anything the bundle does.
    """
    ti = startup.get("ti", {})
    run = TaskRun(bundle=bundle, dag_id=str(ti.get("dag_id")), task_id=str(ti.get("task_id")))
    execution = state if state is not None else ExecutionState()
    respond = answer or execution.answer
    started = time.monotonic()
    budget = Budget(timeout)
    leftovers = Leftovers()
    try:
        with launch(bundle, budget, leftovers, startup_timeout=startup_timeout) as child:
            run.ports = child.ports
            _send(child.comm, response(STARTUP_ID, startup))
            reader = FrameReader(child.comm, budget.left)
            _exchange(run, reader, child.comm, respond, on_call)
            code = wait_exited(child.proc, budget.left())
            if code is None:
                run.fail(
                    "timeout",
                    f"timeout: the bundle had not exited {budget.total:g}s after it started"
                    + (" (it had sent its terminal message)" if run.terminal else ""),
                )
            run.exit_code = code
    except LaunchFailure as failure:
        run.fail(failure.outcome, failure.message)
    except FrameError as failure:
        run.fail(failure.outcome, failure.message)
    except TimeoutError as waiting:
        run.fail("timeout", f"timeout: nothing after {budget.total:g}s ({waiting})")
    run.stdout, run.stderr = leftovers.stdout, leftovers.stderr
    run.log_lines = leftovers.log_lines
    run.seconds = time.monotonic() - started
    _judge(run)
    return run


def _send(conn: Any, data: bytes) -> None:
    try:
        conn.sendall(data)
    except OSError as error:
        # The bundle closed its end first; what it did instead is judged from its exit.
        log.debug(f"sending to the bundle failed: {error}")


def _exchange(
    run: TaskRun,
    reader: FrameReader,
    conn: Any,
    respond: Answerer,
    on_call: Optional[Callable[[Call], None]],
) -> None:
    """Read the bundle's frames until it closes the comm connection."""
    while True:
        waiting = (
            "waiting for the bundle to exit after its terminal message"
            if run.terminal is not None
            else "waiting for the task's next message"
        )
        frame = reader.read(waiting)
        if frame is None:
            return
        if frame.error is not None and not isinstance(frame.body, dict):
            raise FrameError("error-frame", f"error frame: the bundle sent {short(frame.error)}")
        kind = frame.kind
        if kind is None:
            raise FrameError(
                "wrong-reply", f"a frame whose body has no message type: {short(frame.body)}"
            )
        assert isinstance(frame.body, dict)
        if kind in TERMINAL_STATES or kind == "TaskState":
            if run.terminal is not None:
                run.fail("wrong-reply", f"a second terminal message after the first: {kind}")
            else:
                run.terminal, run.terminal_id = frame.body, frame.id
            _send(conn, response(frame.id))
            continue
        if len(run.calls) >= MAX_REQUESTS:
            raise FrameError("wrong-reply", f"more than {MAX_REQUESTS} requests from one task")
        call = respond(frame.body)
        if call is None:
            run.calls.append(Call(frame.body, None, None))
            raise FrameError("unexpected-request", f"unexpected request {short(frame.body)}")
        run.calls.append(call)
        if on_call is not None:
            on_call(call)
        _send(conn, response(frame.id, call.reply, call.error))


def terminal_state(body: dict[str, Any]) -> Optional[str]:
    """The state a terminal message records."""
    kind = body.get("type")
    if kind == "TaskState":
        value = body.get("state")
        return value if isinstance(value, str) else None
    return TERMINAL_STATES.get(str(kind))


def _judge(run: TaskRun) -> None:
    code = run.exit_code
    if run.terminal is not None and run.terminal_id != STARTUP_ID and run.outcome == "ok":
        run.fail(
            "wrong-reply",
            f"the terminal {run.terminal.get('type')} carries frame id "
            f"{short(run.terminal_id)}, not the StartupDetails id {STARTUP_ID}",
        )
    if code is None:
        run.state = "failed" if run.outcome != "ok" else None
        return
    if code != 0:
        # Airflow's supervisor honours a terminal message only from a process that exits 0.
        run.state = "failed"
        if run.outcome != "ok":
            return
        if run.terminal is None:
            run.fail("crashed", f"crashed: the bundle {describe_exit(code)}{evidence(run)}")
        else:
            run.fail(
                "bad-exit",
                f"the bundle sent {run.terminal.get('type')} but then {describe_exit(code)}, so "
                f"Airflow records the task as failed{evidence(run)}",
            )
        return
    if run.terminal is None:
        run.state = "success" if run.outcome == "ok" else "failed"
        if run.outcome == "ok":
            run.fail(
                "no-terminal",
                "no terminal message: the bundle exited 0 without reporting the task's state "
                f"(Airflow then records success from the exit code alone){evidence(run)}",
            )
        return
    run.state = terminal_state(run.terminal) if run.outcome == "ok" else "failed"


def evidence(run: TaskRun) -> str:
    """The end of stderr and the last log lines, for a message about a failure."""
    parts = []
    if run.stderr.strip():
        parts.append("stderr:\n" + excerpt(run.stderr))
    if run.log_lines:
        parts.append("last log lines:\n" + "\n".join(log_line(line) for line in run.log_lines[-5:]))
    return "; " + "; ".join(parts) if parts else ""


def log_line(line: dict[str, Any]) -> str:
    """One log record as ``level: event key=value ...``."""
    extras = {
        key: value
        for key, value in line.items()
        if key not in ("event", "level", "timestamp", "logger", "unparsed")
    }
    shown = " ".join(f"{key}={json.dumps(value, default=str)}" for key, value in extras.items())
    text = f"{line.get('level', '?')}: {line.get('event', '')}"
    return f"{text} {shown}" if shown else text


def excerpt(text: str, head: int = 4, tail: int = 6) -> str:
    """The first and last lines of a long output: a Go panic's message is at the top, the
    failing frame near the bottom."""
    lines = text.rstrip().splitlines()
    if len(lines) <= head + tail:
        return "\n".join(lines)
    return "\n".join([*lines[:head], "...", *lines[-tail:]])


def mentions(run: TaskRun, markers: Sequence[str]) -> bool:
    """Whether stderr or a log line mentions any of ``markers``."""
    texts = [run.stderr] + [json.dumps(line, default=str) for line in run.log_lines]
    return any(marker in text for text in texts for marker in markers)
