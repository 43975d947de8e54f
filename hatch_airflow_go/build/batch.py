"""Grouping bundles so that one ``go build -o DIR/ PKG1 PKG2 ...`` builds many at once.

One go command links every main package of a group in parallel and loads the shared
dependency graph once, instead of once per bundle. Bundles may share a build when the go
command line would be the same apart from the package: same go binary, module, target, flags
and environment (see :func:`group_key`). Go names each binary in ``DIR`` after its package's
import path (:func:`exec_name`), so two packages with one name go to separate builds
(:func:`split_by_name`). A binary's bytes do not depend on its output path nor on which
other packages share the go command: a batched bundle equals one built alone.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Optional, TypeVar

Item = TypeVar("Item")


def group_key(
    *,
    go: Path,
    module_dir: Path,
    target: tuple[str, str],
    flags: Sequence[str],
    env: Mapping[str, str],
) -> Hashable:
    """What must be equal for two bundles to share one go command (the environment in
    full: any variable may change what go builds)."""
    return (str(go), str(module_dir), target, tuple(flags), tuple(sorted(env.items())))


def _is_version_element(element: str) -> bool:
    """``v2``, ``v10``: a module major-version suffix, which Go skips when naming a binary
    (``v0`` and ``v1`` are never suffixes)."""
    if len(element) < 2 or element[0] != "v" or element[1] == "0":
        return False
    if element == "v1":
        return False
    return element[1:].isdigit()


def exec_name(package: str, module_dir: Path, goos: str) -> Optional[str]:
    """The file name ``go build -o DIR/`` gives the binary of ``package``, or None when it
    cannot be told without asking go (the module's root package, patterns).

    Go's rule: the last element of the import path, or the one before it when the last is a
    major-version suffix like ``v2``; ``.exe`` added for Windows. A relative package's import
    path ends with its directory's path below the module, so its directories give the name.
    """
    if "..." in package or not package:
        return None
    if package.startswith("."):
        directory = (module_dir / package).resolve()
        if directory == module_dir.resolve() or not directory.is_relative_to(module_dir):
            return None
        parts = directory.relative_to(module_dir.resolve()).parts
    else:
        parts = tuple(part for part in package.split("/") if part)
    if not parts:
        return None
    element = parts[-1]
    if _is_version_element(element):
        if len(parts) < 2:
            return None
        element = parts[-2]
    if element in (".", "..") or posixpath.sep in element:
        return None
    return element + (".exe" if goos == "windows" else "")


def split_by_name(
    items: Sequence[Item], name_of: Callable[[Item], str], package_of: Callable[[Item], str]
) -> list[list[Item]]:
    """Split ``items`` into groups in which each binary name belongs to one package.

    Items of the same package share its binary (one group); two packages with one name go
    to different groups, first come first. Each group keeps the order of ``items``.
    """
    groups: list[list[Item]] = []
    owners: list[dict[str, str]] = []  # per group: binary name -> the package it is
    for item in items:
        name, package = name_of(item), package_of(item)
        for group, owner in zip(groups, owners):
            if owner.setdefault(name, package) == package:
                group.append(item)
                break
        else:
            groups.append([item])
            owners.append({name: package})
    return groups
