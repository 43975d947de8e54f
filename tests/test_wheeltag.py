"""Wheel platform tags for Go targets: static Linux, cgo Linux, macOS, Windows, no platform."""

from __future__ import annotations

import pytest
from packaging.tags import parse_tag

from hatch_airflow_go.build.wheeltag import host_glibc, platform_tag, wheel_tag
from hatch_airflow_go.errors import ConfigError


@pytest.mark.parametrize(
    ("goarch", "arch"),
    [
        ("amd64", "x86_64"),
        ("arm64", "aarch64"),
        ("386", "i686"),
        ("arm", "armv7l"),
        ("ppc64le", "ppc64le"),
        ("s390x", "s390x"),
        ("riscv64", "riscv64"),
    ],
)
def test_static_linux_is_manylinux_2_17_and_musllinux_1_2(goarch: str, arch: str) -> None:
    tag = platform_tag("linux", goarch, cgo=False)
    assert tag == f"manylinux_2_17_{arch}.musllinux_1_2_{arch}"
    parsed = {str(t) for t in parse_tag(f"py3-none-{tag}")}
    assert parsed == {f"py3-none-manylinux_2_17_{arch}", f"py3-none-musllinux_1_2_{arch}"}


def test_cgo_linux_uses_the_given_glibc_floor() -> None:
    assert platform_tag("linux", "arm64", cgo=True, glibc=(2, 31)) == "manylinux_2_31_aarch64"


def test_cgo_linux_uses_the_host_glibc() -> None:
    glibc = host_glibc()
    if glibc is None:
        pytest.skip("this host has no glibc, so there is no host floor to compare with")
    assert platform_tag("linux", "amd64", cgo=True) == f"manylinux_{glibc[0]}_{glibc[1]}_x86_64"


def test_cgo_linux_without_glibc_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("hatch_airflow_go.build.wheeltag.host_glibc", lambda: None)
    with pytest.raises(ConfigError, match="manylinux floor cannot be known") as caught:
        platform_tag("linux", "amd64", cgo=True)
    assert "cgo = false" in str(caught.value)


@pytest.mark.parametrize(
    ("goos", "goarch", "expected"),
    [
        ("darwin", "amd64", "macosx_11_0_x86_64"),
        ("darwin", "arm64", "macosx_11_0_arm64"),
        ("windows", "amd64", "win_amd64"),
        ("windows", "arm64", "win_arm64"),
        ("windows", "386", "win32"),
    ],
)
def test_macos_and_windows(goos: str, goarch: str, expected: str) -> None:
    assert platform_tag(goos, goarch, cgo=False) == expected
    assert wheel_tag(goos, goarch, cgo=False) == f"py3-none-{expected}"


@pytest.mark.parametrize(
    ("goos", "goarch"),
    [
        ("js", "wasm"),
        ("wasip1", "wasm"),
        ("plan9", "amd64"),
        ("freebsd", "amd64"),
        ("linux", "mips"),
        ("darwin", "386"),
        ("windows", "arm"),
    ],
)
def test_targets_without_a_wheel_platform_are_config_errors(goos: str, goarch: str) -> None:
    with pytest.raises(ConfigError, match=f"target {goos}/{goarch} has no wheel platform tag"):
        platform_tag(goos, goarch, cgo=False)


def test_wheel_tag_is_py3_none_platform() -> None:
    assert wheel_tag("linux", "arm64", cgo=False) == (
        "py3-none-manylinux_2_17_aarch64.musllinux_1_2_aarch64"
    )


def test_wheel_targets_are_the_go_targets_that_have_a_platform_tag(go: str) -> None:
    """build-wheels' list of valid --target values: each a real Go target with a tag, and
    every Go target with a tag is in it."""
    import subprocess

    from hatch_airflow_go.build.wheeltag import wheel_targets

    listed = subprocess.run(
        [go, "tool", "dist", "list"], capture_output=True, text=True, check=True
    ).stdout.split()
    tagged = []
    for target in listed:
        goos, goarch = target.split("/")
        try:
            platform_tag(goos, goarch, cgo=False)
        except ConfigError:
            continue
        tagged.append(target)
    assert sorted(wheel_targets()) == sorted(tagged)
    assert len(wheel_targets()) == len(set(wheel_targets()))
