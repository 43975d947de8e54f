"""The pre-commit hooks called in-process through ``main(argv)``, one test per branch.

Go builds, ``go mod edit`` and packing are real; only the pre-commit/prek layer is left out
(tests/test_precommit_real.py runs the hooks through both tools).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from precommit_hooks import check_go_bundles, check_go_tool_directive, verify_bundles
from tests.conftest import GOBUNDLES, GoBundleBuilder
from tests.precommit_support import (
    MAIN_GO,
    MAIN_GO_BROKEN,
    MAIN_GO_NO_DAGS,
    PACKER_TOOL,
    PYPROJECT,
    SDK_MODULE,
    gomod_text,
    init_repo,
    tree_listing,
    write_project,
)

# ============================================================================ tool directive


def write_gomod(tmp_path: Path, text: str, name: str = "go.mod") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_directive(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = check_go_tool_directive.main(list(argv))
    return code, capsys.readouterr().out.splitlines()


def test_directive_clean_gomod_passes_silently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gomod = write_gomod(tmp_path, gomod_text())
    assert run_directive(capsys, str(gomod)) == (0, [])


def test_directive_no_files_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_directive(capsys) == (0, [])


def test_directive_missing_tool_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gomod = write_gomod(tmp_path, gomod_text(tool=False))
    code, lines = run_directive(capsys, str(gomod))
    assert code == 1
    assert lines == [
        f"{gomod}: missing the tool directive `tool {PACKER_TOOL}` "
        f"(fix: go mod edit -tool={PACKER_TOOL} go.mod)"
    ]


def test_directive_go_line_too_old_for_tool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gomod = write_gomod(tmp_path, gomod_text(go="1.23"))
    code, lines = run_directive(capsys, str(gomod))
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{gomod}: the go directive must be at least 1.24")
    assert "found go 1.23" in lines[0]
    assert lines[0].endswith("(fix: go mod edit -go=1.24 go.mod)")


def test_directive_no_go_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gomod = write_gomod(tmp_path, gomod_text(go=None))
    code, lines = run_directive(capsys, str(gomod))
    assert code == 1
    assert len(lines) == 1
    assert "found no go line" in lines[0]


def test_directive_sdk_module_not_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gomod = write_gomod(tmp_path, gomod_text(require_sdk=False))
    code, lines = run_directive(capsys, str(gomod))
    assert code == 1
    assert lines == [
        f"{gomod}: no require or replace names the module that provides {PACKER_TOOL} "
        f"(fix: go get -tool {PACKER_TOOL}@latest)"
    ]


def test_directive_required_and_replaced_sdk_is_provided(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = gomod_text() + f"\nreplace {SDK_MODULE} => ../go-sdk\n"
    gomod = write_gomod(tmp_path, text)
    assert run_directive(capsys, str(gomod)) == (0, [])


REPLACED_NOT_REQUIRED = (
    f"{SDK_MODULE} is replaced but not required: go ignores a replace for a module "
    "the go.mod does not require"
)


def test_directive_replaced_but_not_required_sdk_is_a_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = gomod_text(require_sdk=False) + f"\nreplace {SDK_MODULE} => ../go-sdk\n"
    gomod = write_gomod(tmp_path, text)
    assert run_directive(capsys, str(gomod)) == (
        1,
        [
            f"{gomod}: {REPLACED_NOT_REQUIRED} (fix: go mod edit "
            f"-require={SDK_MODULE}@v0.0.0-00010101000000-000000000000 go.mod)"
        ],
    )


def test_directive_fix_requires_a_replaced_sdk_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], go: str
) -> None:
    text = gomod_text(require_sdk=False) + f"\nreplace {SDK_MODULE} => ../go-sdk\n"
    gomod = write_gomod(tmp_path, text)
    code, lines = run_directive(capsys, "--fix", "--go", go, str(gomod))
    assert (code, lines) == (1, [f"{gomod}: fixed: {REPLACED_NOT_REQUIRED}"])
    required = go_mod_edit_json(go, gomod)["Require"]
    assert isinstance(required, list)
    assert {"Path": SDK_MODULE, "Version": "v0.0.0-00010101000000-000000000000"} in required
    assert run_directive(capsys, str(gomod)) == (0, [])


def test_directive_extra_tool_required(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gomod = write_gomod(tmp_path, gomod_text())
    extra = "golang.org/x/tools/cmd/stringer"
    code, lines = run_directive(capsys, "--tool", extra, str(gomod))
    assert code == 1
    assert f"{gomod}: missing the tool directive `tool {extra}`" in lines[0]
    assert any(
        "no require or replace names the module that provides " + extra in line for line in lines
    )
    # The packer itself is still checked (and present), so it is not reported.
    assert not any(f"`tool {PACKER_TOOL}`" in line for line in lines)


def test_directive_min_go_raised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gomod = write_gomod(tmp_path, gomod_text(go="1.24"))
    code, lines = run_directive(capsys, "--min-go", "1.25", str(gomod))
    assert code == 1
    assert "must be at least 1.25" in lines[0]
    assert "(fix: go mod edit -go=1.25 go.mod)" in lines[0]


@pytest.mark.parametrize("value", ["latest", "1.24abc"])
def test_directive_min_go_must_be_a_version(capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        check_go_tool_directive.main(["--min-go", value, "go.mod"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --min-go: {value!r} is not a Go version like 1.24 or 1.25.3" in err


def test_directive_reports_every_file_even_after_a_broken_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write_gomod(tmp_path, "module (\n", "a/go.mod")
    missing = tmp_path / "b" / "go.mod"
    bad = write_gomod(tmp_path, gomod_text(tool=False), "c/go.mod")
    good = write_gomod(tmp_path, gomod_text(), "d/go.mod")
    code, lines = run_directive(capsys, str(broken), str(missing), str(bad), str(good))
    assert code == 1
    assert lines[0].startswith(f"{broken}: line 2: syntax error")
    assert lines[1].startswith(f"{missing}: cannot read the file")
    assert lines[2].startswith(f"{bad}: missing the tool directive")
    assert len(lines) == 3


def go_mod_edit_json(go: str, gomod: Path) -> dict[str, object]:
    result = subprocess.run(
        [go, "mod", "edit", "-json", gomod.name],
        cwd=gomod.parent,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "GOTOOLCHAIN": "local"},
    )
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_directive_fix_repairs_offline_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], go: str
) -> None:
    gomod = write_gomod(tmp_path, gomod_text(go="1.22", tool=False))
    code, lines = run_directive(capsys, "--fix", "--go", go, str(gomod))
    assert code == 1
    assert lines == [
        f"{gomod}: fixed: the go directive must be at least 1.24 for `tool` lines, found go 1.22",
        f"{gomod}: fixed: missing the tool directive `tool {PACKER_TOOL}`",
    ]
    edited = go_mod_edit_json(go, gomod)
    assert edited["Go"] == "1.24"
    assert edited["Tool"] == [{"Path": PACKER_TOOL}]
    # Fixed means fixed: the next run is clean.
    assert run_directive(capsys, str(gomod)) == (0, [])


def test_directive_fix_prints_network_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], go: str
) -> None:
    gomod = write_gomod(tmp_path, gomod_text(tool=False, require_sdk=False))
    code, lines = run_directive(capsys, "--fix", "--go", go, str(gomod))
    assert code == 1
    assert lines[0] == f"{gomod}: fixed: missing the tool directive `tool {PACKER_TOOL}`"
    assert lines[1] == (
        f"{gomod}: needs the network, not fixed (fix: run "
        f"`(cd {tmp_path.resolve()} && go get -tool {PACKER_TOOL}@latest)`)"
    )
    assert go_mod_edit_json(go, gomod)["Tool"] == [{"Path": PACKER_TOOL}]
    # What is left is exactly the network step.
    code, lines = run_directive(capsys, str(gomod))
    assert code == 1
    assert len(lines) == 1
    assert "no require or replace names the module" in lines[0]


def test_directive_fix_on_clean_file_looks_for_no_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gomod = write_gomod(tmp_path, gomod_text())
    before = gomod.stat().st_mtime_ns
    # An unusable --go proves that a clean run never looks for a toolchain.
    assert run_directive(capsys, "--fix", "--go", str(tmp_path / "no-such-go"), str(gomod)) == (
        0,
        [],
    )
    assert gomod.stat().st_mtime_ns == before


def test_directive_fix_with_unusable_go_reports_it_and_the_unfixed_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gomod = write_gomod(tmp_path, gomod_text(tool=False), "a/go.mod")
    other = write_gomod(tmp_path, gomod_text(go="1.23"), "b/go.mod")
    before = gomod.read_text()
    missing_go = tmp_path / "no-such-go"
    code, lines = run_directive(capsys, "--fix", "--go", str(missing_go), str(gomod), str(other))
    assert code == 1
    error = f"the go setting (--go) names {str(missing_go)!r}, which is not an existing go binary"
    assert lines[0].startswith(error + " (fix: ")
    assert lines[1] == (
        f"{gomod}: missing the tool directive `tool {PACKER_TOOL}` "
        f"(fix: go mod edit -tool={PACKER_TOOL} go.mod)"
    )
    # One file's failed repair does not hide the next file's findings.
    assert lines[2].startswith(error)
    assert lines[3].startswith(f"{other}: the go directive must be at least 1.24")
    assert len(lines) == 4
    assert gomod.read_text() == before


# ============================================================================ verify-bundles


@pytest.fixture(scope="module")
def packed_bundle(gobundles: GoBundleBuilder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real bundle: the gen3 fixture binary packed by the pipeline."""
    from hatch_airflow_go.build.pipeline import pack_executable

    binary = gobundles.path("gen3")
    out = tmp_path_factory.mktemp("verify-bundles")
    source = out / "main.go"
    source.write_text(MAIN_GO)
    bundle = out / "gen3.bundle"
    pack_executable(binary, source=source, output=bundle)
    return bundle


def copy_bundle(bundle: Path, dest: Path) -> Path:
    dest.write_bytes(bundle.read_bytes())
    dest.chmod(0o755)
    return dest


def run_verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = verify_bundles.main(list(argv))
    return code, capsys.readouterr().out.splitlines()


def test_verify_ignores_files_without_magic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], gobundles: GoBundleBuilder
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 40)
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    plain_binary = gobundles.path("gen3")
    tail_only = tmp_path / "short"
    tail_only.write_bytes(b"AFBNDL01")  # the magic, but far too short to be a bundle
    names = [str(text), str(empty), str(plain_binary), str(tail_only), str(tmp_path)]
    assert run_verify(capsys, *names) == (0, [])


def test_verify_good_bundle_any_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], packed_bundle: Path
) -> None:
    bundle = copy_bundle(packed_bundle, tmp_path / "looks-like-data.txt")
    assert run_verify(capsys, str(bundle)) == (0, [])


def test_verify_reports_a_modified_binary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], packed_bundle: Path
) -> None:
    bundle = copy_bundle(packed_bundle, tmp_path / "etl")
    data = bytearray(bundle.read_bytes())
    data[100] ^= 0xFF  # inside the binary region: the stored hash no longer matches
    bundle.write_bytes(bytes(data))
    good = copy_bundle(packed_bundle, tmp_path / "good")
    code, lines = run_verify(capsys, str(bundle), str(good))
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{bundle}: binary SHA-256 mismatch: ")
    assert "(fix: rebuild/repack the bundle" in lines[0]


def test_verify_truncated_bundle_with_magic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], packed_bundle: Path
) -> None:
    data = packed_bundle.read_bytes()
    bundle = tmp_path / "cut"
    # Drop bytes from the middle: the trailer (and its magic) survive, the regions do not fit.
    bundle.write_bytes(data[:64] + data[-64:])
    code, lines = run_verify(capsys, str(bundle))
    assert code == 1
    assert len(lines) == 1
    assert lines[0].startswith(f"{bundle}: regions larger than file: ")


def test_verify_fails_a_non_executable_bundle_unless_allowed_then_strict_fails_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], packed_bundle: Path
) -> None:
    bundle = copy_bundle(packed_bundle, tmp_path / "etl")
    bundle.chmod(0o644)
    if os.access(bundle, os.X_OK):
        pytest.skip("this user can execute any file, so the executable-bit check cannot fail")
    code, lines = run_verify(capsys, str(bundle))
    assert code == 1
    assert lines == [
        f"{bundle}: not executable: Airflow's scanner skips it (fix: chmod +x the bundle, and "
        "in git `git update-index --chmod=+x <file>`; or pass --allow-airflow-rejects to only "
        "warn)"
    ]
    code, lines = run_verify(capsys, "--allow-airflow-rejects", str(bundle))
    assert code == 0
    assert lines == [
        f"{bundle}: warning: not executable: Airflow will not find it (fix: chmod +x the bundle)"
    ]
    code, lines = run_verify(capsys, "--allow-airflow-rejects", "--strict", str(bundle))
    assert code == 1
    assert lines == [
        f"{bundle}: warning: not executable: Airflow will not find it (fix: chmod +x the bundle)"
    ]


# ============================================================================ check-go-bundles


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh project as the cwd, with its own pipeline cache outside the repository."""
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("AIRFLOW_GO_CACHE_DIR", str(tmp_path / "cache"))
    for key in list(os.environ):
        if key.startswith("AIRFLOW_GO_") and key != "AIRFLOW_GO_CACHE_DIR":
            monkeypatch.delenv(key)
    return root


def run_bundles(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = check_go_bundles.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_bundles_pass_and_write_nothing_into_the_repository(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_project(project)
    init_repo(project)
    before = tree_listing(project)
    code, out, err = run_bundles(capsys)
    assert (code, out) == (0, "")
    assert "go/cmd/etl: etl (" in err
    assert "1 dag(s), built in" in err
    assert tree_listing(project) == before
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=project, capture_output=True, text=True
    )
    assert status.stdout == ""


def test_bundles_unchanged_repository_comes_from_the_cache(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_project(project)
    assert run_bundles(capsys)[0] == 0
    code, out, err = run_bundles(capsys)
    assert (code, out) == (0, "")
    assert "1 dag(s), cached" in err
    # --no-cache really rebuilds.
    code, out, err = run_bundles(capsys, "--no-cache")
    assert (code, out) == (0, "")
    assert "built in" in err


def test_bundles_no_dags_fails(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_project(project, main_go=MAIN_GO_NO_DAGS)
    code, out, _ = run_bundles(capsys)
    assert code == 1
    assert "no dags" in out
    assert "(fix: " in out


def test_bundles_sdk_without_schema_version_fails_until_it_is_set(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The gen2 fixture (--dump-bundle-spec only) would be skipped by Airflow's reader."""
    gen2 = (GOBUNDLES / "gen2" / "main.go").read_text(encoding="utf-8")
    write_project(project, main_go=gen2)
    code, out, _ = run_bundles(capsys)
    assert code == 1
    assert out.startswith(
        f"{project / 'go' / 'cmd' / 'etl'}: bundle etl: the SDK reports no "
        "supervisor_schema_version (it answers only --dump-bundle-spec), so Airflow's reader "
        "will skip this bundle (fix: upgrade the Airflow Go SDK"
    ), out
    table = "[tool.hatch.build.targets.wheel.hooks.airflow_go]\n"
    setting = f'{table}supervisor-schema-version = "2026-06-16"\n'
    write_project(project, main_go=gen2, pyproject=PYPROJECT.replace(table, setting))
    code, out, err = run_bundles(capsys, "--strict")
    assert (code, out) == (0, ""), out
    assert "go/cmd/etl: etl (" in err


def test_bundles_compile_error_shows_go_output(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_project(project, main_go=MAIN_GO_BROKEN)
    code, out, _ = run_bundles(capsys)
    assert code == 1
    _summary, *rest = out.splitlines()
    assert "go build" in out
    # go's own complaint is shown, indented under the one-line summary.
    assert any(line.startswith("    ") and "main.go" in line for line in rest), out


def test_bundles_missing_pyproject(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_bundles(capsys)
    assert code == 1
    assert out.startswith("pyproject.toml: no such file")
    assert "--pyproject PATH" in out


def test_bundles_pyproject_option_from_elsewhere(
    project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_project(elsewhere)
    code, out, err = run_bundles(capsys, "--pyproject", str(elsewhere / "pyproject.toml"))
    assert (code, out) == (0, "")
    assert "1 dag(s)" in err


def test_bundles_without_hook_table(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_project(project, pyproject='[project]\nname = "x"\nversion = "1"\n')
    code, out, _ = run_bundles(capsys)
    assert code == 1
    table = "[tool.hatch.build.targets.wheel.hooks.airflow_go]"
    assert out.startswith(f"pyproject.toml: has no {table}")


def test_bundles_none_configured(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = "[tool.hatch.build.targets.wheel.hooks.airflow_go]\n"
    write_project(project, pyproject=f'[project]\nname = "x"\nversion = "1"\n\n{table}')
    code, out, _ = run_bundles(capsys)
    assert code == 1
    # The settings model refuses an empty list; the hook passes its message on.
    assert "pyproject.toml: " in out
    assert "is empty: there is nothing to build" in out
    assert "[[tool.hatch.build.targets.wheel.hooks.airflow_go.bundles]]" in out


def test_bundles_unknown_setting(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_project(project, pyproject=PYPROJECT.replace('module-dir = "go"', 'module_dir = "go"'))
    code, out, _ = run_bundles(capsys)
    assert code == 1
    assert "module_dir" in out
    assert "module-dir" in out  # the closest valid key is suggested


def test_bundles_skip_builds_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_project(
        project,
        main_go=MAIN_GO_BROKEN,
        pyproject=PYPROJECT.replace('module-dir = "go"', 'module-dir = "go"\nskip = true'),
    )
    code, out, err = run_bundles(capsys)
    assert (code, out) == (0, "")
    assert "skip = true" in err


def test_bundles_warnings_fail_only_when_strict(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lonely = MAIN_GO.replace('.AddTask("extract").AddTask("load")', "").replace(
        "sdk.Main()", 'sdk.AddDAG("lonely")\n\tsdk.Main()'
    )
    write_project(project, main_go=lonely)
    code, out, _ = run_bundles(capsys)
    assert code == 0
    assert "go/cmd/etl: bundle 'etl': warning: dag 'demo_etl' has no tasks" in out
    code, out, _ = run_bundles(capsys, "--strict")
    assert code == 1
    # Each warning once, although both the pipeline and verify apply the rule.
    assert out.count("dag 'lonely' has no tasks") == 1


def test_bundles_dag_id_the_server_refuses_fails_unless_allowed_then_strict_fails_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spaced = MAIN_GO.replace('"demo_etl"', '"demo etl"')
    write_project(project, main_go=spaced)
    code, out, _ = run_bundles(capsys)
    assert code == 1
    assert out.splitlines() == [
        "go/cmd/etl: bundle 'etl': dag id 'demo etl' contains ' ' (only letters, digits, '_', "
        "'.' and '-' are allowed): Airflow's server refuses it (fix: rename it to letters, "
        "digits, '_', '.' and '-', at most 250 characters, no '..'; or set "
        "allow-airflow-rejects = true in the airflow_go hook table to only warn)"
    ]
    allowed = PYPROJECT.replace(
        'module-dir = "go"', 'module-dir = "go"\nallow-airflow-rejects = true'
    )
    write_project(project, main_go=spaced, pyproject=allowed)
    code, out, _ = run_bundles(capsys)
    assert code == 0
    # Said once, although both the pipeline and verify apply the id rules.
    assert out.splitlines() == [
        "go/cmd/etl: bundle 'etl': warning: dag id 'demo etl' contains ' ' (only letters, "
        "digits, '_', '.' and '-' are allowed)"
    ]
    strict = allowed.replace(
        "allow-airflow-rejects = true", "allow-airflow-rejects = true\nstrict = true"
    )
    write_project(project, main_go=spaced, pyproject=strict)
    assert run_bundles(capsys)[0] == 1


def test_bundles_verbose_echoes_go_commands(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hatch_airflow_go import log

    write_project(project)
    try:
        code, _, err = run_bundles(capsys, "-v", "--no-cache")
    finally:
        log.set_verbose(False)
    assert code == 0
    assert "$ " in err
    assert " build " in err


# ============================================================================ hook manifest


def hook_manifest() -> dict[str, dict[str, object]]:
    import yaml

    from tests.precommit_support import REPO

    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return {hook["id"]: hook for hook in hooks}


def test_manifest_entries_are_the_declared_console_scripts() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

    from tests.precommit_support import REPO

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    for hook_id, hook in hook_manifest().items():
        assert hook["language"] == "python"
        assert hook["entry"] == hook_id
        assert scripts[hook_id] == f"precommit_hooks.{hook_id.replace('-', '_')}:main"


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("go/cmd/etl/main.go", True),
        ("main.go", True),
        ("go/go.mod", True),
        ("go.sum", True),
        ("go.work", True),
        ("go/vendor/modules.txt", True),
        ("pyproject.toml", True),
        ("sub/pyproject.toml", True),
        ("README.md", False),
        ("docs/go.mod.md", False),
        ("src/pkg/__init__.py", False),
        ("notgo.mod", False),
        ("mygo.sum", False),
    ],
)
def test_bundles_hook_runs_only_for_go_and_project_files(path: str, runs: bool) -> None:
    import re

    hook = hook_manifest()["check-go-bundles"]
    assert hook["pass_filenames"] is False
    assert hook["require_serial"] is True
    # pre-commit and prek both apply `files` with a search, not a full match.
    assert bool(re.search(str(hook["files"]), path)) is runs


def test_directive_hook_selects_go_mod_files_by_type() -> None:
    from identify import identify

    hook = hook_manifest()["check-go-tool-directive"]
    assert hook["types_or"] == ["go-mod"]
    assert "go-mod" in identify.tags_from_filename("go.mod")
    assert "go-mod" not in identify.tags_from_filename("go.sum")


def test_directive_fix_of_network_steps_only_needs_no_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gomod = write_gomod(tmp_path, gomod_text(require_sdk=False))
    before = gomod.read_text()
    # Nothing here can be repaired offline, so an unusable --go is never looked at.
    code, lines = run_directive(capsys, "--fix", "--go", str(tmp_path / "no-such-go"), str(gomod))
    assert (code, lines) == (
        1,
        [
            f"{gomod}: needs the network, not fixed (fix: run "
            f"`(cd {tmp_path.resolve()} && go get -tool {PACKER_TOOL}@latest)`)"
        ],
    )
    assert gomod.read_text() == before
