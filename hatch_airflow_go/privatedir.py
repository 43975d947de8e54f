"""Folders only the current user may write: the rule both caches (bundles, Go's fallback) keep.

A cache another user can write is a way to plant code that we would build with or install, so
a folder is trusted only when it is owned by the current user and neither group nor others may
write it (the rule ssh applies to ``~/.ssh``). Folders are made with mode 0700.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Optional


def privacy_problem(st: os.stat_result) -> Optional[str]:
    """Why a folder or file with this stat must not be trusted, or None."""
    if not hasattr(os, "geteuid"):
        return None  # no POSIX owners (Windows): the user's profile folder protects it
    uid = os.geteuid()
    if st.st_uid != uid:
        return f"it is owned by uid {st.st_uid}, not by you (uid {uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"group or others may write it (mode {stat.S_IMODE(st.st_mode):04o})"
    return None


def is_private(path: Path) -> bool:
    """``path`` itself (not a symlink's target) exists and passes :func:`privacy_problem`."""
    try:
        st = path.lstat()
    except OSError:
        return False
    return privacy_problem(st) is None


def mkdir_private(path: Path) -> None:
    """Make ``path`` (mode 0700) and its missing parents; raises OSError."""
    with contextlib.suppress(FileExistsError):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700)


__all__ = ["is_private", "mkdir_private", "privacy_problem"]
