"""The stand-in SDK answers the introspection flags as spec §3 describes, parseably."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from hatch_airflow_go.format.manifest import parse_introspection
from tests.conftest import GoBundleBuilder

GEN3_YAML = """\
airflow_bundle_metadata_version: "1.0"
sdk:
    language: go
    version: v0.1.0
    supervisor_schema_version: "2026-06-16"
dags:
    simple_dag:
        tasks:
            - extract
            - transform
            - load
    concurrent_xcom_dag:
        tasks:
            - pull_xcoms_concurrently
            - résumé_über
            - push
"""

GEN3_JSON = """\
{
    "airflow_bundle_metadata_version": "1.0",
    "sdk": {
        "language": "go",
        "version": "v0.1.0",
        "supervisor_schema_version": "2026-06-16"
    },
    "dags": {
        "simple_dag": {
            "tasks": [
                "extract",
                "transform",
                "load"
            ]
        },
        "concurrent_xcom_dag": {
            "tasks": [
                "pull_xcoms_concurrently",
                "résumé_über",
                "push"
            ]
        }
    }
}
"""

GEN2_SPEC = (
    '{"format_version":"1.0","sdk":{"language":"go","version":"v0.1.0"},'
    '"dags":{"legacy_dag":{"tasks":["first","second"]},"another_dag":{"tasks":["only"]}}}\n'
)


def ask(binary: Path, *flags: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(binary), *flags], capture_output=True, timeout=60)


def test_gen3_yaml_is_four_space_minimal_quoting(gobundles: GoBundleBuilder) -> None:
    result = ask(gobundles.path("gen3"), "--airflow-metadata")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == GEN3_YAML
    manifest = parse_introspection(result.stdout, flag="--airflow-metadata")
    assert manifest.dags == {
        "simple_dag": ["extract", "transform", "load"],
        "concurrent_xcom_dag": ["pull_xcoms_concurrently", "résumé_über", "push"],
    }
    assert manifest.sdk.supervisor_schema_version == "2026-06-16"
    assert manifest.shape == "airflow-metadata"


def test_gen3_json_is_four_space_indented(gobundles: GoBundleBuilder) -> None:
    result = ask(gobundles.path("gen3"), "--airflow-metadata", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == GEN3_JSON
    from_json = parse_introspection(result.stdout, flag="--airflow-metadata --format json")
    from_yaml = parse_introspection(GEN3_YAML.encode(), flag="--airflow-metadata")
    assert from_json.dags == from_yaml.dags
    assert list(from_json.dags) == list(from_yaml.dags)
    assert from_json.sdk == from_yaml.sdk


def test_format_flag_accepts_equals_form(gobundles: GoBundleBuilder) -> None:
    result = ask(gobundles.path("gen3"), "--airflow-metadata", "--format=json")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8") == GEN3_JSON


def test_unknown_format_is_refused(gobundles: GoBundleBuilder) -> None:
    result = ask(gobundles.path("gen3"), "--airflow-metadata", "--format", "xml")
    assert result.returncode == 2
    assert result.stdout == b""
    assert b'invalid value "xml" for --format' in result.stderr


def test_gen2_dump_bundle_spec(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("gen2")
    result = ask(binary, "--dump-bundle-spec")
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode() == GEN2_SPEC
    manifest = parse_introspection(result.stdout, flag="--dump-bundle-spec")
    assert manifest.dags == {"legacy_dag": ["first", "second"], "another_dag": ["only"]}
    assert manifest.shape == "dump-bundle-spec"
    refused = ask(binary, "--airflow-metadata")
    assert refused.returncode == 2
    assert b"flag provided but not defined: --airflow-metadata" in refused.stderr


def test_gen1_bundle_metadata_names_the_sdk_only(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("gen1")
    result = ask(binary, "--bundle-metadata")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"name": "go-sdk", "version": "v0.1.0"}
    for flag in ("--airflow-metadata", "--dump-bundle-spec"):
        refused = ask(binary, flag)
        assert refused.returncode == 2
        assert f"flag provided but not defined: {flag}".encode() in refused.stderr


def test_no_dags_renders_empty_mappings(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("no-dags")
    as_yaml = ask(binary, "--airflow-metadata")
    assert as_yaml.stdout.decode().endswith("\ndags: {}\n")
    as_json = ask(binary, "--airflow-metadata", "--format", "json")
    assert as_json.stdout.decode().endswith('\n    "dags": {}\n}\n')
    for data, flag in (
        (as_yaml.stdout, "--airflow-metadata"),
        (as_json.stdout, "--airflow-metadata --format json"),
    ):
        assert parse_introspection(data, flag=flag).dags == {}


@pytest.fixture(scope="module")
def tricky(gobundles: GoBundleBuilder) -> tuple[bytes, bytes]:
    binary = gobundles.path("tricky-ids")
    as_yaml = ask(binary, "--airflow-metadata")
    as_json = ask(binary, "--airflow-metadata", "--format", "json")
    assert as_yaml.returncode == 0, as_yaml.stderr
    assert as_json.returncode == 0, as_json.stderr
    return as_yaml.stdout, as_json.stdout


def test_tricky_ids_read_back_as_the_same_strings(tricky: tuple[bytes, bytes]) -> None:
    as_yaml, as_json = tricky
    # json.loads is the reference: Go's encoder cannot get a string wrong.
    expected: dict[str, Any] = json.loads(as_json)
    loaded = yaml.safe_load(as_yaml.decode("utf-8"))
    assert loaded == expected
    assert list(loaded["dags"]) == list(expected["dags"])
    assert all(isinstance(key, str) for key in loaded["dags"])
    assert loaded["sdk"]["version"] == "(devel)"
    ids = {task for entry in expected["dags"].values() for task in entry["tasks"]}
    for tricky_id in (
        "123",
        "true",
        "No",
        "~",
        "2026-06-16",
        "a: b",
        "",
        "line\nbreak",
        "nul\x00byte",
        "emoji\U0001f600",
        "bom\ufeff",
        "日本語",
    ):
        assert tricky_id in ids


def test_tricky_ids_quote_only_what_needs_it(tricky: tuple[bytes, bytes]) -> None:
    lines = tricky[0].decode("utf-8").splitlines()
    assert "    dag_plain_id:" in lines
    assert "            - plain_id" in lines
    assert "            - 日本語" in lines
    assert '            - "123"' in lines
    assert '            - "true"' in lines
    assert '            - "line\\nbreak"' in lines
    assert '            - "emoji\\U0001F600"' in lines
    assert '    "a: b":' in lines
    assert "        tasks: []" in lines
    # A key past YAML's implicit-key limit is written in the explicit `? key` form.
    assert any(line.startswith("    ? longlong") for line in lines)


def test_tricky_ids_parse_with_the_manifest_reader(tricky: tuple[bytes, bytes]) -> None:
    as_yaml, as_json = tricky
    from_yaml = parse_introspection(as_yaml, flag="--airflow-metadata")
    from_json = parse_introspection(as_json, flag="--airflow-metadata --format json")
    assert from_yaml.dags == from_json.dags
    assert list(from_yaml.dags) == list(from_json.dags)
    assert from_yaml.dags["empty_tasks"] == []
    assert from_yaml.dags["123"] == ["t"]
    assert from_yaml.sdk.version == "(devel)"
