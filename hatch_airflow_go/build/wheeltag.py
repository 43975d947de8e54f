"""Wheel platform tags for Go targets.

A wheel carrying bundles is tagged ``py3-none-<platform>``: the Python code stays pure, the
platform is the bundles' target (never the host's, so cross builds are tagged correctly).

Rules:

- Linux, ``CGO_ENABLED=0``: a Go binary is statically linked and needs no C library at all,
  so it runs on every glibc and musl distribution: ``manylinux_2_17_<arch>`` (the oldest
  floor pip still installs, the CentOS 7 baseline) plus ``musllinux_1_2_<arch>``, written as
  one compressed tag set.
- Linux with cgo: the binary links glibc dynamically, so it runs only where glibc is at least
  as new as the newest symbol version it requires. :func:`built_platform_tag` reads that from
  the built bundles' ELF headers (``GLIBC_2.34`` -> ``manylinux_2_34_<arch>``, never below
  2.17), the fact auditwheel reads, so host and cross builds are tagged alike; musllinux is
  never claimed. A cgo build that links nothing (no package used cgo) is static and keeps
  the static tags. A dynamic binary without glibc symbol versions (musl) is refused.
  :func:`platform_tag` alone, without binaries, uses the given floor or the running glibc.
- macOS: ``macosx_11_0_<arch>``, the oldest release Go 1.23 and later support.
- Windows: ``win_amd64``, ``win_arm64``, ``win32``.
- Anything else (``js/wasm``, ``plan9``, the BSDs, ...) has no portable wheel platform: a
  :class:`ConfigError`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from hatch_airflow_go.build.elf import read_linkage
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
# Libraries every manylinux platform provides (the PEP 599 / auditwheel policy list) and the
# glibc program interpreters; anything else a bundle links is the installing system's job.
MANYLINUX_LIBRARIES = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "librt.so.1",
        "libpthread.so.0",
        "libresolv.so.2",
        "libnsl.so.1",
        "libutil.so.1",
        "libgcc_s.so.1",
        "libstdc++.so.6",
        "libX11.so.6",
        "libXext.so.6",
        "libXrender.so.1",
        "libICE.so.6",
        "libSM.so.6",
        "libGL.so.1",
        "libgobject-2.0.so.0",
        "libgthread-2.0.so.0",
        "libglib-2.0.so.0",
    }
)
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


def wheel_targets() -> list[str]:
    """Every GOOS/GOARCH that has a wheel platform tag, in a stable order (for messages)."""
    return [
        *(f"linux/{goarch}" for goarch in LINUX_ARCHES),
        *(f"darwin/{goarch}" for goarch in MACOS_ARCHES),
        *(f"windows/{goarch}" for goarch in WINDOWS_PLATFORMS),
    ]


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


def built_platform_tag(
    goos: str, goarch: str, *, cgo: bool, binaries: Sequence[Path]
) -> tuple[str, list[str]]:
    """The platform tag for bundles already built, and warnings about what they link.

    Only Linux cgo builds look at the binaries (see the module docstring); every other build
    gets :func:`platform_tag`'s answer.
    """
    if goos != "linux" or not cgo:
        return platform_tag(goos, goarch, cgo=cgo), []
    floor: Optional[tuple[int, int]] = None
    warnings: list[str] = []
    for binary in binaries:
        linkage = read_linkage(binary)
        if not linkage.dynamic:
            continue
        if linkage.glibc is None:
            libc = (
                "musl" if "musl" in (linkage.interpreter or "") else "a C library other than glibc"
            )
            raise ConfigError(
                f"bundle {binary.name}: cgo build for {goos}/{goarch} links {libc} "
                f"dynamically (interpreter {linkage.interpreter or 'none'}): no manylinux "
                "tag fits it",
                fix="build with cgo = false (static binaries run on every Linux), or build the "
                "wheel against glibc",
            )
        floor = linkage.glibc if floor is None else max(floor, linkage.glibc)
        for library in linkage.needed:
            if library not in MANYLINUX_LIBRARIES:
                warnings.append(
                    f"{binary.name} links {library}, which manylinux platforms do not promise: "
                    "the wheel installs where it is missing, and the bundle then fails to start"
                )
    if floor is None:
        return platform_tag(goos, goarch, cgo=False), warnings  # nothing linked libc: static
    return platform_tag(goos, goarch, cgo=True, glibc=max(floor, STATIC_MANYLINUX)), warnings
