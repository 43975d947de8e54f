"""``hatch-airflow-go run-task`` as a user runs it, on real packed bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import BundlePacker, run_cli

WAREHOUSE = "warehouse=postgres://etl:s3cret@db.example:5432/dw?sslmode=require"


def test_run_task_success_prints_calls_xcoms_and_state(packed: BundlePacker) -> None:
    bundle = packed.bundle("proto-correct")
    result = run_cli(
        "run-task", str(bundle), "simple_dag", "extract",
        "--conn", WAREHOUSE, "--var", "source=s3://in",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"running simple_dag.extract from {bundle} (run manual__hatch-airflow-go, try 1) "
        "under hatch-airflow-go's supervisor"
    )
    assert lines[1:7] == [
        "  -> GetVariable key='source'",
        "  <- VariableResult key='source' value='s3://in'",
        "  -> GetConnection conn_id='warehouse'",
        "  <- ConnectionResult conn_id='warehouse' conn_type='postgres' host='db.example' "
        "schema='dw' login='etl' password='***' port=5432 extra='{\"sslmode\": \"require\"}'",
        "  -> SetXCom dag_id='simple_dag' key='rows' map_index=-1 run_id='manual__hatch-airflow-go'"
        " task_id='extract' value={'count': 3, 'source': 's3://in'}",
        "  <- (empty: ok)",
    ]
    assert "s3cret" not in result.stdout
    assert 'xcom pushed: extract.rows = {"count": 3, "source": "s3://in"}' in lines
    assert lines[-1].startswith("state: success (SucceedTask, exit 0, ")


def test_run_task_failure_is_exit_one(packed: BundlePacker) -> None:
    result = run_cli(
        "run-task", str(packed.bundle("proto-correct")), "simple_dag", "load",
        "--var", "load_mode=fail",
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1].startswith("state: failed (TaskState, exit 0, ")
    assert '  log error: Task failed error="load_mode is fail"' in result.stdout
    assert "Traceback" not in result.stderr


def test_run_task_retry_and_unknown_task(packed: BundlePacker) -> None:
    bundle = str(packed.bundle("proto-correct"))
    retry = run_cli("run-task", bundle, "simple_dag", "load", "--var", "load_mode=panic", "--retry")
    assert retry.returncode == 1
    assert retry.stdout.splitlines()[-1].startswith("state: up_for_retry (RetryTask, exit 0, ")
    removed = run_cli("run-task", bundle, "simple_dag", "nope")
    assert removed.returncode == 1
    assert removed.stdout.splitlines()[-1].startswith("state: removed (TaskState, exit 0, ")


def test_run_task_state_file_and_json(packed: BundlePacker, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"xcoms": {"extract": {"rows": {"count": 11}}}}))
    result = run_cli(
        "run-task", str(packed.bundle("proto-correct")), "simple_dag", "transform",
        "--state", str(state), "--run-id", "r7", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["state"] == "success"
    assert record["ok"] is True
    assert [call["request"]["type"] for call in record["calls"]] == ["GetXCom", "SetXCom"]
    assert record["calls"][0]["request"]["run_id"] == "r7"
    assert record["xcoms_pushed"] == [
        {"task_id": "transform", "key": "return_value", "map_index": -1, "value": 11}
    ]


def test_run_task_protocol_failure_names_outcome(packed: BundlePacker) -> None:
    bundle = packed.bundle("proto-crash")
    result = run_cli("run-task", str(bundle), "crash_dag", "boom")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"hatch-airflow-go: error: {bundle}: run-task failed (crashed): crashed: the bundle "
        "exited with code 2"
    )
    assert result.stdout.splitlines()[-1].startswith("state: failed (no terminal message, exit 2")


def test_run_task_unknown_dag_is_refused_before_starting(packed: BundlePacker) -> None:
    bundle = packed.bundle("proto-correct")
    result = run_cli("run-task", str(bundle), "other_dag", "x")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"hatch-airflow-go: error: {bundle}: the manifest has no dag 'other_dag', so Airflow "
        "would never start this bundle for it (fix: name one of its dags: concurrent_xcom_dag, "
        "simple_dag)"
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--conn", "warehouse", "--conn 'warehouse': expected ID=URI or ID=JSON"),
        ("--conn", "w=nota uri", "connection 'w': 'nota uri' is not a connection URI"),
        ("--conn", 'w={"host": 1}', "connection 'w': expected a URI string or an object"),
        ("--var", "novalue", "--var 'novalue': expected KEY=VALUE"),
        ("--xcom", "rows=1", "--xcom 'rows=1': expected UPSTREAM_TASK_ID.KEY=JSON"),
        ("--xcom", "a.b={", "--xcom a.b: not valid JSON"),
        ("--timeout", "nan", "argument --timeout:"),
    ],
)
def test_run_task_bad_values_are_usage_errors(
    packed: BundlePacker, flag: str, value: str, message: str
) -> None:
    result = run_cli(
        "run-task", str(packed.bundle("proto-correct")), "simple_dag", "x", flag, value
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_run_task_bad_state_file(packed: BundlePacker, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"variables": [1]}')
    result = run_cli(
        "run-task", str(packed.bundle("proto-correct")), "simple_dag", "x", "--state", str(state)
    )
    assert result.returncode == 2
    assert f"{state}: variables must be an object" in result.stderr
