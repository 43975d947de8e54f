"""The README's "Running a bundle the way Airflow does" commands, run exactly as printed."""

from __future__ import annotations

import subprocess

import pytest

from tests.airflow_reader import coordinator
from tests.conftest import REPO

START, END = "<!-- run-task:start -->", "<!-- run-task:end -->"


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index(START) + len(START) : text.index(END)]
    return [line for line in block.splitlines() if line and not line.startswith("```")]


def run(command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command], cwd=REPO, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def commands() -> list[str]:
    found = readme_commands()
    assert len(found) == 5, found
    (REPO / "build").mkdir(exist_ok=True)
    (REPO / "build" / "etl").unlink(missing_ok=True)
    return found


def test_pack_smoke_and_run_task_as_printed(commands: list[str]) -> None:
    pack, smoke, extract, transform, _released = commands
    packed = run(pack)
    assert packed.returncode == 0, packed.stderr
    assert "Wrote bundle" in packed.stdout + packed.stderr
    smoked = run(smoke)
    assert smoked.returncode == 0, smoked.stderr
    assert "answered TaskState removed" in smoked.stdout
    extracted = run(extract)
    assert extracted.returncode == 0, extracted.stdout + extracted.stderr
    assert "  <- VariableResult key='source' value='s3://acme/raw'" in extracted.stdout
    assert "xcom pushed: extract.rows = 42" in extracted.stdout
    transformed = run(transform)
    assert transformed.returncode == 0, transformed.stdout + transformed.stderr
    assert "xcom pushed: transform.clean_rows = 40" in transformed.stdout
    assert transformed.stdout.splitlines()[-1].startswith("state: success (SucceedTask, exit 0")


@pytest.mark.interop
def test_run_task_under_the_released_supervisor_as_printed(commands: list[str]) -> None:
    coordinator()  # skips, saying why, where task-sdk is absent
    pack, *_rest, released = commands
    assert run(pack).returncode == 0
    result = run(released)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "under Airflow's ExecutableCoordinator (task-sdk)" in result.stdout
    assert "xcom pushed: extract.rows = 42" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("state: success (exit 0")
