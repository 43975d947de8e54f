"""Never ship what Airflow will skip: an SDK that reports no supervisor_schema_version.

tests/gobundles/gen2 answers only ``--dump-bundle-spec``, which names no schema version, so
Airflow's released reader (it needs ``sdk.supervisor_schema_version == "2026-06-16"``) would
skip the bundle. The real CLI and a real hook build refuse it by default, and pack it when
the version is given explicitly; what they then write verifies and is found by the reader.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import parse_embedded
from tests.conftest import GOBUNDLES

from .plugin_support import build, build_env, copy_project, only
from .test_plugin_build import bundle_from_wheel

GEN2_MAIN = (GOBUNDLES / "gen2" / "main.go").read_text(encoding="utf-8")
REFUSAL = (
    "the SDK reports no supervisor_schema_version (it answers only --dump-bundle-spec), so "
    "Airflow's reader will skip this bundle (fix: upgrade the Airflow Go SDK to one that "
    "answers --airflow-metadata (it reports the version itself), or set it explicitly with "
    'the hook setting supervisor-schema-version = "2026-06-16" (or '
    "AIRFLOW_GO_SUPERVISOR_SCHEMA_VERSION), or pack --supervisor-schema-version 2026-06-16)"
)


def cli(*args: str, cwd: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW_GO_")}
    env.update(AIRFLOW_GO_CACHE_DIR=str(cache), GOFLAGS="-mod=mod")
    return subprocess.run(
        [sys.executable, "-m", "hatch_airflow_go", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def schema_of(bundle: Path) -> object:
    manifest = parse_embedded(footer.read_regions(footer.read_bundle(bundle))[1], path=bundle)
    return manifest.sdk.supervisor_schema_version


def test_pack_refuses_an_sdk_without_a_schema_version(tmp_path: Path) -> None:
    out = tmp_path / "gen2"
    result = cli("pack", "./gen2", "--output", str(out), cwd=GOBUNDLES, cache=tmp_path / "c")
    assert result.returncode == 1
    # One progress line naming the Go that builds, then the one error.
    provenance, error = result.stderr.splitlines()
    assert provenance.startswith("building 1 bundle(s) (gen2) with go1.")
    assert error == f"hatch-airflow-go: error: {GOBUNDLES / 'gen2'}: bundle gen2: {REFUSAL}"
    assert not out.exists()
    # Refused builds are not cached: the next attempt is refused again.
    again = cli("pack", "./gen2", "--output", str(out), cwd=GOBUNDLES, cache=tmp_path / "c")
    assert again.returncode == 1
    assert REFUSAL in again.stderr


@pytest.fixture(scope="module")
def packed_gen2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("gen2-packed")
    out = folder / "bundles" / "gen2"
    result = cli(
        "pack",
        "./gen2",
        "--output",
        str(out),
        "--supervisor-schema-version",
        "2026-06-16",
        cwd=GOBUNDLES,
        cache=folder / "cache",
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    return out


def test_pack_with_the_schema_version_writes_it_and_verify_accepts_the_bundle(
    packed_gen2: Path, tmp_path: Path
) -> None:
    assert schema_of(packed_gen2) == "2026-06-16"
    verified = cli("verify", "--strict", str(packed_gen2), cwd=tmp_path, cache=tmp_path / "c")
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.interop
def test_airflow_released_reader_finds_the_packed_gen2_bundle(packed_gen2: Path) -> None:
    from .airflow_reader import find_dag, read_metadata

    metadata = read_metadata(packed_gen2)
    assert metadata is not None
    assert metadata["sdk"]["supervisor_schema_version"] == "2026-06-16"
    assert find_dag([packed_gen2.parent], "legacy_dag") == packed_gen2
    assert find_dag([packed_gen2.parent], "another_dag") == packed_gen2


# -- the hook ----------------------------------------------------------------------------------


def gen2_project(dest: Path, *, setting: str = "") -> Path:
    """tests/projects/single with the gen2 fixture program as its bundle."""
    project = copy_project("single", dest)
    (project / "cmd" / "hello" / "main.go").write_text(GEN2_MAIN, encoding="utf-8")
    if setting:
        pyproject = project / "pyproject.toml"
        table = "[tool.hatch.build.targets.wheel.hooks.airflow_go]\n"
        pyproject.write_text(pyproject.read_text().replace(table, table + setting + "\n"))
    return project


@pytest.mark.slow
def test_hook_build_refuses_the_gen2_bundle(tmp_path: Path) -> None:
    project = gen2_project(tmp_path / "p")
    result = build(project, env=build_env({"AIRFLOW_GO_CACHE_DIR": str(tmp_path / "c")}))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"[airflow_go] error: {project / 'cmd' / 'hello'}: bundle hello: {REFUSAL}" in output
    assert "Traceback" not in output
    assert not list(project.glob("dist/*.whl"))


@pytest.fixture(scope="module")
def gen2_wheel_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("gen2-hook")
    project = gen2_project(work / "p", setting='supervisor-schema-version = "2026-06-16"')
    result = build(project, env=build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "c")}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "will skip" not in result.stdout + result.stderr
    bundle = bundle_from_wheel(only(project / "dist", "*.whl"), "hello", work / "bundles")
    bundle.chmod(0o755)  # as pip installs it (the wheel's member is executable)
    return bundle


@pytest.mark.slow
def test_hook_build_with_the_setting_ships_a_bundle_verify_accepts(
    gen2_wheel_bundle: Path, tmp_path: Path
) -> None:
    assert schema_of(gen2_wheel_bundle) == "2026-06-16"
    verified = cli("verify", "--strict", str(gen2_wheel_bundle), cwd=tmp_path, cache=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.slow
@pytest.mark.interop
def test_airflow_released_reader_finds_the_hook_built_gen2_bundle(gen2_wheel_bundle: Path) -> None:
    from .airflow_reader import find_dag

    assert find_dag([gen2_wheel_bundle.parent], "legacy_dag") == gen2_wheel_bundle
