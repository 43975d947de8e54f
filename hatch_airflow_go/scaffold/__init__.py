"""What ``new`` and ``init`` both write: the Go module with one bundle, and what they print.

The Go side of a scaffold is the same whether it starts a project (``new``) or joins an
existing one (``init``): a ``go.mod`` with the packer's ``tool`` directive, one bundle
``cmd/<bundle>/main.go``, and a copy of the standard-library stand-in SDK shipped in
``standin-sdk/`` (wired in with a ``replace``), because the Go module proxy may not serve
the Airflow Go SDK. The commands printed after it are the ones that work before
hatch-airflow-go is on PyPI: each build finds this package's wheel in a local wheelhouse.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Optional

from hatch_airflow_go import __version__
from hatch_airflow_go.errors import UsageError
from hatch_airflow_go.golang.gomod import PACKER_TOOL, SDK_MODULE

STANDIN_MODULE = "example.com/airflow-standin-sdk"
STANDIN_DIR = "third_party/airflow-standin-sdk"
STANDIN_SDK = Path(__file__).resolve().parent / "standin-sdk"
SDK_VERSION = "v0.1.0"
HOOKS_REPO = "https://github.com/hatch-airflow-go/hatch-airflow-go"
DISTRIBUTION = "hatch-airflow-go"
# The folder the printed commands put this package's wheel in, relative to the project:
# inside dist/, which hatchling leaves out of every sdist and git is told to ignore.
WHEELHOUSE = "dist/wheelhouse"

_ID_RE = re.compile(r"^[a-z][a-z0-9_-]*$")
# A Go module path as go.mod accepts it: '/'-separated elements of ASCII letters, digits and
# "-._~", none empty, none starting or ending with a dot.
_MODULE_ELEMENT = r"[A-Za-z0-9_~+-]([A-Za-z0-9._~+-]*[A-Za-z0-9_~+-])?"
_MODULE_RE = re.compile(rf"^{_MODULE_ELEMENT}(/{_MODULE_ELEMENT})*$")


def current_umask() -> int:
    """The process's umask (reading it means setting it: set straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def python_name(name: str) -> str:
    """``name`` as a Python identifier (and dag id part): runs of other characters become _."""
    return re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower() or "dags"


def check_bundle_name(bundle: str) -> None:
    if not _ID_RE.match(bundle):
        raise UsageError(
            f"{bundle!r} is not a valid bundle name",
            fix="use lower-case letters, digits, '-' and '_', starting with a letter",
        )


def check_module_path(module: str) -> None:
    if not _MODULE_RE.match(module) or len(module) > 1000:
        raise UsageError(
            f"{module!r} is not a Go module path go.mod accepts",
            fix="pass --module example.com/my-dags ('/'-separated parts of letters, digits "
            "and -._~, no spaces)",
        )


def go_mod(module: str) -> str:
    return f"""module {module}

go 1.24

// The Airflow Go SDK's packer, run with `go tool airflow-go-pack` (pinned like any tool).
require {SDK_MODULE} {SDK_VERSION}

tool {PACKER_TOOL}

// The bundle is written against a standard-library stand-in for the Airflow Go SDK (see
// README.md, "Using the real Airflow Go SDK"); it answers the same flags and protocol.
require {STANDIN_MODULE} v0.0.0

replace {STANDIN_MODULE} => ./{STANDIN_DIR}
"""


def main_go(bundle: str, dag_id: str) -> str:
    return f"""// Command {bundle} is an Airflow Go bundle: its DAGs and the bodies of their tasks.
package main

import (
	"context"

	sdk "{STANDIN_MODULE}/sdk"
)

// extract hands a value on to load through an XCom.
func extract(ctx context.Context, ti *sdk.TaskInstance) error {{
	return ti.PushXCom(ctx, "rows", int64(3))
}}

func load(ctx context.Context, ti *sdk.TaskInstance) error {{
	rows, err := ti.PullXCom(ctx, "extract", "rows")
	if err != nil {{
		return err
	}}
	ti.Log("info", "loaded", map[string]any{{"rows": rows}})
	return nil
}}

func main() {{
	sdk.AddDAG("{dag_id}").
		Task("extract", extract).
		Task("load", load)
	sdk.Main()
}}
"""


def go_module_files(*, module: str, bundle: str, dag_id: str) -> dict[str, str]:
    """The Go module's own files, relative to its folder (the stand-in SDK is copied apart)."""
    return {"go.mod": go_mod(module), f"cmd/{bundle}/main.go": main_go(bundle, dag_id)}


def write_go_module(folder: Path, *, module: str, bundle: str, dag_id: str) -> None:
    """Write the Go module into ``folder`` (which may exist, empty); raises OSError."""
    for rel, text in go_module_files(module=module, bundle=bundle, dag_id=dag_id).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    shutil.copytree(STANDIN_SDK, folder / STANDIN_DIR)


# ---------------------------------------------------------------------------- where it came from


def source_checkout() -> Optional[Path]:
    """The local folder this package was installed from (``pip install DIR`` or ``-e DIR``),
    as its ``direct_url.json`` records it (PEP 610); None for an install from an index or a
    wheel file."""
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        record = json.loads(text) if text else None
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("dir_info"), dict):
        return None
    url = urlparse(str(record.get("url", "")))
    if url.scheme != "file":
        return None
    folder = Path(unquote(url.path))
    return folder if (folder / "pyproject.toml").is_file() else None


def hooks_source() -> tuple[str, str]:
    """The ``repo:`` and ``rev:`` a pre-commit config can use today.

    Installed from a git checkout: that checkout and its current commit (pre-commit and prek
    both take a local path with a commit). Otherwise the project's repository and the tag of
    this version.
    """
    checkout = source_checkout()
    if checkout is not None:
        try:
            done = subprocess.run(
                ["git", "-C", str(checkout), "rev-parse", "--verify", "HEAD"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            done = None
        commit = done.stdout.strip() if done is not None and done.returncode == 0 else ""
        if re.fullmatch(r"[0-9a-f]{40}", commit):
            return str(checkout), commit
    return HOOKS_REPO, f"v{__version__}"


def _yaml_scalar(text: str) -> str:
    """``text`` as YAML: plain when it is a plain path or URL, else double-quoted (a JSON
    string is a valid YAML one), so a folder named ``a b`` or ``#x`` stays one string."""
    return text if re.fullmatch(r"[A-Za-z0-9/._~+:-]+", text) else json.dumps(text)


def precommit_hooks() -> str:
    """The ``repos:`` entry of a pre-commit/prek config for this package's Go hooks."""
    repo, rev = hooks_source()
    return f"""  - repo: {_yaml_scalar(repo)}
    rev: {rev}
    hooks:
      - id: check-go-tool-directive
      - id: check-go-bundles
"""


def precommit_config(go_dir: str = "go") -> str:
    return f"""# Checks for the Go side of this project (pre-commit or prek).
# The vendored stand-in SDK is not this project's module: its go.mod is left alone.
exclude: ^{re.escape(go_dir)}/{STANDIN_DIR}/
repos:
{precommit_hooks()}"""


# ---------------------------------------------------------------------------- what to run next


def build_commands(project: Path) -> list[str]:
    """Shell lines that build ``project`` as printed, before hatch-airflow-go is on PyPI.

    Every build front end installs the build requirements, hatch-airflow-go among them, into
    a fresh environment from PyPI; ``hatch-airflow-go wheelhouse`` puts this package's wheel
    in a folder that each of them is told to look in (pip through ``PIP_FIND_LINKS``, uv and
    hatch's uv-based environments through ``UV_FIND_LINKS`` / ``--find-links``).
    """
    links = f'"$PWD/{WHEELHOUSE}"'
    return [
        f"cd {shlex.quote(str(project))}",
        f"hatch-airflow-go wheelhouse {WHEELHOUSE}",
        f"PIP_FIND_LINKS={links} python -m build",
        f"UV_FIND_LINKS={links} hatch build",
        f"uv build --find-links {links}",
        f"PIP_FIND_LINKS={links} python -m pip install .",
    ]


def print_build_commands(project: Path) -> None:
    print(
        "hatch-airflow-go is not on PyPI yet, so a build finds its wheel in a local "
        f"wheelhouse ({WHEELHOUSE}). To build, run these lines in a POSIX shell from here "
        "(the last four are alternatives):"
    )
    for line in build_commands(project):
        print(f"  {line}")
