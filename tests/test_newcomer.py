"""A newcomer's path before any release: the README's Quick start, and what ``new`` prints,
run exactly as printed with real pip, build, hatch, uv, pre-commit and prek.

hatch-airflow-go is not on PyPI, so every isolated build must find it in the wheelhouse the
printed lines make; nothing here sets PIP_FIND_LINKS or UV_FIND_LINKS for them.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from .newcomer_support import (
    check_build_line,
    copy_checkout,
    fresh_python,
    marked_block,
    only_file,
    printed_commands,
    run_ok,
    shell_env,
)
from .precommit_support import tool_path
from .test_precommit_real import BUNDLES, DIRECTIVE, hook_status

pytestmark = pytest.mark.slow

QUICKSTART = ("<!-- quickstart:start -->", "<!-- quickstart:end -->")


def _need_tools() -> None:
    for tool in ("hatch", "uv", "pre-commit", "prek"):
        if not Path(tool_path(tool)).exists():
            pytest.skip(f"{tool} is not installed in .venv (dev/bootstrap installs the test extra)")


def test_readme_quick_start_works_as_printed(tmp_path: Path) -> None:
    _need_tools()
    lines = marked_block(*QUICKSTART)
    assert lines[0] == "python -m pip install build ./hatch-airflow-go", lines
    assert len(lines) == 11, lines
    copy_checkout(tmp_path / "hatch-airflow-go")
    python = fresh_python(tmp_path / "venv")
    env = shell_env(python, tmp_path / "home")
    cwd = tmp_path
    install, new, cd, wheelhouse, *builds, git, precommit, prek = lines
    ran, cwd = run_ok(install, cwd=cwd, env=env)
    # The CLI now on PATH is the one installed (not editable) from the checkout.
    which = subprocess.run(
        ["bash", "-c", "command -v hatch-airflow-go"], env=env, capture_output=True, text=True
    )
    assert which.stdout.strip() == str(python.parent / "hatch-airflow-go")
    ran, cwd = run_ok(new, cwd=cwd, env=env)
    assert "Created my-dags" in ran.output
    ran, cwd = run_ok(cd, cwd=cwd, env=env)
    assert cwd == tmp_path / "my-dags"
    ran, cwd = run_ok(wheelhouse, cwd=cwd, env=env)
    wheel = only_file(cwd / "dist" / "wheelhouse", "hatch_airflow_go-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert "hatch_airflow_go/scaffold/standin-sdk/sdk/registry.go" in archive.namelist()
    assert [line.split()[-1] for line in builds] == [
        "build", "build", '"$PWD/dist/wheelhouse"', "."
    ]  # fmt: skip
    for line in builds:
        check_build_line(
            line, project=cwd, env=env, python=python, bundle="example", dag="my_dags_example"
        )
    run_ok(git, cwd=cwd, env=env)
    # The scaffold's config names the checkout the CLI was installed from, at its commit.
    config = (cwd / ".pre-commit-config.yaml").read_text()
    assert f"repo: {tmp_path / 'hatch-airflow-go'}\n" in config
    for line in (precommit, prek):
        ran, _ = run_ok(line, cwd=cwd, env=env)
        assert hook_status(ran.output, DIRECTIVE) == "Passed", ran.output
        assert hook_status(ran.output, BUNDLES) == "Passed", ran.output


def test_what_new_prints_builds_as_printed(tmp_path: Path) -> None:
    _need_tools()
    python = fresh_python(tmp_path / "venv")
    env = shell_env(python, tmp_path / "home")
    # `new` run from .venv (this checkout, editable): its wheelhouse is built from the checkout.
    ran, _ = run_ok("hatch-airflow-go new acme-dags --bundle nightly", cwd=tmp_path, env=env)
    lines = printed_commands(ran.result.stdout)
    assert len(lines) == 6, ran.result.stdout
    cd, wheelhouse, *builds = lines
    _, project = run_ok(cd, cwd=tmp_path, env=env)
    assert project == tmp_path / "acme-dags"
    run_ok(wheelhouse, cwd=project, env=env)
    only_file(project / "dist" / "wheelhouse", "hatch_airflow_go-*.whl")
    for line in builds:
        check_build_line(
            line, project=project, env=env, python=python, bundle="nightly", dag="acme_dags_nightly"
        )


def test_new_no_longer_prints_a_build_that_needs_pypi(tmp_path: Path) -> None:
    """The old advice, `python -m build DIR`, fails before a release: no printed build line
    may run a front end without pointing it at the wheelhouse."""
    from .conftest import run_cli

    result = run_cli("new", str(tmp_path / "p"))
    assert result.returncode == 0, result.stderr
    for line in printed_commands(result.stdout):
        if line.startswith(("cd ", "hatch-airflow-go wheelhouse")):
            continue
        assert "dist/wheelhouse" in line, line
