"""Editable stamps are untrusted input: `scan` reads them bounded and never hangs on them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hatch_airflow_go.build import editable
from hatch_airflow_go.build.editable import go_inputs_digest, stale_editable_bundles
from hatch_airflow_go.stampdirs import STAMP_DIR


def module(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.24\n")
    (root / "main.go").write_text("package main\n\nfunc main() {}\n")
    return root


def stamp(folder: Path, record: object, name: str = "p") -> Path:
    (folder / STAMP_DIR).mkdir(parents=True, exist_ok=True)
    path = folder / STAMP_DIR / f"{name}.editable.json"
    path.write_text(json.dumps(record))
    return path


def scan(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hatch_airflow_go", "scan", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_stamp_naming_a_folder_without_go_mod_is_never_digested(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = stamp(tmp_path, {"module_dir": "/usr", "go_inputs": "x", "bundles": {}})
    digested: list[Path] = []

    def recording_digest(directory: Path) -> str:
        digested.append(directory)
        return ""

    monkeypatch.setattr(editable, "go_inputs_digest", recording_digest)
    [message] = stale_editable_bundles(tmp_path)
    assert message.startswith(f"{path}: the project's Go module /usr is gone")
    assert digested == []


def test_a_fifo_or_huge_stamp_is_unreadable_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / STAMP_DIR).mkdir()
    os.mkfifo(tmp_path / STAMP_DIR / "fifo.editable.json")
    (tmp_path / STAMP_DIR / "huge.editable.json").write_text(" " * (editable.MAX_STAMP + 1))
    (tmp_path / STAMP_DIR / "zero.editable.json").symlink_to("/dev/zero")
    result = scan(tmp_path)
    assert "Traceback" not in result.stderr
    for name in ("fifo", "huge", "zero"):
        assert f"{name}.editable.json: unreadable editable stamp" in result.stdout + result.stderr


def test_fifos_and_devices_named_like_go_files_are_skipped(tmp_path: Path) -> None:
    root = module(tmp_path / "m")
    before = go_inputs_digest(root)
    os.mkfifo(root / "pipe.go")
    (root / "zero.go").symlink_to("/dev/zero")
    assert go_inputs_digest(root) == before  # returned at all: nothing was opened


def test_too_many_inputs_is_one_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = module(tmp_path / "m")
    path = stamp(tmp_path / "bundles", {"module_dir": str(root), "go_inputs": "x"})
    monkeypatch.setattr(editable, "MAX_INPUT_FILES", 1)
    [message] = stale_editable_bundles(tmp_path / "bundles")
    assert message.startswith(f"{path}: {root}: more than 1 Go input files")


def test_a_changed_module_is_reported_stale(tmp_path: Path) -> None:
    root = module(tmp_path / "m")
    record = {"module_dir": str(root), "go_inputs": go_inputs_digest(root), "bundles": {"b": 1}}
    stamp(tmp_path / "bundles", record)
    assert stale_editable_bundles(tmp_path / "bundles") == []
    (root / "main.go").write_text("package main\n\nfunc main() { println() }\n")
    [message] = stale_editable_bundles(tmp_path / "bundles")
    assert "bundles b are stale" in message


def test_stamps_in_each_distributions_folder_are_found_from_the_shared_folder(
    tmp_path: Path,
) -> None:
    """The hook puts a distribution's bundles and stamp under ``<shared>/<dist>/``: scanning
    the shared folder (the executables_root) or the distribution's folder finds its stamp."""
    one, two = module(tmp_path / "one"), module(tmp_path / "two")
    shared = tmp_path / "executable-bundles"
    for name, root in (("one-dist", one), ("two-dist", two)):
        record = {"module_dir": str(root), "go_inputs": go_inputs_digest(root), "bundles": {}}
        stamp(shared / name, record, name=name)
    assert stale_editable_bundles(shared) == []
    (two / "main.go").write_text("package main\n\nfunc main() { println() }\n")
    [message] = stale_editable_bundles(shared)
    assert message.startswith(f"{shared / 'two-dist' / STAMP_DIR / 'two-dist.editable.json'}: ")
    assert "changed since the editable install" in message
    assert stale_editable_bundles(shared / "two-dist") == [message]
    assert stale_editable_bundles(shared / "one-dist") == []
