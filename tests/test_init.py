"""``hatch-airflow-go init``: an existing project gains a Go bundle, its pyproject.toml only
the added lines; refusals write nothing; the result builds for real."""

from __future__ import annotations

import difflib
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from hatch_airflow_go.build.config import load_settings
from hatch_airflow_go.cli import main
from hatch_airflow_go.golang.gomod import check_gomod, read_gomod

from .conftest import run_cli
from .newcomer_support import (
    check_build_line,
    fresh_python,
    marked_block,
    only_file,
    printed_commands,
    run_ok,
    shell_env,
)
from .precommit_support import (
    hook_env,
    init_repo,
    run_tool,
    tool_path,
    tree_listing,
)
from .test_precommit_real import BUNDLES, DIRECTIVE, hook_status

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

REQUIREMENT = "hatch-airflow-go>=0.1.0"

# A hatchling project as people write them: comments, a multi-line requires, a custom build
# hook of its own, other tool tables, a file that does not end in a newline.
HATCHLING_RICH = """\
# acme-etl: the Python half of our pipelines.
[build-system]
requires = [
    # hatchling 1.21 brought the dependency hooks we rely on
    "hatchling>=1.21",
]
build-backend = "hatchling.build"

[project]
name = "acme-etl"
version = "2.3.0"  # bumped by the release script
dependencies = ["requests>=2"]

[tool.hatch.build.targets.wheel]
packages = ["src/acme_etl"]

[tool.hatch.build.targets.wheel.hooks.custom]   # hatch_build.py: writes nothing, logs

[tool.ruff]
line-length = 99

[tool.pytest.ini_options]
addopts = "-q"
"""

HATCH_BUILD_PY = """\
from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomHook(BuildHookInterface):
    def initialize(self, version, build_data):
        self.app.display_info("custom hook ran")
"""

NO_BUILD_SYSTEM = """\
[project]
name = "plain-dags"
version = "0.4.0"
requires-python = ">=3.9"

[tool.black]
line-length = 88"""

SINGLE_LINE = """\
[build-system]
requires = ["hatchling", "hatch-vcs"]  # version from git
build-backend = "hatchling.build"

[project]
name = "one-line"
dynamic = ["version"]
"""

SETUPTOOLS = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "legacy"
version = "1.0"
"""


def added_lines(before: str, after: str) -> list[str]:
    """The lines ``after`` adds to ``before``; fails if any line of ``before`` changed.

    A last line without a newline may gain one (the only way to add lines after it).
    """
    old = before if before.endswith("\n") else before + "\n"
    matcher = difflib.SequenceMatcher(
        a=old.splitlines(keepends=True), b=after.splitlines(keepends=True), autojunk=False
    )
    added: list[str] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        assert op in ("equal", "insert"), (op, old.splitlines()[a1:a2])
        if op == "insert":
            added += after.splitlines(keepends=True)[b1:b2]
    return added


def without(data: dict[str, Any], dotted: str) -> None:
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node[key]
    del node[last]


def project(root: Path, pyproject: str, *, package: str = "") -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8", newline="")
    if package:
        (root / "src" / package).mkdir(parents=True)
        (root / "src" / package / "__init__.py").write_text('"""The Python side."""\n')
    return root


def test_hatchling_project_gets_only_added_lines(tmp_path: Path) -> None:
    root = project(tmp_path / "acme", HATCHLING_RICH, package="acme_etl")
    assert main(["init", str(root), "--bundle", "etl"]) == 0
    after = (root / "pyproject.toml").read_text(encoding="utf-8")
    added = added_lines(HATCHLING_RICH, after)
    assert added[0] == f'    "{REQUIREMENT}",\n'  # indented like its neighbours
    assert "[tool.hatch.build.targets.wheel.hooks.airflow_go]\n" in added
    data = tomllib.loads(after)
    original = tomllib.loads(HATCHLING_RICH)
    assert data["build-system"]["requires"] == [REQUIREMENT, "hatchling>=1.21"]
    hooks = data["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]
    assert hooks["custom"] == {}
    assert hooks["airflow_go"] == {"module-dir": "go", "bundles": [{"package": "./cmd/etl"}]}
    assert data["tool"]["hatch"]["build"]["targets"]["sdist"] == {"hooks": {"airflow_go": {}}}
    # Every table it had is unchanged.
    for key in ("project", "tool"):
        if key == "tool":
            without(data, "tool.hatch.build.targets.wheel.hooks.airflow_go")
            without(data, "tool.hatch.build.targets.sdist")
        assert data[key] == original[key]
    settings = load_settings(root / "pyproject.toml", {})
    assert settings.module_dir == (root / "go").resolve()
    assert [b.package for b in settings.bundles] == ["./cmd/etl"]
    assert check_gomod(read_gomod(root / "go" / "go.mod")) == []
    assert (root / "go" / "cmd" / "etl" / "main.go").is_file()
    assert (root / "go" / "third_party" / "airflow-standin-sdk" / "sdk" / "registry.go").is_file()


def test_no_build_system_gets_a_hatchling_one(tmp_path: Path) -> None:
    root = project(tmp_path / "plain", NO_BUILD_SYSTEM)
    assert main(["init", str(root)]) == 0
    after = (root / "pyproject.toml").read_text()
    added_lines(NO_BUILD_SYSTEM, after)
    data = tomllib.loads(after)
    assert data["build-system"] == {
        "requires": ["hatchling", REQUIREMENT],
        "build-backend": "hatchling.build",
    }
    assert data["tool"]["black"] == {"line-length": 88}
    gomod = read_gomod(root / "go" / "go.mod")
    assert gomod.module == "example.com/plain_dags"


def test_single_line_requires_and_options(tmp_path: Path) -> None:
    root = project(tmp_path / "one", SINGLE_LINE)
    result = run_cli(
        "init", str(root), "--bundle", "nightly", "--module", "example.com/x/y", "--go-dir", "gosrc"
    )
    assert result.returncode == 0, result.stderr
    after = (root / "pyproject.toml").read_text()
    # The one changed line gains the requirement as its first element, nothing else.
    assert after.splitlines()[1] == (
        f'requires = ["{REQUIREMENT}", "hatchling", "hatch-vcs"]  # version from git'
    )
    added_lines(SINGLE_LINE, after.replace(f'"{REQUIREMENT}", ', "", 1))
    assert tomllib.loads(after)["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"][
        "airflow_go"
    ] == {"module-dir": "gosrc", "bundles": [{"package": "./cmd/nightly"}]}
    assert read_gomod(root / "gosrc" / "go.mod").module == "example.com/x/y"
    assert (root / "gosrc" / "cmd" / "nightly" / "main.go").is_file()


def test_requirement_already_there_is_not_added_twice(tmp_path: Path) -> None:
    text = SINGLE_LINE.replace('"hatch-vcs"', '"Hatch_Airflow.Go>=0.1"')
    root = project(tmp_path / "one", text)
    assert main(["init", str(root)]) == 0
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["build-system"]["requires"] == ["hatchling", "Hatch_Airflow.Go>=0.1"]


def test_crlf_file_keeps_its_line_endings(tmp_path: Path) -> None:
    text = SINGLE_LINE.replace("\n", "\r\n")
    root = project(tmp_path / "crlf", text)
    assert main(["init", str(root)]) == 0
    after = (root / "pyproject.toml").read_bytes()
    assert after.startswith(text.encode().split(b"\r\n", 1)[0])
    assert b"\n" not in after.replace(b"\r\n", b"")
    assert after.replace(f'"{REQUIREMENT}", '.encode(), b"").startswith(text.encode())


def test_go_folder_follows_the_umask_and_pyproject_keeps_its_mode(tmp_path: Path) -> None:
    root = project(tmp_path / "m", SINGLE_LINE)
    (root / "pyproject.toml").chmod(0o600)
    old = os.umask(0o027)
    try:
        assert main(["init", str(root)]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((root / "go").stat().st_mode) == 0o750
    assert stat.S_IMODE((root / "pyproject.toml").stat().st_mode) == 0o600


# ---------------------------------------------------------------------------- refusals


def refused(root: Path, *args: str) -> str:
    before = tree_listing(root) if root.is_dir() else {}
    contents = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.is_dir() else {}
    result = run_cli("init", str(root), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""
    if root.is_dir():
        assert tree_listing(root) == before
        assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == contents
    return result.stderr


@pytest.mark.parametrize(
    ("backend", "said"),
    [
        (
            'build-backend = "setuptools.build_meta"',
            "uses the build backend 'setuptools.build_meta'",
        ),
        (
            'build-backend = "poetry.core.masonry.api"',
            "uses the build backend 'poetry.core.masonry.api'",
        ),
        ("", "names no build-backend in [build-system] (so builds use setuptools)"),
    ],
)
def test_another_backend_is_refused(tmp_path: Path, backend: str, said: str) -> None:
    root = project(
        tmp_path / "legacy", SETUPTOOLS.replace('build-backend = "setuptools.build_meta"', backend)
    )
    err = refused(root)
    assert f"{root / 'pyproject.toml'}: {said}; the airflow_go hook is a hatchling plugin" in err
    assert 'build-backend = "hatchling.build"' in err
    assert not (root / "go").exists()


@pytest.mark.parametrize(
    "table",
    ["tool.hatch.build.targets.wheel.hooks.airflow_go", "tool.hatch.build.hooks.airflow_go"],
)
def test_existing_hook_table_is_refused(tmp_path: Path, table: str) -> None:
    text = HATCHLING_RICH + f'\n[{table}]\nmodule-dir = "."\n'
    root = project(tmp_path / "has", text)
    err = refused(root)
    assert f"already configures the hook: [{table}] exists" in err


def test_existing_go_folder_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "go-there", SINGLE_LINE)
    (root / "go").mkdir()
    (root / "go" / "go.mod").write_text("module example.com/mine\n")
    err = refused(root)
    assert f"{root / 'go'}: already exists (fix: pass --go-dir" in err


def test_missing_pyproject_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    err = refused(tmp_path / "empty")
    assert f"{tmp_path / 'empty' / 'pyproject.toml'}: no pyproject.toml here" in err
    assert "hatch-airflow-go new DIR" in err
    assert list((tmp_path / "empty").iterdir()) == []


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "bad", '[project]\nname = "x\n')
    err = refused(root)
    assert f"{root / 'pyproject.toml'}: is not valid TOML:" in err


def test_a_layout_the_edit_cannot_extend_is_refused(tmp_path: Path) -> None:
    """A wheel target written as an inline table cannot take a hook table after it."""
    text = SINGLE_LINE + '\n[tool.hatch.build.targets]\nwheel = { packages = ["src/x"] }\n'
    root = project(tmp_path / "inline", text)
    err = refused(root)
    assert "cannot add the hook without rewriting the file" in err


def test_bad_go_dir_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "p", SINGLE_LINE)
    err = refused(root, "--go-dir", "../outside")
    assert "'../outside' is not a folder inside the project" in err
    err = refused(root, "--go-dir", "build/go")
    assert f"{root / 'build'}: does not exist (fix: create it first" in err


def test_a_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pyproject.toml cannot be replaced at the last step: the Go folder goes too."""
    from hatch_airflow_go import tempfiles

    root = project(tmp_path / "p", SINGLE_LINE)

    def full_disk(self: tempfiles.AtomicFile, *, durable: bool = False) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfiles.AtomicFile, "commit", full_disk)
    assert main(["init", str(root)]) == 1
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]
    assert (root / "pyproject.toml").read_text() == SINGLE_LINE


# ---------------------------------------------------------------------------- real builds


@pytest.mark.slow
def test_init_result_builds_with_every_printed_command(tmp_path: Path) -> None:
    """init on the rich hatchling project, then each line it prints, as printed."""
    for tool in ("hatch", "uv"):
        if not Path(tool_path(tool)).exists():
            pytest.skip(f"{tool} is not installed in .venv (dev/bootstrap installs it)")
    root = project(tmp_path / "acme-etl", HATCHLING_RICH, package="acme_etl")
    (root / "hatch_build.py").write_text(HATCH_BUILD_PY)
    python = fresh_python(tmp_path / "venv")
    env = shell_env(python, tmp_path / "home")
    ran, _ = run_ok("hatch-airflow-go init acme-etl --bundle etl", cwd=tmp_path, env=env)
    lines = printed_commands(ran.result.stdout)
    cd, wheelhouse, *builds = lines
    _, cwd = run_ok(cd, cwd=tmp_path, env=env)
    assert cwd == root
    run_ok(wheelhouse, cwd=cwd, env=env)
    for line in builds:
        check_build_line(
            line, project=cwd, env=env, python=python, bundle="etl", dag="acme_etl_etl"
        )


@pytest.mark.slow
def test_readme_existing_project_block_works_as_printed(tmp_path: Path) -> None:
    lines = marked_block("<!-- init:start -->", "<!-- init:end -->")
    assert lines[0] == "cd my-project", lines
    project(tmp_path / "my-project", NO_BUILD_SYSTEM.replace("plain-dags", "my-project"),
            package="my_project")  # fmt: skip
    python = fresh_python(tmp_path / "venv")
    env = shell_env(python, tmp_path / "home")
    cd, init, wheelhouse, build = lines
    _, cwd = run_ok(cd, cwd=tmp_path, env=env)
    run_ok(init, cwd=cwd, env=env)
    run_ok(wheelhouse, cwd=cwd, env=env)
    check_build_line(build, project=cwd, env=env, python=python, bundle="etl", dag="my_project_etl")
    only_file(cwd / "dist", "my_project-0.4.0.tar.gz")


@pytest.mark.slow
@pytest.mark.parametrize("tool", ["pre-commit", "prek"])
def test_printed_precommit_lines_pass_in_the_result(tool: str, tmp_path: Path) -> None:
    """init leaves .pre-commit-config.yaml alone and prints what to put in it: that config,
    pointing where it says (no substitution), passes every hook on the result."""
    if not Path(tool_path(tool)).exists():
        pytest.skip(f"{tool} is not installed in .venv (dev/bootstrap installs it)")
    root = project(tmp_path / "acme", HATCHLING_RICH, package="acme_etl")
    (root / ".pre-commit-config.yaml").write_text("repos: []\n")
    result = run_cli("init", str(root), "--bundle", "etl")
    assert result.returncode == 0, result.stderr
    assert (root / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("exclude: "))
    end = next(i for i, line in enumerate(lines) if "To build, run these lines" in line)
    (root / ".pre-commit-config.yaml").write_text("\n".join(lines[start:end]) + "\n")
    init_repo(root)
    before = tree_listing(root)
    ran = run_tool(tool, ["run", "--all-files"], cwd=root, env=hook_env(tmp_path / "home"))
    assert ran.returncode == 0, ran.stdout
    assert hook_status(ran.stdout, DIRECTIVE) == "Passed"
    assert hook_status(ran.stdout, BUNDLES) == "Passed"
    assert "third_party" not in ran.stdout
    assert tree_listing(root) == before


def test_readme_shows_what_init_adds(tmp_path: Path) -> None:
    """The README's TOML block under "Existing project" is what init writes (no build-system)."""
    import re

    from .conftest import REPO

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Existing project") : readme.index("<!-- init:end -->") + 2000]
    (block,) = re.findall(r"```toml\n(.*?)```", section, re.DOTALL)[:1]
    shown = tomllib.loads(block)
    root = project(tmp_path / "p", '[project]\nname = "p"\nversion = "1"\n')
    assert main(["init", str(root), "--bundle", "etl"]) == 0
    written = tomllib.loads((root / "pyproject.toml").read_text())
    del written["project"]
    assert written == shown
