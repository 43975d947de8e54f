"""``hatch-airflow-go smoke`` as a user runs it, on real packed bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hatch_airflow_go.cli import main
from tests.conftest import BundlePacker, GoBundleBuilder, run_cli


def test_smoke_ok_in_a_subprocess(packed: BundlePacker) -> None:
    bundle = packed.bundle("proto-correct")
    result = run_cli("smoke", str(bundle), "--timeout", "5")
    assert result.returncode == 0, result.stderr
    [line] = result.stdout.splitlines()
    assert line.startswith(
        f"{bundle}: ok: started as Airflow's supervisor starts it, answered TaskState removed "
        "for concurrent_xcom_dag.hatch-airflow-go-smoke-"
    )
    assert "(a task it does not have) and exited 0 (" in line


def test_smoke_ok_in_process(packed: BundlePacker, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smoke", str(packed.bundle("proto-correct")), "--timeout", "5"]) == 0
    assert ": ok: started as Airflow's supervisor starts it" in capsys.readouterr().out


def test_smoke_json_ok(packed: BundlePacker) -> None:
    result = run_cli("smoke", str(packed.bundle("proto-correct")), "--timeout", "5", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["ok"] is True
    assert record["outcome"] == "ok"
    assert record["problems"] == []
    assert record["state"] == "removed"
    assert record["terminal"]["type"] == "TaskState"
    assert record["terminal"]["state"] == "removed"
    assert record["exit_code"] == 0
    assert record["calls"] == []
    assert record["probe"]["dag_id"] == "concurrent_xcom_dag"
    assert record["fix"] is None
    assert [line["event"] for line in record["log_lines"]] == ["Task not registered"]


def test_smoke_failure_exits_one_with_outcome_and_fix(packed: BundlePacker) -> None:
    bundle = packed.bundle("proto-crash")
    result = run_cli("smoke", str(bundle), "--timeout", "5")
    assert result.returncode == 1
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith(
        f"hatch-airflow-go: error: {bundle}: smoke test failed (crashed): crashed: the bundle "
        "exited with code 2; stderr:"
    )
    assert "(fix: run the bundle with --comm and --logs under `hatch-airflow-go run-task`" in (
        result.stderr
    )
    assert "panic: proto-crash: deliberate failure after StartupDetails" in result.stderr
    assert "exit code: 2" in result.stderr
    assert "Traceback" not in result.stderr


def test_smoke_json_failure(packed: BundlePacker) -> None:
    bundle = packed.bundle("proto-succeeds-anything")
    result = run_cli("smoke", str(bundle), "--timeout", "5", "--json")
    assert result.returncode == 1
    record = json.loads(result.stdout)
    assert record["ok"] is False
    assert record["outcome"] == "not-removed"
    assert record["state"] == "success"
    assert record["fix"].startswith("rebuild the bundle with a released Airflow Go SDK")


def test_smoke_timeout_flag_bounds_the_run(packed: BundlePacker) -> None:
    result = run_cli("smoke", str(packed.bundle("proto-hang-after-connect")), "--timeout", "1")
    assert result.returncode == 1
    assert (
        "smoke test failed (timeout): timeout: nothing after 1s (waiting for the task's next "
        "message)"
    ) in result.stderr
    assert "the bundle was still running and was killed" in result.stderr


def test_smoke_not_a_bundle(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("proto-correct")
    result = run_cli("smoke", str(binary), "--timeout", "5")
    assert result.returncode == 1
    assert result.stderr.startswith(f"hatch-airflow-go: error: {binary}: ")
    assert "Traceback" not in result.stderr

    as_json = run_cli("smoke", str(binary), "--json")
    assert as_json.returncode == 1
    record = json.loads(as_json.stdout)
    assert record["outcome"] == "invalid-bundle"
    assert record["problems"][0].startswith(f"{binary}: ")


def test_smoke_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here"
    result = run_cli("smoke", str(missing))
    assert result.returncode == 1
    assert result.stderr.startswith(f"hatch-airflow-go: error: {missing}: ")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan", "1e300", "soon"])
def test_smoke_rejects_a_timeout_that_is_not_a_finite_positive_number(
    packed: BundlePacker, value: str
) -> None:
    result = run_cli("smoke", str(packed.bundle("proto-correct")), "--timeout", value)
    assert result.returncode == 2
    assert "argument --timeout:" in result.stderr
    assert "Traceback" not in result.stderr


def test_smoke_a_bare_file_name_runs_the_file_in_the_current_folder(
    packed: BundlePacker,
) -> None:
    # "smoke mybundle" means ./mybundle, as it does for every other command, never a program
    # of that name found on PATH.
    bundle = packed.bundle("proto-correct")
    result = run_cli("smoke", bundle.name, "--timeout", "5", "--json", cwd=bundle.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    record = json.loads(result.stdout)
    assert record["ok"] is True, record["problems"]
    assert record["bundle"] == bundle.name
    assert record["exit_code"] == 0
