"""Where the Go module is, when the user stands outside it.

``go`` looks for ``go.mod`` in the current directory and its parents only, and says so in one
raw line. Users often stand at the project root with the module one folder down (``go/``):
this finds that module, so the message can say where to run from.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Optional

# A bounded look below the project root: a few levels, a few hundred folders, never into
# folders that hold no module of the user's own.
_MAX_DEPTH = 3
_MAX_FOLDERS = 500
_SKIPPED = {"vendor", "node_modules", "testdata", "__pycache__", "dist", "build"}


def enclosing_module(start: Path) -> Optional[Path]:
    """The folder holding the go.mod go would use from ``start`` (it or a parent), if any."""
    for folder in (start, *start.parents):
        if (folder / "go.mod").is_file():
            return folder
    return None


def module_below(start: Path, package: str = "") -> Optional[Path]:
    """A folder below ``start`` holding a go.mod: first one on the package's own path
    (``./go/cmd/x`` -> ``go/``), else the shallowest found in a bounded walk."""
    parts = PurePosixPath(package.replace(os.sep, "/")).parts if package.startswith(".") else ()
    folder = start
    for part in parts:
        if part in (".", ""):
            continue
        if part == "..":
            return None
        folder = folder / part
        if (folder / "go.mod").is_file():
            return folder
    return _walk(start)


def _walk(start: Path) -> Optional[Path]:
    level = [start]
    seen = 0
    for _ in range(_MAX_DEPTH):
        below: list[Path] = []
        for folder in level:
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError:
                continue
            for entry in entries:
                if entry.name.startswith(".") or entry.name in _SKIPPED:
                    continue
                if not entry.is_dir(follow_symlinks=False):
                    continue
                seen += 1
                if seen > _MAX_FOLDERS:
                    return None
                path = Path(entry.path)
                if (path / "go.mod").is_file():
                    return path
                below.append(path)
        level = below
    return None


def package_from(module: Path, start: Path, package: str) -> str:
    """``package`` (relative to ``start``) as seen from ``module``: ``./go/cmd/x`` -> ``./cmd/x``
    (the bundle's package path for a pack run from the module's folder)."""
    if not package.startswith("."):
        return package
    target = (start / package).resolve()
    try:
        rel = target.relative_to(module.resolve())
    except ValueError:
        return package
    return "./" + rel.as_posix() if rel.parts else "."
