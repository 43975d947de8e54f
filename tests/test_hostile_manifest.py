"""Hostile manifests (issue 10, part A): bounded reading, one clear finding, no crash.

Every manifest of ``tests/hostile_inputs.py`` goes through the library readers, ``verify``,
``inspect --json`` and ``scan``; the reader must agree with Airflow's released reader on what
is a mapping, and stay bounded in time, memory and message length.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
import yaml

from hatch_airflow_go.cli import main
from hatch_airflow_go.errors import ManifestError
from hatch_airflow_go.format.manifest import (
    MAX_ALIAS_EXPANSION,
    MAX_DEPTH,
    MAX_MANIFEST_BYTES,
    MAX_MESSAGE_CHARS,
    MAX_PROBLEMS,
    load_metadata_file,
    parse_embedded,
    parse_introspection,
    schema_problems,
)
from hatch_airflow_go.format.verify import scan, verify_bundle
from tests import airflow_reader
from tests.hostile_inputs import (
    READABLE,
    UNREADABLE,
    billion_laughs,
    make_fifo,
    nested,
    write_bundle_file,
)
from tests.vectors import WORKED_MANIFEST

HAS_INT_LIMIT = hasattr(sys, "get_int_max_str_digits")


def _skip_without_int_limit(name: str) -> None:
    if name == "decimal-int-5000-digits" and not HAS_INT_LIMIT:
        pytest.skip("this Python has no int/str conversion limit, so the value reads fine")


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_manifest_is_one_manifest_error(name: str) -> None:
    _skip_without_int_limit(name)
    text, fragment = UNREADABLE[name]
    with pytest.raises(ManifestError) as caught:
        parse_embedded(text, path="some/bundle")
    error = caught.value
    assert fragment in error.problem
    assert error.path == "some/bundle"
    assert error.fix
    assert len(error.problem) <= MAX_MESSAGE_CHARS


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_manifest_is_one_verify_error(tmp_path: Path, name: str) -> None:
    _skip_without_int_limit(name)
    text, fragment = UNREADABLE[name]
    report = verify_bundle(write_bundle_file(tmp_path / "bundle", text))
    assert not report.ok
    assert len(report.errors) == 1
    assert fragment in report.errors[0]
    assert "(fix: " in report.errors[0]


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_other_readers_refuse_the_same_manifests(tmp_path: Path, name: str) -> None:
    _skip_without_int_limit(name)
    text = UNREADABLE[name][0]
    with pytest.raises(ManifestError) as caught:
        parse_introspection(text, flag="--airflow-metadata", path="binary")
    assert caught.value.path == "binary"
    metadata = tmp_path / "airflow-metadata.yaml"
    metadata.write_bytes(text)
    with pytest.raises(ManifestError) as loaded:
        load_metadata_file(metadata)
    assert loaded.value.path == str(metadata)


RAISES_IN_AIRFLOW = [
    "bad-int-tag",
    "bad-float-tag",
    "bad-bool-tag",
    "bad-timestamp-tag",
    "impossible-date",
    "decimal-int-5000-digits",
    "escape-beyond-unicode",
]


@pytest.mark.interop
@pytest.mark.parametrize("name", RAISES_IN_AIRFLOW)
def test_the_released_reader_raises_where_we_say_it_does(tmp_path: Path, name: str) -> None:
    _skip_without_int_limit(name)
    text = UNREADABLE[name][0]
    bundle = write_bundle_file(tmp_path / "bundle", text)
    airflow_reader.coordinator()
    try:
        airflow_reader.read_metadata(bundle)
    except yaml.YAMLError as error:
        pytest.fail(f"the released reader skips this file cleanly ({error})")
    except (ValueError, KeyError, AttributeError) as error:
        raised = type(error).__name__
    else:
        pytest.fail("the released reader read this file")
    assert f"{raised}" in verify_bundle(bundle).errors[0]


def test_billion_laughs_is_refused_fast_with_a_short_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", billion_laughs())
    start = time.monotonic()
    assert main(["verify", "--json", str(bundle)]) == 1
    elapsed = time.monotonic() - start
    out = capsys.readouterr().out
    assert elapsed < 2.0
    assert len(out) < 4096
    (entry,) = json.loads(out)
    assert entry["errors"] == [
        f"the bundle's manifest: its aliases expand to more than {MAX_ALIAS_EXPANSION:,} "
        "nodes and characters (an alias bomb); hatch-airflow-go does not expand it, although "
        "Airflow's reader would load it (fix: repack the bundle (hatch-airflow-go pack, or go "
        "tool airflow-go-pack))"
    ]


def test_aliases_within_the_budget_still_read() -> None:
    text = WORKED_MANIFEST + b"extra: &e [x, y]\nagain: *e\n"
    manifest = parse_embedded(text)
    assert manifest.raw["again"] == ["x", "y"]
    assert manifest.dags["simple_dag"] == ["extract", "transform", "load"]


def test_nesting_up_to_the_limit_reads_and_one_more_is_refused() -> None:
    # ``a:`` inside the root mapping makes MAX_DEPTH - 1 sequences the deepest allowed.
    assert parse_embedded(nested(MAX_DEPTH - 1)).raw["a"]
    with pytest.raises(ManifestError, match=f"nested deeper than {MAX_DEPTH} levels"):
        parse_embedded(nested(MAX_DEPTH))


def test_manifest_over_the_size_limit_is_refused_before_parsing() -> None:
    text = WORKED_MANIFEST + b"# " + b"x" * MAX_MANIFEST_BYTES + b"\n"
    with pytest.raises(ManifestError, match=f"larger than the {MAX_MANIFEST_BYTES:,}-byte limit"):
        parse_embedded(text)


@pytest.mark.parametrize(
    "text",
    [
        b"!!set {a, b}\n",
        b"!!set {airflow_bundle_metadata_version, sdk, dags}\n",
        b"!!omap [a: 1]\n",
        b"!!pairs [a: 1]\n",
        b"!!map {a: 1}\n",
        b"{a: 1}\n",
        b"[a]\n",
        b"null\n",
        WORKED_MANIFEST,
    ],
)
def test_a_mapping_is_what_safe_load_makes_a_dict(text: bytes) -> None:
    if isinstance(yaml.safe_load(text), dict):
        assert parse_embedded(text).raw == yaml.safe_load(text)
    else:
        with pytest.raises(ManifestError, match="expected a mapping at the top level"):
            parse_embedded(text)


@pytest.mark.interop
@pytest.mark.parametrize("text", [b"!!set {a, b}\n", b"!!omap [a: 1]\n", WORKED_MANIFEST])
def test_mapping_agreement_with_the_released_reader(tmp_path: Path, text: bytes) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", text)
    released = airflow_reader.read_metadata(bundle)
    report = verify_bundle(bundle)
    refused_as_not_a_mapping = any("expected a mapping" in e for e in report.errors)
    assert (released is None) == refused_as_not_a_mapping


def test_nested_set_is_not_a_dags_mapping() -> None:
    text = WORKED_MANIFEST.split(b"dags:")[0] + b"dags: !!set {a, b}\n"
    manifest = parse_embedded(text)
    assert manifest.dags == {}


@pytest.mark.parametrize("name", sorted(READABLE))
def test_odd_but_readable_manifests_go_through_every_command(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", READABLE[name])
    assert main(["verify", str(bundle)]) == 1
    assert main(["verify", "--json", str(bundle)]) == 1
    capsys.readouterr()
    assert main(["inspect", "--json", str(bundle)]) == 0
    described = json.loads(capsys.readouterr().out)
    assert isinstance(described["manifest"], dict)
    assert main(["scan", str(tmp_path)]) == 1


def test_inspect_json_marks_where_data_refers_to_itself(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", READABLE["recursive-alias"])
    assert main(["inspect", "--json", str(bundle)]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["manifest"] == {"a": ["<recursive: refers to itself>"]}


def test_inspect_json_prints_huge_integers_as_hex(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", READABLE["hex-int-5000-digits"])
    assert main(["inspect", "--json", str(bundle)]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["manifest"] == {"a": "0x" + "f" * 5000}


def test_schema_messages_are_bounded_in_length_and_number() -> None:
    many = b"".join(f'  d{i}:\n    tasks: "{"x" * 5000}"\n'.encode() for i in range(200))
    text = WORKED_MANIFEST.split(b"dags:")[0] + b"dags:\n" + many
    problems = schema_problems(parse_embedded(text))
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == f"... and {200 - MAX_PROBLEMS} more schema problems like these"
    assert all(len(problem) <= MAX_MESSAGE_CHARS for problem in problems)
    assert "is not of type 'array'" in problems[0]


def test_scan_reports_each_bad_file_and_goes_on(tmp_path: Path) -> None:
    for name in sorted(UNREADABLE):
        write_bundle_file(tmp_path / f"bad-{name}", UNREADABLE[name][0])
    for name in sorted(READABLE):
        write_bundle_file(tmp_path / f"odd-{name}", READABLE[name])
    good = write_bundle_file(tmp_path / "zz-good", WORKED_MANIFEST)
    report = scan([tmp_path])
    assert [entry.path for entry in report.bundles] == [good]
    assert report.bundles[0].found
    rejected = {entry.path.name: entry.problems for entry in report.rejected}
    assert set(rejected) == {f"bad-{n}" for n in UNREADABLE} | {f"odd-{n}" for n in READABLE}
    for name in UNREADABLE:
        if name == "decimal-int-5000-digits" and not HAS_INT_LIMIT:
            continue
        assert len(rejected[f"bad-{name}"]) == 1, rejected[f"bad-{name}"]
        assert UNREADABLE[name][1] in rejected[f"bad-{name}"][0]


def test_verify_findings_are_bounded_however_many_ids_are_wrong(tmp_path: Path) -> None:
    head = WORKED_MANIFEST.split(b"dags:")[0] + b"dags:\n"
    many = b"".join(
        f"  {i}:\n    tasks: []\n  bad id {i}:\n    tasks: []\n".encode() for i in range(300)
    )
    report = verify_bundle(write_bundle_file(tmp_path / "bundle", head + many))
    # Ids the server refuses are errors by default, capped like the reader's problems.
    ids_cap = f"... and {300 - MAX_PROBLEMS} more ids Airflow's server refuses like these"
    ids = [e for e in report.errors if e.startswith("dag id 'bad id ")]
    assert len(ids) == MAX_PROBLEMS
    assert ids_cap in report.errors
    readers = [
        e
        for e in report.errors
        if not e.startswith(("manifest: ", "dag id 'bad id ")) and e != ids_cap
    ]
    assert len(readers) == MAX_PROBLEMS + 1
    assert readers[-1] == f"... and {300 - MAX_PROBLEMS} more reader problems like these"
    assert "dag id 0 reads back as int" in readers[0]
    allowed = verify_bundle(tmp_path / "bundle", allow_airflow_rejects=True)
    assert len([w for w in allowed.warnings if w.startswith("dag id ")]) == MAX_PROBLEMS
    assert f"... and {300 - MAX_PROBLEMS} more id warnings like these" in allowed.warnings
    empty = [w for w in report.warnings if w.endswith("has no tasks")]
    assert len(empty) == MAX_PROBLEMS
    assert report.warnings[-1] == f"... and {600 - MAX_PROBLEMS} more dags without tasks like these"
    assert len(report.errors) + len(report.warnings) <= 4 * (MAX_PROBLEMS + 1)


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_metadata_file_that_is_not_a_regular_file_is_refused_unread(
    tmp_path: Path, kind: str
) -> None:
    if kind == "fifo":
        path = make_fifo(tmp_path / "airflow-metadata.yaml")
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        path = tmp_path / "airflow-metadata.yaml"
        path.mkdir()
    expected = "a directory" if kind == "directory" else "not a regular file"
    with pytest.raises(ManifestError, match=f"the metadata file is {expected}") as caught:
        load_metadata_file(path)
    assert caught.value.path == str(path)
