"""`inspect-wheel`: tags, bundle members, and the failures a wheel can carry."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from hatch_airflow_go import footer
from hatch_airflow_go.manifest import Manifest, SdkInfo, render_v1
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
