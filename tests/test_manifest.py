"""Manifest readers (every shape of spec §2.1 and §3), schema and reader problems, id warnings."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hatch_airflow_go.errors import ManifestError
from hatch_airflow_go.format.manifest import (
    SUPPORTED_SCHEMA_VERSION,
    Manifest,
    SdkInfo,
    id_warnings,
    load_metadata_file,
    merge_bundle_metadata,
    parse_embedded,
    parse_introspection,
    reader_problems,
    render_v1,
    schema_problems,
)

V1 = b"""airflow_bundle_metadata_version: "1.0"
sdk:
  language: "go"
  version: "v0.1.0"
  supervisor_schema_version: "2026-06-16"
source: "main.go"
dags:
  concurrent_xcom_dag:
    tasks:
      - "pull_xcoms_concurrently"
  simple_dag:
    tasks:
      - "extract"
      - "transform"
      - "load"
"""

V0 = b"""format_version: "1.0"
sdk:
  language: go
  version: "v0.0.1"
source: main.go
dags:
  old_dag:
    tasks:
      - first
      - second
"""

# What the newest SDK prints for --airflow-metadata: 4-space indent, minimal quoting.
AIRFLOW_METADATA_YAML = b"""airflow_bundle_metadata_version: "1.0"
sdk:
    language: go
    version: v0.0.0-20260101000000-abcdef123456
    supervisor_schema_version: 2026-06-16
dags:
    tutorial_dag:
        tasks:
            - extract
            - "123"
            - caf\xc3\xa9
    "true":
        tasks: []
    zz_last:
        tasks:
            - only
"""

AIRFLOW_METADATA_JSON = b"""{
    "airflow_bundle_metadata_version": "1.0",
    "sdk": {
        "language": "go",
        "version": "(devel)",
        "supervisor_schema_version": "2026-06-16"
    },
    "dags": {
        "tutorial_dag": {
            "tasks": [
                "extract",
                "load"
            ]
        },
        "b_dag": {
            "tasks": []
        }
    }
}
"""

DUMP_BUNDLE_SPEC = (
    b'{"format_version":"1.0","sdk":{"language":"go","version":"v0.3.0"},'
    b'"dags":{"z":{"tasks":["a","b"]},"a":{"tasks":null}}}\n'
)

BUNDLE_METADATA = b'{"name": "go-sdk", "version": "v0.0.9"}\n'


def valid_document() -> dict[str, Any]:
    return {
        "airflow_bundle_metadata_version": "1.0",
        "sdk": {"language": "go", "version": "v0.1.0", "supervisor_schema_version": "2026-06-16"},
        "source": "main.go",
        "dags": {"d": {"tasks": ["t"]}},
    }


def from_document(doc: dict[str, Any]) -> Manifest:
    return Manifest(sdk=SdkInfo("go", "v"), dags={}, raw=doc)


# --- parse_embedded -------------------------------------------------------------------------


def test_v1_embedded() -> None:
    manifest = parse_embedded(V1, path="bundle")
    assert manifest.shape == "v1"
    assert manifest.sdk == SdkInfo("go", "v0.1.0", "2026-06-16")
    assert manifest.source == "main.go"
    assert manifest.metadata_version == "1.0"
    assert list(manifest.dags) == ["concurrent_xcom_dag", "simple_dag"]
    assert manifest.dags["simple_dag"] == ["extract", "transform", "load"]
    assert manifest.raw["sdk"]["supervisor_schema_version"] == "2026-06-16"
    assert schema_problems(manifest) == []
    assert reader_problems(manifest) == []
    assert render_v1(manifest).data == V1


def test_v0_embedded() -> None:
    manifest = parse_embedded(V0)
    assert manifest.shape == "v0"
    assert manifest.metadata_version == "1.0"
    assert manifest.sdk == SdkInfo("go", "v0.0.1", None)
    assert manifest.dags == {"old_dag": ["first", "second"]}
    assert manifest.source == "main.go"
    problems = reader_problems(manifest)
    assert any("supervisor_schema_version is missing" in p for p in problems)


def test_unreleased_sources_index_shape() -> None:
    text = b"""airflow_bundle_metadata_version: "1.1"
sdk: {language: go, version: v1, supervisor_schema_version: "2026-06-16"}
sources:
  - {path: main.go, sha256: abc}
  - {path: dags.go, sha256: def}
dags:
  d: {tasks: [t]}
"""
    manifest = parse_embedded(text)
    assert manifest.shape == "sources-index"
    assert manifest.source is None
    assert manifest.dags == {"d": ["t"]}
    assert "(top level): 'source' is a required property" in schema_problems(manifest)


def test_unreleased_digests_shape() -> None:
    text = b"""airflow_bundle_metadata_version: "1.0"
sdk: {language: go, version: v1, supervisor_schema_version: "2026-10-30"}
source: main.go
digests: {integrity: aaaa, cache: bbbb}
"""
    manifest = parse_embedded(text)
    assert manifest.shape == "digests"
    assert manifest.dags == {}
    problems = reader_problems(manifest)
    assert "no `dags` mapping: the reader finds no DAG in this bundle" in problems
    assert any("'2026-10-30'" in p for p in problems)


def test_unknown_shape_is_read_without_crashing() -> None:
    manifest = parse_embedded(b"something: else\nsdk: 3\n")
    assert manifest.shape == "unknown"
    assert manifest.dags == {}
    assert manifest.sdk == SdkInfo("", "", None)


def test_typed_dag_id_in_embedded_manifest_keeps_its_text() -> None:
    text = V1.replace(b"  simple_dag:", b"  123:")
    manifest = parse_embedded(text)
    assert list(manifest.dags) == ["concurrent_xcom_dag", "123"]
    assert 123 in manifest.raw["dags"]
    assert reader_problems(manifest) == [
        "dag id 123 reads back as int, not a string: the reader can never find this DAG"
    ]


def test_unquoted_schema_version_is_a_date() -> None:
    manifest = parse_embedded(V1.replace(b'"2026-06-16"', b"2026-06-16"))
    assert manifest.sdk.supervisor_schema_version == "2026-06-16"
    assert reader_problems(manifest) == [
        "sdk.supervisor_schema_version is an unquoted date (2026-06-16): YAML reads it as a "
        "date, not a string, and the reader rejects the bundle"
    ]
    assert "sdk.supervisor_schema_version: datetime.date(2026, 6, 16) is not of type 'string'" in (
        schema_problems(manifest)
    )


def test_invalid_utf8_names_byte_offset() -> None:
    with pytest.raises(ManifestError) as info:
        parse_embedded(b"dags:\n  caf\xe9: {}\n", path="out/etl")
    assert info.value.path == "out/etl"
    assert "not valid UTF-8 (byte offset 11" in info.value.problem
    assert info.value.fix


def test_yaml_error_names_line_and_column() -> None:
    with pytest.raises(ManifestError) as info:
        parse_embedded(b'sdk:\n  language: "go\n  version: [\n', path="b")
    assert "is not valid YAML (line " in info.value.problem
    assert ", column " in info.value.problem
    assert str(info.value).startswith("b: ")


def test_yaml_control_character_is_reported() -> None:
    with pytest.raises(ManifestError, match=r"U\+0007 is not allowed in YAML"):
        parse_embedded(b"dags:\n  a\x07: {}\n")


def test_non_mapping_root() -> None:
    with pytest.raises(ManifestError, match="expected a mapping at the top level, found a list"):
        parse_embedded(b"- a\n- b\n")
    with pytest.raises(ManifestError, match="found empty"):
        parse_embedded(b"")


def test_merge_key_in_embedded_manifest_keeps_dag_text() -> None:
    manifest = parse_embedded(V1.replace(b"  simple_dag:", b"  <<:"))
    assert "<<" in manifest.dags
    assert "<<" not in manifest.raw["dags"]


# --- parse_introspection --------------------------------------------------------------------


def test_airflow_metadata_yaml() -> None:
    manifest = parse_introspection(AIRFLOW_METADATA_YAML, flag="--airflow-metadata")
    assert manifest.shape == "airflow-metadata"
    assert manifest.source is None
    assert manifest.sdk == SdkInfo("go", "v0.0.0-20260101000000-abcdef123456", "2026-06-16")
    assert manifest.dags == {
        "tutorial_dag": ["extract", "123", "café"],
        "true": [],
        "zz_last": ["only"],
    }
    # Never verbatim: the re-rendered text is upstream's layout (2-space indent, quoted values).
    rendered = render_v1(manifest.with_source("main.go")).data.decode()
    assert '  supervisor_schema_version: "2026-06-16"\n' in rendered
    assert '  "true":\n    tasks: []\n' in rendered


def test_airflow_metadata_json() -> None:
    for flag in ("--airflow-metadata --format json", "--airflow-metadata  --format   json"):
        manifest = parse_introspection(AIRFLOW_METADATA_JSON, flag=flag)
        assert manifest.shape == "airflow-metadata"
        assert manifest.sdk == SdkInfo("go", "(devel)", "2026-06-16")
        assert list(manifest.dags.items()) == [
            ("tutorial_dag", ["extract", "load"]),
            ("b_dag", []),
        ]


def test_dump_bundle_spec() -> None:
    manifest = parse_introspection(DUMP_BUNDLE_SPEC, flag="--dump-bundle-spec")
    assert manifest.shape == "dump-bundle-spec"
    assert manifest.metadata_version == "1.0"
    assert manifest.sdk == SdkInfo("go", "v0.3.0", None)
    assert manifest.dags == {"z": ["a", "b"], "a": []}


def test_bundle_metadata_alone_exposes_no_dags() -> None:
    with pytest.raises(ManifestError, match="binary exposes no dags") as info:
        parse_introspection(BUNDLE_METADATA, flag="--bundle-metadata", path="bin/etl")
    assert info.value.path == "bin/etl"
    assert "upgrade the Airflow Go SDK" in (info.value.fix or "")
    # The same answer under a newer flag is no better.
    with pytest.raises(ManifestError, match="binary exposes no dags"):
        parse_introspection(BUNDLE_METADATA, flag="--dump-bundle-spec")


def test_bundle_metadata_combined_fills_the_version() -> None:
    spec = DUMP_BUNDLE_SPEC.replace(b'"version":"v0.3.0"', b'"version":""')
    manifest = parse_introspection(spec, flag="--dump-bundle-spec")
    assert manifest.sdk.version == ""
    merged = merge_bundle_metadata(manifest, BUNDLE_METADATA)
    assert merged.sdk.version == "v0.0.9"
    assert merged.dags == manifest.dags


@pytest.mark.parametrize(
    ("output", "flag", "message"),
    [
        (
            b"\x7fELF\x02\x01\x01\x00\xff\xfe",
            "--airflow-metadata",
            "not valid UTF-8 (byte offset 8",
        ),
        (b"", "--airflow-metadata --format json", "is empty"),
        (b"{not json", "--dump-bundle-spec", "not valid JSON (line 1, column 2"),
        (b"flag provided but not defined\n", "--airflow-metadata", "found a scalar"),
        (b"a: [1, 2\n", "--airflow-metadata", "not valid YAML (line 2, column 1"),
        (b'{"sdk": {"language": "go", "version": "1"}}', "--dump-bundle-spec", "neither"),
        (b'{"format_version": "1.0", "dags": {}}', "--dump-bundle-spec", "no `sdk` mapping"),
        (
            b'{"format_version": "1.0", "sdk": {"version": "1"}, "dags": {}}',
            "--dump-bundle-spec",
            "sdk.language is missing",
        ),
        (
            b'{"format_version": "1.0", "sdk": {"language": "go", "version": "1"}}',
            "--dump-bundle-spec",
            "no `dags` mapping",
        ),
        (
            b'{"format_version": "1", "sdk": {"language": "go", "version": "1"}, "dags": []}',
            "--dump-bundle-spec",
            "`dags` is not a mapping",
        ),
        (
            b'{"format_version": "1", "sdk": {"language": "go", "version": "1"}, "dags": {"d": 1}}',
            "--dump-bundle-spec",
            "dag 'd' is not a mapping",
        ),
        (
            b'{"format_version": "1", "sdk": {"language": "go", "version": "1"},'
            b' "dags": {"d": {"tasks": "t"}}}',
            "--dump-bundle-spec",
            "`tasks` is not a list",
        ),
        (
            b'{"format_version": "1", "sdk": {"language": "go", "version": "1"},'
            b' "dags": {"d": {"tasks": [["t"]]}}}',
            "--dump-bundle-spec",
            "must be a string",
        ),
        (V1, "--help", "unknown introspection flag"),
    ],
)
def test_introspection_garbage(output: bytes, flag: str, message: str) -> None:
    with pytest.raises(ManifestError) as info:
        parse_introspection(output, flag=flag, path="bin/x")
    assert message in info.value.problem
    assert info.value.path == "bin/x"
    assert info.value.fix


def test_introspection_yaml_with_unconstructible_key_still_reads() -> None:
    text = AIRFLOW_METADATA_YAML.replace(b"    zz_last:", b"    <<:")
    manifest = parse_introspection(text, flag="--airflow-metadata")
    assert manifest.dags["<<"] == ["only"]


def test_introspection_digests_shape_is_named() -> None:
    text = b'{"airflow_bundle_metadata_version": "1.0", "sdk": {"language": "go", "version": "1"},'
    text += b' "digests": {"integrity": "aa"}}'
    with pytest.raises(ManifestError, match="unreleased `digests` shape"):
        parse_introspection(text, flag="--airflow-metadata --format json")


# --- load_metadata_file ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "shape"),
    [
        ("meta.yaml", AIRFLOW_METADATA_YAML, "airflow-metadata"),
        ("meta.json", AIRFLOW_METADATA_JSON, "airflow-metadata"),
        ("captured", AIRFLOW_METADATA_JSON, "airflow-metadata"),
        ("spec.json", DUMP_BUNDLE_SPEC, "dump-bundle-spec"),
        ("airflow-metadata.yaml", V1, "v1"),
        ("legacy.yaml", V0, "v0"),
    ],
)
def test_metadata_file_forms(tmp_path: Path, name: str, content: bytes, shape: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    manifest = load_metadata_file(path)
    assert manifest.shape == shape
    assert manifest.dags


def test_metadata_file_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(ManifestError, match="cannot read the metadata file") as info:
        load_metadata_file(missing)
    assert info.value.path == str(missing)
    only_name = tmp_path / "bm.json"
    only_name.write_bytes(BUNDLE_METADATA)
    with pytest.raises(ManifestError, match="binary exposes no dags"):
        load_metadata_file(only_name)
    broken = tmp_path / "broken.yaml"
    broken.write_bytes(b"dags: [\n")
    with pytest.raises(ManifestError, match=r"not valid YAML \(line 2, column 1"):
        load_metadata_file(broken)
    empty = tmp_path / "empty.yaml"
    empty.write_bytes(b"\n")
    with pytest.raises(ManifestError, match="the metadata file is empty"):
        load_metadata_file(empty)


# --- schema_problems: one test per rule -----------------------------------------------------


def problems_after(change: Any) -> list[str]:
    doc = valid_document()
    change(doc)
    return schema_problems(from_document(doc))


def test_schema_valid_document_and_model() -> None:
    assert schema_problems(from_document(valid_document())) == []
    model = Manifest(sdk=SdkInfo("go", "v1", "2026-06-16"), dags={"d": ["t"]}, source="main.go")
    assert schema_problems(model) == []


def test_schema_allows_unknown_keys() -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["extra"] = 1
        doc["sdk"]["extra"] = [1]
        doc["dags"]["d"]["extra"] = {}

    assert problems_after(add) == []


@pytest.mark.parametrize("key", ["airflow_bundle_metadata_version", "sdk", "source", "dags"])
def test_schema_top_level_required(key: str) -> None:
    assert problems_after(lambda doc: doc.pop(key)) == [
        f"(top level): '{key}' is a required property"
    ]


@pytest.mark.parametrize("key", ["language", "version", "supervisor_schema_version"])
def test_schema_sdk_required(key: str) -> None:
    assert problems_after(lambda doc: doc["sdk"].pop(key)) == [
        f"sdk: '{key}' is a required property"
    ]


@pytest.mark.parametrize("value", ["1", "v1.0", "1.0.0.0", "1.0-rc1"])
def test_schema_metadata_version_pattern(value: str) -> None:
    problems = problems_after(lambda doc: doc.update(airflow_bundle_metadata_version=value))
    assert len(problems) == 1
    assert problems[0].startswith("airflow_bundle_metadata_version: ")
    assert "does not match" in problems[0]


def test_schema_metadata_version_three_parts_ok() -> None:
    assert problems_after(lambda doc: doc.update(airflow_bundle_metadata_version="1.0.2")) == []


@pytest.mark.parametrize("value", ["Go", "1go", "", "go lang"])
def test_schema_language_pattern(value: str) -> None:
    problems = problems_after(lambda doc: doc["sdk"].update(language=value))
    assert len(problems) == 1
    assert problems[0].startswith("sdk.language: ")


def test_schema_language_allows_its_punctuation() -> None:
    assert problems_after(lambda doc: doc["sdk"].update(language="c++.x_y-z")) == []


def test_schema_version_min_length() -> None:
    assert problems_after(lambda doc: doc["sdk"].update(version="")) == [
        "sdk.version: '' should be non-empty"
    ]


@pytest.mark.parametrize("value", ["2026-6-16", "20260616", "June 16"])
def test_schema_supervisor_version_is_a_date_string(value: str) -> None:
    problems = problems_after(lambda doc: doc["sdk"].update(supervisor_schema_version=value))
    assert len(problems) == 1
    assert problems[0].startswith("sdk.supervisor_schema_version: ")


def test_schema_supervisor_version_must_be_a_string() -> None:
    problems = problems_after(lambda doc: doc["sdk"].update(supervisor_schema_version=20260616))
    assert problems == ["sdk.supervisor_schema_version: 20260616 is not of type 'string'"]


def test_schema_source_min_length() -> None:
    assert problems_after(lambda doc: doc.update(source="")) == ["source: '' should be non-empty"]


def test_schema_dags_min_properties() -> None:
    problems = problems_after(lambda doc: doc.update(dags={}))
    assert len(problems) == 1
    assert problems[0].startswith("dags: {} should be non-empty")


def test_schema_dag_requires_tasks() -> None:
    assert problems_after(lambda doc: doc["dags"].update(d={})) == [
        "dags.d: 'tasks' is a required property"
    ]


def test_schema_tasks_is_an_array() -> None:
    assert problems_after(lambda doc: doc["dags"].update(d={"tasks": "t"})) == [
        "dags.d.tasks: 't' is not of type 'array'"
    ]


def test_schema_task_ids_are_strings() -> None:
    assert problems_after(lambda doc: doc["dags"].update(d={"tasks": ["t", 7]})) == [
        "dags.d.tasks.1: 7 is not of type 'string'"
    ]


def test_schema_task_ids_are_non_empty() -> None:
    assert problems_after(lambda doc: doc["dags"].update(d={"tasks": [""]})) == [
        "dags.d.tasks.0: '' should be non-empty"
    ]


def test_schema_file_is_draft_2020_12() -> None:
    from importlib import resources

    schema = json.loads(
        resources.files("hatch_airflow_go.format")
        .joinpath("airflow-metadata.schema.json")
        .read_text()
    )
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# --- id_warnings ----------------------------------------------------------------------------


def model(dags: dict[str, list[str]]) -> Manifest:
    return Manifest(sdk=SdkInfo("go", "v1", SUPPORTED_SCHEMA_VERSION), dags=dags, source="m.go")


def test_good_ids_have_no_warnings() -> None:
    ids = {
        "simple_dag": ["extract", "t-1", "a.b"],
        "café_日本": ["ünïcode", "Ω"],
        "x" * 250: ["١٢٣"],
    }
    assert id_warnings(model(ids)) == []


def test_id_too_long() -> None:
    assert id_warnings(model({"x" * 251: []})) == [
        f"dag id {'x' * 60 + '...'!r} is 251 characters long (at most 250)"
    ]


@pytest.mark.parametrize("bad", [" ", "/", ":", "@", "\t", "🚀", "\x00"])
def test_id_bad_characters(bad: str) -> None:
    assert id_warnings(model({f"a{bad}b": []})) == [
        f"dag id {'a' + bad + 'b'!r} contains {bad!r} (only letters, digits, '_', '.' and '-' "
        "are allowed)"
    ]


def test_id_double_dot() -> None:
    assert id_warnings(model({"a..b": []})) == [
        "dag id 'a..b' contains '..' (refused unless the server sets allow_double_dot_in_ids)"
    ]


def test_empty_task_id_and_several_problems_in_one_message() -> None:
    warnings = id_warnings(model({"ok": ["", "b c..d"]}))
    assert warnings == [
        "task id '' of dag 'ok' is empty",
        "task id 'b c..d' of dag 'ok' contains ' ' (only letters, digits, '_', '.' and '-' are "
        "allowed); contains '..' (refused unless the server sets allow_double_dot_in_ids)",
    ]


# --- reader_problems ------------------------------------------------------------------------


def test_reader_problems_for_model_without_schema_version() -> None:
    problems = reader_problems(Manifest(sdk=SdkInfo("go", "v1"), dags={"d": []}))
    assert problems == [
        "sdk.supervisor_schema_version is missing: the reader rejects the bundle (it needs the "
        "string '2026-06-16')"
    ]


def test_reader_problems_wrong_version_and_missing_sdk() -> None:
    doc = valid_document()
    doc["sdk"]["supervisor_schema_version"] = "2026-10-30"
    assert reader_problems(from_document(doc)) == [
        "sdk.supervisor_schema_version is '2026-10-30': the released reader accepts only "
        "'2026-06-16'"
    ]
    doc = copy.deepcopy(valid_document())
    del doc["sdk"]
    assert reader_problems(from_document(doc)) == [
        "no `sdk` mapping: the reader rejects the bundle"
    ]


def test_reader_problems_empty_dags() -> None:
    doc = valid_document()
    doc["dags"] = {}
    assert reader_problems(from_document(doc)) == [
        "`dags` is empty: the reader finds no DAG in this bundle"
    ]


def test_with_source_keeps_everything_else() -> None:
    manifest = parse_introspection(AIRFLOW_METADATA_JSON, flag="--airflow-metadata --format json")
    assert "(top level): 'source' is a required property" in schema_problems(manifest)
    named = manifest.with_source("main.go")
    assert named.source == "main.go"
    assert named.dags == manifest.dags
    assert named.sdk == manifest.sdk
    assert named.shape == manifest.shape
    assert schema_problems(named) == []


def test_binary_output_is_checked_as_it_will_be_written() -> None:
    # The binary prints the schema version unquoted (a YAML date), but it is re-rendered
    # quoted, so the manifest that will be packed has no reader problem.
    manifest = parse_introspection(AIRFLOW_METADATA_YAML, flag="--airflow-metadata")
    assert isinstance(manifest.raw["sdk"]["supervisor_schema_version"], date)
    assert reader_problems(manifest) == []
    assert schema_problems(manifest.with_source("main.go")) == []
