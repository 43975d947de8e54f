"""What a built Linux binary links against, read from its ELF headers (no tool needed).

The wheel tag of a cgo build depends on it: a static binary runs on every Linux, a binary
that links glibc dynamically runs where glibc is at least as new as the newest symbol
version it needs (``GLIBC_2.34`` in ``.gnu.version_r``: the facts auditwheel reads). The
headers sit at the start of the binary region, so a packed bundle reads the same as its
binary. ELF32 and ELF64, little- and big-endian; every read is bounded by the file's size.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from hatch_airflow_go.errors import BundleError, PathLike

_PT_INTERP = 3
_SHT_DYNAMIC = 6
_SHT_GNU_VERNEED = 0x6FFFFFFE
_DT_NEEDED = 1
_MAX_TABLE = 16 * 1024 * 1024  # no header table or string table of a real binary is larger
_MAX_ENTRIES = 100_000
_GLIBC_VERSION = re.compile(r"GLIBC_([0-9]+)\.([0-9]+)(?:\.[0-9]+)*")


@dataclass(frozen=True)
class Linkage:
    """How a binary is linked: its program interpreter, libraries, newest glibc version."""

    interpreter: Optional[str]
    needed: tuple[str, ...]
    glibc: Optional[tuple[int, int]]  # the highest GLIBC_x.y it requires, if any

    @property
    def dynamic(self) -> bool:
        return self.interpreter is not None or bool(self.needed)


class _Reader:
    def __init__(self, stream: BinaryIO, size: int, path: Path) -> None:
        self.stream = stream
        self.size = size
        self.path = path
        ident = self.read(0, 16)
        if ident[:4] != b"\x7fELF" or ident[4] not in (1, 2) or ident[5] not in (1, 2):
            raise self.error("not an ELF executable")
        self.wide = ident[4] == 2
        self.order = "<" if ident[5] == 1 else ">"

    def error(self, problem: str) -> BundleError:
        return BundleError(
            f"cannot read the binary's ELF headers: {problem}",
            path=self.path,
            fix="build the bundle for a Linux target with go build (its output is ELF)",
        )

    def read(self, offset: int, length: int) -> bytes:
        if offset < 0 or length < 0 or offset + length > self.size or length > _MAX_TABLE:
            raise self.error(f"a table at offset {offset} runs past the end of the file")
        self.stream.seek(offset)
        data = self.stream.read(length)
        if len(data) != length:
            raise self.error("the file ended early")
        return data

    def unpack(self, fmt: str, data: bytes, offset: int = 0) -> tuple[int, ...]:
        return struct.unpack_from(self.order + fmt, data, offset)

    def header(self) -> tuple[int, int, int, int, int, int]:
        """(phoff, phentsize, phnum, shoff, shentsize, shnum)."""
        if self.wide:
            fields = self.unpack("HHIQQQIHHHHHH", self.read(16, 48))
        else:
            fields = self.unpack("HHIIIIIHHHHHH", self.read(16, 36))
        phoff, shoff = fields[4], fields[5]
        return phoff, fields[8], fields[9], shoff, fields[10], fields[11]

    def segments(self, phoff: int, entsize: int, count: int) -> list[tuple[int, int, int]]:
        """(type, offset, filesz) of each program header."""
        if count == 0:
            return []
        table = self.read(phoff, entsize * count)
        fmt = "IIQQQQ" if self.wide else "IIIIII"
        out = []
        for index in range(count):
            fields = self.unpack(fmt, table, index * entsize)
            if self.wide:
                out.append((fields[0], fields[2], fields[5]))
            else:
                out.append((fields[0], fields[1], fields[4]))
        return out

    def sections(self, shoff: int, entsize: int, count: int) -> list[tuple[int, int, int, int]]:
        """(type, offset, size, link) of each section header."""
        if count == 0 or shoff == 0:
            return []
        table = self.read(shoff, entsize * count)
        fmt = "IIQQQQI" if self.wide else "IIIIIII"
        out = []
        for index in range(count):
            fields = self.unpack(fmt, table, index * entsize)
            out.append((fields[1], fields[4], fields[5], fields[6]))
        return out


def _string(table: bytes, offset: int) -> str:
    end = table.find(b"\0", offset)
    return table[offset : end if end >= 0 else len(table)].decode("utf-8", errors="replace")


def _needed(reader: _Reader, sections: list[tuple[int, int, int, int]]) -> list[str]:
    names: list[str] = []
    entry = 16 if reader.wide else 8
    fmt = "qQ" if reader.wide else "iI"
    for kind, offset, size, link in sections:
        if kind != _SHT_DYNAMIC or link >= len(sections):
            continue
        data = reader.read(offset, size)
        strings = reader.read(sections[link][1], sections[link][2])
        for index in range(min(size // entry, _MAX_ENTRIES)):
            tag, value = reader.unpack(fmt, data, index * entry)
            if tag == 0:
                break
            if tag == _DT_NEEDED:
                names.append(_string(strings, value))
    return names


def _version_names(reader: _Reader, sections: list[tuple[int, int, int, int]]) -> list[str]:
    """Every version name the binary requires (Verneed/Vernaux entries)."""
    names: list[str] = []
    for kind, offset, size, link in sections:
        if kind != _SHT_GNU_VERNEED or link >= len(sections):
            continue
        data = reader.read(offset, size)
        strings = reader.read(sections[link][1], sections[link][2])
        need = 0
        for _ in range(_MAX_ENTRIES):
            if need + 16 > size:
                break
            _, count, _, aux, following = reader.unpack("HHIII", data, need)
            at = need + aux
            for _ in range(min(count, _MAX_ENTRIES)):
                if at + 16 > size:
                    break
                _, _, _, name, step = reader.unpack("IHHII", data, at)
                names.append(_string(strings, name))
                if step == 0:
                    break
                at += step
            if following == 0:
                break
            need += following
    return names


def read_linkage(path: PathLike) -> Linkage:
    """The interpreter, DT_NEEDED libraries and newest GLIBC_ version of an ELF binary.

    Raises BundleError when the file is not ELF or its headers point outside it.
    """
    where = Path(path)
    try:
        with open(where, "rb") as stream:
            size = where.stat().st_size
            reader = _Reader(stream, size, where)
            phoff, phentsize, phnum, shoff, shentsize, shnum = reader.header()
            interpreter = None
            for kind, offset, filesz in reader.segments(phoff, phentsize, phnum):
                if kind == _PT_INTERP:
                    interpreter = reader.read(offset, filesz).rstrip(b"\0").decode(errors="replace")
            sections = reader.sections(shoff, shentsize, shnum)
            needed = _needed(reader, sections)
            versions = _version_names(reader, sections)
    except struct.error as error:
        raise BundleError(
            f"cannot read the binary's ELF headers: {error}",
            path=where,
            fix="build the bundle for a Linux target with go build (its output is ELF)",
        ) from None
    except OSError as error:
        raise BundleError(
            f"cannot read the binary: {error.strerror or error}",
            path=where,
            fix="check that the built bundle exists and is readable",
        ) from None
    glibc = [
        (int(match.group(1)), int(match.group(2)))
        for match in map(_GLIBC_VERSION.fullmatch, versions)
        if match
    ]
    return Linkage(
        interpreter=interpreter, needed=tuple(needed), glibc=max(glibc) if glibc else None
    )
