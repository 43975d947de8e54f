"""A catalogue of bad inputs, each run through the CLI as a user would.

Every case builds a real file (or folder, FIFO, link...) and asserts the exact message
fragment, that the line names the file, and the exit code.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.vectors import WORKED_BINARY, WORKED_MANIFEST, WORKED_SOURCE

from .conftest import run_cli

HEAD = WORKED_MANIFEST.split(b"dags:")[0]


def _trailer(
    binary: bytes,
    source: bytes,
    manifest: bytes,
    *,
    version: int = 1,
    reserved: bytes = bytes(12),
    source_len: int = -1,
    metadata_len: int = -1,
) -> bytes:
    return struct.pack(
        "<III32s12s8s",
        len(source) if source_len < 0 else source_len,
        len(manifest) if metadata_len < 0 else metadata_len,
        version,
        hashlib.sha256(binary).digest(),
        reserved,
        b"AFBNDL01",
    )


def _bundle(manifest: bytes = WORKED_MANIFEST, **trailer: Any) -> bytes:
    body = WORKED_BINARY + WORKED_SOURCE + manifest
    return body + _trailer(WORKED_BINARY, WORKED_SOURCE, manifest, **trailer)


def _file(data: bytes, mode: int = 0o755) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "bundle"
        path.write_bytes(data)
        path.chmod(mode)
        return path

    return make


def _flipped_binary(tmp: Path) -> Path:
    data = bytearray(_bundle())
    data[5] ^= 0x01
    path = tmp / "bundle"
    path.write_bytes(bytes(data))
    path.chmod(0o755)
    return path


def _directory(tmp: Path) -> Path:
    path = tmp / "bundles"
    path.mkdir()
    return path


def _missing(tmp: Path) -> Path:
    return tmp / "never-built"


def _unreadable(tmp: Path) -> Path:
    """A file this user cannot open: mode 000, or (root ignores modes) a symlink loop."""
    if os.geteuid() != 0:
        path = _file(_bundle())(tmp)
        path.chmod(0)
        return path
    path = tmp / "bundle"
    path.symlink_to(tmp / "loop")
    (tmp / "loop").symlink_to(path)
    return path


def _fifo(tmp: Path) -> Path:
    path = tmp / "bundle"
    os.mkfifo(path)
    return path


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, the command, what must be said, the exit code."""

    make: Callable[[Path], Path]
    fragment: str
    command: Sequence[str] = ("verify",)
    code: int = 1
    stream: str = "stdout"


DRAFT = struct.pack(
    "<III12s8s", len(WORKED_SOURCE), len(WORKED_MANIFEST), 1, bytes(12), b"AFBNDL01"
)

CASES: dict[str, Case] = {
    "empty-file": Case(_file(b""), "not a bundle: 0 bytes is smaller than the 64-byte trailer"),
    "ten-bytes": Case(_file(b"0123456789"), "not a bundle: 10 bytes is smaller than the 64-byte"),
    "63-bytes-ending-in-magic": Case(
        _file(b"\0" * 55 + b"AFBNDL01"), "not a bundle: 63 bytes is smaller than the 64-byte"
    ),
    "no-magic": Case(_file(bytes(64)), "does not end with the AFBNDL01 trailer magic"),
    "signed-after-packing": Case(
        _file(_bundle() + b"SIGNATURE" * 40), "does not end with the AFBNDL01 trailer magic"
    ),
    "footer-version-2": Case(_file(_bundle(version=2)), "unsupported footer version 2"),
    "footer-version-0": Case(_file(_bundle(version=0)), "unsupported footer version 0"),
    "regions-larger-than-file": Case(
        _file(_bundle(metadata_len=10_000)),
        "regions larger than file: source 29 + manifest 10000 + trailer 64 bytes",
    ),
    "source-len-uint32-max": Case(
        _file(_bundle(source_len=0xFFFFFFFF)), "regions larger than file: source 4294967295"
    ),
    "empty-binary-region": Case(
        _file(_bundle(source_len=len(WORKED_BINARY) + len(WORKED_SOURCE))),
        "empty binary region: the trailer leaves no room for the executable",
    ),
    "hash-mismatch": Case(
        _flipped_binary,
        "binary SHA-256 mismatch: the trailer records 96c7430c731ca63d",
    ),
    "hash-mismatch-fix": Case(
        _flipped_binary,
        "(fix: rebuild/repack the bundle; the binary was modified after packing "
        "(strip/sign before packing, never after; UPX is unsupported))",
    ),
    "non-zero-reserved": Case(
        _file(_bundle(reserved=bytes(11) + b"\x01")), "non-zero reserved bytes in the trailer"
    ),
    "draft-32-byte-trailer": Case(
        _file(WORKED_BINARY + WORKED_SOURCE + WORKED_MANIFEST + DRAFT),
        "32-byte draft trailer: packed by an early draft of the format",
    ),
    "manifest-not-utf8": Case(
        _file(_bundle(manifest=b"\xff" + WORKED_MANIFEST)),
        "the bundle's manifest is not valid UTF-8 (byte offset 0",
    ),
    "manifest-not-yaml": Case(
        _file(_bundle(manifest=b"dags: [x\n")),
        "the bundle's manifest is not valid YAML (line 2, column 1",
    ),
    "manifest-a-list": Case(
        _file(_bundle(manifest=b"- dags\n- sdk\n")),
        "expected a mapping at the top level, found a list",
    ),
    "manifest-empty": Case(
        _file(_bundle(manifest=b"")), "expected a mapping at the top level, found empty"
    ),
    "missing-sdk": Case(
        _file(
            _bundle(
                manifest=b'airflow_bundle_metadata_version: "1.0"\nsource: "m.go"\n'
                b'dags:\n  a:\n    tasks:\n      - "t"\n'
            )
        ),
        "no `sdk` mapping: the reader rejects the bundle",
    ),
    "missing-language": Case(
        _file(_bundle(manifest=WORKED_MANIFEST.replace(b'  language: "go"\n', b""))),
        "manifest: sdk: 'language' is a required property",
    ),
    "wrong-schema-version": Case(
        _file(_bundle(manifest=WORKED_MANIFEST.replace(b"2026-06-16", b"2025-01-01"))),
        "sdk.supervisor_schema_version is '2025-01-01': the released reader accepts only "
        "'2026-06-16'",
    ),
    "unquoted-date-schema-version": Case(
        _file(_bundle(manifest=WORKED_MANIFEST.replace(b'"2026-06-16"', b"2026-06-16"))),
        "sdk.supervisor_schema_version is an unquoted date (2026-06-16)",
    ),
    "bad-metadata-version": Case(
        _file(_bundle(manifest=WORKED_MANIFEST.replace(b'"1.0"', b'"one"'))),
        "manifest: airflow_bundle_metadata_version: 'one' does not match",
    ),
    "zero-dags": Case(
        _file(_bundle(manifest=HEAD + b"dags: {}\n")),
        "`dags` is empty: the reader finds no DAG in this bundle",
    ),
    "task-list-not-a-list": Case(
        _file(_bundle(manifest=HEAD + b'dags:\n  a:\n    tasks: "x"\n')),
        "manifest: dags.a.tasks: 'x' is not of type 'array'",
    ),
    "dag-id-reads-as-int": Case(
        _file(_bundle(manifest=WORKED_MANIFEST.replace(b"  simple_dag:", b"  123:"))),
        "dag id 123 reads back as int, not a string: the reader can never find this DAG",
    ),
    "directory-passed": Case(_directory, "is a directory, not a bundle file"),
    "missing-file": Case(_missing, "no such file"),
    "unreadable-file": Case(_unreadable, "cannot read the file"),
    "fifo": Case(_fifo, "not a regular file"),
    "strict-no-tasks": Case(
        _file(_bundle(manifest=HEAD + b"dags:\n  a:\n    tasks: []\n")),
        "warning: dag 'a' has no tasks",
        command=("verify", "--strict"),
    ),
    "not-executable": Case(
        _file(_bundle(), mode=0o644),
        "not executable: Airflow's scanner skips it (fix: chmod +x the bundle",
        command=("verify",),
    ),
    "strict-allowed-not-executable": Case(
        _file(_bundle(), mode=0o644),
        "warning: not executable: Airflow will not find it (fix: chmod +x the bundle)",
        command=("verify", "--strict", "--allow-airflow-rejects"),
    ),
    "inspect-hash-mismatch": Case(
        _flipped_binary, "binary SHA-256 mismatch", command=("inspect",), stream="stderr"
    ),
    "inspect-json-manifest-not-yaml": Case(
        _file(_bundle(manifest=b"dags: [x\n")),
        "the bundle's manifest is not valid YAML",
        command=("inspect", "--json"),
        stream="stderr",
    ),
    "inspect-missing-file": Case(_missing, "no such file", command=("inspect",), stream="stderr"),
    "scan-rejects-damaged-bundle": Case(
        lambda tmp: _flipped_binary(tmp) and tmp,
        "bundle: rejected: binary SHA-256 mismatch",
        command=("scan",),
    ),
    "scan-missing-folder": Case(_missing, "no such directory", command=("scan",), stream="stderr"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    subject = case.make(tmp_path)
    result = run_cli(*case.command, str(subject), cwd=tmp_path)
    output = result.stdout if case.stream == "stdout" else result.stderr
    assert result.returncode == case.code, (result.stdout, result.stderr)
    assert case.fragment in output, output
    line = next(line for line in output.splitlines() if case.fragment.split("\n")[0] in line)
    if case.command[0] == "scan":
        assert str(subject) in line
    elif case.stream == "stderr":
        assert line.startswith(f"hatch-airflow-go: error: {subject}: ")
    else:
        assert line.startswith(f"{subject}: ")
    assert "Traceback" not in result.stderr


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 25


# --- writing: refused before anything is written -------------------------------------------


@pytest.fixture
def pack_inputs(tmp_path: Path) -> dict[str, Path]:
    exe = tmp_path / "exe"
    exe.write_bytes(WORKED_BINARY)
    exe.chmod(0o755)
    source = tmp_path / "main.go"
    source.write_bytes(WORKED_SOURCE)
    metadata = tmp_path / "airflow-metadata.yaml"
    metadata.write_bytes(WORKED_MANIFEST)
    return {"exe": exe, "source": source, "metadata": metadata}


def _pack(inputs: dict[str, Path], output: Path) -> Any:
    return run_cli(
        "pack",
        "--executable",
        str(inputs["exe"]),
        "--source",
        str(inputs["source"]),
        "--airflow-metadata",
        str(inputs["metadata"]),
        "--output",
        str(output),
    )


@pytest.mark.parametrize("which", ["exe", "source", "metadata"])
def test_pack_refuses_output_that_is_an_input(pack_inputs: dict[str, Path], which: str) -> None:
    before = {name: path.read_bytes() for name, path in pack_inputs.items()}
    result = _pack(pack_inputs, pack_inputs[which])
    assert result.returncode == 1, result.stderr
    assert f"{pack_inputs[which]}: the output is the same file as the input" in result.stderr
    assert {name: path.read_bytes() for name, path in pack_inputs.items()} == before


def test_pack_refuses_output_hardlinked_to_the_executable(
    pack_inputs: dict[str, Path], tmp_path: Path
) -> None:
    link = tmp_path / "linked"
    os.link(pack_inputs["exe"], link)
    result = _pack(pack_inputs, link)
    assert result.returncode == 1
    assert "the output is the same file as the input" in result.stderr
    assert link.read_bytes() == WORKED_BINARY


def test_pack_refuses_an_output_directory(pack_inputs: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    result = _pack(pack_inputs, target)
    assert result.returncode == 1
    assert f"{target}: the output is an existing directory" in result.stderr
    assert list(target.iterdir()) == []


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["verify"], "the following arguments are required: BUNDLE"),
        (["inspect"], "the following arguments are required: BUNDLE"),
        (["scan"], "the following arguments are required: DIR"),
        (["inspect", "--source", "--json", "x"], "not allowed with argument"),
        (["verify", "--frobnicate", "x"], "unrecognized arguments: --frobnicate"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], fragment: str) -> None:
    result = run_cli(*argv)
    assert result.returncode == 2
    assert fragment in result.stderr
