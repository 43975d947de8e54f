"""Airflow's released reader (apache-airflow-task-sdk==1.3.2) against what we write and read.

Bundles we write must be read by ``_read_bundle_metadata`` and found by ``_Bundle.find``;
on a corpus of damaged files our reader must reject exactly the files the released reader
skips. Spec §7 has the facts; ``tests/airflow_reader.py`` wraps the private names.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Callable, Optional

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import parse_embedded, reader_problems
from hatch_airflow_go.format.verify import scan, verify_bundle
from tests.conftest import GoBundleBuilder
from tests.vectors import WORKED_MANIFEST, WORKED_SOURCE

from . import airflow_reader
from .airflow_reader import clear_cache, find_dag, find_executables, read_metadata
from .conftest import run_cli

pytestmark = pytest.mark.interop


@pytest.fixture(autouse=True)
def _fresh_digest_cache() -> Iterator[None]:
    """No test sees digests another test left in the released reader's process-wide cache."""
    clear_cache()
    yield
    clear_cache()


BINARY = b"\x7fELF" + bytes(range(256)) * 8
SOURCE = WORKED_SOURCE
MANIFEST = WORKED_MANIFEST


def _trailer(
    source: bytes,
    manifest: bytes,
    binary: bytes,
    *,
    version: int = 1,
    reserved: bytes = bytes(12),
    source_len: Optional[int] = None,
    metadata_len: Optional[int] = None,
) -> bytes:
    return struct.pack(
        "<III32s12s8s",
        len(source) if source_len is None else source_len,
        len(manifest) if metadata_len is None else metadata_len,
        version,
        hashlib.sha256(binary).digest(),
        reserved,
        footer.MAGIC,
    )


def _bundle(binary: bytes = BINARY, source: bytes = SOURCE, manifest: bytes = MANIFEST) -> bytes:
    return binary + source + manifest + _trailer(source, manifest, binary)


def _flip(data: bytes, at: int) -> bytes:
    buffer = bytearray(data)
    buffer[at] ^= 0x5A
    return bytes(buffer)


CORPUS: dict[str, Callable[[], bytes]] = {
    "valid": _bundle,
    "valid-empty-source": lambda: _bundle(source=b""),
    "source-byte-changed": lambda: _flip(_bundle(), len(BINARY) + 3),
    "binary-first-byte-changed": lambda: _flip(_bundle(), 0),
    "binary-last-byte-changed": lambda: _flip(_bundle(), len(BINARY) - 1),
    "hash-byte-changed": lambda: _flip(_bundle(), len(_bundle()) - 64 + 20),
    "footer-version-2": lambda: (
        BINARY + SOURCE + MANIFEST + _trailer(SOURCE, MANIFEST, BINARY, version=2)
    ),
    "footer-version-0": lambda: (
        BINARY + SOURCE + MANIFEST + _trailer(SOURCE, MANIFEST, BINARY, version=0)
    ),
    "reserved-non-zero": lambda: (
        BINARY
        + SOURCE
        + MANIFEST
        + _trailer(SOURCE, MANIFEST, BINARY, reserved=b"\x00" * 11 + b"\x01")
    ),
    "regions-larger-than-file": lambda: (
        BINARY + SOURCE + MANIFEST + _trailer(SOURCE, MANIFEST, BINARY, metadata_len=10**6)
    ),
    "source-len-max": lambda: (
        BINARY
        + SOURCE
        + MANIFEST
        + _trailer(SOURCE, MANIFEST, BINARY, source_len=footer.MAX_REGION_SIZE)
    ),
    "empty-binary-region": lambda: SOURCE + MANIFEST + _trailer(SOURCE, MANIFEST, b""),
    "binary-region-shifted": lambda: (
        BINARY + SOURCE + MANIFEST + _trailer(SOURCE, MANIFEST, BINARY, source_len=len(SOURCE) + 1)
    ),
    "truncated-one-byte": lambda: _bundle()[:-1],
    "appended-one-byte": lambda: _bundle() + b"\n",
    "appended-trailer-sized-zeros": lambda: _bundle() + bytes(64),
    "draft-32-byte-trailer": lambda: (
        BINARY
        + SOURCE
        + MANIFEST
        + struct.pack("<III12s8s", len(SOURCE), len(MANIFEST), 1, bytes(12), footer.MAGIC)
    ),
    "shorter-than-trailer-with-magic": lambda: b"\x7fELF" + footer.MAGIC,
    "trailer-only": lambda: _trailer(b"", b"", b""),
    "plain-executable": lambda: BINARY,
    "empty-file": lambda: b"",
    "manifest-not-utf8": lambda: _bundle(manifest=b"\xff\xfe" + MANIFEST),
    "manifest-not-yaml": lambda: _bundle(manifest=b"dags: [unclosed\n"),
    "manifest-tab-indent": lambda: _bundle(manifest=b"sdk:\n\tlanguage: go\n"),
    "manifest-a-list": lambda: _bundle(manifest=b"- dags\n- sdk\n"),
    "manifest-a-scalar": lambda: _bundle(manifest=b"just text\n"),
    "manifest-empty": lambda: _bundle(manifest=b""),
    "manifest-null": lambda: _bundle(manifest=b"~\n"),
    "manifest-with-bom": lambda: _bundle(manifest="\ufeff".encode() + MANIFEST),
    "manifest-duplicate-key": lambda: _bundle(manifest=MANIFEST + b'source: "other.go"\n'),
    "manifest-v0-shape": lambda: _bundle(
        manifest=b'format_version: "1.0"\nsdk:\n  language: go\n  version: "v0.0.1"\n'
        b"source: main.go\ndags:\n  old_dag:\n    tasks:\n    - a\n"
    ),
}


def ours_reads_metadata(path: Path) -> Optional[Mapping[str, object]]:
    """Our answer to the released reader's question: container valid, manifest a mapping."""
    try:
        info = footer.read_bundle(path)
        _, manifest_bytes = footer.read_regions(info)
        manifest = parse_embedded(manifest_bytes, path=path)
    except AirflowGoError:
        return None
    return manifest.raw


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_our_reader_rejects_exactly_what_the_released_reader_skips(
    tmp_path: Path, case: str
) -> None:
    path = tmp_path / "bundle"
    path.write_bytes(CORPUS[case]())
    path.chmod(0o755)
    theirs = read_metadata(path)
    ours = ours_reads_metadata(path)
    assert (ours is None) == (theirs is None), f"ours={ours!r} theirs={theirs!r}"
    if theirs is not None:
        assert ours is not None
        assert dict(ours) == theirs


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    at=st.integers(min_value=0),
    value=st.integers(min_value=1, max_value=255),
    cut=st.integers(min_value=0, max_value=80),
)
def test_random_damage_is_judged_alike(tmp_path: Path, at: int, value: int, cut: int) -> None:
    data = bytearray(_bundle())
    data[at % len(data)] ^= value
    if cut:
        del data[-cut:]
    path = tmp_path / "damaged"
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    assert (ours_reads_metadata(path) is None) == (read_metadata(path) is None)


def test_released_reader_reads_a_go_bundle_we_packed(
    tmp_path: Path, gobundles: GoBundleBuilder
) -> None:
    root = tmp_path / "executables" / "team-a"
    out = root / "etl"
    footer.write_bundle(gobundles.path("gen3"), SOURCE, MANIFEST, out)
    assert read_metadata(out) == yaml.safe_load(MANIFEST)
    assert find_dag([tmp_path / "executables"], "simple_dag") == out.resolve()
    assert find_dag([tmp_path / "executables"], "concurrent_xcom_dag") == out.resolve()
    assert find_dag([tmp_path / "executables"], "absent_dag") is None
    report = verify_bundle(out)
    assert report.ok, report.errors
    assert report.dags == {
        "concurrent_xcom_dag": ["pull_xcoms_concurrently"],
        "simple_dag": ["extract", "transform", "load"],
    }


def test_non_executable_bundle_is_invisible_to_both(tmp_path: Path) -> None:
    out = tmp_path / "etl"
    out.write_bytes(_bundle())
    out.chmod(0o644)
    assert find_dag([tmp_path], "simple_dag") is None
    assert out not in find_executables([tmp_path])
    report = scan([tmp_path])
    assert [entry.path for entry in report.bundles] == [out]
    assert not report.bundles[0].found
    assert "not executable: Airflow will not find it" in report.bundles[0].problems[0]
    out.chmod(0o755)
    assert find_dag([tmp_path], "simple_dag") == out.resolve()
    assert scan([tmp_path]).bundles[0].found


SCHEMA_CASES = {
    "released-version": (b'  supervisor_schema_version: "2026-06-16"\n', True),
    "other-version": (b'  supervisor_schema_version: "2025-01-01"\n', False),
    "unquoted-date": (b"  supervisor_schema_version: 2026-06-16\n", False),
    "missing": (b"", False),
    "empty-string": (b'  supervisor_schema_version: ""\n', False),
    "a-number": (b"  supervisor_schema_version: 20260616\n", False),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_CASES))
def test_reader_problems_predict_whether_airflow_finds_the_dag(tmp_path: Path, case: str) -> None:
    line, usable = SCHEMA_CASES[case]
    manifest = MANIFEST.replace(b'  supervisor_schema_version: "2026-06-16"\n', line)
    out = tmp_path / "bundle"
    out.write_bytes(_bundle(manifest=manifest))
    out.chmod(0o755)
    found = find_dag([tmp_path], "simple_dag")
    assert (found is not None) == usable
    problems = reader_problems(parse_embedded(manifest, path=out))
    assert (not problems) == usable, problems
    assert verify_bundle(out).ok == usable


def test_dag_id_that_reads_back_as_a_number_is_never_found(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(b"  simple_dag:\n", b"  123:\n")
    out = tmp_path / "bundle"
    out.write_bytes(_bundle(manifest=manifest))
    out.chmod(0o755)
    assert find_dag([tmp_path], "123") is None
    report = verify_bundle(out)
    assert not report.ok
    assert any("123" in error and "never find" in error for error in report.errors), report.errors


def _released_finds(path: Path) -> bool:
    """Whether ``_Bundle.find`` picks ``path`` for at least one DAG id its manifest lists.

    Asked with the file itself as the root, so a DAG id shared with another bundle in the
    tree cannot hide this one behind whichever the walk meets first.
    """
    metadata = read_metadata(path)
    if metadata is None:
        return False
    dags = metadata.get("dags")
    # find() is asked for string ids only; a key that reads back as a number never matches.
    dag_ids = [dag for dag in dags if isinstance(dag, str)] if isinstance(dags, dict) else []
    return any(find_dag([path], dag_id) == path.resolve() for dag_id in dag_ids)


def test_scan_agrees_with_the_released_walk(tmp_path: Path) -> None:
    """The bundles our scan marks found are exactly those the released reader finds."""
    tree = tmp_path / "root"
    files: dict[str, bytes] = {case: make() for case, make in CORPUS.items()}
    for case, (line, _) in SCHEMA_CASES.items():
        manifest = MANIFEST.replace(b'  supervisor_schema_version: "2026-06-16"\n', line)
        files[f"schema-{case}"] = _bundle(manifest=manifest)
    files["number-dag-id-only"] = _bundle(
        manifest=MANIFEST.replace(b"  simple_dag:\n", b"  123:\n").replace(
            b"  concurrent_xcom_dag:\n", b"  456:\n"
        )
    )
    for index, case in enumerate(sorted(files)):
        folder = tree / f"d{index % 4}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / case
        path.write_bytes(files[case])
        path.chmod(0o755)
    hidden = tree / "d1" / "valid-not-executable"
    hidden.write_bytes(_bundle())
    hidden.chmod(0o644)
    (tree / "d0" / "notes.txt").write_text("not a bundle\n")

    walked = find_executables([tree])
    theirs = {path for path in walked if _released_finds(path)}
    report = scan([tree])
    ours = {entry.path for entry in report.bundles if entry.found}
    assert {p.name for p in ours} == {p.name for p in theirs}
    assert ours == theirs
    # The corpus must hold both answers, or agreement would prove nothing.
    assert {"valid", "schema-released-version"} <= {p.name for p in theirs}
    assert {"schema-missing", "number-dag-id-only", "valid-not-executable"}.isdisjoint(
        p.name for p in theirs
    )
    assert report.files_seen == len(files) + 2


def test_released_reader_finds_a_bundle_packed_by_the_cli(
    tmp_path: Path, gobundles: GoBundleBuilder
) -> None:
    """The whole user path: `pack --executable` introspects a real binary, renders, packs."""
    source = tmp_path / "main.go"
    source.write_bytes(SOURCE)
    out = tmp_path / "root" / "gen3"
    out.parent.mkdir()
    result = run_cli(
        "pack",
        "--executable",
        str(gobundles.path("gen3")),
        "--source",
        str(source),
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    metadata = read_metadata(out)
    assert metadata is not None
    report = verify_bundle(out)
    assert report.ok, report.errors
    assert set(metadata["dags"]) == set(report.dags)
    for dag_id in report.dags:
        assert find_dag([tmp_path / "root"], dag_id) == out.resolve()


def test_an_unimportable_reader_skips_saying_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(airflow_reader, "MODULE", "airflow.sdk.no_such_module_here")
    with pytest.raises(
        airflow_reader.InteropUnavailable, match=r"cannot import airflow\.sdk\.no_such"
    ):
        airflow_reader.load_coordinator()
    with pytest.raises(pytest.skip.Exception, match=r"apache-airflow-task-sdk==1\.3\.2"):
        airflow_reader.coordinator()
