"""The Go build information every Go binary carries: which Go built it, and its main module.

Since Go 1.18 the linker writes a 32-byte header starting ``\\xff Go buildinf:`` (then the
pointer size and a flags byte whose bit 1 says the strings follow inline), followed by two
strings, each a uvarint length and its bytes: the Go version (``go1.26.8``) and the module
information (``path``, ``mod``, ``dep``, ``build`` lines between two 16-byte sentinels).
``go version -m`` prints the same facts. Older binaries keep pointers to the strings
instead; they are reported as unknown.

The binary is untrusted: only its first ``limit`` bytes are read, in chunks; a header is
believed only when it is complete and its strings are of sane size and shape; a file with
many false starts costs at most ``_MAX_CANDIDATES`` header checks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
_FLAG_VERSION_INLINE = 0x2
_CHUNK = 1 << 20
_MAX_VERSION = 128
_MAX_MODINFO = 1 << 20
_MAX_CANDIDATES = 1_000
_VERSION_RE = re.compile(rb"(?:go1(?:\.\d+){0,2}(?:(?:alpha|beta|rc)\d+)?|devel [ -~]{1,120})")
_SENTINEL = 16  # the module information is wrapped in 16 bytes of sentinel on each side


@dataclass(frozen=True)
class BuildInfo:
    """What the build information says."""

    go_version: str
    main_module: Optional[str] = None  # the ``path`` line: the main package's import path


def _uvarint(data: bytes, at: int) -> Optional[tuple[int, int]]:
    """(value, next offset) of the uvarint at ``at``; None when cut off or over 10 bytes."""
    value = shift = 0
    for index in range(at, min(at + 10, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, index + 1
        shift += 7
    return None


def _parse_at(stream: BinaryIO, at: int) -> Optional[BuildInfo]:
    """The build information whose magic starts at ``at`` in ``stream``, if believable.

    The version is read and checked first (a few hundred bytes): only a header that passes
    costs the read of its module information.
    """
    stream.seek(at)
    head = stream.read(HEADER_SIZE + 10 + _MAX_VERSION)
    if len(head) < HEADER_SIZE or not head.startswith(MAGIC) or head[14] not in (4, 8):
        return None
    if not head[15] & _FLAG_VERSION_INLINE:
        return None  # Go < 1.18: pointers into the data segment, not read here
    first = _uvarint(head, HEADER_SIZE)
    if first is None or not 0 < first[0] <= _MAX_VERSION:
        return None
    length, after = first
    version = head[after : after + length]
    if len(version) != length or not _VERSION_RE.fullmatch(version):
        return None
    return BuildInfo(version.decode("ascii"), _main_module(stream, at + after + length))


def _main_module(stream: BinaryIO, at: int) -> Optional[str]:
    """The ``path`` line of the module information that starts at ``at``, if any."""
    stream.seek(at)
    prefix = stream.read(10)
    found = _uvarint(prefix, 0)
    if found is None or not 2 * _SENTINEL < found[0] <= _MAX_MODINFO:
        return None
    stream.seek(at + found[1])
    modinfo = stream.read(found[0])
    if len(modinfo) != found[0]:
        return None
    for line in modinfo[_SENTINEL:-_SENTINEL].split(b"\n"):
        key, _, rest = line.partition(b"\t")
        if key == b"path":
            return rest.decode("utf-8", "replace")
    return None


def read_build_info_from(stream: BinaryIO, limit: int) -> Optional[BuildInfo]:
    """Scan the first ``limit`` bytes of the seekable ``stream`` for Go's build information."""
    offset = 0  # stream position of the next chunk
    tail = b""  # the end of the previous chunk: a magic may straddle two chunks
    candidates = 0
    while offset < limit:
        stream.seek(offset)
        chunk = stream.read(min(_CHUNK, limit - offset))
        if not chunk:
            return None
        window = tail + chunk
        base = offset - len(tail)
        found = window.find(MAGIC)
        while found >= 0:
            candidates += 1
            if candidates > _MAX_CANDIDATES:
                return None
            parsed = _parse_at(stream, base + found)
            if parsed is not None:
                return parsed
            found = window.find(MAGIC, found + 1)
        offset += len(chunk)
        tail = window[-(len(MAGIC) - 1) :]
    return None


def read_build_info(path: Path, limit: int) -> Optional[BuildInfo]:
    """The build information of the binary at ``path`` (its first ``limit`` bytes), or
    None when there is none that this reader believes (no Go binary, Go < 1.18, damage)."""
    with path.open("rb") as stream:
        return read_build_info_from(stream, limit)
