"""verify_bundle / scan, and the verify, inspect and scan commands on good and mixed inputs."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from hatch_airflow_go import cli
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import parse_introspection, render_v1
from hatch_airflow_go.format.verify import scan, verify_bundle
from tests.conftest import GoBundleBuilder
from tests.vectors import WORKED_BINARY, WORKED_MANIFEST, WORKED_SOURCE

from .conftest import run_cli

WORKED_DAGS = {
    "concurrent_xcom_dag": ["pull_xcoms_concurrently"],
    "simple_dag": ["extract", "transform", "load"],
}


def _pack(tmp: Path, name: str, manifest: bytes = WORKED_MANIFEST, mode: int = 0o755) -> Path:
    exe = tmp / f".{name}.exe"
    exe.write_bytes(WORKED_BINARY)
    out = tmp / name
    footer.write_bundle(exe, WORKED_SOURCE, manifest, out)
    exe.unlink()
    out.chmod(mode)
    return out


def test_verify_bundle_reports_everything_about_a_good_bundle(tmp_path: Path) -> None:
    bundle = _pack(tmp_path, "etl")
    report = verify_bundle(bundle)
    assert report.ok
    assert report.errors == []
    assert report.warnings == []
    assert report.shape == "v1"
    assert report.dags == WORKED_DAGS
    assert report.executable is True
    assert report.sdk == "go/v0.1.0"
    assert report.info is not None
    assert report.info.binary_size == len(WORKED_BINARY)
    assert report.manifest is not None
    assert report.manifest.source == "main.go"
    as_json = report.to_json()
    assert as_json["path"] == str(bundle)
    assert as_json["dags"] == WORKED_DAGS
    assert as_json["binary_sha256"] == report.info.binary_sha256_hex
    json.dumps(as_json)  # serialisable as is


@pytest.mark.parametrize("kind", ["missing", "directory", "fifo", "garbage"])
def test_verify_bundle_never_raises(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "thing"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "garbage":
        path.write_bytes(os.urandom(500))
    report = verify_bundle(path)
    assert not report.ok
    assert len(report.errors) == 1
    assert "(fix: " in report.errors[0]
    assert report.info is None


def test_an_id_the_server_refuses_fails_unless_allowed_and_strict_fails_it_again(
    tmp_path: Path,
) -> None:
    manifest = WORKED_MANIFEST.replace(b"simple_dag", b"simple..dag")
    bundle = _pack(tmp_path, "etl", manifest)
    default = verify_bundle(bundle)
    assert not default.ok
    assert default.warnings == []
    assert default.errors == [
        "dag id 'simple..dag' contains '..' (refused unless the server sets "
        "allow_double_dot_in_ids): Airflow's server refuses it (fix: rename it to letters, "
        "digits, '_', '.' and '-', at most 250 characters, no '..'; or pass "
        "--allow-airflow-rejects to only warn)"
    ]
    relaxed = verify_bundle(bundle, allow_airflow_rejects=True)
    assert relaxed.ok
    assert relaxed.errors == []
    assert len(relaxed.warnings) == 1
    assert "contains '..'" in relaxed.warnings[0]
    assert not verify_bundle(bundle, strict=True, allow_airflow_rejects=True).ok


def test_verify_a_bundle_of_a_real_go_binary(tmp_path: Path, gobundles: GoBundleBuilder) -> None:
    """Introspect a real binary, render, pack, then verify: the whole chain, no hand bytes."""
    binary = gobundles.path("gen3")
    printed = subprocess.run(
        [binary, "--airflow-metadata", "--format", "json"], capture_output=True, check=True
    ).stdout
    manifest = parse_introspection(printed, flag="--airflow-metadata --format json")
    rendered = render_v1(manifest.with_source("main.go"))
    out = tmp_path / "gen3"
    footer.write_bundle(binary, b"package main\n", rendered.data, out)
    report = verify_bundle(out)
    assert report.ok, report.errors
    assert report.dags == manifest.dags
    assert report.info is not None
    assert report.info.binary_size == binary.stat().st_size


# --- verify command -------------------------------------------------------------------------


def test_verify_cli_ok_and_failure_lines(tmp_path: Path) -> None:
    good = _pack(tmp_path, "good")
    bad = tmp_path / "bad"
    bad.write_bytes(b"x" * 100)
    result = run_cli("verify", str(good), str(bad))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{good}: ok"
    assert lines[1].startswith(f"{bad}: not a bundle: the file does not end with the AFBNDL01")
    assert len(lines) == 2
    only_good = run_cli("verify", str(good))
    assert (only_good.returncode, only_good.stdout) == (0, f"{good}: ok\n")


NOT_EXECUTABLE_ERROR = (
    "not executable: Airflow's scanner skips it (fix: chmod +x the bundle, and in git "
    "`git update-index --chmod=+x <file>`; or pass --allow-airflow-rejects to only warn)"
)


def test_verify_cli_fails_a_non_executable_bundle_unless_allowed(tmp_path: Path) -> None:
    bundle = _pack(tmp_path, "etl", mode=0o644)
    default = run_cli("verify", str(bundle))
    assert default.returncode == 1
    assert default.stdout.splitlines() == [f"{bundle}: {NOT_EXECUTABLE_ERROR}"]
    relaxed = run_cli("verify", "--allow-airflow-rejects", str(bundle))
    assert relaxed.returncode == 0
    assert relaxed.stdout.splitlines() == [
        f"{bundle}: warning: not executable: Airflow will not find it (fix: chmod +x the bundle)",
        f"{bundle}: ok",
    ]
    strict = run_cli("verify", "--allow-airflow-rejects", "--strict", str(bundle))
    assert strict.returncode == 1
    assert strict.stdout.splitlines()[-1] == f"{bundle}: failed (--strict)"


def test_verify_cli_json(tmp_path: Path) -> None:
    good = _pack(tmp_path, "good")
    bad = tmp_path / "missing"
    result = run_cli("verify", "--json", str(good), str(bad))
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert [item["path"] for item in data] == [str(good), str(bad)]
    assert data[0]["ok"] is True
    assert data[0]["shape"] == "v1"
    assert data[0]["dags"] == WORKED_DAGS
    assert data[1]["ok"] is False
    assert data[1]["errors"][0].startswith("no such file")
    for item in data:
        assert {"path", "ok", "errors", "warnings", "shape", "dags"} <= set(item)


def test_verify_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _pack(tmp_path, "good")
    assert cli.main(["verify", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"
    assert cli.main(["verify", str(tmp_path / "nope")]) == 1
    assert capsys.readouterr().out.startswith(f"{tmp_path / 'nope'}: no such file")


# --- inspect command ------------------------------------------------------------------------


def test_inspect_prints_the_manifest_bytes(tmp_path: Path) -> None:
    bundle = _pack(tmp_path, "etl")
    result = subprocess.run([*_cli(), "inspect", str(bundle)], capture_output=True, check=True)
    assert result.stdout == WORKED_MANIFEST


def test_inspect_source_uses_upstream_separators(tmp_path: Path) -> None:
    bundle = _pack(tmp_path, "etl")
    result = subprocess.run(
        [*_cli(), "inspect", "--source", str(bundle)], capture_output=True, check=True
    )
    assert result.stdout == (
        b"# --- source ---\n" + WORKED_SOURCE + b"# --- manifest ---\n" + WORKED_MANIFEST
    )


def test_inspect_json(tmp_path: Path) -> None:
    bundle = _pack(tmp_path, "etl")
    result = run_cli("inspect", "--json", str(bundle))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "path": str(bundle),
        "footer_version": 1,
        "binary_size": 15,
        "binary_sha256": "96c7430c731ca63dba7ef8f926d20b6f7c089b3e654bb62c410c2624612d922e",
        "source_len": 29,
        "metadata_len": 293,
        "go_version": None,  # a 15-byte binary carries no Go build information
        "go_main_package": None,
        "shape": "v1",
        "manifest": {
            "airflow_bundle_metadata_version": "1.0",
            "sdk": {
                "language": "go",
                "version": "v0.1.0",
                "supervisor_schema_version": "2026-06-16",
            },
            "source": "main.go",
            "dags": {dag: {"tasks": tasks} for dag, tasks in WORKED_DAGS.items()},
        },
    }


def test_inspect_json_keeps_yaml_only_values_printable(tmp_path: Path) -> None:
    manifest = WORKED_MANIFEST.replace(b'"2026-06-16"', b"2026-06-16").replace(
        b"  simple_dag:", b"  123:"
    )
    result = run_cli("inspect", "--json", str(_pack(tmp_path, "etl", manifest)))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["manifest"]["sdk"]["supervisor_schema_version"] == "2026-06-16"
    assert "123" in data["manifest"]["dags"]


def _cli() -> list[str]:
    import sys

    return [sys.executable, "-m", "hatch_airflow_go"]


# --- scan -----------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two found bundles, one non-executable, one damaged, and ordinary files, nested."""
    root = tmp_path / "executables"
    (root / "team-a" / "deep").mkdir(parents=True)
    (root / "team-b").mkdir()
    _pack(root / "team-a", "etl")
    _pack(
        root / "team-a" / "deep",
        "reports",
        WORKED_MANIFEST.replace(b"simple_dag", b"report_dag").replace(
            b"concurrent_xcom_dag", b"other_dag"
        ),
    )
    _pack(root / "team-b", "sleepy", mode=0o644)
    damaged = _pack(root / "team-b", "damaged")
    data = bytearray(damaged.read_bytes())
    data[2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    (root / "team-b" / "README.md").write_text("docs\n")
    (root / "team-b" / "tool").write_bytes(b"#!/bin/sh\necho hi\n" * 10)
    (root / "team-b" / "tool").chmod(0o755)
    (root / "team-a" / "loop").symlink_to(root)  # a cycle the walk must survive
    return root


def test_scan_sees_what_airflow_would(tree: Path) -> None:
    report = scan([tree])
    assert report.files_seen == 6
    by_name = {entry.path.name: entry for entry in report.bundles}
    assert sorted(by_name) == ["etl", "reports", "sleepy"]
    assert by_name["etl"].found
    assert by_name["etl"].dag_ids == ["concurrent_xcom_dag", "simple_dag"]
    assert by_name["etl"].sdk == "go/v0.1.0"
    assert by_name["reports"].found
    assert not by_name["sleepy"].found
    assert not by_name["sleepy"].executable
    assert by_name["sleepy"].problems == [
        "not executable: Airflow will not find it (fix: chmod +x the bundle)"
    ]
    assert [entry.path.name for entry in report.rejected] == ["damaged"]
    assert report.rejected[0].problems[0].startswith("binary SHA-256 mismatch")
    assert not report.ok


def test_scan_reports_dag_ids_in_two_bundles(tmp_path: Path) -> None:
    _pack(tmp_path, "one")
    _pack(tmp_path, "two")
    report = scan([tmp_path])
    assert sorted(report.duplicates) == ["concurrent_xcom_dag", "simple_dag"]
    assert not report.ok
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 1
    assert "dag 'simple_dag' is claimed by 2 bundles" in result.stdout


def test_scan_names_both_files_the_dag_id_and_a_fix_for_bundles_of_two_projects(
    tmp_path: Path,
) -> None:
    """Two distributions' folders (the installed layout) each holding a bundle of one name
    and one dag set: both paths, each dag id and the fix, in text and in --json."""
    (tmp_path / "acme-dags").mkdir()
    (tmp_path / "other-dags").mkdir()
    first = _pack(tmp_path / "acme-dags", "etl")
    second = _pack(tmp_path / "other-dags", "etl")
    report = scan([tmp_path])
    assert report.duplicates == {
        "concurrent_xcom_dag": [first, second],
        "simple_dag": [first, second],
    }
    expected = (
        f"{first}: dag 'simple_dag' is claimed by 2 bundles ({first}, {second}); Airflow runs "
        "whichever it walks first (fix: keep each dag id in one bundle: rename the dag, or "
        "uninstall the project that ships the other bundle)"
    )
    assert expected in report.duplicate_problems()
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 1
    assert expected in result.stdout.splitlines()
    as_json = run_cli("scan", "--json", str(tmp_path))
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["ok"] is False
    assert data["duplicate_dag_ids"]["simple_dag"] == [str(first), str(second)]
    assert expected in data["problems"]
    assert len(data["problems"]) == 2


def test_scan_cli_clean_folder_exits_0(tmp_path: Path) -> None:
    bundle = _pack(tmp_path, "etl")
    (tmp_path / "notes.txt").write_text("hello\n")
    result = run_cli("scan", str(tmp_path))
    assert result.returncode == 0, result.stdout
    assert result.stdout.splitlines() == [
        f"{bundle}: bundle (sdk go/v0.1.0; dags: concurrent_xcom_dag, simple_dag)",
        "scanned 2 files: 1 bundle(s) Airflow would find, 0 it would miss, 0 rejected",
    ]


def test_scan_cli_human_and_json(tree: Path) -> None:
    human = run_cli("scan", str(tree))
    assert human.returncode == 1
    lines = human.stdout.splitlines()
    assert f"{tree / 'team-b' / 'damaged'}: rejected: binary SHA-256 mismatch" in "\n".join(lines)
    assert any(
        line.startswith(f"{tree / 'team-b' / 'sleepy'}: not executable: Airflow will not find it")
        for line in lines
    )
    assert not any("README" in line or "/tool" in line for line in lines)
    assert (
        lines[-1] == "scanned 6 files: 2 bundle(s) Airflow would find, 1 it would miss, 1 rejected"
    )
    machine = run_cli("scan", "--json", str(tree))
    assert machine.returncode == 1
    data = json.loads(machine.stdout)
    assert data["files_seen"] == 6
    assert data["ok"] is False
    assert sorted(Path(b["path"]).name for b in data["bundles"] if b["found"]) == ["etl", "reports"]
    assert [Path(r["path"]).name for r in data["rejected"]] == ["damaged"]
