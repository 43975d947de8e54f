"""The CLI dispatcher: lazy command discovery and ``--`` passthrough."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from hatch_airflow_go import cli
from tests.conftest import run_cli


@pytest.mark.parametrize("module_name", cli.command_module_names())
def test_each_command_is_named_after_its_module(module_name: str) -> None:
    # The dispatcher imports only the module `x_y` for the command `x-y`; a command named
    # otherwise would be unreachable without importing every module.
    module = importlib.import_module(f"hatch_airflow_go.commands.{module_name}")
    assert module_name.replace("_", "-") == module.NAME
    assert module.HELP


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for name in cli.command_module_names():
        assert name.replace("_", "-") in result.stdout


def test_unknown_command_is_a_usage_error_listing_the_choices() -> None:
    result = run_cli("nope")
    assert result.returncode == 2
    assert "invalid choice: 'nope'" in result.stderr
    assert "'inspect-wheel'" in result.stderr


def test_double_dash_ends_options_for_commands_without_passthrough(tmp_path: Path) -> None:
    odd = tmp_path / "-odd-name"
    odd.write_bytes(b"not a bundle at all, just text")
    result = run_cli("verify", "--", odd.name, cwd=tmp_path)
    # `-odd-name` is taken as the file to verify, not as an option or a go flag.
    assert result.returncode == 1
    assert result.stdout.startswith("-odd-name: ")
    assert "not a bundle" in result.stdout


@pytest.mark.parametrize("where", ["before", "after", "last", "before-go-flags"])
def test_verbose_anywhere_on_the_command_line_echoes_go_commands(
    where: str, tmp_path: Path
) -> None:
    from tests.conftest import GOBUNDLES

    rest = ["pack", "./gen3", "--no-cache", "--output", str(tmp_path / "b")]
    argv = {
        "before": ["-v", *rest],
        "after": [*rest[:2], "-v", *rest[2:]],
        "last": [*rest, "-v"],
        "before-go-flags": [*rest, "-v", "--", "-trimpath"],
    }[where]
    result = run_cli(*argv, cwd=GOBUNDLES)
    assert result.returncode == 0, result.stderr
    assert any(
        line.startswith("$ ") and " build " in line for line in result.stderr.splitlines()
    ), result.stderr


def test_verbose_defaults_to_off() -> None:
    from hatch_airflow_go.cli import build_parser

    assert build_parser(only="verify").parse_args(["verify", "x"]).verbose is False


def test_pack_fails_on_ids_the_server_refuses_unless_allowed_and_strict_fails_warnings(
    tmp_path: Path,
) -> None:
    from tests.conftest import GOBUNDLES

    out = tmp_path / "tricky"
    default = run_cli("pack", "./tricky-ids", "--output", str(out), cwd=GOBUNDLES)
    assert default.returncode == 1, default.stderr
    lines = default.stderr.splitlines()
    assert (
        f"error: {out}: dag id 'dag_- x' contains ' ' (only letters, digits, '_', '.' and '-' "
        "are allowed): Airflow's server refuses it (fix: rename it to letters, digits, '_', '.' "
        "and '-', at most 250 characters, no '..'; or pass --allow-airflow-rejects to only warn)"
    ) in lines
    assert lines[-1].startswith(f"hatch-airflow-go: error: {out}: ")
    assert lines[-1].endswith(
        "problem(s) above: the bundle was not kept (fix: fix each as its line says)"
    )
    assert not out.exists()

    allowed = run_cli(
        "pack", "./tricky-ids", "--output", str(out), "--allow-airflow-rejects", cwd=GOBUNDLES
    )
    assert allowed.returncode == 0, allowed.stderr
    assert f"warning: {out}: dag id 'dag_- x' contains ' '" in allowed.stderr
    assert out.is_file()

    strict = run_cli(
        "pack",
        "./tricky-ids",
        "--output",
        str(out),
        "--allow-airflow-rejects",
        "--strict",
        cwd=GOBUNDLES,
    )
    assert strict.returncode == 1
    assert (
        f"error: {out}: dag 'empty_tasks' has no tasks (fails because of --strict; fix: resolve it)"
    ) in strict.stderr.splitlines()
    assert not out.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_pack_introspect_timeout_must_be_finite_and_positive(value: str, tmp_path: Path) -> None:
    from tests.conftest import GOBUNDLES

    out = tmp_path / "b"
    result = run_cli(
        "pack", "./gen3", "--introspect-timeout", value, "--output", str(out), cwd=GOBUNDLES
    )
    assert result.returncode == 2
    assert "argument --introspect-timeout:" in result.stderr
    assert not out.exists()
