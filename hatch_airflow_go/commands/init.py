"""``hatch-airflow-go init [DIR]``: give an existing hatchling project a Go bundle.

What ``maturin init`` is for Rust: ``new`` starts a project, ``init`` joins one. It adds
``hatch-airflow-go`` to ``[build-system] requires`` (or a hatchling ``[build-system]`` where
there is none), appends the hook's table with one bundle, and writes the Go module beside
pyproject.toml (``go/`` by default: ``go.mod`` with the packer's ``tool`` directive, the
bundle's ``cmd/<bundle>/main.go`` and the vendored stand-in SDK, as ``new`` writes them).
The rest of pyproject.toml stays byte for byte as it was
(:mod:`hatch_airflow_go.scaffold.pyproject_edit`). A project with another build backend, a
hook table already, a Go folder already, or no readable pyproject.toml is refused with
nothing written; otherwise everything is written or nothing is. A ``.pre-commit-config.yaml``
is the user's own: ``init`` prints the lines to add instead of editing it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import stat
from pathlib import Path, PurePosixPath
from typing import Optional

from hatch_airflow_go import log, tempfiles
from hatch_airflow_go import scaffold as shared
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.regularfile import NotRegularFile, read_regular
from hatch_airflow_go.scaffold.pyproject_edit import HookSettings, InitRefused, add_hook, parse

NAME = "init"
HELP = "add an Airflow Go bundle to an existing hatchling project (its pyproject.toml)"
ORDER = 91

MAX_PYPROJECT_BYTES = 4 << 20  # a pyproject.toml is kilobytes; anything this big is not one
_GO_DIR_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*(/[A-Za-z0-9_][A-Za-z0-9._-]*)*$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", type=Path, default=Path("."), metavar="DIR",
                        help="the project holding pyproject.toml (default: here)")  # fmt: skip
    parser.add_argument("--bundle", default="example",
                        help="the bundle's name and Go command dir (default: example)")  # fmt: skip
    parser.add_argument("--module",
                        help="the Go module path (default: example.com/<project>)")  # fmt: skip
    parser.add_argument("--go-dir", default="go",
                        help="the Go module's folder, relative to DIR (default: go)")  # fmt: skip


class InitError(AirflowGoError):
    """The project could not be written."""


def _read_pyproject(path: Path) -> str:
    try:
        data = read_regular(path, MAX_PYPROJECT_BYTES + 1)
    except FileNotFoundError:
        raise InitRefused(
            "no pyproject.toml here",
            path=path,
            fix="run `init` in a project's folder (or pass it as DIR); "
            "`hatch-airflow-go new DIR` starts a new project",
        ) from None
    except (NotRegularFile, OSError) as error:
        raise InitRefused(
            f"cannot be read: {error.strerror or error}",
            path=path,
            fix="make pyproject.toml a readable file",
        ) from None
    if len(data) > MAX_PYPROJECT_BYTES:
        raise InitRefused(
            f"is larger than {MAX_PYPROJECT_BYTES >> 20} MiB", path=path, fix="check the file"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InitRefused(
            "is not UTF-8 (TOML files are)", path=path, fix="save it as UTF-8"
        ) from None


def _check_go_dir(project: Path, go_dir: str) -> Path:
    if not _GO_DIR_RE.match(go_dir) or ".." in PurePosixPath(go_dir).parts or len(go_dir) > 255:
        raise InitRefused(
            f"{go_dir!r} is not a folder inside the project",
            fix="pass --go-dir as a relative path of letters, digits, '.', '_' and '-' "
            "parts joined with '/', such as go",
        )
    folder = project / go_dir
    if folder.exists() or folder.is_symlink():
        raise InitRefused(
            "already exists",
            path=folder,
            fix="pass --go-dir with a folder that does not exist yet (or move this one away)",
        )
    if not folder.parent.is_dir():
        raise InitRefused(
            "does not exist",
            path=folder.parent,
            fix="create it first, or pass a --go-dir whose parent folder exists",
        )
    return folder


def _cannot_write(path: Path, error: OSError) -> InitError:
    return InitError(
        f"cannot write the project: {error.strerror or error}",
        path=path,
        fix="check the folder's permissions and free space, then run `init` again "
        "(nothing was changed)",
    )


def initialize(project: Path, *, bundle: str, module: Optional[str], go_dir: str) -> Path:
    """Add the hook and the Go module to ``project``; returns the Go folder written."""
    pyproject = project / "pyproject.toml"
    text = _read_pyproject(pyproject)
    data = parse(text, pyproject)
    shared.check_bundle_name(bundle)
    name = data.get("project", {}).get("name") if isinstance(data.get("project"), dict) else None
    package = shared.python_name(name if isinstance(name, str) else project.resolve().name)
    module = module or f"example.com/{package}"
    shared.check_module_path(module)
    new_text = add_hook(text, pyproject, HookSettings(go_dir=go_dir, bundle=bundle))
    folder = _check_go_dir(project, go_dir)
    target = pyproject.resolve()  # write through a symbolic link, not over it
    mode = stat.S_IMODE(target.stat().st_mode)
    try:
        staging = tempfiles.make_directory(folder.parent, f".{folder.name}.")
    except OSError as error:
        raise _cannot_write(folder.parent, error) from None
    placed = False
    try:
        staging.chmod(
            0o777 & ~shared.current_umask()
        )  # the Go folder gets the mode any new folder gets
        shared.write_go_module(
            staging, module=module, bundle=bundle, dag_id=f"{package}_{shared.python_name(bundle)}"
        )
        with tempfiles.AtomicFile(target, mode=mode) as out:
            view = memoryview(new_text.encode("utf-8"))
            while view:
                view = view[os.write(out.fd, view) :]
            os.rename(staging, folder)
            placed = True
            tempfiles.untrack(staging)
            out.commit()
    except OSError as error:
        if placed:
            shutil.rmtree(folder, ignore_errors=True)
        raise _cannot_write(project, error) from None
    except BaseException:
        if placed:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        with contextlib.suppress(OSError):
            if staging.exists():
                tempfiles.discard(staging)
    return folder


def run(args: argparse.Namespace) -> int:
    project: Path = args.directory
    folder = initialize(project, bundle=args.bundle, module=args.module, go_dir=args.go_dir)
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        log.info(f"created {path}")
    print(
        f"Added the airflow_go hook to {project / 'pyproject.toml'} and the Go module "
        f"{folder} (bundle {args.bundle}: {folder / 'cmd' / args.bundle / 'main.go'})."
    )
    print("For pre-commit or prek, add to .pre-commit-config.yaml (init leaves that file alone):")
    print(f"exclude: ^{re.escape(args.go_dir)}/{shared.STANDIN_DIR}/")
    print("repos:")
    print(shared.precommit_hooks(), end="")
    shared.print_build_commands(project)
    return 0
