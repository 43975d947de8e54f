"""Wheel platform tags for Go targets.

A wheel carrying bundles is tagged ``py3-none-<platform>``: the Python code stays pure, the
platform is the bundles' target (never the host's, so cross builds are tagged correctly).

Rules:

- Linux, ``CGO_ENABLED=0``: a Go binary is statically linked and needs no C library at all,
  so it runs on every glibc and musl distribution: ``manylinux_2_17_<arch>`` (the oldest
  floor pip still installs, the CentOS 7 baseline) plus ``musllinux_1_2_<arch>``, written as
  one compressed tag set.
- Linux with cgo: the binary links against the C library it was built with, so the floor is
  the build host's glibc (``manylinux_<major>_<minor>_<arch>``). Building with cgo on a host
  without glibc (musl, or not Linux) is refused: the floor cannot be known.
- macOS: ``macosx_11_0_<arch>``, the oldest release Go 1.23 and later support.
- Windows: ``win_amd64``, ``win_arm64``, ``win32``.
- Anything else (``js/wasm``, ``plan9``, the BSDs, ...) has no portable wheel platform: a
  :class:`ConfigError`.
"""

from __future__ import annotations

import os
from typing import Optional

from hatch_airflow_go.errors import ConfigError

# GOARCH -> the machine name used in manylinux/musllinux tags. GOARCH=arm is tagged armv7l:
# Go builds GOARM=7 by default for linux/arm when cross-compiling.
LINUX_ARCHES = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "386": "i686",
    "arm": "armv7l",
    "ppc64le": "ppc64le",
    "ppc64": "ppc64",
    "s390x": "s390x",
    "riscv64": "riscv64",
    "loong64": "loongarch64",
}
MACOS_ARCHES = {"amd64": "x86_64", "arm64": "arm64"}
WINDOWS_PLATFORMS = {"amd64": "win_amd64", "arm64": "win_arm64", "386": "win32"}

STATIC_MANYLINUX = (2, 17)
STATIC_MUSLLINUX = (1, 2)
MACOS_MINIMUM = (11, 0)


def host_glibc() -> Optional[tuple[int, int]]:
    """The running system's glibc version, or ``None`` (musl, macOS, Windows)."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):
        return None
    if not text or not text.startswith("glibc "):
        return None
    parts = text.split()[1].split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def _no_platform(goos: str, goarch: str, why: str) -> ConfigError:
    return ConfigError(
        f"target {goos}/{goarch} has no wheel platform tag: {why}",
        fix="set `target` to a linux, darwin or windows GOOS/GOARCH (e.g. linux/amd64)",
    )


def platform_tag(
    goos: str, goarch: str, *, cgo: bool, glibc: Optional[tuple[int, int]] = None
) -> str:
    """The wheel platform tag (possibly a compressed set) for bundles built for goos/goarch.

    ``glibc`` is the build host's glibc version for cgo Linux builds (default: detected).
    """
    if goos == "linux":
        arch = LINUX_ARCHES.get(goarch)
        if arch is None:
            raise _no_platform(goos, goarch, "no manylinux/musllinux architecture matches it")
        if not cgo:
            many = "manylinux_{}_{}_{}".format(*STATIC_MANYLINUX, arch)
            musl = "musllinux_{}_{}_{}".format(*STATIC_MUSLLINUX, arch)
            return f"{many}.{musl}"
        floor = glibc if glibc is not None else host_glibc()
        if floor is None:
            raise ConfigError(
                f"cgo build for {goos}/{goarch}: this host has no glibc, so the wheel's "
                "manylinux floor cannot be known",
                fix="build with cgo = false (static binaries run on every Linux), or build "
                "the wheel on a glibc Linux host",
            )
        return f"manylinux_{floor[0]}_{floor[1]}_{arch}"
    if goos == "darwin":
        arch = MACOS_ARCHES.get(goarch)
        if arch is None:
            raise _no_platform(goos, goarch, "macOS wheels exist for amd64 and arm64 only")
        return "macosx_{}_{}_{}".format(*MACOS_MINIMUM, arch)
    if goos == "windows":
        platform = WINDOWS_PLATFORMS.get(goarch)
        if platform is None:
            raise _no_platform(goos, goarch, "Windows wheels exist for amd64, arm64 and 386")
        return platform
    raise _no_platform(goos, goarch, f"wheels have no portable platform for GOOS={goos}")


def wheel_tag(goos: str, goarch: str, *, cgo: bool, glibc: Optional[tuple[int, int]] = None) -> str:
    """The full wheel tag: ``py3-none-<platform>``."""
    return f"py3-none-{platform_tag(goos, goarch, cgo=cgo, glibc=glibc)}"
