"""A newcomer's path, end to end: each mistake a first-time user makes gets one message
whose fix works. Every test walks the path as a user would, through the real CLI or a real
hook build of a fixture project, and where the message prints a fix, applies it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

import pytest

from tests.plugin_support import STANDIN_SDK

MAIN_GO = """package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("newcomer_dag").AddTask("extract")
	sdk.Main()
}
"""


def go_module(root: Path, files: Mapping[str, str], module: str = "example.com/newcomer") -> Path:
    """A Go module at ``root`` on the stand-in SDK, with ``files`` (path -> text)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(
        f"module {module}\n\ngo 1.24\n\nrequire example.com/airflow-standin-sdk v0.0.0\n\n"
        f"replace example.com/airflow-standin-sdk => {STANDIN_SDK}\n",
        encoding="utf-8",
    )
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def cli(
    *args: str, cwd: Path, env: Optional[Mapping[str, str]] = None
) -> subprocess.CompletedProcess[str]:
    """``hatch-airflow-go ARGS`` in a subprocess, as a user runs it."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_GO_")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "hatch_airflow_go", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
    )


def one_error(result: subprocess.CompletedProcess[str]) -> str:
    """The command failed with one message and no traceback; that message."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "hatch-airflow-go: error: " in result.stderr, result.stderr
    return result.stderr


# -- 1. a package without func main ----------------------------------------------------------
NO_MAIN_GO = """package main

import sdk "example.com/airflow-standin-sdk/sdk"

func register() {
	sdk.AddDAG("newcomer_dag").AddTask("extract")
}
"""


@pytest.mark.parametrize("with_source", [False, True], ids=["discovered", "--source"])
def test_a_package_without_func_main_says_what_a_bundle_package_is_and_the_fix_works(
    tmp_path: Path, with_source: bool
) -> None:
    module = go_module(tmp_path / "mod", {"cmd/etl/dags.go": NO_MAIN_GO})
    extra = ["--source", "cmd/etl/dags.go"] if with_source else []
    message = one_error(cli("pack", "./cmd/etl", "--no-cache", *extra, cwd=module))
    assert "must be a main package whose func main() calls the SDK's bundle main" in message
    assert "pass the DAG's main file with --source" not in message  # the old, wrong advice
    assert "`sdk.Main()`" in message
    # The fix, as the message words it: a func main() that registers the DAGs, then sdk.Main().
    dags = module / "cmd" / "etl" / "dags.go"
    dags.write_text(
        NO_MAIN_GO + "\nfunc main() {\n\tregister()\n\tsdk.Main()\n}\n", encoding="utf-8"
    )
    fixed = cli("pack", "./cmd/etl", "--no-cache", *extra, cwd=module)
    assert fixed.returncode == 0, fixed.stderr
    assert (module / "etl").is_file()


# -- 6. pack run from the project root, the module one folder down ---------------------------
def test_pack_from_outside_the_module_names_the_module_folder_and_the_printed_command_works(
    tmp_path: Path,
) -> None:
    project = tmp_path / "project"
    go_module(project / "go", {"cmd/etl/main.go": MAIN_GO})
    message = one_error(cli("pack", "./go/cmd/etl", "--no-cache", cwd=project))
    assert "go.mod file not found" not in message  # go's raw line is not the message
    assert "the Go module is in go/" in message
    command = "cd go && hatch-airflow-go pack ./cmd/etl"
    assert f"`{command}`" in message
    # The printed command, run by a shell from where the user stood, builds the bundle.
    shell = subprocess.run(
        ["sh", "-c", command + " --no-cache"],
        cwd=project,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert shell.returncode == 0, shell.stderr
    assert (project / "go" / "etl").is_file()


def test_pack_with_no_module_anywhere_says_so(tmp_path: Path) -> None:
    (tmp_path / "cmd" / "etl").mkdir(parents=True)
    (tmp_path / "cmd" / "etl" / "main.go").write_text(MAIN_GO, encoding="utf-8")
    message = one_error(cli("pack", "./cmd/etl", "--no-cache", cwd=tmp_path))
    assert "no go.mod in this folder or any parent" in message
    assert "`go mod init`" in message


# -- 2. a package path without ./ ------------------------------------------------------------
def test_pack_of_a_folder_named_without_dot_slash_says_to_start_it_with_dot_slash(
    tmp_path: Path,
) -> None:
    module = go_module(tmp_path / "mod", {"cmd/example/main.go": MAIN_GO})
    offline = {"GOPROXY": "off", "GOFLAGS": "-mod=mod"}
    message = one_error(cli("pack", "cmd/example", "--no-cache", cwd=module, env=offline))
    assert "a package inside the module starts with ./" in message
    assert "`hatch-airflow-go pack ./cmd/example`" in message
    assert "go mod vendor" not in message  # no module-download advice
    fixed = cli("pack", "./cmd/example", "--no-cache", cwd=module, env=offline)
    assert fixed.returncode == 0, fixed.stderr


def test_pack_of_an_import_path_of_the_module_itself_still_builds(tmp_path: Path) -> None:
    module = go_module(tmp_path / "mod", {"cmd/example/main.go": MAIN_GO})
    result = cli("pack", "example.com/newcomer/cmd/example", "--no-cache", cwd=module)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_hook_config_package_without_dot_slash_fails_with_the_fix_and_the_fix_builds(
    tmp_path: Path,
) -> None:
    from tests.plugin_support import build, copy_project, only

    project = copy_project("single", tmp_path / "single")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"./cmd/hello"', '"cmd/hello"'), encoding="utf-8")
    failed = build(project, outdir=tmp_path / "dist")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "Traceback" not in output
    assert "a package inside the module starts with ./" in output
    assert 'package = "./cmd/hello"' in output
    pyproject.write_text(text, encoding="utf-8")  # the fix, as printed
    fixed = build(project, outdir=tmp_path / "dist")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    only(tmp_path / "dist", "*.whl")


# -- 3. a binary that panics when asked for its DAGs ------------------------------------------
PANIC_GO = """package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	var registry map[string]string
	registry["newcomer_dag"] = "loading DAG definitions" // a nil map: panics
	sdk.Main()
}
"""


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_a_panic_under_introspection_prints_a_command_that_reproduces_it(
    tmp_path: Path, cache: bool
) -> None:
    module = go_module(tmp_path / "mod", {"cmd/etl/main.go": PANIC_GO})
    flags = ["-tags", "newcomer"]  # build flags travel into the printed command
    argv = ["pack", "./cmd/etl", *([] if cache else ["--no-cache"]), "--", *flags]
    message = one_error(cli(*argv, cwd=module, env={"AIRFLOW_GO_CACHE_DIR": str(tmp_path / "c")}))
    assert "panic: assignment to entry in nil map" in message
    commands = [line[2:] for line in message.splitlines() if line.startswith("$ ")]
    assert len(commands) == 1, message
    command = commands[0]
    assert "/hatch-airflow-go-" not in command  # no scratch binary, which is gone by now
    assert "-tags newcomer" in command
    # Run from anywhere, the printed command rebuilds the binary and shows the same panic.
    rerun = subprocess.run(
        ["sh", "-c", command], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode != 0
    assert "panic: assignment to entry in nil map" in rerun.stderr, rerun.stderr
    assert "main.go:7" in rerun.stderr, rerun.stderr


# -- 4. $AIRFLOW_GO_GO naming a Go older than the go.mod needs ---------------------------------
@pytest.mark.slow
def test_airflow_go_go_naming_an_older_go_is_reported_as_that_variable(
    tmp_path: Path, go: str
) -> None:
    from tests.plugin_support import build, build_env, copy_project

    project = copy_project("single", tmp_path / "single")
    gomod = project / "go.mod"
    gomod.write_text(
        gomod.read_text(encoding="utf-8").replace("go 1.24\n", "go 1.99.0\n"), encoding="utf-8"
    )
    failed = build(project, outdir=tmp_path / "dist", env=build_env({"AIRFLOW_GO_GO": go}))
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "Traceback" not in output
    assert "$AIRFLOW_GO_GO names go1." in output, output
    assert f"({go}), older than" in output
    assert "older than go.mod's `go 1.99.0`" in output
    assert "point $AIRFLOW_GO_GO at Go 1.99.0 or newer" in output
    assert "--go" not in output  # the user set no --go


# -- 5. hook tables hatchling never reads ------------------------------------------------------
def _bundles_in(wheel: Path) -> list[str]:
    from tests.plugin_support import wheel_members

    return [name for name in wheel_members(wheel) if "/executable-bundles/" in name]


@pytest.mark.slow
def test_a_hyphenated_hook_table_fails_with_one_message_and_the_fix_builds(
    tmp_path: Path,
) -> None:
    from tests.plugin_support import build, copy_project, only

    project = copy_project("single", tmp_path / "single")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    hyphen = text.replace("targets.wheel.hooks.airflow_go", "targets.wheel.hooks.airflow-go")
    pyproject.write_text(hyphen, encoding="utf-8")
    failed = build(project, outdir=tmp_path / "dist")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "Traceback" not in output
    assert "UnknownPluginError" not in output
    assert "the hook is named 'airflow_go' with an underscore" in output
    fix = "rename the table [tool.hatch.build.targets.wheel.hooks.airflow_go]"
    assert fix in output
    pyproject.write_text(text, encoding="utf-8")  # the fix, as printed
    fixed = build(project, outdir=tmp_path / "dist")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _bundles_in(only(tmp_path / "dist", "*.whl"))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("wrong", "why"),
    [
        ("target.wheel", "hatchling reads tool.hatch.build.targets (plural), not .target"),
        ("targets.whl", "there is no build target 'whl'"),
    ],
)
def test_doctor_reports_a_misspelled_targets_table_that_builds_a_pure_wheel(
    tmp_path: Path, wrong: str, why: str
) -> None:
    from tests.plugin_support import build, copy_project, only

    project = copy_project("single", tmp_path / "single")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace("targets.wheel.hooks.airflow_go", f"{wrong}.hooks.airflow_go"),
        encoding="utf-8",
    )
    # What hatchling does with it: a successful build of a wheel without any bundle.
    built = build(project, outdir=tmp_path / "pure")
    assert built.returncode == 0, built.stdout + built.stderr
    assert _bundles_in(only(tmp_path / "pure", "*.whl")) == []
    # doctor, run where the user stands, says which table is never read and its right name.
    report = cli("doctor", cwd=project)
    assert report.returncode == 1, report.stdout + report.stderr
    assert "Traceback" not in report.stderr
    table = f"tool.hatch.build.{wrong}.hooks.airflow_go"
    assert f"pyproject.toml: [{table}] is never read by hatchling: {why}" in report.stdout
    assert "(fix: rename it [tool.hatch.build.targets.wheel.hooks.airflow_go])" in report.stdout
    # The fix, as printed: doctor passes and the wheel carries the bundle.
    pyproject.write_text(text, encoding="utf-8")
    again = cli("doctor", cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Go: go1." in again.stdout
    fixed = build(project, outdir=tmp_path / "dist")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert _bundles_in(only(tmp_path / "dist", "*.whl"))


def test_doctor_reports_build_requirements_without_the_hook(tmp_path: Path) -> None:
    from tests.plugin_support import copy_project

    project = copy_project("single", tmp_path / "single")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace(', "hatch-airflow-go"', ""), encoding="utf-8")
    report = cli("doctor", cwd=project)
    assert report.returncode == 1
    assert "[build-system] requires does not name hatch-airflow-go" in report.stdout


# -- 7. which Go built the bundles, and a sign of life during long builds ----------------------
def _go_version(go: str) -> str:
    return subprocess.run(
        [go, "env", "GOVERSION"], capture_output=True, text=True, check=True
    ).stdout.strip()


def test_pack_names_the_go_it_builds_with_and_where_it_came_from(tmp_path: Path, go: str) -> None:
    module = go_module(tmp_path / "mod", {"cmd/etl/main.go": MAIN_GO})
    path = os.pathsep.join([str(Path(go).parent), os.environ["PATH"]])
    result = cli("pack", "./cmd/etl", "--no-cache", cwd=module, env={"PATH": path})
    assert result.returncode == 0, result.stderr
    line = f"building 1 bundle(s) (etl) with {_go_version(go)} at {go} (from PATH)"
    assert line in result.stderr.splitlines(), result.stderr


def slow_go(tmp_path: Path, go: str, seconds: int) -> Path:
    """A go that sleeps before each `go build`, then runs the real go: a long build."""
    wrapper = tmp_path / "slow-go"
    wrapper.write_text(
        f'#!/bin/sh\nif [ "$1" = build ]; then sleep {seconds}; fi\nexec {go} "$@"\n',
        encoding="utf-8",
    )
    wrapper.chmod(0o755)
    return wrapper


@pytest.mark.slow
def test_a_hook_build_names_its_go_and_reports_progress_during_a_long_build(
    tmp_path: Path, go: str
) -> None:
    from tests.plugin_support import build, build_env, copy_project, only

    project = copy_project("single", tmp_path / "single")
    wrapper = slow_go(tmp_path, go, 3)
    env = build_env(
        {
            "AIRFLOW_GO_GO": str(wrapper),
            "AIRFLOW_GO_PROGRESS_INTERVAL": "1",
            "AIRFLOW_GO_CACHE_DIR": str(tmp_path / "cache"),
        }
    )
    result = build(project, outdir=tmp_path / "dist", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    only(tmp_path / "dist", "*.whl")
    provenance = (
        f"building 1 bundle(s) (hello) with {_go_version(go)} at {wrapper} (from $AIRFLOW_GO_GO)"
    )
    assert f"[airflow_go] {provenance}" in output, output
    progress = [line for line in output.splitlines() if "still working after" in line]
    assert progress, output
    assert "hello: go build (" in progress[0]
