"""``hatch-airflow-go smoke`` as a user runs it, on real packed bundles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hatch_airflow_go.cli import main
from hatch_airflow_go.format.footer import write_bundle
from hatch_airflow_go.format.manifest import render_v1
from hatch_airflow_go.golang.introspect import introspect
from tests.conftest import GOBUNDLES, GoBundleBuilder, run_cli


@pytest.fixture(scope="module")
def bundles(
    gobundles: GoBundleBuilder, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """The proto fixtures this module runs, each packed into a real bundle."""
    out = tmp_path_factory.mktemp("smoke-cli")
    packed = {}
    for variant in ("correct", "lying-manifest", "hang-before-connect", "startup-details-first"):
        name = f"proto-{variant}"
        binary = gobundles.path(name)
        manifest = introspect(binary).with_source("main.go")
        source = (GOBUNDLES / name / "main.go").read_bytes()
        packed[variant] = write_bundle(binary, source, render_v1(manifest).data, out / name).path
    return packed


def test_smoke_ok_in_a_subprocess(bundles: dict[str, Path]) -> None:
    result = run_cli("smoke", str(bundles["correct"]), "--timeout", "5")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"{bundles['correct']}: ok: answered a DagFileParseRequest with 2 dag(s) and 4 task(s) "
        "matching its manifest, exited 0 ("
    )
    assert lines[1:] == [
        "  dag simple_dag: extract, transform, load",
        "  dag concurrent_xcom_dag: pull_xcoms_concurrently",
    ]


def test_smoke_ok_in_process(bundles: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["smoke", str(bundles["correct"]), "--timeout", "5"]) == 0
    assert ": ok: answered a DagFileParseRequest with 2 dag(s)" in capsys.readouterr().out


def test_smoke_json_ok(bundles: dict[str, Path]) -> None:
    result = run_cli("smoke", str(bundles["correct"]), "--timeout", "5", "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["ok"] is True
    assert record["outcome"] == "ok"
    assert record["problems"] == []
    assert record["dag_ids"] == ["simple_dag", "concurrent_xcom_dag"]
    assert record["task_ids"]["simple_dag"] == ["extract", "transform", "load"]
    assert record["exit_code"] == 0
    assert [line["event"] for line in record["log_lines"]] == [
        "connected to supervisor",
        "parsed dags",
    ]


def test_smoke_mismatch_exits_one_with_reason(bundles: dict[str, Path]) -> None:
    bundle = bundles["lying-manifest"]
    result = run_cli("smoke", str(bundle), "--timeout", "5")
    assert result.returncode == 1
    assert result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first.startswith(
        f"hatch-airflow-go: error: {bundle}: smoke test failed (mismatch): dag ids in the "
        "manifest but not in the parse result: manifest_only_dag (fix: the bundle registers "
        "different DAGs when it runs than when it was packed"
    )
    assert "also: dag ids in the parse result but not in the manifest: runtime_only_dag" in (
        result.stderr
    )
    assert "exit code: 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_smoke_json_failure(bundles: dict[str, Path]) -> None:
    result = run_cli("smoke", str(bundles["startup-details-first"]), "--timeout", "5", "--json")
    assert result.returncode == 1
    record = json.loads(result.stdout)
    assert record["ok"] is False
    assert record["outcome"] == "cannot-parse"
    assert record["exit_code"] == 1
    assert "expects StartupDetails first" in record["problems"][0]


def test_smoke_timeout_flag_bounds_the_run(bundles: dict[str, Path]) -> None:
    result = run_cli("smoke", str(bundles["hang-before-connect"]), "--timeout", "1")
    assert result.returncode == 1
    assert (
        "smoke test failed (never-connected): never connected: timeout after 1s waiting for "
        "the bundle to dial the comm and logs addresses"
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


def test_smoke_rejects_a_non_positive_timeout(bundles: dict[str, Path]) -> None:
    result = run_cli("smoke", str(bundles["correct"]), "--timeout", "0")
    assert result.returncode == 2
    assert "--timeout must be a positive number of seconds" in result.stderr


def test_smoke_a_bare_file_name_runs_the_file_in_the_current_folder(
    bundles: dict[str, Path],
) -> None:
    # "smoke mybundle" means ./mybundle, as it does for every other command, never a program
    # of that name found on PATH.
    bundle = bundles["correct"]
    result = run_cli("smoke", bundle.name, "--timeout", "5", "--json", cwd=bundle.parent)
    assert result.returncode == 0, result.stdout + result.stderr
    record = json.loads(result.stdout)
    assert record["ok"] is True, record["problems"]
    assert record["bundle"] == bundle.name
    assert record["dag_ids"] == ["simple_dag", "concurrent_xcom_dag"]
    assert record["exit_code"] == 0


def test_smoke_a_bare_file_name_in_process(
    bundles: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = bundles["correct"]
    monkeypatch.chdir(bundle.parent)
    assert main(["smoke", bundle.name, "--timeout", "5"]) == 0
    assert capsys.readouterr().out.startswith(
        f"{bundle.name}: ok: answered a DagFileParseRequest with 2 dag(s) and 4 task(s)"
    )
