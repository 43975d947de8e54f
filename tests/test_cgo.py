"""cgo: `pack` takes CGO_ENABLED from the caller like upstream; the hook pins it (default 0).

Real go builds of a stand-in-SDK bundle, which imports `net`: with cgo that package links
the C library, so a cgo binary differs from a CGO_ENABLED=0 one. Tests that need the C
compiler skip where there is none (Go's default there is CGO_ENABLED=0 anyway).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from hatch_airflow_go.build.elf import read_linkage
from hatch_airflow_go.build.pipeline import BundleSpec, pack_bundle
from hatch_airflow_go.build.wheeltag import MANYLINUX_LIBRARIES, built_platform_tag
from hatch_airflow_go.errors import BundleError, ConfigError
from hatch_airflow_go.format import footer
from hatch_airflow_go.golang.toolchain import find_go
from tests.test_pipeline import other_arch, write_module

C_COMPILER = shutil.which(os.environ.get("CC", "").split(" ")[0] or "gcc")
needs_cc = pytest.mark.skipif(
    C_COMPILER is None,
    reason="no C compiler (gcc, or $CC) on PATH: Go's default here is CGO_ENABLED=0, so "
    "there is no cgo build to compare",
)


def caller_env(**changes: Optional[str]) -> dict[str, str]:
    """This environment without CGO_ENABLED (Go's default applies), plus ``changes``
    (a value of None removes the variable)."""
    env = {key: value for key, value in os.environ.items() if key != "CGO_ENABLED"}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def plain_go_build(go: str, module: Path, out: Path, env: dict[str, str]) -> bytes:
    """`go build` with pack's flags, in exactly the environment given."""
    subprocess.run(
        [go, "build", "-trimpath", "-o", str(out), "./cmd/etl"],
        cwd=module,
        env=env,
        check=True,
        capture_output=True,
    )
    return out.read_bytes()


def pack(module: Path, out: Path, env: dict[str, str], *extra: str) -> dict[str, object]:
    """The real `hatch-airflow-go pack` in a subprocess with ``env``; its --json record."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hatch_airflow_go",
            "-v",
            "pack",
            "./cmd/etl",
            "--output",
            str(out),
            "--json",
            *extra,
            "--",
            "-trimpath",
        ],
        cwd=module,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    record: dict[str, object] = json.loads(result.stdout)
    record["stderr"] = result.stderr
    return record


def binary_region(bundle: Path) -> bytes:
    info = footer.read_bundle(bundle)
    return bundle.read_bytes()[: info.binary_size]


def go_build_echo(stderr: str) -> str:
    """The -v echo of pack's go build command."""
    (line,) = [line for line in stderr.splitlines() if " build " in line and line.startswith("$")]
    return line


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "mod")


@needs_cc
def test_pack_uses_go_default_cgo_like_upstream_when_the_caller_sets_none(
    module: Path, tmp_path: Path, go: str
) -> None:
    env = caller_env(AIRFLOW_GO_CACHE_DIR=str(tmp_path / "cache"))
    record = pack(module, tmp_path / "ours", env, "--no-cache")
    ours = binary_region(tmp_path / "ours")
    assert ours == plain_go_build(go, module, tmp_path / "plain", env)
    static = plain_go_build(go, module, tmp_path / "static", {**env, "CGO_ENABLED": "0"})
    assert ours != static
    assert read_linkage(tmp_path / "ours").dynamic  # cgo really was on: it links libc
    assert not read_linkage(tmp_path / "static").dynamic
    # pack sets nothing upstream does not set: only GOOS/GOARCH differ from the caller's.
    echo = go_build_echo(str(record["stderr"]))
    for variable in ("CGO_ENABLED", "GOTOOLCHAIN", "GOFLAGS"):
        assert f"{variable}=" not in echo, echo


def test_pack_with_cgo_enabled_0_in_the_environment_gives_the_static_bytes(
    module: Path, tmp_path: Path, go: str
) -> None:
    env = caller_env(CGO_ENABLED="0", AIRFLOW_GO_CACHE_DIR=str(tmp_path / "cache"))
    pack(module, tmp_path / "ours", env, "--no-cache")
    assert binary_region(tmp_path / "ours") == plain_go_build(go, module, tmp_path / "p", env)
    assert not read_linkage(tmp_path / "ours").dynamic


@needs_cc
def test_pack_cache_never_serves_a_cgo_build_for_a_static_one(module: Path, tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    dynamic = pack(module, tmp_path / "a", caller_env(AIRFLOW_GO_CACHE_DIR=cache))
    static = pack(module, tmp_path / "b", caller_env(CGO_ENABLED="0", AIRFLOW_GO_CACHE_DIR=cache))
    assert static["cached"] is False
    assert static["binary_sha256"] != dynamic["binary_sha256"]
    again = pack(module, tmp_path / "c", caller_env(AIRFLOW_GO_CACHE_DIR=cache))
    assert again["cached"] is True
    assert again["binary_sha256"] == dynamic["binary_sha256"]


def test_pack_leaves_a_vendored_module_to_go_default_like_upstream(
    module: Path, tmp_path: Path, go: str
) -> None:
    """No -mod=vendor is added: Go picks vendor mode itself for a go >= 1.14 module."""
    env = caller_env(CGO_ENABLED="0", AIRFLOW_GO_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([go, "mod", "vendor"], cwd=module, env=env, check=True, capture_output=True)
    record = pack(module, tmp_path / "ours", env, "--no-cache")
    assert "GOFLAGS=" not in go_build_echo(str(record["stderr"]))
    assert binary_region(tmp_path / "ours") == plain_go_build(go, module, tmp_path / "p", env)


@needs_cc
def test_hook_spec_pins_cgo_and_the_cache_keeps_the_two_apart(
    module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """BundleSpec.cgo (the hook's `cgo`) wins over the environment, both ways."""
    monkeypatch.setenv("CGO_ENABLED", "1")
    base = BundleSpec(
        package="./cmd/etl",
        module_dir=module,
        output_dir=tmp_path / "s",
        build_flags=("-trimpath",),
    )
    static = pack_bundle(base, cache_dir=tmp_path / "c")
    assert not read_linkage(static.path).dynamic
    monkeypatch.setenv("CGO_ENABLED", "0")
    dynamic = pack_bundle(
        dataclasses.replace(base, output_dir=tmp_path / "d", cgo=True), cache_dir=tmp_path / "c"
    )
    assert not dynamic.cached
    assert read_linkage(dynamic.path).dynamic
    assert dynamic.binary_sha256 != static.binary_sha256


def test_hook_cgo_cross_build_without_cc_is_refused_before_building(
    module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CC", raising=False)
    spec = BundleSpec(
        package="./cmd/etl",
        module_dir=module,
        output_dir=tmp_path / "out",
        goos="linux",
        goarch=other_arch(),
        cgo=True,
    )
    with pytest.raises(ConfigError) as caught:
        pack_bundle(spec)
    message = str(caught.value)
    assert f"cgo = true for a cross build (linux/{other_arch()} on this linux/" in message
    assert "needs a C cross compiler for the target, and CC is not set" in message
    assert "(fix: set CC (and CXX for C++) to a C compiler for" in message
    assert not (tmp_path / "out").exists()


# -- the ELF facts the cgo wheel tag is decided from ------------------------------------------


def _cgo_binary(go: str, module: Path, out: Path) -> Path:
    plain_go_build(go, module, out, caller_env(CGO_ENABLED="1"))
    return out


def _readelf_glibc(binary: Path) -> Optional[tuple[int, int]]:
    """The newest GLIBC_ version binutils' readelf says the binary needs (None: no readelf)."""
    if shutil.which("readelf") is None:
        return None
    text = subprocess.run(
        ["readelf", "--version-info", "-W", str(binary)], capture_output=True, text=True
    ).stdout
    found: set[tuple[int, int]] = set()
    for word in text.split():
        parts = word.split("_", 1)[1].split(".") if word.startswith("GLIBC_2") else []
        if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit():
            found.add((int(parts[0]), int(parts[1])))
    return max(found) if found else None


@needs_cc
def test_cgo_binary_is_tagged_for_the_glibc_it_needs_never_musllinux(
    module: Path, tmp_path: Path, go: str
) -> None:
    binary = _cgo_binary(go, module, tmp_path / "cgo")
    linkage = read_linkage(binary)
    assert linkage.interpreter is not None
    assert "ld-linux" in linkage.interpreter
    assert "libc.so.6" in linkage.needed
    assert linkage.glibc is not None
    expected = _readelf_glibc(binary)
    if expected is not None:
        assert linkage.glibc == expected
    arch = {"amd64": "x86_64", "arm64": "aarch64"}[find_go().host_goarch]
    floor = max(linkage.glibc, (2, 17))
    tag, warnings = built_platform_tag("linux", find_go().host_goarch, cgo=True, binaries=[binary])
    assert tag == f"manylinux_{floor[0]}_{floor[1]}_{arch}"
    assert warnings == []
    # The same binary packed into a bundle reads the same (the headers lead the file).
    static = tmp_path / "static"
    plain_go_build(go, module, static, caller_env(CGO_ENABLED="0"))
    assert built_platform_tag("linux", find_go().host_goarch, cgo=True, binaries=[static])[0] == (
        f"manylinux_2_17_{arch}.musllinux_1_2_{arch}"
    )


def test_a_library_outside_the_manylinux_list_is_a_warning() -> None:
    ls = Path("/bin/ls")  # a real dynamic glibc binary; on Debian it also links libselinux
    extra = [lib for lib in read_linkage(ls).needed if lib not in MANYLINUX_LIBRARIES]
    if not extra:
        pytest.skip(f"{ls} links only libraries every manylinux platform has")
    _, warnings = built_platform_tag("linux", "amd64", cgo=True, binaries=[ls])
    assert f"ls links {extra[0]}, which manylinux platforms do not promise" in warnings[0]


def _tiny_elf(path: Path, *, wide: bool, order: str, interpreter: bytes) -> Path:
    """A minimal real ELF file: header plus one PT_INTERP program header, no sections."""
    phoff = 64 if wide else 52
    phentsize = 56 if wide else 32
    data_at = phoff + phentsize
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1]) + bytes(9)
    if wide:
        header = struct.pack(order + "HHIQQQIHHHHHH", 2, 62, 1, 0, phoff, 0, 0, 64, phentsize, 1,
                             64, 0, 0)  # fmt: skip
        program = struct.pack(order + "IIQQQQQQ", 3, 4, data_at, 0, 0, len(interpreter),
                              len(interpreter), 1)  # fmt: skip
    else:
        header = struct.pack(order + "HHIIIIIHHHHHH", 2, 22, 1, 0, phoff, 0, 0, 52, phentsize, 1,
                             40, 0, 0)  # fmt: skip
        program = struct.pack(order + "IIIIIIII", 3, data_at, 0, 0, len(interpreter),
                              len(interpreter), 4, 1)  # fmt: skip
    path.write_bytes(ident + header + program + interpreter)
    return path


@pytest.mark.parametrize(("wide", "order"), [(True, "<"), (False, ">"), (True, ">"), (False, "<")])
def test_a_musl_dynamic_binary_gets_no_manylinux_tag(
    tmp_path: Path, wide: bool, order: str
) -> None:
    binary = _tiny_elf(
        tmp_path / "musl", wide=wide, order=order, interpreter=b"/lib/ld-musl-x86_64.so.1\0"
    )
    assert read_linkage(binary).interpreter == "/lib/ld-musl-x86_64.so.1"
    with pytest.raises(ConfigError) as caught:
        built_platform_tag("linux", "amd64", cgo=True, binaries=[binary])
    assert "bundle musl: cgo build for linux/amd64 links musl dynamically" in str(caught.value)
    assert "no manylinux tag fits it (fix: build with cgo = false" in str(caught.value)


@pytest.mark.parametrize("cut", [3, 17, 40, 70, 100])
def test_truncated_or_foreign_files_are_one_bundle_error(tmp_path: Path, cut: int) -> None:
    whole = _tiny_elf(tmp_path / "whole", wide=True, order="<", interpreter=b"/lib/ld.so\0")
    broken = tmp_path / "broken"
    broken.write_bytes(whole.read_bytes()[:cut])
    with pytest.raises(BundleError) as caught:
        read_linkage(broken)
    assert str(caught.value).startswith(f"{broken}: cannot read the binary's ELF headers: ")


def test_static_linux_and_other_platforms_keep_their_tags_without_reading_binaries(
    tmp_path: Path,
) -> None:
    missing = [tmp_path / "never-read"]
    assert built_platform_tag("linux", "arm64", cgo=False, binaries=missing)[0] == (
        "manylinux_2_17_aarch64.musllinux_1_2_aarch64"
    )
    assert built_platform_tag("darwin", "arm64", cgo=True, binaries=missing)[0] == (
        "macosx_11_0_arm64"
    )
    assert built_platform_tag("windows", "amd64", cgo=True, binaries=missing)[0] == "win_amd64"
