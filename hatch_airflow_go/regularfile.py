"""Opening input files that must be regular files, without ever blocking on one that is not.

The open is non-blocking (a FIFO would otherwise wait for a writer forever) and the file is
judged by ``fstat`` of what was opened, so nothing can be swapped in between: a directory,
device or FIFO is refused before a byte is read, and reads are bounded.
"""

from __future__ import annotations

import os
import stat
from typing import Optional

from hatch_airflow_go.errors import PathLike


class NotRegularFile(OSError):
    """The path names a directory, device or FIFO; ``is_dir`` says which."""

    def __init__(self, path: PathLike, *, is_dir: bool) -> None:
        super().__init__("is a directory" if is_dir else "not a regular file")
        self.filename = os.fspath(path)
        self.is_dir = is_dir


def open_regular(path: PathLike) -> int:
    """A read-only descriptor of the regular file at ``path``.

    Raises :class:`NotRegularFile` for anything else, and OSError when it cannot be opened.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
    except BaseException:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(path, is_dir=stat.S_ISDIR(mode))
    return fd


def read_regular(path: PathLike, limit: Optional[int] = None) -> bytes:
    """The bytes of the regular file at ``path``: at most ``limit`` of them when given (the
    caller compares the length with its limit to tell a file that is too large)."""
    fd = open_regular(path)
    try:
        chunks: list[bytes] = []
        remaining = limit
        while remaining is None or remaining > 0:
            chunk = os.read(fd, 1 << 20 if remaining is None else min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            if remaining is not None:
                remaining -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
