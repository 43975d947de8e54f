"""The coordinator-protocol smoke test against real bundles.

Each ``tests/gobundles/proto-<variant>`` program is built with the real Go toolchain,
introspected, packed into a real bundle (footer + rendered manifest), and then run through one
DagFileParseRequest exchange. Every test also checks that the exchange left nothing behind: no
process running the bundle, no listening socket on the ports it used, no extra thread.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatch_airflow_go.errors import NotABundleError
from hatch_airflow_go.format.footer import write_bundle
from hatch_airflow_go.format.manifest import render_v1
from hatch_airflow_go.golang.introspect import introspect
from hatch_airflow_go.runtime.coordinator import SmokeResult, _reply_ids, run_exchange, smoke_test
from tests.conftest import GOBUNDLES, GoBundleBuilder


class Packer:
    """Builds, introspects and packs each proto fixture once per module."""

    def __init__(self, gobundles: GoBundleBuilder, out_dir: Path) -> None:
        self.gobundles = gobundles
        self.out_dir = out_dir
        self._packed: dict[str, Path] = {}

    def bundle(self, variant: str) -> Path:
        name = f"proto-{variant}"
        if name not in self._packed:
            binary = self.gobundles.path(name)
            manifest = introspect(binary).with_source("main.go")
            rendered = render_v1(manifest)
            source = (GOBUNDLES / name / "main.go").read_bytes()
            written = write_bundle(binary, source, rendered.data, self.out_dir / name)
            self._packed[name] = written.path
        return self._packed[name]


@pytest.fixture(scope="module")
def packer(gobundles: GoBundleBuilder, tmp_path_factory: pytest.TempPathFactory) -> Packer:
    return Packer(gobundles, tmp_path_factory.mktemp("proto-bundles"))


def processes_running(path: Path) -> list[int]:
    """Pids whose executable or argv[0] is ``path``."""
    found = []
    target = str(path)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            exe = os.readlink(entry / "exe") if argv0 != target else target
        except OSError:
            continue
        if target in (argv0, exe):
            found.append(int(entry.name))
    return found


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR lets the bind succeed past TIME_WAIT leftovers of closed connections, but
    # never while a socket is still listening on the port.
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
        probe.listen(1)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def open_socket_count() -> int:
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if os.readlink(fd).startswith("socket:"):
                count += 1
        except OSError:
            continue
    return count


@pytest.fixture
def leak_check() -> Iterator[list[SmokeResult]]:
    """Collects the results a test produced and checks afterwards that nothing leaked."""
    results: list[SmokeResult] = []
    threads_before = threading.active_count()
    sockets_before = open_socket_count()
    yield results
    assert results, "the test recorded no result to check"
    for result in results:
        assert processes_running(result.bundle) == [], f"{result.bundle} still runs"
        assert all(port > 0 for port in result.ports)
        for port in result.ports:
            assert port_is_free(port), f"port {port} is still listening"
    assert threading.active_count() == threads_before
    assert open_socket_count() == sockets_before


def smoke(packer: Packer, variant: str, results: list[SmokeResult], timeout: float) -> SmokeResult:
    result = smoke_test(packer.bundle(variant), timeout=timeout)
    results.append(result)
    return result


def test_correct_bundle_passes(packer: Packer, leak_check: list[SmokeResult]) -> None:
    result = smoke(packer, "correct", leak_check, timeout=5)
    assert result.problems == []
    assert result.ok
    assert result.outcome == "ok"
    assert result.exit_code == 0
    assert result.dag_ids == ["simple_dag", "concurrent_xcom_dag"]
    assert result.task_ids == {
        "simple_dag": ["extract", "transform", "load"],
        "concurrent_xcom_dag": ["pull_xcoms_concurrently"],
    }
    assert result.expected_dags == {
        "concurrent_xcom_dag": ["pull_xcoms_concurrently"],
        "simple_dag": ["extract", "transform", "load"],
    }
    events = [line["event"] for line in result.log_lines]
    assert events == ["connected to supervisor", "parsed dags"]
    for line in result.log_lines:
        assert line["level"] == "info"
        assert line["timestamp"]
    assert result.log_lines[0]["sdk_version"] == "v0.1.0"
    assert result.log_lines[1]["dag_count"] == 2
    assert result.seconds < 5


def test_lying_manifest_reports_every_difference(
    packer: Packer, leak_check: list[SmokeResult]
) -> None:
    result = smoke(packer, "lying-manifest", leak_check, timeout=5)
    assert not result.ok
    assert result.outcome == "mismatch"
    assert result.exit_code == 0
    assert result.expected_dags == {
        "manifest_only_dag": ["promised"],
        "shared_dag": ["extract", "load"],
    }
    assert result.dag_ids == ["shared_dag", "runtime_only_dag"]
    assert result.problems == [
        "dag ids in the manifest but not in the parse result: manifest_only_dag",
        "dag ids in the parse result but not in the manifest: runtime_only_dag",
        "dag shared_dag: task ids in the manifest but not in the parse result: load",
        "dag shared_dag: task ids in the parse result but not in the manifest: publish",
    ]


def test_crash_reports_exit_code_stderr_and_logs(
    packer: Packer, leak_check: list[SmokeResult]
) -> None:
    result = smoke(packer, "crash", leak_check, timeout=5)
    assert result.outcome == "crashed"
    assert result.exit_code == 2  # Go's exit code for an unrecovered panic
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.startswith(
        "crashed: the bundle exited with code 2 before answering the DagFileParseRequest"
    )
    assert "panic: proto-crash: deliberate failure while parsing dags" in problem
    assert "last log lines:\ninfo: about to crash" in problem
    assert "panic: proto-crash" in result.stderr
    assert [line["event"] for line in result.log_lines] == ["about to crash"]


def test_hang_before_connect_times_out_as_never_connected(
    packer: Packer, leak_check: list[SmokeResult]
) -> None:
    result = smoke(packer, "hang-before-connect", leak_check, timeout=1.5)
    assert result.outcome == "never-connected"
    assert result.problems == [
        "never connected: timeout after 1.5s waiting for the bundle to dial the comm and "
        "logs addresses"
    ]
    assert result.exit_code is None  # still running: killed by the supervisor
    assert 1.5 <= result.seconds < 4.5


def test_hang_after_connect_names_the_step(packer: Packer, leak_check: list[SmokeResult]) -> None:
    result = smoke(packer, "hang-after-connect", leak_check, timeout=1.5)
    assert result.outcome == "timeout"
    assert result.problems == [
        "timeout: no answer after 1.5s (waiting for the reply to DagFileParseRequest)"
    ]
    assert result.exit_code is None
    assert [line["event"] for line in result.log_lines] == ["connected, now stalling"]
    assert 1.5 <= result.seconds < 4.5


def test_garbage_frame(packer: Packer, leak_check: list[SmokeResult]) -> None:
    result = smoke(packer, "garbage-frame", leak_check, timeout=5)
    assert result.outcome == "garbage-frame"
    assert len(result.problems) == 1
    assert result.problems[0].startswith("garbage frame: the 4-byte reply is not valid msgpack (")
    assert result.dag_ids == []


def test_oversized_frame_is_refused_without_reading_it(
    packer: Packer, leak_check: list[SmokeResult]
) -> None:
    result = smoke(packer, "oversized-frame", leak_check, timeout=5)
    assert result.outcome == "oversized-frame"
    assert result.problems == [
        "oversized frame: the reply declares 2147483648 bytes, over the 67108864-byte limit"
    ]
    # The fixture stays alive after the header: the supervisor must not wait for the body.
    assert result.exit_code is None
    assert result.seconds < 3


def test_error_reply_carries_the_error(packer: Packer, leak_check: list[SmokeResult]) -> None:
    result = smoke(packer, "error-reply", leak_check, timeout=5)
    assert result.outcome == "error-reply"
    assert result.problems == [
        'error reply: GENERIC_ERROR: registering dag broken_dag: schedule "every day" is not '
        "a cron expression"
    ]


def test_logs_only_exit_zero_without_reply(packer: Packer, leak_check: list[SmokeResult]) -> None:
    result = smoke(packer, "logs-only", leak_check, timeout=5)
    assert result.outcome == "no-reply"
    assert result.exit_code == 0
    assert result.problems == [
        "no reply: the bundle closed the comm connection and exited with code 0 without "
        "answering the DagFileParseRequest; last log lines:\n"
        "info: starting up\nwarning: nothing to do"
    ]
    assert [(line["event"], line["level"], line["step"]) for line in result.log_lines] == [
        ("starting up", "info", 1),
        ("nothing to do", "warning", 2),
    ]


def test_startup_details_first_sdk_is_named(packer: Packer, leak_check: list[SmokeResult]) -> None:
    result = smoke(packer, "startup-details-first", leak_check, timeout=5)
    assert result.outcome == "cannot-parse"
    assert result.exit_code == 1
    assert result.problems == [
        "the bundle's SDK cannot parse DAGs: it expects StartupDetails first and rejected the "
        "DagFileParseRequest (it exited with code 1); rebuild it with an SDK version that "
        "answers DagFileParseRequest"
    ]
    assert "expected StartupDetails as the first message" in result.stderr


def test_wrong_reply_type(packer: Packer, leak_check: list[SmokeResult]) -> None:
    result = smoke(packer, "wrong-reply", leak_check, timeout=5)
    assert result.outcome == "wrong-reply"
    assert result.problems == ["wrong reply type: expected DagFileParsingResult, got 'OKResponse'"]


def test_bundle_that_cannot_be_started(
    packer: Packer, tmp_path: Path, leak_check: list[SmokeResult]
) -> None:
    copy = tmp_path / "not-executable"
    copy.write_bytes(packer.bundle("correct").read_bytes())
    copy.chmod(stat.S_IRUSR | stat.S_IWUSR)
    result = smoke_test(copy, timeout=5)
    leak_check.append(result)
    assert result.outcome == "launch-failed"
    assert len(result.problems) == 1
    assert result.problems[0].startswith("cannot start the bundle: ")
    assert "Permission denied" in result.problems[0]
    assert result.exit_code is None


def test_raw_binary_is_not_a_bundle(gobundles: GoBundleBuilder) -> None:
    with pytest.raises(NotABundleError):
        smoke_test(gobundles.path("proto-correct"), timeout=5)


def test_run_exchange_with_explicit_expectation(
    gobundles: GoBundleBuilder, leak_check: list[SmokeResult]
) -> None:
    binary = gobundles.path("proto-correct")
    result = run_exchange(binary, expected_dags={"simple_dag": ["extract", "load"]}, timeout=5)
    leak_check.append(result)
    assert result.problems == [
        "dag ids in the parse result but not in the manifest: concurrent_xcom_dag",
        "dag simple_dag: task ids in the parse result but not in the manifest: transform",
    ]
    unchecked = run_exchange(binary, expected_dags=None, timeout=5)
    leak_check.append(unchecked)
    assert unchecked.ok
    assert unchecked.dag_ids == ["simple_dag", "concurrent_xcom_dag"]


def test_reply_ids_reads_every_task_shape() -> None:
    reply = {
        "type": "DagFileParsingResult",
        "serialized_dags": [
            {
                "data": {
                    "__version": 3,
                    "dag": {
                        "dag_id": "a",
                        "tasks": [
                            {"__type": "operator", "__var": {"task_id": "t1"}},
                            {"task_id": "t2"},
                            "t3",
                            {"__type": "operator", "__var": {}},
                        ],
                    },
                }
            },
            {"data": {"__version": 3, "dag": {"dag_id": "no_tasks_listed"}}},
            {"dag": {"dag_id": "unwrapped", "tasks": []}},
            {"data": {"dag": {"tasks": []}}},
        ],
    }
    dag_ids, task_ids = _reply_ids(reply)
    assert dag_ids == ["a", "no_tasks_listed", "unwrapped"]
    assert task_ids == {"a": ["t1", "t2", "t3"], "unwrapped": []}


def test_startup_details_error_reply_is_named(
    packer: Packer, leak_check: list[SmokeResult]
) -> None:
    result = smoke(packer, "startup-details-error", leak_check, timeout=5)
    assert result.outcome == "cannot-parse"
    assert result.problems == [
        "the bundle's SDK cannot parse DAGs: it expects StartupDetails first and rejected the "
        "DagFileParseRequest (it answered: GENERIC_ERROR: first message must be StartupDetails, "
        "not DagFileParseRequest); rebuild it with an SDK version that answers "
        "DagFileParseRequest"
    ]


def test_exit_before_connecting_is_never_connected(leak_check: list[SmokeResult]) -> None:
    # /bin/false stands for a binary without the SDK: it ignores --comm/--logs and exits 1.
    false = shutil.which("false")
    if false is None:
        pytest.skip("no `false` program on PATH to stand in for a binary that never dials")
    result = run_exchange(false, expected_dags={"a": []}, timeout=5)
    leak_check.append(result)
    assert result.outcome == "never-connected"
    assert result.problems == [
        "never connected: the bundle exited with code 1 before dialling the comm address"
    ]
    assert result.exit_code == 1
    assert result.seconds < 3


def _proc_state(pid: int) -> str:
    """The one-letter /proc state of ``pid`` ("Z" for a zombie), or "" once it is reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


@pytest.fixture
def group_kills(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Each os.killpg call as (group id, the leader's state at that moment); the kill is real."""
    calls: list[tuple[int, str]] = []
    real_killpg = os.killpg

    def recording_killpg(pgid: int, sig: int) -> None:
        calls.append((pgid, _proc_state(pgid)))
        real_killpg(pgid, sig)

    monkeypatch.setattr(os, "killpg", recording_killpg)
    return calls


def test_group_is_killed_before_the_bundle_is_reaped(
    packer: Packer, leak_check: list[SmokeResult], group_kills: list[tuple[int, str]]
) -> None:
    # A reaped leader's pid may already belong to another process, and with it the group id:
    # the kill must happen while the exited bundle is still an unreaped zombie.
    result = smoke(packer, "correct", leak_check, timeout=5)
    assert result.ok, result.problems
    assert result.exit_code == 0
    assert len(group_kills) == 1
    pgid, state = group_kills[0]
    assert state == "Z", f"group {pgid} was signalled after its leader was reaped"


def test_group_is_killed_before_reaping_a_bundle_that_never_connected(
    leak_check: list[SmokeResult], group_kills: list[tuple[int, str]]
) -> None:
    false = shutil.which("false")
    if false is None:
        pytest.skip("no `false` program on PATH to stand in for a binary that never dials")
    result = run_exchange(false, expected_dags={"a": []}, timeout=5)
    leak_check.append(result)
    assert result.outcome == "never-connected"
    assert result.exit_code == 1
    assert [state for _pgid, state in group_kills] == ["Z"]


def test_children_left_behind_by_the_bundle_are_killed(
    tmp_path: Path, leak_check: list[SmokeResult]
) -> None:
    pid_file = tmp_path / "left-behind.pid"
    script = tmp_path / "bundle"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nexit 4\n")
    script.chmod(0o755)
    result = run_exchange(script, expected_dags={"a": []}, timeout=5)
    leak_check.append(result)
    assert result.problems == [
        "never connected: the bundle exited with code 4 before dialling the comm address"
    ]
    left_behind = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _proc_state(left_behind) not in ("", "Z") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _proc_state(left_behind) in ("", "Z"), "the bundle's child outlived the smoke test"
