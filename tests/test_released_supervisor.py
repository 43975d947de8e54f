"""Airflow's released supervisor (task-sdk 1.3.2's ExecutableCoordinator) runs what we build.

A fixture project is built into a wheel by the real hook (``python -m build``), installed with
pip into a prefix, and its installed bundle, found by the released ``_Bundle.find`` in the
installed ``executables_root``, is run by ``ExecutableCoordinator.execute_task`` with an
in-memory execution API: a task that reads a variable and pushes an XCom ends ``success``, one
that fails ends ``failed``, an unknown task ``removed``. ``run-task --supervisor airflow`` and
the smoke test are checked against the same installed bundle. Skips, saying why, where task-sdk
cannot be installed.
"""

from __future__ import annotations

import json
import sys
import sysconfig
from pathlib import Path

import pytest

from hatch_airflow_go.plugin import SHARED_DATA_DIR
from hatch_airflow_go.runtime.execution_api import ExecutionState, state_from
from hatch_airflow_go.runtime.released import ReleasedRun, run_released
from hatch_airflow_go.runtime.smoke import smoke_test
from hatch_airflow_go.runtime.startup import TaskTarget, startup_details
from hatch_airflow_go.runtime.supervisor import supervise
from tests.airflow_reader import coordinator
from tests.conftest import BundlePacker, run_cli
from tests.plugin_support import build, build_env, copy_project, only, pip_install

pytestmark = [pytest.mark.interop, pytest.mark.slow]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder pip installed the fixture project's bundles into (its executables_root)."""
    coordinator()  # skips the module, saying why, where task-sdk is absent
    work = tmp_path_factory.mktemp("released")
    project = copy_project("tasks", work / "tasks")
    result = build(project, env=build_env())
    assert result.returncode == 0, result.stdout + result.stderr
    prefix = work / "prefix"
    pip_install(
        Path(sys.executable), "--no-deps", "--no-index", "--prefix", str(prefix),
        str(only(project / "dist", "*.whl")),
    )  # fmt: skip
    data = Path(sysconfig.get_path("data", vars={"base": str(prefix), "platbase": str(prefix)}))
    return data / SHARED_DATA_DIR


def execute(root: Path, task_id: str, state: ExecutionState) -> ReleasedRun:
    """Run one task with the released ExecutableCoordinator, which finds the bundle under
    ``root`` by dag id as a deployment would."""
    target = TaskTarget(dag_id="fixture_tasks", task_id=task_id, run_id="r1")
    bundle = root / "tasks-bundle" / "pipeline"  # the distribution's own folder
    return run_released(bundle, target, state, logs_to_stdout=False, executables_root=root)


def test_released_supervisor_runs_tasks_to_success_across_an_xcom(installed: Path) -> None:
    state = state_from(variables=("greeting=hello",), dag_id="fixture_tasks", run_id="r1")
    produced = execute(installed, "produce", state)
    assert (produced.state, produced.exit_code) == ("success", 0)
    assert produced.final_state_update is not None
    assert produced.final_state_update["state"] == "success"
    assert [call.request["type"] for call in produced.calls] == ["GetVariable", "SetXCom"]
    consumed = execute(installed, "consume", state)
    assert (consumed.state, consumed.exit_code) == ("success", 0)
    assert [value for _key, value in state.pushed] == ["hello, world", "hello, world!"]


def test_released_supervisor_records_failed_and_removed(installed: Path) -> None:
    failed = execute(installed, "explode", ExecutionState())
    assert (failed.state, failed.exit_code) == ("failed", 0)
    assert failed.final_state_update is not None
    assert failed.final_state_update["state"] == "failed"
    missing_variable = execute(installed, "produce", ExecutionState())
    assert missing_variable.state == "failed"
    removed = execute(installed, "not_a_task", ExecutionState())
    assert (removed.state, removed.exit_code) == ("removed", 0)


def test_run_task_with_the_released_supervisor(installed: Path) -> None:
    bundle = installed / "tasks-bundle" / "pipeline"
    result = run_cli(
        "run-task", str(bundle), "fixture_tasks", "produce", "--var", "greeting=hi",
        "--supervisor", "airflow", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    record = json.loads(result.stdout)
    assert record["supervisor"] == "airflow"
    assert record["state"] == "success"
    assert record["xcoms_pushed"] == [
        {"task_id": "produce", "key": "message", "map_index": -1, "value": "hi, world"}
    ]
    assert record["final_state_update"]["state"] == "success"
    failing = run_cli(
        "run-task", str(bundle), "fixture_tasks", "explode", "--supervisor", "airflow"
    )
    assert failing.returncode == 1
    assert failing.stdout.splitlines()[-1].startswith("state: failed (exit 0, ")


def test_our_supervisor_agrees_with_the_released_one(installed: Path) -> None:
    bundle = installed / "tasks-bundle" / "pipeline"
    assert smoke_test(bundle).ok
    for task_id, want in (("produce", 0), ("explode", 1), ("not_a_task", 1)):
        ours = run_cli("run-task", str(bundle), "fixture_tasks", task_id, "--var", "greeting=a")
        assert ours.returncode == want, ours.stdout + ours.stderr


# fixture, dag, task, the state both supervisors record
AGREEMENT = [
    ("proto-correct", "simple_dag", "load", "success"),
    ("proto-correct", "simple_dag", "extract", "failed"),  # no "source" variable
    ("proto-correct", "simple_dag", "missing", "removed"),
    ("proto-lying-manifest", "shared_dag", "load", "removed"),
    ("proto-crash", "crash_dag", "boom", "failed"),
    ("proto-bad-exit", "exit_dag", "done", "failed"),
    ("proto-no-terminal", "quiet_dag", "nothing", "success"),
]


@pytest.mark.parametrize("case", AGREEMENT, ids=[f"{c[0]}-{c[2]}" for c in AGREEMENT])
def test_final_state_agrees_with_the_released_supervisor(
    packed: BundlePacker, case: tuple[str, str, str, str]
) -> None:
    coordinator()
    fixture, dag_id, task_id, want = case
    bundle = packed.bundle(fixture)
    target = TaskTarget(dag_id=dag_id, task_id=task_id)
    released = run_released(bundle, target, ExecutionState(), timeout=60, logs_to_stdout=False)
    startup = startup_details(target, dag_rel_path="main.go", bundle_name=bundle.name)
    ours = supervise(bundle, startup, state=ExecutionState(), timeout=60)
    assert (released.state, ours.state) == (want, want)
