"""Where the Go module is, when the user stands outside it.

``go`` looks for ``go.mod`` in the current directory and its parents only, and says so in one
raw line. Users often stand at the project root with the module one folder down (``go/``):
this finds that module, so the message can say where to run from.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Optional

from hatch_airflow_go.errors import ConfigError, GoModError
from hatch_airflow_go.golang.gomod import read_gomod

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


def _imports_from(package: str, module_path: str) -> bool:
    return package == module_path or package.startswith(module_path + "/")


def check_relative_package(package: str, module_dir: Path) -> None:
    """Refuse ``cmd/etl`` where ``./cmd/etl`` is meant: go reads a path without ``./`` as an
    import path, looks for a module of that name, and answers with download advice.

    Only a path that is no import path of the main module or of a required module, and that
    names a folder inside the module, is refused: anything else is go's to judge.
    """
    if package.startswith((".", "/")) or os.path.isabs(package) or not package:
        return
    if not (module_dir / package).is_dir():
        return
    try:
        mod = read_gomod(module_dir / "go.mod")
    except GoModError:
        return  # go reports a broken go.mod better
    known = [mod.module or "", *(require.path for require in mod.requires)]
    if any(path and _imports_from(package, path) for path in known):
        return
    relative = f"./{package.rstrip('/')}"
    raise ConfigError(
        f"package {package!r} is read by go as an import path, not as the folder "
        f"{package.rstrip('/')}/ of this module: a package inside the module starts with ./",
        path=module_dir / package,
        fix=f'write it as {relative} (package = "{relative}" in the hook\'s table, '
        f"`hatch-airflow-go pack {relative}` on the command line)",
    )
