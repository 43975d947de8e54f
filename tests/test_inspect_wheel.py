"""`inspect-wheel`: tags, bundle members, and the failures a wheel can carry."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from hatch_airflow_go.cli import main
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import Manifest, SdkInfo, render_v1
from tests.conftest import run_cli

MEMBER = "demo-1.0.data/data/share/airflow/executable-bundles/etl"


def make_bundle(tmp_path: Path) -> Path:
    binary = tmp_path / "binary"
    binary.write_bytes(b"\x7fELF" + b"\x00binary" * 500)
    manifest = Manifest(
        sdk=SdkInfo("go", "v0.1.0", "2026-06-16"), dags={"etl": ["extract"]}, source="main.go"
    )
    out = tmp_path / "bundle"
    footer.write_bundle(binary, b"package main\n", render_v1(manifest).data, out)
    return out


def make_wheel(tmp_path: Path, bundle: bytes, mode: int) -> Path:
    wheel = tmp_path / "demo-1.0-py3-none-manylinux_2_17_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "demo-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: py3-none-manylinux_2_17_x86_64\n",
        )
        archive.writestr("demo/__init__.py", "")
        info = zipfile.ZipInfo(MEMBER)
        info.external_attr = (0o100000 | mode) << 16
        archive.writestr(info, bundle)
    return wheel


def test_executable_bundle_is_listed_with_tag_and_dags(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, make_bundle(tmp_path).read_bytes(), 0o755)
    result = run_cli("inspect-wheel", "--json", str(wheel))
    assert result.returncode == 0, result.stderr
    described = json.loads(result.stdout)
    assert described["tags"] == ["py3-none-manylinux_2_17_x86_64"]
    assert described["root_is_purelib"] is False
    (bundle,) = described["bundles"]
    assert bundle["member"] == MEMBER
    assert bundle["installs_to"] == "<data>/share/airflow/executable-bundles/etl"
    assert bundle["mode"] == "0o755"
    assert bundle["dags"] == {"etl": ["extract"]}
    assert bundle["ok"] is True
    assert bundle["warnings"] == []


def test_bundle_without_executable_bit_fails(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, make_bundle(tmp_path).read_bytes(), 0o644)
    result = run_cli("inspect-wheel", str(wheel))
    assert result.returncode == 1
    assert "FAILED: not executable once installed" in result.stdout


def test_corrupted_bundle_fails_with_the_verify_error(tmp_path: Path) -> None:
    data = bytearray(make_bundle(tmp_path).read_bytes())
    data[10] ^= 0xFF  # inside the binary region: the trailer's hash no longer matches
    wheel = make_wheel(tmp_path, bytes(data), 0o755)
    result = run_cli("inspect-wheel", str(wheel))
    assert result.returncode == 1
    assert "FAILED: binary SHA-256 mismatch" in result.stdout


def test_not_a_wheel_is_one_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.whl"
    bogus.write_text("not a zip")
    result = run_cli("inspect-wheel", str(bogus))
    assert result.returncode == 1
    assert f"{bogus}: cannot read the wheel" in result.stderr
    assert "Traceback" not in result.stderr


def _damage_member(wheel: Path, content: bytes, at: int) -> None:
    """Flip one byte of a stored member's data inside the zip, leaving its CRC as recorded."""
    data = bytearray(wheel.read_bytes())
    start = data.find(content)
    assert start > 0
    assert data.find(content, start + 1) == -1, "the member's data must occur once"
    data[start + at] ^= 0xFF
    wheel.write_bytes(bytes(data))


def make_stored_wheel(tmp_path: Path, wheel_text: bytes, bundle: bytes) -> Path:
    """A wheel whose members are stored uncompressed, so their bytes can be found and patched."""
    wheel = tmp_path / "demo-1.0-py3-none-manylinux_2_17_x86_64.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("demo-1.0.dist-info/WHEEL", wheel_text)
        info = zipfile.ZipInfo(MEMBER)
        info.external_attr = 0o100755 << 16
        archive.writestr(info, bundle)
    return wheel


WHEEL_TEXT = b"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: py3-none-manylinux_2_17_x86_64\n"


def _assert_one_error(
    wheel: Path, member: str, problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both as a user runs it and in-process: exit 1, one line naming wheel and member."""
    result = run_cli("inspect-wheel", str(wheel))
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"hatch-airflow-go: error: {wheel}: {problem.format(member=member)}")
    assert "(fix: " in line

    assert main(["inspect-wheel", "--json", str(wheel)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"{wheel}: {problem.format(member=member)}" in captured.err


def test_bundle_member_with_a_bad_crc_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = make_bundle(tmp_path).read_bytes()
    wheel = make_stored_wheel(tmp_path, WHEEL_TEXT, bundle)
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read(MEMBER) == bundle  # intact before the patch
    _damage_member(wheel, bundle, 100)
    with zipfile.ZipFile(wheel) as archive, pytest.raises(zipfile.BadZipFile, match="CRC"):
        archive.read(MEMBER)
    _assert_one_error(wheel, MEMBER, "cannot read the member {member}: Bad CRC-32", capsys)


def test_wheel_file_with_a_bad_crc_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = make_stored_wheel(tmp_path, WHEEL_TEXT, make_bundle(tmp_path).read_bytes())
    _damage_member(wheel, WHEEL_TEXT, 3)
    _assert_one_error(
        wheel, "demo-1.0.dist-info/WHEEL", "cannot read the member {member}: Bad CRC-32", capsys
    )


def test_bundle_member_with_a_broken_deflate_stream_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Compressed data damaged: zlib fails (or the CRC does); either way one clear error."""
    bundle = make_bundle(tmp_path).read_bytes()
    wheel = tmp_path / "deflated.whl"
    with zipfile.ZipFile(wheel, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("demo-1.0.dist-info/WHEEL", WHEEL_TEXT)
        member = zipfile.ZipInfo(MEMBER)
        member.external_attr = 0o100755 << 16
        member.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(member, bundle)
        offset = archive.getinfo(MEMBER).header_offset
    data = bytearray(wheel.read_bytes())
    # The local header is 30 bytes, then the name and the extra field, then the stream.
    name_len, extra_len = struct.unpack_from("<HH", data, offset + 26)
    data[offset + 30 + name_len + extra_len + 2] ^= 0xFF
    wheel.write_bytes(bytes(data))
    _assert_one_error(wheel, MEMBER, "cannot read the member {member}: ", capsys)


def test_wheel_file_that_is_not_utf8_is_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = WHEEL_TEXT + b"Generator: caf\xe9\n"
    wheel = make_stored_wheel(tmp_path, text, make_bundle(tmp_path).read_bytes())
    _assert_one_error(
        wheel,
        "demo-1.0.dist-info/WHEEL",
        f"the member {{member}} is not UTF-8 text (byte {len(text) - 2})",
        capsys,
    )
