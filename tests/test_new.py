"""``hatch-airflow-go new``: the scaffold is complete, consistent, and builds a wheel for real."""

from __future__ import annotations

import errno
import filecmp
import os
import shutil
import stat
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatch_airflow_go.build.config import load_settings
from hatch_airflow_go.cli import main
from hatch_airflow_go.golang.gomod import check_gomod, read_gomod
from hatch_airflow_go.plugin import SHARED_DATA_DIR

from .conftest import REPO, run_cli
from .plugin_support import build, build_env, checkout_wheelhouse, only
from .test_plugin_build import dags_of

SCAFFOLD_SDK = REPO / "hatch_airflow_go" / "scaffold" / "standin-sdk"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("new") / "acme-dags"
    result = run_cli("new", str(where), "--bundle", "nightly")
    assert result.returncode == 0, result.stderr
    assert f"Created {where}" in result.stdout
    return where


def test_scaffold_has_every_part(project: Path) -> None:
    for rel in (
        "pyproject.toml",
        "README.md",
        ".pre-commit-config.yaml",
        "src/acme_dags/__init__.py",
        "go/go.mod",
        "go/cmd/nightly/main.go",
        "go/third_party/airflow-standin-sdk/go.mod",
        "go/third_party/airflow-standin-sdk/sdk/registry.go",
    ):
        assert (project / rel).is_file(), rel
    readme = (project / "README.md").read_text()
    assert "Using the real Airflow Go SDK" in readme
    assert "replace" in readme
    hooks = (project / ".pre-commit-config.yaml").read_text()
    assert "id: check-go-tool-directive" in hooks
    assert "id: check-go-bundles" in hooks


def test_scaffold_go_mod_passes_the_tool_directive_check(project: Path) -> None:
    mod = read_gomod(project / "go" / "go.mod")
    assert check_gomod(mod) == []
    assert mod.go == "1.24"
    assert any(r.old.path == "example.com/airflow-standin-sdk" for r in mod.replaces)


def test_scaffold_pyproject_configures_the_hook(project: Path) -> None:
    settings = load_settings(project / "pyproject.toml", {})
    assert settings.module_dir == (project / "go").resolve()
    assert [b.package for b in settings.bundles] == ["./cmd/nightly"]


def test_scaffold_copies_the_shipped_standin_sdk(project: Path) -> None:
    shipped = sorted(p.relative_to(SCAFFOLD_SDK) for p in SCAFFOLD_SDK.rglob("*") if p.is_file())
    copy = project / "go" / "third_party" / "airflow-standin-sdk"
    copied = sorted(p.relative_to(copy) for p in copy.rglob("*") if p.is_file())
    assert copied == shipped
    assert Path("README.md") in shipped
    for rel in shipped:
        assert filecmp.cmp(SCAFFOLD_SDK / rel, copy / rel, shallow=False), rel


@pytest.mark.slow
def test_scaffold_builds_a_wheel_with_its_bundle_in_isolation(
    project: Path, tmp_path: Path
) -> None:
    wheelhouse = checkout_wheelhouse(tmp_path / "wheelhouse")
    # `new` copies the stand-in SDK from the installed package: the wheel must carry it whole.
    with zipfile.ZipFile(only(wheelhouse, "hatch_airflow_go-*.whl")) as ours:
        shipped = {name for name in ours.namelist() if "/scaffold/standin-sdk/" in name}
    expected = {
        f"hatch_airflow_go/scaffold/standin-sdk/{p.relative_to(SCAFFOLD_SDK).as_posix()}"
        for p in SCAFFOLD_SDK.rglob("*")
        if p.is_file()
    }
    assert shipped == expected
    env = build_env(
        {"PIP_FIND_LINKS": str(wheelhouse), "AIRFLOW_GO_CACHE_DIR": str(tmp_path / "cache")}
    )
    # sdist first, then the wheel from the unpacked sdist, as pip installs from PyPI: the
    # stand-in SDK travels inside go/.
    result = build(project, kind="both", outdir=tmp_path / "dist", isolated=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sdist carries the" in result.stdout + result.stderr
    only(tmp_path / "dist", "*.tar.gz")
    wheel = only(tmp_path / "dist", "*.whl")
    member = f"acme_dags-0.1.0.data/data/{SHARED_DATA_DIR}/acme-dags/nightly"
    with zipfile.ZipFile(wheel) as archive:
        (tmp_path / "nightly").write_bytes(archive.read(member))
    assert dags_of(tmp_path / "nightly") == {"acme_dags_nightly": ["extract", "load"]}


def test_refuses_a_non_empty_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    assert main(["new", str(tmp_path / "taken")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'taken'}: already exists and is not empty (it holds file)" in err
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["file"]


def test_refuses_a_target_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    result = run_cli("new", str(tmp_path / "taken"))
    assert result.returncode == 2
    assert f"{tmp_path / 'taken'}: already exists and is not a directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "taken").read_text() == "x"


def test_a_file_in_the_parent_path_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run_cli("new", str(tmp_path / "file" / "sub" / "proj"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'file' / 'sub'}: cannot create the project in this folder" in result.stderr
    assert f"{tmp_path / 'file'} is a file, not a folder" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def _writable(folder: Path) -> bool:
    probe = folder / ".probe"
    try:
        probe.write_text("x")
    except OSError:
        return False
    probe.unlink()
    return True


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder nobody can create files in: mode 0555, or (for root, whom modes do not stop)
    the immutable attribute."""
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    immutable = False
    if _writable(folder) and shutil.which("chattr"):
        done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
        immutable = done.returncode == 0
    try:
        if _writable(folder):
            pytest.skip(
                "cannot make a folder read-only here: running as root and chattr +i is "
                "not supported by this filesystem"
            )
        yield folder
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(stat.S_IRWXU)


def test_unwritable_parent_folder_is_an_error_naming_it(read_only_folder: Path) -> None:
    result = run_cli("new", str(read_only_folder / "proj"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    # root passes mode checks, so its folder is immutable instead (EPERM, not EACCES)
    reason = os.strerror(errno.EPERM if os.geteuid() == 0 else errno.EACCES)
    assert (
        f"{read_only_folder}: cannot create the project in this folder: {reason}" in result.stderr
    )
    assert "choose a folder you can write to" in result.stderr
    assert list(read_only_folder.iterdir()) == []


def test_unwritable_parent_folder_in_process(
    read_only_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", str(read_only_folder / "proj")]) == 1
    assert f"{read_only_folder}: cannot create the project" in capsys.readouterr().err


def test_refuses_a_bad_bundle_name_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["new", str(tmp_path / "p"), "--bundle", "Bad Name"]) == 2
    assert "is not a valid bundle name" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_fills_an_existing_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["new", str(tmp_path / "empty"), "--name", "my-dags"]) == 0
    assert (tmp_path / "empty" / "src" / "my_dags" / "__init__.py").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_new_folder_gets_the_users_umask_not_a_private_mode(tmp_path: Path) -> None:
    import os
    import stat

    from hatch_airflow_go.commands.new import scaffold

    old = os.umask(0o022)
    try:
        scaffold(tmp_path / "p", name="p", bundle="b", module="example.com/p")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "p").stat().st_mode) == 0o755


@pytest.mark.parametrize("module", ["bad module path", "example.com//x", ".hidden/x", "x/"])
def test_new_refuses_a_module_path_go_cannot_parse(tmp_path: Path, module: str) -> None:
    result = run_cli("new", str(tmp_path / "p"), "--module", module)
    assert result.returncode == 2, result.stderr
    assert f"{module!r} is not a Go module path go.mod accepts" in result.stderr
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize(
    "repo", ["/work/hatch-airflow-go", "https://example.com/h.git", "/tmp/a b", "/x/#y", "/x/a: b"]
)
def test_hooks_repo_stays_one_yaml_string(repo: str) -> None:
    """The pre-commit config names the checkout it came from: any folder name must survive."""
    import yaml

    from hatch_airflow_go.scaffold import _yaml_scalar

    assert yaml.safe_load(f"repo: {_yaml_scalar(repo)}\n") == {"repo": repo}
