"""The README's main command, `./dev/example`, run for real: the example monorepo becomes a
wheel whose bundles install executable and are found by Airflow's released reader."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO

EXPECTED_DAGS = {
    "etl": {"acme_nightly_etl": ["extract", "transform", "load"]},
    "acme-reports": {
        "acme_kpi_refresh": ["refresh"],
        "acme_weekly_report": ["collect", "render", "mail"],
    },
}


@pytest.fixture(scope="module")
def example_run() -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(REPO / "dev" / "example")], cwd=REPO, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def example_wheel(example_run: subprocess.CompletedProcess[str]) -> Path:
    (wheel,) = (REPO / "dist" / "example").glob("*.whl")
    return wheel


def test_main_command_shows_tag_bundles_and_dags(
    example_run: subprocess.CompletedProcess[str], example_wheel: Path
) -> None:
    from hatch_airflow_go.build.wheeltag import platform_tag
    from hatch_airflow_go.golang.toolchain import find_go

    toolchain = find_go()
    platform = platform_tag(toolchain.host_goos, toolchain.host_goarch, cgo=False)
    tag = f"py3-none-{platform}"
    assert example_wheel.name == f"acme_dags-1.0.0-{tag}.whl"
    out = example_run.stdout
    assert f"tags: py3-none-{platform.split('.')[0]}" in out
    for name, dags in EXPECTED_DAGS.items():
        member = f"acme_dags-1.0.0.data/data/share/airflow/executable-bundles/acme-dags/{name}"
        assert f"bundle {member}" in out
        for dag_id, tasks in dags.items():
            assert f"dag {dag_id}: {', '.join(tasks)}" in out
    assert out.count(", ok\n") == 2
    assert "FAILED" not in out


@pytest.mark.interop
def test_installed_bundles_are_executable_and_found_by_airflow(
    example_wheel: Path, tmp_path: Path
) -> None:
    from tests.airflow_reader import find_dag

    prefix = tmp_path / "prefix"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "--prefix",
            str(prefix),
            str(example_wheel),
        ],
        check=True,
    )
    data = Path(sysconfig.get_path("data", vars={"base": str(prefix), "platbase": str(prefix)}))
    root = data / "share" / "airflow" / "executable-bundles"
    assert [p.name for p in root.iterdir()] == ["acme-dags"]  # the distribution's own folder
    assert sorted(p.name for p in (root / "acme-dags").iterdir()) == sorted(EXPECTED_DAGS)
    for name, dags in EXPECTED_DAGS.items():
        bundle = root / "acme-dags" / name
        assert bundle.stat().st_mode & stat.S_IXUSR, f"{bundle} lost its executable bit"
        assert os.access(bundle, os.X_OK)
        for dag_id in dags:
            assert find_dag([root], dag_id) == bundle
