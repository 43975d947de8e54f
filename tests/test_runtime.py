"""The task-protocol runtime against real bundles: the smoke test and the local supervisor.

Every ``tests/gobundles/proto-<variant>`` program is built with the real Go toolchain on the
stand-in SDK, introspected and packed into a real bundle, then run. Each test also checks that
the run left nothing behind: no process running the bundle, no listening port, no socket or
thread of ours.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hatch_airflow_go.errors import NotABundleError
from hatch_airflow_go.runtime.execution_api import ExecutionState, state_from
from hatch_airflow_go.runtime.smoke import SmokeResult, smoke_test
from hatch_airflow_go.runtime.startup import TaskTarget, startup_details
from hatch_airflow_go.runtime.supervisor import TaskRun, supervise
from tests.conftest import BundlePacker, GoBundleBuilder
from tests.leaks import nothing_left


class Runs:
    """Collects runs so the leak check knows which bundles and ports to look at."""

    def __init__(self) -> None:
        self.bundles: list[Path] = []
        self.ports: list[tuple[int, int]] = []

    def add(self, run: TaskRun) -> TaskRun:
        self.bundles.append(run.bundle)
        if run.ports != (0, 0):
            self.ports.append(run.ports)
        return run

    def smoke(self, bundle: Path, timeout: float = 10, **kwargs: Any) -> SmokeResult:
        result = smoke_test(bundle, timeout=timeout, **kwargs)
        self.add(result.run)
        return result


@pytest.fixture
def runs() -> Iterator[Runs]:
    recorder = Runs()
    with nothing_left(recorder.bundles, recorder.ports):
        yield recorder


def test_healthy_bundle_passes_the_smoke_test(packed: BundlePacker, runs: Runs) -> None:
    result = runs.smoke(packed.bundle("proto-correct"))
    assert result.problems == []
    assert result.outcome == "ok"
    assert result.run.exit_code == 0
    assert result.run.state == "removed"
    assert result.run.terminal is not None
    assert result.run.terminal["type"] == "TaskState"
    assert result.run.calls == []
    # The probe names a DAG the bundle has and a task it cannot have.
    assert result.probe_dag_id == "concurrent_xcom_dag"  # the first in the manifest
    assert result.probe_task_id.startswith("hatch-airflow-go-smoke-")
    # The bundle looked the task up and said so on its logs connection.
    assert any(line.get("event") == "Task not registered" for line in result.run.log_lines)


# variant, outcome, a piece of the first problem, the exit code (None: killed)
FAILURES = [
    ("crash", "crashed", "crashed: the bundle exited with code 2; stderr:\npanic: proto-crash", 2),
    ("garbage-frame", "garbage-frame", "garbage frame: 4 bytes that are not valid msgpack", None),
    (
        "oversized-frame",
        "oversized-frame",
        "oversized frame: it declares 2147483648 bytes, over the 67108864-byte limit",
        None,
    ),
    (
        "truncated-frame",
        "truncated-frame",
        "truncated frame: the connection closed after 3 of 100 bytes",
        None,
    ),
    ("no-terminal", "no-terminal", "no terminal message: the bundle exited 0 without", 0),
    ("bad-exit", "bad-exit", "the bundle sent TaskState but then exited with code 3", 3),
    (
        "error-frame",
        "error-frame",
        "error frame: the bundle sent {'detail': {'message': 'proto-error-frame refuses every",
        None,
    ),
    (
        "wrong-id",
        "wrong-reply",
        "the terminal TaskState carries frame id 7, not the StartupDetails id 0",
        0,
    ),
    (
        "runs-anything",
        "unexpected-request",
        "unexpected request {'key': 'api_token', 'type': 'GetVariable'}",
        None,
    ),
    (
        "succeeds-anything",
        "not-removed",
        "which the bundle does not have, it answered SucceedTask (state success) instead of "
        "TaskState removed",
        0,
    ),
]


@pytest.mark.parametrize("case", FAILURES, ids=[case[0] for case in FAILURES])
def test_each_failure_is_named(
    packed: BundlePacker, runs: Runs, case: tuple[str, str, str, Any]
) -> None:
    variant, outcome, problem, exit_code = case
    result = runs.smoke(packed.bundle(f"proto-{variant}"), timeout=10)
    assert not result.ok
    assert result.outcome == outcome
    assert problem in result.problems[0]
    assert result.run.exit_code == exit_code
    error = result.error()
    assert error.fix
    assert error.fix == result.fix()
    assert f"smoke test failed ({outcome})" in error.summary()


def test_hang_after_connect_times_out(packed: BundlePacker, runs: Runs) -> None:
    started = time.monotonic()
    result = runs.smoke(packed.bundle("proto-hang-after-connect"), timeout=1.5)
    assert result.outcome == "timeout"
    assert result.problems == ["timeout: nothing after 1.5s (waiting for the task's next message)"]
    assert result.run.exit_code is None
    assert time.monotonic() - started < 5
    assert result.run.log_lines[0]["event"] == "connected, now stalling"


def test_hang_before_connect_is_never_connected_at_the_startup_timeout(
    packed: BundlePacker, runs: Runs
) -> None:
    started = time.monotonic()
    result = runs.smoke(packed.bundle("proto-hang-before-connect"), startup_timeout=1.0)
    assert result.outcome == "never-connected"
    assert result.problems == [
        "never connected: the bundle did not dial the comm and logs address within 1s "
        "(Airflow's task_startup_timeout is 1s)"
    ]
    assert time.monotonic() - started < 5


def test_comm_only_names_the_missing_connection(packed: BundlePacker, runs: Runs) -> None:
    result = runs.smoke(packed.bundle("proto-comm-only"), startup_timeout=1.0)
    assert result.outcome == "never-connected"
    assert "did not dial the logs address within 1s" in result.problems[0]


def test_unsupported_schema_is_refused_before_starting(packed: BundlePacker) -> None:
    result = smoke_test(packed.bundle("proto-old-schema"))
    assert result.outcome == "unsupported-schema"
    assert result.problems == [
        "the manifest's sdk.supervisor_schema_version is '2025-01-01'; Airflow's reader "
        "(task-sdk 1.3) starts only bundles with '2026-06-16', so it would skip this one"
    ]
    assert result.run.ports == (0, 0)


def test_a_file_that_cannot_be_started(packed: BundlePacker, tmp_path: Path, runs: Runs) -> None:
    copy = tmp_path / "not-executable"
    shutil.copyfile(packed.bundle("proto-correct"), copy)
    copy.chmod(0o644)
    result = runs.smoke(copy)
    assert result.outcome == "launch-failed"
    assert result.problems[0].startswith("cannot start the bundle: [Errno 13] Permission denied")


def test_raw_binary_is_not_a_bundle(gobundles: GoBundleBuilder) -> None:
    with pytest.raises(NotABundleError):
        smoke_test(gobundles.path("proto-correct"))


# ------------------------------------------------------------------- running one task


def run_task(
    runs: Runs, bundle: Path, task_id: str, state: ExecutionState, **target: Any
) -> TaskRun:
    startup = startup_details(
        TaskTarget(dag_id="simple_dag", task_id=task_id, run_id="r1", **target),
        dag_rel_path="main.go",
        bundle_name=bundle.name,
    )
    return runs.add(supervise(bundle, startup, state=state, timeout=20))


def warehouse_state() -> ExecutionState:
    return state_from(
        connections=("warehouse=postgres://etl:secret@db.example:5432/dw",),
        variables=("source=s3://bucket/in",),
        dag_id="simple_dag",
        run_id="r1",
    )


def test_task_runs_to_success_with_its_calls_answered(packed: BundlePacker, runs: Runs) -> None:
    state = warehouse_state()
    run = run_task(runs, packed.bundle("proto-correct"), "extract", state)
    assert run.ok, run.problems
    assert run.state == "success"
    assert run.terminal is not None
    assert run.terminal["type"] == "SucceedTask"
    assert run.terminal["task_outlets"] == []
    assert run.terminal["outlet_events"] == []
    assert [call.request["type"] for call in run.calls] == [
        "GetVariable",
        "GetConnection",
        "SetXCom",
    ]
    assert run.calls[1].reply == {
        "type": "ConnectionResult",
        "conn_id": "warehouse",
        "conn_type": "postgres",
        "host": "db.example",
        "schema": "dw",
        "login": "etl",
        "password": "secret",
        "port": 5432,
        "extra": None,
    }
    assert state.pushed == [
        (("simple_dag", "r1", "extract", -1, "rows"), {"source": "s3://bucket/in", "count": 3})
    ]


def test_task_reads_an_upstream_xcom(packed: BundlePacker, runs: Runs) -> None:
    state = state_from(xcoms=('extract.rows={"count": 7}',), dag_id="simple_dag", run_id="r1")
    run = run_task(runs, packed.bundle("proto-correct"), "transform", state)
    assert run.state == "success", run.problems
    assert state.pushed == [(("simple_dag", "r1", "transform", -1, "return_value"), 7)]


def test_missing_variable_fails_the_task(packed: BundlePacker, runs: Runs) -> None:
    state = ExecutionState()
    run = run_task(runs, packed.bundle("proto-correct"), "extract", state)
    assert run.ok, run.problems  # the protocol went right; the task failed
    assert run.state == "failed"
    assert run.terminal is not None
    assert run.terminal == {**run.terminal, "type": "TaskState", "state": "failed"}
    assert run.calls[0].reply == {
        "type": "ErrorResponse",
        "error": "VARIABLE_NOT_FOUND",
        "detail": {"key": "source"},
    }
    assert any(line.get("event") == "Task failed" for line in run.log_lines)


@pytest.mark.parametrize("mode", ["fail", "panic"])
def test_failing_task_is_failed_or_up_for_retry(
    packed: BundlePacker, runs: Runs, mode: str
) -> None:
    state = state_from(variables=(f"load_mode={mode}",), dag_id="simple_dag", run_id="r1")
    run = run_task(runs, packed.bundle("proto-correct"), "load", state)
    assert (run.ok, run.state, run.exit_code) == (True, "failed", 0)
    retried = run_task(runs, packed.bundle("proto-correct"), "load", state, should_retry=True)
    assert (retried.state, retried.exit_code) == ("up_for_retry", 0)
    assert retried.terminal is not None
    assert retried.terminal["type"] == "RetryTask"
    assert f"load_mode is {mode}" in retried.terminal["retry_reason"]


def test_unknown_task_is_removed(packed: BundlePacker, runs: Runs) -> None:
    run = run_task(runs, packed.bundle("proto-correct"), "no_such_task", ExecutionState())
    assert (run.ok, run.state, run.exit_code) == (True, "removed", 0)


def test_task_the_manifest_promises_but_the_bundle_lacks_is_removed(
    packed: BundlePacker, runs: Runs
) -> None:
    bundle = packed.bundle("proto-lying-manifest")
    startup = startup_details(
        TaskTarget(dag_id="shared_dag", task_id="load"), dag_rel_path="x", bundle_name="x"
    )
    run = runs.add(supervise(bundle, startup, timeout=20))
    assert (run.ok, run.state) == (True, "removed")


def test_invalid_task_instance_id_fails(packed: BundlePacker, runs: Runs) -> None:
    run = run_task(runs, packed.bundle("proto-correct"), "extract", ExecutionState(), ti_id="x")
    assert (run.state, run.calls) == ("failed", [])


def test_exit_before_connecting_is_never_connected(runs: Runs) -> None:
    # /bin/false stands for a binary without the SDK: it ignores --comm/--logs and exits 1.
    false = shutil.which("false")
    if false is None:
        pytest.skip("no `false` program on PATH to stand in for a binary that never dials")
    startup = startup_details(TaskTarget("a", "b"), dag_rel_path="x", bundle_name="x")
    run = runs.add(supervise(Path(false), startup, timeout=5))
    assert run.outcome == "never-connected"
    assert run.problems == [
        "never connected: the bundle exited with code 1 before dialling the comm address"
    ]
    assert run.seconds < 3


def _proc_state(pid: int) -> str:
    """The one-letter /proc state of ``pid`` ("Z" for a zombie), or "" once it is reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def test_group_is_killed_before_the_bundle_is_reaped(
    packed: BundlePacker, runs: Runs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reaped leader's pid may already belong to another process, and with it the group id:
    # the kill must happen while the exited bundle is still an unreaped zombie.
    calls: list[tuple[int, str]] = []
    real_killpg = os.killpg

    def recording_killpg(pgid: int, sig: int) -> None:
        calls.append((pgid, _proc_state(pgid)))
        real_killpg(pgid, sig)

    monkeypatch.setattr(os, "killpg", recording_killpg)
    result = runs.smoke(packed.bundle("proto-correct"))
    assert result.ok, result.problems
    assert [state for _pgid, state in calls] == ["Z"]


def test_children_left_behind_by_the_bundle_are_killed(tmp_path: Path, runs: Runs) -> None:
    pid_file = tmp_path / "left-behind.pid"
    script = tmp_path / "bundle"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nexit 4\n")
    script.chmod(0o755)
    startup = startup_details(TaskTarget("a", "b"), dag_rel_path="x", bundle_name="x")
    run = runs.add(supervise(script, startup, timeout=5))
    assert run.problems == [
        "never connected: the bundle exited with code 4 before dialling the comm address"
    ]
    left_behind = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _proc_state(left_behind) not in ("", "Z") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _proc_state(left_behind) in ("", "Z"), "the bundle's child outlived the run"


def test_log_flood_is_bounded_in_time_and_memory(packed: BundlePacker, runs: Runs) -> None:
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    result = runs.smoke(packed.bundle("proto-log-flood"), timeout=3)
    assert result.outcome == "timeout"
    assert time.monotonic() - started < 8
    kept = sum(len(str(line.get("event", ""))) for line in result.run.log_lines)
    assert kept <= 16 * 1024 * 1024
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 200 * 1024, f"peak memory grew by {grown_kib} KiB"
    assert len(result.error().summary()) < 10_000


def test_descendants_that_left_the_group_are_killed_after_a_smoke_test(
    gobundles: GoBundleBuilder, tmp_path: Path, runs: Runs
) -> None:
    # Packed by hand (no introspection, which kills them too): the smoke test's own cleanup
    # must reach the setsid'd copy and the double-forked daemon the fixture starts.
    from hatch_airflow_go.format.footer import write_bundle
    from hatch_airflow_go.format.manifest import Manifest, SdkInfo, render_v1
    from tests.conftest import GOBUNDLES

    manifest = Manifest(
        sdk=SdkInfo("go", "v0.1.0", "2026-06-16"),
        dags={"escaper_dag": ["extract"]},
        source="main.go",
    )
    bundle = write_bundle(
        gobundles.path("escaper"),
        (GOBUNDLES / "escaper" / "main.go").read_bytes(),
        render_v1(manifest).data,
        tmp_path / "escaper",
    ).path
    result = runs.smoke(bundle)
    assert result.ok, result.problems
    # `runs` then checks that no process of the bundle is left.
