"""``hatch-airflow-go new DIR``: scaffold a monorepo whose wheel carries a Go bundle.

The result builds as it stands (``python -m build``, ``hatch build``, ``uv build``,
``pip install .``; before a release each pointed at the wheelhouse that
``hatch-airflow-go wheelhouse`` writes, as the printed lines do): a Python package, a Go
module under ``go/`` with the packer's ``tool`` directive and one bundle
``go/cmd/<bundle>/main.go``, the hook configured in pyproject.toml, and a
``.pre-commit-config.yaml``. Because the Go module proxy may not serve the Airflow Go SDK, the
bundle is written against a copy of the standard-library stand-in SDK shipped with this
package (``go/third_party/airflow-standin-sdk``, wired in with a ``replace``); the generated
README says what to change to use the real SDK.
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import tomli_w

from hatch_airflow_go import __version__, log
from hatch_airflow_go import scaffold as shared
from hatch_airflow_go.build.config import WHEEL_TABLE
from hatch_airflow_go.errors import AirflowGoError, UsageError
from hatch_airflow_go.golang.gomod import PACKER_TOOL
from hatch_airflow_go.scaffold import STANDIN_DIR, STANDIN_MODULE

NAME = "new"
HELP = "scaffold a project whose wheel builds and installs an Airflow Go bundle"
ORDER = 90

_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR", help="where to create the project")
    parser.add_argument("--name", help="the Python distribution name (default: DIR's name)")
    parser.add_argument(
        "--bundle",
        default="example",
        help="the bundle's name and Go command dir (default: example)",
    )
    parser.add_argument("--module", help="the Go module path (default: example.com/<name>)")


def pyproject(name: str, package: str, bundle: str) -> dict[str, Any]:
    """The generated pyproject.toml as data (written with tomli-w)."""
    hook: dict[str, Any] = {
        "module-dir": "go",
        "bundles": [{"package": f"./cmd/{bundle}"}],
    }
    return {
        "build-system": {
            "requires": ["hatchling", f"hatch-airflow-go>={__version__}"],
            "build-backend": "hatchling.build",
        },
        "project": {
            "name": name,
            "version": "0.1.0",
            "description": f"{name}: Airflow DAGs in Python and Go",
            "readme": "README.md",
            "requires-python": ">=3.9",
        },
        "tool": {
            "hatch": {
                "build": {
                    "targets": {
                        "wheel": {"packages": [f"src/{package}"], "hooks": {"airflow_go": hook}},
                        "sdist": {
                            "include": ["/src", "/go", "/README.md", "/.pre-commit-config.yaml"],
                            # Switches the sdist check on; it reads the wheel table's bundles.
                            "hooks": {"airflow_go": {}},
                        },
                    }
                }
            }
        },
    }


def readme(name: str, package: str, bundle: str) -> str:
    folder = re.sub(r"[-_.]+", "-", name).lower()  # the hook's per-distribution folder
    commands = "\n".join(shared.build_commands(Path("."))[1:])  # no `cd`: run from here
    return f"""# {name}

Airflow DAGs in Python (`src/{package}`) and Go (`go/`). Building the wheel builds the Go
bundle `{bundle}` (`go/cmd/{bundle}`) with the `airflow_go` hatch hook and installs it to
`<prefix>/share/airflow/executable-bundles/{folder}/{bundle}`
(name the `executable-bundles` folder in Airflow's `executables_root`):

Until hatch-airflow-go is on PyPI, each build finds it in a local wheelhouse (run these
from this folder):

```sh
{commands}
```

The hook's settings are in `pyproject.toml` under
`[{WHEEL_TABLE}]`.

## Using the real Airflow Go SDK

This project builds against a stand-in for the Airflow Go SDK in
`go/{STANDIN_DIR}` (standard library only), because the Go module proxy may not serve the
real SDK. To switch to the real one:

1. In `go/cmd/{bundle}/main.go`, import the real SDK instead of
   `{STANDIN_MODULE}/sdk` and register the DAG with its API.
2. In `go/go.mod`, delete the `require {STANDIN_MODULE} v0.0.0` and `replace` lines, then
   run `go mod tidy` and `go get -tool {PACKER_TOOL}@latest` in `go/`.
3. Delete `go/{STANDIN_DIR}`.
"""


def _files(name: str, package: str, bundle: str, module: str) -> dict[str, str]:
    return {
        "pyproject.toml": tomli_w.dumps(pyproject(name, package, bundle)),
        "README.md": readme(name, package, bundle),
        ".pre-commit-config.yaml": shared.precommit_config("go"),
        ".gitignore": "dist/\n__pycache__/\n",
        f"src/{package}/__init__.py": f'"""Python side of {name}."""\n',
    }


class ScaffoldError(AirflowGoError):
    """The project could not be written where it was asked for."""


def _cannot_write(folder: Path, error: OSError, *, name_file: bool = False) -> ScaffoldError:
    """``name_file``: say which path failed (not for paths inside the private staging copy)."""
    if error.errno in (errno.EEXIST, errno.ENOTDIR):
        # mkdir's way of saying that some part of the path is a file: name that file.
        blocker = next(
            (path for path in (folder, *folder.parents) if path.exists() and not path.is_dir()),
            None,
        )
        reason = f"{blocker or 'a part of the path'} is a file, not a folder"
        name_file = False
    else:
        reason = error.strerror or str(error)
    culprit = error.filename
    shown = name_file and culprit is not None and str(culprit) != str(folder)
    where = f" ({culprit})" if shown else ""
    return ScaffoldError(
        f"cannot create the project in this folder: {reason}{where}",
        path=folder,
        fix="choose a folder you can write to (or fix its permissions) and run `new` again",
    )


def _check_target(directory: Path) -> None:
    """Refuse a target that is a file or a non-empty directory, before anything is written."""
    try:
        if directory.exists() and not directory.is_dir():
            raise UsageError(
                "already exists and is not a directory",
                path=directory,
                fix="choose a new directory name",
            )
        entries = sorted(entry.name for entry in directory.iterdir()) if directory.is_dir() else []
    except OSError as error:
        raise _cannot_write(directory, error, name_file=True) from None
    if entries:
        shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
        raise UsageError(
            f"already exists and is not empty (it holds {shown})",
            path=directory,
            fix="choose a new directory name, or empty this one first",
        )


def scaffold(directory: Path, *, name: str, bundle: str, module: str) -> list[Path]:
    """Write the project into ``directory`` (which must not exist or be empty).

    Everything is written into a temporary sibling first and moved into place at the end,
    so a failure never leaves half a project. A folder that cannot be written is a
    :class:`ScaffoldError` naming it.
    """
    _check_target(directory)
    if not _NAME_RE.match(name):
        raise UsageError(f"{name!r} is not a valid project name", fix="pass --name my-dags")
    shared.check_bundle_name(bundle)
    shared.check_module_path(module)
    package = shared.python_name(name)
    parent = directory.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _cannot_write(parent, error, name_file=True) from None
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
    except OSError as error:
        raise _cannot_write(parent, error) from None
    try:
        # mkdtemp makes a private (0700) folder; the project gets the mode the user's umask
        # gives any new folder.
        staging.chmod(0o777 & ~shared.current_umask())
        for rel, text in _files(name, package, bundle, module).items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        shared.write_go_module(
            staging / "go",
            module=module,
            bundle=bundle,
            dag_id=f"{package}_{shared.python_name(bundle)}",
        )
        if directory.exists():
            directory.rmdir()
        os.replace(staging, directory)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise _cannot_write(parent, error) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sorted(path for path in directory.rglob("*") if path.is_file())


def run(args: argparse.Namespace) -> int:
    directory: Path = args.directory
    name = args.name or directory.resolve().name
    module = args.module or f"example.com/{shared.python_name(name)}"
    written = scaffold(directory, name=name, bundle=args.bundle, module=module)
    for path in written:
        log.info(f"created {path}")
    print(f"Created {directory} ({len(written)} files).")
    shared.print_build_commands(directory)
    return 0
