"""``hatch-airflow-go wheelhouse DIR``: the running package's own wheel, installable by pip.

Two sources: an editable install (this test run's .venv) builds from the checkout; an
ordinary install repacks its installed files, checked against their RECORD hashes first.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from hatch_airflow_go import __version__
from hatch_airflow_go.cli import main

from .conftest import run_cli
from .plugin_support import checkout_wheelhouse, make_venv, only, pip_install

WHEEL = f"hatch_airflow_go-{__version__}-py3-none-any.whl"
INSTALLER_FILES = ("INSTALLER", "REQUESTED", "direct_url.json")


def record_is_true(wheel: Path) -> None:
    """Every member is listed in RECORD with its real hash and size (and RECORD itself)."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (record_name,) = [n for n in names if n.endswith(".dist-info/RECORD")]
        rows = list(csv.reader(io.StringIO(archive.read(record_name).decode())))
        assert sorted(row[0] for row in rows) == sorted(names)
        for name, digest, size in rows:
            if name == record_name:
                assert (digest, size) == ("", "")
                continue
            data = archive.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            assert digest == f"sha256={expected.decode()}", name
            assert int(size) == len(data), name


def test_editable_install_builds_its_wheel_from_the_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["wheelhouse", str(tmp_path / "house" / "deep")]) == 0
    wheel = tmp_path / "house" / "deep" / WHEEL
    assert f"Wrote {wheel}" in capsys.readouterr().out
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(f"hatch_airflow_go-{__version__}.dist-info/METADATA").decode()
    assert "hatch_airflow_go/scaffold/standin-sdk/sdk/registry.go" in names
    assert "hatch_airflow_go/commands/wheelhouse.py" in names
    assert f"Version: {__version__}\n" in metadata
    record_is_true(wheel)


def test_a_folder_that_cannot_be_made_is_one_message(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = run_cli("wheelhouse", str(tmp_path / "file" / "house"))
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"hatch-airflow-go: error: {tmp_path / 'file' / 'house'}: cannot create the folder: "
    )
    assert "(fix: choose a folder you can write to)" in result.stderr
    assert "Traceback" not in result.stderr
    assert (tmp_path / "file").read_text() == "x"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A fresh venv with this checkout installed from its wheel (not editable)."""
    where = tmp_path_factory.mktemp("installed")
    original = only(checkout_wheelhouse(where / "built"), "hatch_airflow_go-*.whl")
    python = make_venv(where / "venv")
    pip_install(python, str(original))
    return python, original


@pytest.mark.slow
def test_an_installed_package_repacks_into_the_wheel_it_came_from(
    installed: tuple[Path, Path], tmp_path: Path
) -> None:
    python, original = installed
    result = subprocess.run(
        [str(python.parent / "hatch-airflow-go"), "wheelhouse", str(tmp_path / "house")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    repacked = tmp_path / "house" / original.name
    with zipfile.ZipFile(original) as a, zipfile.ZipFile(repacked) as b:
        assert sorted(a.namelist()) == sorted(b.namelist())
        for name in a.namelist():
            if not name.endswith("/RECORD"):
                assert a.read(name) == b.read(name), name
    assert not any(name.endswith(INSTALLER_FILES) for name in zipfile.ZipFile(repacked).namelist())
    record_is_true(repacked)
    # pip takes it as it takes the original.
    again = make_venv(tmp_path / "again")
    pip_install(again, str(repacked))
    assert (again.parent / "hatch-airflow-go").is_file()


@pytest.mark.slow
def test_a_changed_installed_file_is_refused(installed: tuple[Path, Path], tmp_path: Path) -> None:
    python, _ = installed
    site = subprocess.run(
        [str(python), "-c", "import hatch_airflow_go.log as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,  # not this checkout, whose own hatch_airflow_go `-c` would import
    ).stdout.strip()
    log_py = Path(site)
    assert log_py.is_relative_to(python.parent.parent), log_py
    text = log_py.read_text()
    log_py.write_text(text + "\n# edited after install\n")
    try:
        result = subprocess.run(
            [str(python.parent / "hatch-airflow-go"), "wheelhouse", str(tmp_path / "house")],
            capture_output=True,
            text=True,
        )
    finally:
        log_py.write_text(text)
    assert result.returncode == 1
    assert (
        f"{log_py}: installed file differs from what was installed (its RECORD hash) "
        "(fix: reinstall hatch-airflow-go"
    ) in result.stderr
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "house").iterdir()) == []
