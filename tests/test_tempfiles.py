"""hatch_airflow_go.tempfiles: owner-tagged names, the sweep of what killed runs left,
tracked scratch folders and atomic files."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hatch_airflow_go import tempfiles

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists(), reason="owner tags are checked through /proc (Linux)"
)


def _own() -> tuple[int, int, int]:
    pid, start, namespace = (int(part) for part in tempfiles.owner_tag().split("-"))
    return pid, start, namespace


def _dead_tag() -> str:
    """The tag of a process that is gone: this pid with another start time (a reused pid)."""
    pid, start, namespace = _own()
    return f"{pid}-{start + 1}-{namespace}"


def _gone_pid_tag() -> str:
    """The tag of a process that has exited and been reaped."""
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    _pid, _start, namespace = _own()
    return f"{int(child.stdout)}-12345-{namespace}"


def test_owner_tag_names_this_process() -> None:
    pid, start, namespace = _own()
    assert pid == os.getpid()
    assert start > 0
    assert namespace == os.stat("/proc/self/ns/pid").st_ino


def test_sweep_removes_only_what_dead_owners_left_under_the_exact_pattern(tmp_path: Path) -> None:
    prefix, suffix = ".out.", ".tmp"
    stale_file = tmp_path / f"{prefix}{_dead_tag()}-0badc0de{suffix}"
    gone_file = tmp_path / f"{prefix}{_gone_pid_tag()}-0badc0de{suffix}"
    stale_dir = tmp_path / f"{prefix}{_dead_tag()}-0000beef{suffix}"
    live = tmp_path / f"{prefix}{tempfiles.owner_tag()}-12345678{suffix}"
    old_style = tmp_path / f"{prefix}k2j3h4g5{suffix}"  # mkstemp's name: not ours to judge
    wrong_suffix = tmp_path / f"{prefix}{_dead_tag()}-0badc0de.tmp2"
    wrong_random = tmp_path / f"{prefix}{_dead_tag()}-xyz{suffix}"
    other_prefix = tmp_path / f".other.{_dead_tag()}-0badc0de{suffix}"
    for path in (stale_file, gone_file, live, old_style, wrong_suffix, wrong_random, other_prefix):
        path.write_bytes(b"x")
    stale_dir.mkdir()
    (stale_dir / "inside").write_bytes(b"x")
    link = tmp_path / f"{prefix}{_dead_tag()}-11111111{suffix}"
    link.symlink_to(live)

    removed = tempfiles.sweep(tmp_path, prefix, suffix)

    assert sorted(removed) == sorted([stale_file, gone_file, stale_dir])
    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted(
        p.name for p in (live, old_style, wrong_suffix, wrong_random, other_prefix, link)
    )


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_sweep_leaves_another_users_files(tmp_path: Path) -> None:
    theirs = tmp_path / f".out.{_dead_tag()}-0badc0de.tmp"
    theirs.write_bytes(b"x")
    os.chown(theirs, 65534, 65534)
    assert tempfiles.sweep(tmp_path, ".out.", ".tmp") == []
    assert theirs.exists()


def test_entries_from_another_pid_namespace_wait_an_hour(tmp_path: Path) -> None:
    pid, start, namespace = _own()
    young = tmp_path / f".out.{pid}-{start}-{namespace + 1}-00000001.tmp"
    old = tmp_path / f".out.{pid}-{start}-{namespace + 1}-00000002.tmp"
    young.write_bytes(b"x")
    old.write_bytes(b"x")
    hours_ago = time.time() - tempfiles.FOREIGN_STALE_SECONDS - 60
    os.utime(old, (hours_ago, hours_ago))
    assert tempfiles.sweep(tmp_path, ".out.", ".tmp") == [old]
    assert young.exists()


def test_scratch_directory_is_tagged_tracked_and_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    stale = tmp_path / f"{tempfiles.SCRATCH_PREFIX}{_dead_tag()}-0badc0de"
    stale.mkdir()
    seen: list[Path] = []

    def fail_inside() -> None:
        with tempfiles.scratch_directory() as scratch:
            seen.append(scratch)
            assert scratch.parent == tmp_path
            assert scratch.name.startswith(f"{tempfiles.SCRATCH_PREFIX}{tempfiles.owner_tag()}-")
            assert scratch in tempfiles.tracked()
            assert not stale.exists(), "the stale folder of a dead run was not swept"
            (scratch / "file").write_bytes(b"x")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_inside()
    assert len(seen) == 1
    assert list(tmp_path.iterdir()) == []
    assert seen[0] not in tempfiles.tracked()


def test_remove_tracked_removes_what_a_stopped_run_still_had(tmp_path: Path) -> None:
    folder = tempfiles.make_directory(tmp_path, "x-")
    (folder / "sub").mkdir()
    (folder / "sub" / "file").write_bytes(b"x")
    assert folder in tempfiles.remove_tracked()
    assert list(tmp_path.iterdir()) == []
    assert tempfiles.tracked() == []


def test_atomic_file_replaces_the_target_in_one_step(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.write_bytes(b"old")
    with tempfiles.AtomicFile(target, mode=0o750) as staged:
        os.write(staged.fd, b"new")
        assert target.read_bytes() == b"old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
        staged.commit()
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
