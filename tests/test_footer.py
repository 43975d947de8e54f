"""The bundle container: golden bytes from the spec, the reader's checks, the atomic writer."""

from __future__ import annotations

import hashlib
import os
import stat
import struct
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from hatch_airflow_go.errors import (
    AirflowGoError,
    BundleError,
    NotABundleError,
    PackError,
    PathLike,
)
from hatch_airflow_go.format import footer, verify
from tests.conftest import GoBundleBuilder
from tests.vectors import WORKED_BINARY, WORKED_MANIFEST, WORKED_SOURCE

# Spec §1 "Worked example".
WORKED_TRAILER = bytes.fromhex(
    "1d000000250100000100000096c7430c"
    "731ca63dba7ef8f926d20b6f7c089b3e"
    "654bb62c410c2624612d922e00000000"
    "00000000000000004146424e444c3031"
)


def _write(path: Path, data: bytes, mode: int = 0o755) -> Path:
    path.write_bytes(data)
    path.chmod(mode)
    return path


def _leftovers(directory: Path) -> list[str]:
    """Temporary files the writer may have left beside its output."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def worked(tmp_path: Path) -> Path:
    """The spec's worked-example bundle, written by hand (not by write_bundle)."""
    return _write(
        tmp_path / "worked",
        WORKED_BINARY + WORKED_SOURCE + WORKED_MANIFEST + WORKED_TRAILER,
    )


def test_worked_example_inputs_match_the_spec() -> None:
    assert len(WORKED_BINARY) == 15
    assert len(WORKED_SOURCE) == 29
    assert len(WORKED_MANIFEST) == 293
    assert (
        hashlib.sha256(WORKED_MANIFEST).hexdigest()
        == "0bcebef3e8d0328e2b8cb58fd7647055db564ca82dca22cdb5952749e1dddd51"
    )


def test_trailer_encodes_the_worked_example_exactly() -> None:
    trailer = footer.Trailer(
        source_len=29, metadata_len=293, binary_sha256=hashlib.sha256(WORKED_BINARY).digest()
    )
    assert trailer.encode() == WORKED_TRAILER


def test_trailer_decodes_the_worked_example() -> None:
    trailer = footer.Trailer.decode(WORKED_TRAILER)
    assert trailer.source_len == 29
    assert trailer.metadata_len == 293
    assert trailer.footer_version == 1
    assert trailer.reserved == bytes(12)
    assert trailer.binary_sha256 == hashlib.sha256(WORKED_BINARY).digest()


def test_trailer_layout_is_the_documented_struct() -> None:
    fields = struct.unpack("<III32s12s8s", WORKED_TRAILER)
    assert fields[:3] == (29, 293, 1)
    assert fields[5] == footer.MAGIC == b"AFBNDL01"
    assert footer.TRAILER_SIZE == struct.calcsize("<III32s12s8s") == 64


def test_write_bundle_reproduces_the_worked_example_byte_for_byte(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    written = footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, tmp_path / "bundle")
    data = (tmp_path / "bundle").read_bytes()
    assert data == WORKED_BINARY + WORKED_SOURCE + WORKED_MANIFEST + WORKED_TRAILER
    assert written.size == len(data) == 401
    assert written.binary_size == 15
    assert written.source_len == 29
    assert written.metadata_len == 293
    assert written.binary_sha256 == WORKED_TRAILER[12:44]
    assert stat.S_IMODE((tmp_path / "bundle").stat().st_mode) == 0o755
    assert _leftovers(tmp_path) == []


def test_read_bundle_of_the_worked_example(worked: Path) -> None:
    info = footer.read_bundle(worked)
    assert info.size == 401
    assert info.binary_size == info.source_start == 15
    assert info.metadata_start == 44
    assert (
        info.binary_sha256_hex == "96c7430c731ca63dba7ef8f926d20b6f7c089b3e654bb62c410c2624612d922e"
    )
    assert footer.read_regions(info) == (WORKED_SOURCE, WORKED_MANIFEST)


def test_empty_source_region_is_allowed(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    footer.write_bundle(exe, b"", WORKED_MANIFEST, tmp_path / "bundle")
    info = footer.read_bundle(tmp_path / "bundle")
    assert info.source_len == 0
    assert footer.read_regions(info) == (b"", WORKED_MANIFEST)


def test_is_bundle(worked: Path, tmp_path: Path) -> None:
    assert footer.is_bundle(worked)
    assert not footer.is_bundle(_write(tmp_path / "plain", b"x" * 100))
    assert not footer.is_bundle(_write(tmp_path / "short", b"AFBNDL01"))
    assert not footer.is_bundle(tmp_path)
    assert not footer.is_bundle(tmp_path / "missing")


def test_scan_asks_is_bundle_which_files_carry_the_magic(
    tmp_path: Path, worked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One definition of "has the magic": scan consults footer.is_bundle for every file."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("a", "b"):
        _write(tree / name, worked.read_bytes())
    _write(tree / "plain", b"x" * 100)
    _write(tree / "short-with-magic", b"\x7fELF" + footer.MAGIC)
    (tree / "link").symlink_to(tree / "a")
    os.mkfifo(tree / "fifo")
    everything = sorted(p for p in tree.iterdir() if p.is_file())
    with_magic = [p for p in everything if footer.is_bundle(p)]
    assert [p.name for p in with_magic] == ["a", "b", "link"]

    report = verify.scan([tree])
    assert sorted(entry.path for entry in report.bundles) == with_magic
    assert report.rejected == []

    asked: list[str] = []
    real = footer.is_bundle

    def only_a(path: PathLike) -> bool:
        asked.append(os.fspath(path))
        return Path(path).name == "a" and real(path)

    monkeypatch.setattr(footer, "is_bundle", only_a)
    report = verify.scan([tree])
    assert [entry.path for entry in report.bundles] == [tree / "a"]
    assert sorted(Path(name).name for name in asked) == [p.name for p in everything]


def test_sha256_file_streams_across_chunks(tmp_path: Path) -> None:
    data = os.urandom(3 * footer.CHUNK_SIZE + 17)
    path = _write(tmp_path / "data", data)
    assert footer.sha256_file(path) == hashlib.sha256(data).digest()
    limit = footer.CHUNK_SIZE + 5
    assert footer.sha256_file(path, limit=limit) == hashlib.sha256(data[:limit]).digest()


def test_sha256_file_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(AirflowGoError, match="no such file") as caught:
        footer.sha256_file(tmp_path / "nope")
    assert caught.value.path == str(tmp_path / "nope")


def test_hashing_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """Reading a 48 MiB bundle allocates about one chunk, not the binary region."""
    big = tmp_path / "big"
    with big.open("wb") as handle:
        for _ in range(48):
            handle.write(os.urandom(footer.CHUNK_SIZE))
    out = tmp_path / "bundle"
    tracemalloc.start()
    try:
        footer.write_bundle(big, WORKED_SOURCE, WORKED_MANIFEST, out)
        footer.read_bundle(out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * footer.CHUNK_SIZE, f"peak Python allocation {peak} bytes"


def test_packed_go_binary_still_runs_and_answers_the_same(
    tmp_path: Path, gobundles: GoBundleBuilder
) -> None:
    binary = gobundles.path("gen3")
    flags = ["--airflow-metadata", "--format", "json"]
    plain = subprocess.run([binary, *flags], capture_output=True, check=True)
    out = tmp_path / "gen3-bundle"
    written = footer.write_bundle(binary, WORKED_SOURCE, WORKED_MANIFEST, out)
    assert written.binary_sha256 == hashlib.sha256(binary.read_bytes()).digest()
    packed = subprocess.run([out, *flags], capture_output=True, check=True)
    assert packed.stdout == plain.stdout
    info = footer.read_bundle(out)
    assert info.binary_size == binary.stat().st_size


def test_check_hash_false_skips_only_the_hash(worked: Path) -> None:
    data = bytearray(worked.read_bytes())
    data[3] ^= 0xFF
    worked.write_bytes(bytes(data))
    assert footer.read_bundle(worked, check_hash=False).binary_size == 15
    with pytest.raises(BundleError, match="binary SHA-256 mismatch"):
        footer.read_bundle(worked)


def test_hash_mismatch_message_names_file_and_fix(worked: Path) -> None:
    data = bytearray(worked.read_bytes())
    data[0] ^= 1
    worked.write_bytes(bytes(data))
    with pytest.raises(BundleError) as caught:
        footer.read_bundle(worked)
    text = str(caught.value)
    assert text.startswith(f"{worked}: binary SHA-256 mismatch")
    assert "(fix: rebuild/repack the bundle; the binary was modified after packing" in text
    assert "UPX is unsupported" in text


def test_draft_trailer_is_recognised(tmp_path: Path) -> None:
    draft = struct.pack(
        "<III12s8s", len(WORKED_SOURCE), len(WORKED_MANIFEST), 1, bytes(12), b"AFBNDL01"
    )
    path = _write(tmp_path / "draft", WORKED_BINARY + WORKED_SOURCE + WORKED_MANIFEST + draft)
    with pytest.raises(BundleError, match="32-byte draft trailer") as caught:
        footer.read_bundle(path)
    assert not isinstance(caught.value, NotABundleError)
    assert "repack" in (caught.value.fix or "")


def test_not_a_bundle_is_its_own_class(tmp_path: Path) -> None:
    with pytest.raises(NotABundleError, match="smaller than the 64-byte trailer"):
        footer.read_bundle(_write(tmp_path / "tiny", b"0123456789"))
    with pytest.raises(NotABundleError, match="AFBNDL01 trailer magic"):
        footer.read_bundle(_write(tmp_path / "plain", b"x" * 200))


# --- writer ------------------------------------------------------------------------------


def test_write_replaces_an_existing_output(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    out = _write(tmp_path / "bundle", b"old contents", 0o644)
    footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, out)
    assert out.read_bytes().endswith(WORKED_TRAILER)
    assert stat.S_IMODE(out.stat().st_mode) == 0o755


def test_write_creates_the_output_directory(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    out = tmp_path / "dist" / "bundles" / "etl"
    footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, out)
    assert footer.read_bundle(out).size == 401


def test_write_refuses_an_output_directory_before_writing(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    target = tmp_path / "dir"
    target.mkdir()
    with pytest.raises(PackError, match="the output is an existing directory"):
        footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, target)
    assert list(target.iterdir()) == []
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("how", ["same-path", "dotted-path", "hardlink", "symlink"])
def test_write_refuses_output_that_is_the_executable(tmp_path: Path, how: str) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    if how == "same-path":
        out = exe
    elif how == "dotted-path":
        out = tmp_path / "." / "sub" / ".." / "exe"
        (tmp_path / "sub").mkdir()
    elif how == "hardlink":
        out = tmp_path / "hard"
        os.link(exe, out)
    else:
        out = tmp_path / "soft"
        out.symlink_to(exe)
    with pytest.raises(PackError, match="same file as the input"):
        footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, out)
    assert exe.read_bytes() == WORKED_BINARY
    assert _leftovers(tmp_path) == []


def test_write_refuses_output_that_is_an_extra_input(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    source = _write(tmp_path / "main.go", WORKED_SOURCE, 0o644)
    with pytest.raises(PackError, match=r"same file as the input .*main\.go"):
        footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, source, extra_inputs=[source])
    assert source.read_bytes() == WORKED_SOURCE


class _Sized(bytes):
    """Claims a length past the format's limit without allocating it."""

    def __len__(self) -> int:
        return footer.MAX_REGION_SIZE + 1


@pytest.mark.parametrize("region", ["source", "manifest"])
def test_write_refuses_a_region_over_4_gib(tmp_path: Path, region: str) -> None:
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    huge = _Sized(b"x")
    source = huge if region == "source" else WORKED_SOURCE
    manifest = huge if region == "manifest" else WORKED_MANIFEST
    with pytest.raises(PackError, match=f"the {region} region is 4294967296 bytes"):
        footer.write_bundle(exe, source, manifest, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert _leftovers(tmp_path) == []


def test_trailer_refuses_lengths_past_uint32() -> None:
    with pytest.raises(PackError, match="unsigned 32-bit"):
        footer.Trailer(footer.MAX_REGION_SIZE + 1, 0, bytes(32)).encode()
    assert footer.Trailer(footer.MAX_REGION_SIZE, 0, bytes(32)).encode()[:4] == b"\xff" * 4


def _sparse_bundle(path: Path, binary: bytes, hole: int, source_len: int) -> Path:
    """``binary`` + a ``hole``-byte sparse gap + the worked manifest + a trailer.

    The trailer claims a ``source_len``-byte source region; the gap costs no disk blocks,
    so a file past 4 GiB takes a few kilobytes. Skips when the filesystem stores the gap.
    """
    trailer = footer.Trailer(
        source_len=source_len,
        metadata_len=len(WORKED_MANIFEST),
        binary_sha256=hashlib.sha256(binary).digest(),
    ).encode()
    with path.open("wb") as handle:
        handle.write(binary)
        handle.seek(len(binary) + hole)
        handle.write(WORKED_MANIFEST + trailer)
    path.chmod(0o755)
    if path.stat().st_blocks * 512 > 1 << 24:
        path.unlink()
        pytest.skip(f"the filesystem under {path.parent} does not store sparse files sparsely")
    return path


def test_reader_accepts_a_region_at_the_limit_in_a_sparse_file(tmp_path: Path) -> None:
    """A 4 GiB - 1 source region (the trailer's largest) in a file past 4 GiB reads back.

    Offsets beyond 32 bits must be computed right: the binary hash covers exactly the
    15-byte executable and the manifest is found where the trailer says it is.
    """
    limit = footer.MAX_REGION_SIZE
    bundle = _sparse_bundle(tmp_path / "huge", WORKED_BINARY, limit, limit)
    info = footer.read_bundle(bundle)
    assert info.size == len(WORKED_BINARY) + limit + len(WORKED_MANIFEST) + 64 > 1 << 32
    assert info.source_len == limit
    assert info.binary_size == info.source_start == len(WORKED_BINARY)
    assert info.metadata_start == len(WORKED_BINARY) + limit
    with bundle.open("rb") as handle:
        handle.seek(info.metadata_start)
        assert handle.read(info.metadata_len) == WORKED_MANIFEST


@pytest.mark.parametrize(
    ("binary", "hole", "problem"),
    [
        (b"", footer.MAX_REGION_SIZE, "empty binary region"),
        (b"", footer.MAX_REGION_SIZE - 1, "regions larger than file: source 4294967295"),
    ],
    ids=["no-binary-left", "one-byte-short"],
)
def test_reader_refuses_a_region_at_the_limit_that_leaves_no_binary(
    tmp_path: Path, binary: bytes, hole: int, problem: str
) -> None:
    """At 4 GiB the region arithmetic still finds an empty or negative binary region."""
    bundle = _sparse_bundle(tmp_path / "huge", binary, hole, footer.MAX_REGION_SIZE)
    with pytest.raises(BundleError, match=problem) as caught:
        footer.read_bundle(bundle)
    assert not isinstance(caught.value, NotABundleError)
    assert caught.value.path == str(bundle)


def test_write_refuses_an_empty_executable(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", b"")
    with pytest.raises(PackError, match="the executable is empty"):
        footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert _leftovers(tmp_path) == []


def test_write_refuses_a_missing_executable(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="no such file"):
        footer.write_bundle(tmp_path / "nope", WORKED_SOURCE, WORKED_MANIFEST, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def _fail_after(limit: int, exc: BaseException) -> Callable[[int, memoryview], None]:
    """A replacement for the writer's low-level write that gives up after ``limit`` bytes."""
    real = footer._write_all
    state = {"written": 0}

    def write_all(fd: int, data: memoryview) -> None:
        room = limit - state["written"]
        if room <= 0:
            raise exc
        part = data[:room]
        real(fd, part)
        state["written"] += len(part)
        if len(part) < len(data):
            raise exc

    return write_all


@pytest.mark.parametrize(
    "exc",
    [OSError(28, "No space left on device"), KeyboardInterrupt()],
    ids=["disk-full", "interrupted"],
)
@pytest.mark.parametrize("had_output", [True, False], ids=["old-output", "no-output"])
def test_failed_write_leaves_old_output_or_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, had_output: bool
) -> None:
    exe = _write(tmp_path / "exe", os.urandom(3 * footer.CHUNK_SIZE + 100))
    out = tmp_path / "bundle"
    if had_output:
        _write(out, b"the previous bundle")
    monkeypatch.setattr(footer, "_write_all", _fail_after(footer.CHUNK_SIZE + 4096, exc))
    expected: type[BaseException] = PackError if isinstance(exc, OSError) else KeyboardInterrupt
    with pytest.raises(expected) as caught:
        footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, out)
    if isinstance(exc, OSError):
        assert "disk is full" in str(caught.value)
        assert "old output is untouched" in str(caught.value)
    if had_output:
        assert out.read_bytes() == b"the previous bundle"
    else:
        assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["bundle", "exe"] if had_output else ["exe"]
    )


def test_no_temporary_name_appears_beside_the_output_while_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundle is written to an unnamed file (O_TMPFILE): a kill at any moment of the
    write leaves nothing, since the kernel frees the file with the process."""
    if not (hasattr(os, "O_TMPFILE") and Path("/proc/self/fd").is_dir()):
        pytest.skip("no O_TMPFILE here: the named fallback is tested below")
    exe = _write(tmp_path / "exe", os.urandom(3 * footer.CHUNK_SIZE + 100))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    seen: list[list[str]] = []
    real = footer._write_all

    def write_all(fd: int, data: memoryview) -> None:
        seen.append(sorted(p.name for p in out_dir.iterdir()))
        real(fd, data)

    monkeypatch.setattr(footer, "_write_all", write_all)
    footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, out_dir / "bundle")
    assert len(seen) > 3
    assert all(names == [] for names in seen), seen
    assert sorted(p.name for p in out_dir.iterdir()) == ["bundle"]
    footer.read_bundle(out_dir / "bundle")  # complete: the trailer and the hash check out


def test_without_unnamed_files_the_temporary_file_carries_its_owner_and_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hatch_airflow_go import tempfiles

    monkeypatch.setattr(tempfiles, "_unnamed_files_work", lambda: False)
    exe = _write(tmp_path / "exe", os.urandom(3 * footer.CHUNK_SIZE + 100))
    out = tmp_path / "bundle"
    names: list[str] = []
    real = footer._write_all

    def write_all(fd: int, data: memoryview) -> None:
        names.extend(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp"))
        real(fd, data)

    monkeypatch.setattr(footer, "_write_all", _fail_after(footer.CHUNK_SIZE, KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, out)
    assert _leftovers(tmp_path) == []
    monkeypatch.setattr(footer, "_write_all", write_all)
    footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, out)
    assert names, "no named temporary file was used"
    assert all(
        name.startswith(f".bundle.{tempfiles.owner_tag()}-") and name.endswith(".tmp")
        for name in names
    ), names
    assert _leftovers(tmp_path) == []
    assert tempfiles.tracked() == []


def test_the_next_write_removes_a_temporary_file_a_killed_run_left(tmp_path: Path) -> None:
    from hatch_airflow_go import tempfiles

    pid, start, namespace = tempfiles.owner_tag().split("-")
    killed_run = tmp_path / f".bundle.{pid}-{int(start) + 1}-{namespace}-0badc0de.tmp"
    killed_run.write_bytes(b"half a bundle")
    not_ours = tmp_path / ".bundle.abc123_x.tmp"
    not_ours.write_bytes(b"someone else's")
    exe = _write(tmp_path / "exe", WORKED_BINARY)
    footer.write_bundle(exe, WORKED_SOURCE, WORKED_MANIFEST, tmp_path / "bundle")
    assert not killed_run.exists()
    assert _leftovers(tmp_path) == [not_ours.name]


# A writer whose every 1 MiB chunk takes 50 ms, so that the test can kill it mid-write.
_SLOW_WRITER = """
import sys, time
from hatch_airflow_go.format import footer
real = footer._write_all
def slow(fd, data):
    time.sleep(0.05)
    real(fd, data)
footer._write_all = slow
footer.write_bundle(sys.argv[1], b"src", b"manifest", sys.argv[2])
"""


def _writing_into(pid: int, directory: Path) -> bool:
    """Whether process ``pid`` has a file open in ``directory`` (named or unnamed)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        targets = [os.readlink(fd) for fd in fds.iterdir()]
    except OSError:
        return False
    return any(target.startswith(f"{directory}/") for target in targets)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc/PID/fd")
def test_a_writer_killed_with_sigkill_leaves_no_temporary_file(tmp_path: Path) -> None:
    exe = _write(tmp_path / "exe", os.urandom(8 * footer.CHUNK_SIZE))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    _write(out_dir / "bundle", b"the previous bundle")
    writer = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(exe), str(out_dir / "bundle")]
    )
    try:
        deadline = time.monotonic() + 20
        while not _writing_into(writer.pid, out_dir):
            assert writer.poll() is None, "the writer ended before it was caught writing"
            assert time.monotonic() < deadline, "the writer never started writing"
            time.sleep(0.002)
        time.sleep(0.1)  # well inside the ~0.4 s the write takes
        writer.kill()
    finally:
        writer.wait()
    assert writer.returncode == -9
    assert sorted(p.name for p in out_dir.iterdir()) == ["bundle"]
    assert (out_dir / "bundle").read_bytes() == b"the previous bundle"
