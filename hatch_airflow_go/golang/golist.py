"""What ``go list`` says about a bundle's package: its main source file and its input files.

Main-file discovery follows upstream's packer: list the package's Go files for the target
platform, then pick the one file with a top-level ``func main()`` (no receiver, no
parameters). The input-file listing feeds the build cache key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go.errors import BuildError
from hatch_airflow_go.golang.toolchain import GoToolchain

# Comments, interpreted strings, raw strings and rune literals, so that `func main()` inside
# one of them is never taken for the real thing.
_NOISE = re.compile(
    r"""//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|`[^`]*`|'(?:\\.|[^'\\\n])+'""",
    re.DOTALL,
)
_MAIN_FUNC = re.compile(r"^func\s+main\s*\(\s*\)", re.MULTILINE)
NO_MAIN_FIX = (
    "add to one file of the package a `func main()` that registers the DAGs and then calls "
    "the SDK's bundle main (`sdk.Main()` in the project `hatch-airflow-go new` scaffolds)"
)

# Per-package file lists whose contents change the build.
_FILE_FIELDS = (
    "GoFiles",
    "CgoFiles",
    "CFiles",
    "CXXFiles",
    "MFiles",
    "HFiles",
    "FFiles",
    "SFiles",
    "SwigFiles",
    "SwigCXXFiles",
    "SysoFiles",
    "EmbedFiles",
)


@dataclass(frozen=True)
class PackageInfo:
    """A Go package as ``go list`` sees it for one target."""

    import_path: str
    name: str
    dir: Path
    go_files: tuple[str, ...]


def _decode_stream(text: str) -> Iterator[dict[str, Any]]:
    """``go list -json`` prints concatenated JSON objects, not a JSON array."""
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        value, index = decoder.raw_decode(text, index)
        yield value


def list_package(
    toolchain: GoToolchain, package: str, *, cwd: Path, env: Mapping[str, str]
) -> PackageInfo:
    """The package's directory and Go files (for the target in ``env``)."""
    result = toolchain.run(
        ["list", "-json=ImportPath,Name,Dir,GoFiles", "--", package],
        cwd=cwd,
        env=env,
        error=BuildError,
        what=f"go list {package}",
    )
    found = list(_decode_stream(result.stdout))
    if len(found) != 1:
        raise _not_one_package(package, len(found), cwd)
    item = found[0]
    return PackageInfo(
        import_path=item.get("ImportPath", package),
        name=item.get("Name", ""),
        dir=Path(item["Dir"]),
        go_files=tuple(item.get("GoFiles", ())),
    )


def declares_main(go_source: str) -> bool:
    """Whether the file declares a top-level ``func main()``."""
    return bool(_MAIN_FUNC.search(_NOISE.sub(" ", go_source)))


def find_main_source(package: PackageInfo) -> Path:
    """The one Go file of ``package`` that declares ``func main()``."""
    if package.name and package.name != "main":
        raise BuildError(
            f"package {package.import_path} is 'package {package.name}', not a main package",
            path=package.dir,
            fix="point the bundle at the directory of a 'package main' with a func main()",
        )
    candidates = [
        package.dir / name
        for name in package.go_files
        if declares_main((package.dir / name).read_text(encoding="utf-8", errors="replace"))
    ]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        # --source would not help: go's linker refuses a main package without func main().
        raise BuildError(
            f"no Go file of {package.import_path} declares a top-level func main(): a "
            "bundle's package must be a main package whose func main() calls the SDK's "
            "bundle main",
            path=package.dir,
            fix=NO_MAIN_FIX,
        )
    names = ", ".join(sorted(path.name for path in candidates))
    raise BuildError(
        f"several files of {package.import_path} declare func main(): {names}",
        path=package.dir,
        fix="pass the DAG's main file with --source (or `source` in the hook config)",
    )


def input_files(
    toolchain: GoToolchain,
    package: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    extra_args: Sequence[str] = (),
) -> list[Path]:
    """Every local file the build of ``package`` reads (see :func:`package_and_inputs`)."""
    return package_and_inputs(toolchain, package, cwd=cwd, env=env, extra_args=extra_args)[1]


def package_and_inputs(
    toolchain: GoToolchain,
    package: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    extra_args: Sequence[str] = (),
) -> tuple[PackageInfo, list[Path]]:
    """The package itself and every local file its build reads, from one ``go list -deps``.

    Packages of the main module, of vendor/, and of modules replaced by a local directory
    count; modules from the module cache are immutable and pinned by go.sum, so the
    go.mod/go.sum hashes stand for them.
    """
    result = toolchain.run(
        [
            "list",
            "-deps",
            "-json=ImportPath,Name,Dir,DepOnly,Standard,Module," + ",".join(_FILE_FIELDS),
            *extra_args,
            "--",
            package,
        ],
        cwd=cwd,
        env=env,
        error=BuildError,
        what=f"go list -deps {package}",
    )
    files: list[Path] = []
    roots: list[PackageInfo] = []
    for item in _decode_stream(result.stdout):
        if not item.get("DepOnly"):
            roots.append(_package_info(item, package))
        files.extend(_local_files(item, cwd))
    if len(roots) != 1:
        raise _not_one_package(package, len(roots), cwd)
    return roots[0], sorted(set(files))


def many_packages_and_inputs(
    toolchain: GoToolchain,
    packages: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    extra_args: Sequence[str] = (),
) -> Optional[list[tuple[PackageInfo, list[Path]]]]:
    """:func:`package_and_inputs` of each of ``packages``, from one ``go list -deps``.

    Each root's inputs are the local files of the root and of its ``Deps``: the same list
    :func:`package_and_inputs` gives for it alone. None when a package cannot be matched
    to one root (a pattern, two spellings of one package): ask per package instead. A
    failure raises :class:`BuildError`, naming no single package: callers that need the
    culprit ask per package.
    """
    result = toolchain.run(
        [
            "list",
            "-deps",
            "-json=ImportPath,Name,Dir,DepOnly,Standard,Module,Deps," + ",".join(_FILE_FIELDS),
            *extra_args,
            "--",
            *packages,
        ],
        cwd=cwd,
        env=env,
        error=BuildError,
        what=f"go list -deps of {len(packages)} packages",
    )
    local: dict[str, list[Path]] = {}
    roots: list[dict[str, Any]] = []
    for item in _decode_stream(result.stdout):
        local[item.get("ImportPath", "")] = _local_files(item, cwd)
        if not item.get("DepOnly"):
            roots.append(item)
    found: list[tuple[PackageInfo, list[Path]]] = []
    for package in packages:
        wanted = (cwd / package).resolve() if package.startswith(".") else None
        matches = [
            root
            for root in roots
            if (
                Path(root.get("Dir", "")) == wanted if wanted else root.get("ImportPath") == package
            )
        ]
        if len(matches) != 1:
            return None
        root = matches[0]
        files = list(local.get(root.get("ImportPath", ""), []))
        for dep in root.get("Deps") or ():
            files.extend(local.get(dep, []))
        found.append((_package_info(root, package), sorted(set(files))))
    return found


def _package_info(item: Mapping[str, Any], package: str) -> PackageInfo:
    return PackageInfo(
        import_path=item.get("ImportPath", package),
        name=item.get("Name", ""),
        dir=Path(item["Dir"]),
        go_files=tuple(item.get("GoFiles") or ()),
    )


def _local_files(item: Mapping[str, Any], cwd: Path) -> list[Path]:
    """The input files of one listed package, when it is local (see package_and_inputs)."""
    if item.get("Standard"):
        return []
    module = item.get("Module") or {}
    replace = module.get("Replace") or {}
    local = (
        module.get("Main")
        or not module
        or (replace and not replace.get("Version"))
        or Path(item.get("Dir", "")).is_relative_to(cwd)
    )
    if not local:
        return []
    directory = Path(item["Dir"])
    return [directory / name for field in _FILE_FIELDS for name in item.get(field) or ()]


def _not_one_package(package: str, count: int, cwd: Path) -> BuildError:
    return BuildError(
        f"{package!r} names {count} packages; a bundle is built from exactly one",
        path=cwd,
        fix="name a single main package, e.g. ./cmd/etl",
    )
