"""Hostile manifests and a bundle builder, shared by the reliability tests (issue 10).

Each manifest here was seen to escape the error family, hang, or blow up in memory on main
before the bounded reader; the tests that use them say what must happen instead.
"""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

from tests.vectors import WORKED_BINARY, WORKED_SOURCE


def bundle_bytes(
    manifest: bytes, *, source: bytes = WORKED_SOURCE, binary: bytes = WORKED_BINARY
) -> bytes:
    """A bundle with a correct 64-byte trailer around ``manifest``."""
    trailer = struct.pack(
        "<III32s12s8s",
        len(source),
        len(manifest),
        1,
        hashlib.sha256(binary).digest(),
        bytes(12),
        b"AFBNDL01",
    )
    return binary + source + manifest + trailer


def write_bundle_file(path: Path, manifest: bytes, *, source: bytes = WORKED_SOURCE) -> Path:
    path.write_bytes(bundle_bytes(manifest, source=source))
    path.chmod(0o755)
    return path


def billion_laughs(levels: int = 9, width: int = 9) -> bytes:
    """The classic alias bomb: each level lists the previous one ``width`` times."""
    lines = [b'a0: &a0 ["lol"' + b', "lol"' * (width - 1) + b"]"]
    for level in range(1, levels):
        refs = b", ".join([f"*a{level - 1}".encode()] * width)
        lines.append(f"a{level}: &a{level} [".encode() + refs + b"]")
    return b"\n".join(lines) + b"\n"


def nested(depth: int) -> bytes:
    """``a:`` followed by ``depth`` nested flow sequences."""
    return b"a: " + b"[" * depth + b"]" * depth + b"\n"


# Manifests the reader must turn into exactly one ManifestError (name -> (text, fragment)).
UNREADABLE: dict[str, tuple[bytes, str]] = {
    "bad-int-tag": (b'a: !!int "abc"\n', "cannot be read as !!int"),
    "bad-float-tag": (b'a: !!float "x"\n', "cannot be read as !!float"),
    "bad-bool-tag": (b'a: !!bool "maybe"\n', "cannot be read as !!bool"),
    "bad-timestamp-tag": (b'a: !!timestamp "x"\n', "cannot be read as !!timestamp"),
    "impossible-date": (b"a: 2001-02-30\n", "cannot be read as !!timestamp"),
    "decimal-int-5000-digits": (b"a: " + b"1" * 5000 + b"\n", "cannot be read as !!int"),
    "escape-beyond-unicode": (b'a: "\\U00110000"\n', "code point beyond Unicode"),
    "nested-500-levels": (nested(500), "nested deeper than"),
    "billion-laughs": (billion_laughs(), "aliases expand to more than"),
    "set-root": (b"!!set {a, b}\n", "found a set"),
    "omap-root": (b"!!omap [a: 1]\n", "found a list"),
}

# Manifests that are odd but readable: Airflow's reader loads them as a mapping.
READABLE: dict[str, bytes] = {
    "recursive-alias": b"a: &x [*x]\n",
    "recursive-mapping": b"sdk: &s {language: go, self: *s}\n",
    "hex-int-5000-digits": b"a: 0x" + b"F" * 5000 + b"\n",
    "lone-surrogate-ids": (
        b'airflow_bundle_metadata_version: "1.0"\ndags:\n  "\\uD800x":\n    tasks: ["\\uDC00"]\n'
    ),
}


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path
