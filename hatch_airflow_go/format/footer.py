"""The bundle container: the 64-byte trailer, the reader and the atomic writer.

A bundle is a native executable with three regions appended (source, manifest, trailer).
This module knows only bytes and files: it never runs a subprocess and never parses YAML.
The reader applies upstream's checks in upstream's order, plus the two that Airflow's
released Python reader adds (non-zero reserved bytes) and one of our own (recognising the
older 32-byte draft trailer so the user is told to repack instead of "unknown version").
Hashing streams in 1 MiB chunks, so memory stays constant whatever the binary's size.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hatch_airflow_go import tempfiles
from hatch_airflow_go.errors import (
    AirflowGoError,
    BundleError,
    NotABundleError,
    PackError,
    PathLike,
)

MAGIC = b"AFBNDL01"
TRAILER_SIZE = 64
DRAFT_TRAILER_SIZE = 32
FOOTER_VERSION = 1
MAX_REGION_SIZE = 0xFFFFFFFF
CHUNK_SIZE = 1 << 20

_TRAILER = struct.Struct("<III32s12s8s")
# The draft layout: source_len, metadata_len, footer_ver, 12 reserved bytes, magic; no hash.
_DRAFT_TRAILER = struct.Struct("<III12s8s")

FIX_REPACK = "repack the bundle with `hatch-airflow-go pack` (or `go tool airflow-go-pack`)"
FIX_HASH = (
    "rebuild/repack the bundle; the binary was modified after packing "
    "(strip/sign before packing, never after; UPX is unsupported)"
)
FIX_TRUNCATED = (
    "the file is truncated or its trailer is damaged; copy the bundle again or repack it"
)
FIX_NOT_A_BUNDLE = (
    "pack the executable into a bundle with `hatch-airflow-go pack` "
    "(a plain `go build` output has no bundle trailer)"
)


@dataclass(frozen=True)
class Trailer:
    """The fixed 64-byte record at the end of every bundle (footer version 1)."""

    source_len: int
    metadata_len: int
    binary_sha256: bytes
    footer_version: int = FOOTER_VERSION
    reserved: bytes = bytes(12)

    def encode(self) -> bytes:
        """The 64 trailer bytes, little-endian, magic last."""
        for name, value in (
            ("source", self.source_len),
            ("manifest", self.metadata_len),
            ("footer version", self.footer_version),
        ):
            if not 0 <= value <= MAX_REGION_SIZE:
                raise PackError(
                    f"the {name} field ({value}) does not fit the trailer's unsigned 32-bit field",
                    fix=f"keep every region at or below {MAX_REGION_SIZE} bytes",
                )
        if len(self.binary_sha256) != 32:
            raise PackError(
                f"binary_sha256 must be 32 raw bytes, got {len(self.binary_sha256)}",
                fix="pass hashlib.sha256(...).digest(), not the hex text",
            )
        if len(self.reserved) != 12:
            raise PackError(
                f"the reserved field must be 12 bytes, got {len(self.reserved)}",
                fix="leave `reserved` at its default (12 zero bytes)",
            )
        return _TRAILER.pack(
            self.source_len,
            self.metadata_len,
            self.footer_version,
            self.binary_sha256,
            self.reserved,
            MAGIC,
        )

    @classmethod
    def decode(cls, data: bytes, *, path: Optional[PathLike] = None) -> Trailer:
        """Parse 64 trailer bytes; no semantic checks beyond size and magic."""
        if len(data) != TRAILER_SIZE:
            raise BundleError(
                f"a bundle trailer is {TRAILER_SIZE} bytes, got {len(data)}",
                path=path,
                fix=FIX_TRUNCATED,
            )
        source_len, metadata_len, version, digest, reserved, magic = _TRAILER.unpack(data)
        if magic != MAGIC:
            raise NotABundleError(
                "not a bundle: the file does not end with the AFBNDL01 trailer magic",
                path=path,
                fix=FIX_NOT_A_BUNDLE,
            )
        return cls(
            source_len=source_len,
            metadata_len=metadata_len,
            binary_sha256=digest,
            footer_version=version,
            reserved=reserved,
        )


@dataclass(frozen=True)
class BundleInfo:
    """What the trailer says about one bundle file, with the region offsets it implies."""

    path: Path
    size: int
    trailer: Trailer
    binary_size: int
    source_start: int
    metadata_start: int

    @property
    def binary_sha256_hex(self) -> str:
        return self.trailer.binary_sha256.hex()

    @property
    def source_len(self) -> int:
        return self.trailer.source_len

    @property
    def metadata_len(self) -> int:
        return self.trailer.metadata_len


@dataclass(frozen=True)
class WrittenBundle:
    """The facts about a bundle ``write_bundle`` has just produced."""

    path: Path
    size: int
    binary_size: int
    binary_sha256: bytes
    source_len: int
    metadata_len: int


def _open_regular(path: Path, error: type[AirflowGoError]) -> int:
    """Open ``path`` read-only, refusing anything that is not a regular file.

    ``O_NONBLOCK`` keeps a FIFO swapped in after the stat from blocking the open forever;
    it has no effect on regular files.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(
            "no such file", path=path, fix="check the path (build the bundle first if needed)"
        ) from None
    except OSError as exc:
        raise error(
            f"cannot read the file: {exc.strerror or exc}",
            path=path,
            fix="check the path and its permissions",
        ) from None
    if stat.S_ISDIR(st.st_mode):
        raise error(
            "is a directory, not a bundle file",
            path=path,
            fix="pass the bundle file itself (`hatch-airflow-go scan DIR` looks through a folder)",
        )
    if not stat.S_ISREG(st.st_mode):
        raise error(
            "not a regular file",
            path=path,
            fix="pass a bundle file (not a device, FIFO or socket)",
        )
    try:
        return os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise error(
            "cannot read the file: permission denied",
            path=path,
            fix="make it readable (chmod u+r) or run as a user who can read it",
        ) from None
    except OSError as exc:
        raise error(
            f"cannot read the file: {exc.strerror or exc}",
            path=path,
            fix="check the path and its permissions",
        ) from None


def _pread_exact(fd: int, length: int, offset: int, path: Path) -> bytes:
    """Read exactly ``length`` bytes at ``offset``, or fail naming the file."""
    chunks = []
    remaining = length
    while remaining > 0:
        chunk = os.pread(fd, min(remaining, 1 << 30), offset)
        if not chunk:
            raise BundleError(
                f"the file ended early (wanted {length} bytes from offset "
                f"{offset - length + remaining})",
                path=path,
                fix="the file changed while it was read; read it again once it is complete",
            )
        chunks.append(chunk)
        remaining -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _hash_fd(fd: int, length: Optional[int], path: Path) -> bytes:
    """SHA-256 of the first ``length`` bytes of ``fd`` (all of it when ``None``).

    One reusable 1 MiB buffer: memory does not grow with the file, and no chunk is copied
    again after the kernel fills it.
    """
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    offset = 0
    with os.fdopen(os.dup(fd), "rb", buffering=0) as stream:
        stream.seek(0)
        while length is None or offset < length:
            want = CHUNK_SIZE if length is None else min(CHUNK_SIZE, length - offset)
            got = stream.readinto(view[:want])
            if not got:
                if length is None:
                    break
                raise BundleError(
                    f"the file ended after {offset} bytes while hashing a "
                    f"{length}-byte binary region",
                    path=path,
                    fix="the file changed while it was read; read it again once it is complete",
                )
            digest.update(view[:got])
            offset += got
    return digest.digest()


def sha256_file(path: PathLike, *, limit: Optional[int] = None) -> bytes:
    """The raw SHA-256 of a file (or of its first ``limit`` bytes), streamed in 1 MiB chunks."""
    file_path = Path(path)
    fd = _open_regular(file_path, AirflowGoError)
    try:
        return _hash_fd(fd, limit, file_path)
    except OSError as exc:
        raise AirflowGoError(
            f"cannot read the file: {exc.strerror or exc}",
            path=file_path,
            fix="check the file and the disk it is on",
        ) from None
    finally:
        os.close(fd)


def _draft_trailer_fits(tail: bytes, size: int) -> bool:
    """Whether the last 32 bytes read as a consistent draft trailer (non-empty binary)."""
    if size < DRAFT_TRAILER_SIZE + 1 or len(tail) < DRAFT_TRAILER_SIZE:
        return False
    fields = _DRAFT_TRAILER.unpack(tail[-DRAFT_TRAILER_SIZE:])
    source_len: int = fields[0]
    metadata_len: int = fields[1]
    version: int = fields[2]
    reserved: bytes = fields[3]
    magic: bytes = fields[4]
    binary_size = size - DRAFT_TRAILER_SIZE - metadata_len - source_len
    return (
        magic == MAGIC and version == FOOTER_VERSION and reserved == bytes(12) and binary_size > 0
    )


def _draft_error(path: Path) -> BundleError:
    return BundleError(
        "32-byte draft trailer: packed by an early draft of the format, which has no binary hash; "
        "Airflow reads only the 64-byte trailer",
        path=path,
        fix=f"repack the bundle: {FIX_REPACK}",
    )


def _check_trailer(trailer: Trailer, size: int, path: Path) -> tuple[int, int]:
    """Upstream's structural checks, in its order; returns (source_start, metadata_start)."""
    if trailer.footer_version != FOOTER_VERSION:
        raise BundleError(
            f"unsupported footer version {trailer.footer_version} "
            f"(this reader, like Airflow's, knows only version {FOOTER_VERSION})",
            path=path,
            fix=f"{FIX_REPACK}, which writes footer version {FOOTER_VERSION}",
        )
    if trailer.reserved != bytes(12):
        raise BundleError(
            "non-zero reserved bytes in the trailer (bytes 44..55); Airflow's reader rejects it",
            path=path,
            fix=f"something wrote into the trailer after packing; {FIX_REPACK}",
        )
    metadata_start = size - TRAILER_SIZE - trailer.metadata_len
    source_start = metadata_start - trailer.source_len
    if source_start < 0:
        raise BundleError(
            f"regions larger than file: source {trailer.source_len} + manifest "
            f"{trailer.metadata_len} + trailer {TRAILER_SIZE} bytes exceed the file's {size} bytes",
            path=path,
            fix=FIX_TRUNCATED,
        )
    if source_start == 0:
        raise BundleError(
            "empty binary region: the trailer leaves no room for the executable",
            path=path,
            fix=f"pack a real executable: {FIX_REPACK}",
        )
    return source_start, metadata_start


def read_bundle(path: PathLike, *, check_hash: bool = True) -> BundleInfo:
    """Read and check a bundle's trailer (and, by default, its binary hash).

    Raises :class:`NotABundleError` when the file carries no trailer at all (smaller than
    64 bytes, or no magic), :class:`BundleError` for every other problem.
    """
    bundle = Path(path)
    fd = _open_regular(bundle, BundleError)
    try:
        size = os.fstat(fd).st_size
        if size < TRAILER_SIZE:
            tail = os.pread(fd, DRAFT_TRAILER_SIZE, max(0, size - DRAFT_TRAILER_SIZE))
            if _draft_trailer_fits(tail, size):
                raise NotABundleError(
                    _draft_error(bundle).problem, path=bundle, fix=f"{FIX_REPACK}"
                )
            raise NotABundleError(
                f"not a bundle: {size} bytes is smaller than the {TRAILER_SIZE}-byte trailer",
                path=bundle,
                fix=FIX_NOT_A_BUNDLE,
            )
        tail = _pread_exact(fd, TRAILER_SIZE, size - TRAILER_SIZE, bundle)
        trailer = Trailer.decode(tail, path=bundle)
        try:
            source_start, metadata_start = _check_trailer(trailer, size, bundle)
            if check_hash:
                actual = _hash_fd(fd, source_start, bundle)
                if actual != trailer.binary_sha256:
                    raise BundleError(
                        "binary SHA-256 mismatch: the trailer records "
                        f"{trailer.binary_sha256.hex()}, "
                        f"the binary region hashes to {actual.hex()}",
                        path=bundle,
                        fix=FIX_HASH,
                    )
        except BundleError:
            # Only once the 64-byte reading has failed can the draft layout be told apart.
            if _draft_trailer_fits(tail, size):
                raise _draft_error(bundle) from None
            raise
    except OSError as exc:
        raise BundleError(
            f"cannot read the file: {exc.strerror or exc}",
            path=bundle,
            fix="check the file and the disk it is on",
        ) from None
    finally:
        os.close(fd)
    return BundleInfo(
        path=bundle,
        size=size,
        trailer=trailer,
        binary_size=source_start,
        source_start=source_start,
        metadata_start=metadata_start,
    )


def read_regions(info: BundleInfo) -> tuple[bytes, bytes]:
    """The source and manifest bytes of a bundle read by :func:`read_bundle`."""
    fd = _open_regular(info.path, BundleError)
    try:
        if os.fstat(fd).st_size != info.size:
            raise BundleError(
                "the file changed size since its trailer was read",
                path=info.path,
                fix="read it again once whatever is writing it has finished",
            )
        source = _pread_exact(fd, info.source_len, info.source_start, info.path)
        manifest = _pread_exact(fd, info.metadata_len, info.metadata_start, info.path)
    except OSError as exc:
        raise BundleError(
            f"cannot read the file: {exc.strerror or exc}",
            path=info.path,
            fix="check the file and the disk it is on",
        ) from None
    finally:
        os.close(fd)
    return source, manifest


def is_bundle(path: PathLike) -> bool:
    """Cheap test: a regular file of at least 64 bytes whose last 8 bytes are the magic."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size < TRAILER_SIZE:
            return False
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return False
    try:
        return os.pread(fd, len(MAGIC), st.st_size - len(MAGIC)) == MAGIC
    except OSError:
        return False
    finally:
        os.close(fd)


def _same_file(a: Path, b: Path) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False  # one of them does not exist yet: they cannot be the same file


def check_output_path(output: PathLike, inputs: Sequence[PathLike]) -> None:
    """Refuse, before anything is built, an output that would destroy an input or a folder."""
    out = Path(output)
    if out.is_dir():
        raise PackError(
            "the output is an existing directory",
            path=out,
            fix=f"name a file inside it, e.g. {out / 'BUNDLE_NAME'}",
        )
    for item in inputs:
        source = Path(item)
        if _same_file(out, source):
            raise PackError(
                f"the output is the same file as the input {source}",
                path=out,
                fix="write the bundle to another path; packing in place would destroy the input",
            )


def _check_region_sizes(source: bytes, manifest: bytes, output: Path) -> None:
    for name, region in (("source", source), ("manifest", manifest)):
        if len(region) > MAX_REGION_SIZE:
            raise PackError(
                f"the {name} region is {len(region)} bytes, over the format's limit of "
                f"{MAX_REGION_SIZE} bytes",
                path=output,
                fix=f"shrink the {name}: a bundle region is at most 4 GiB - 1 bytes",
            )


def _write_all(fd: int, data: memoryview) -> None:
    """Write every byte of ``data`` (``os.write`` may write less than asked)."""
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _copy_and_hash(src: int, dst: int) -> tuple[bytes, int]:
    """Copy ``src`` to ``dst`` from the start, hashing the same bytes in the same pass."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    total = 0
    with os.fdopen(os.dup(src), "rb", buffering=0) as stream:
        while True:
            got = stream.readinto(view)
            if not got:
                break
            chunk = view[:got]
            digest.update(chunk)
            _write_all(dst, chunk)
            total += got
    return digest.digest(), total


def write_bundle(
    executable: PathLike,
    source: bytes,
    manifest: bytes,
    output: PathLike,
    *,
    extra_inputs: Sequence[PathLike] = (),
    durable: bool = True,
) -> WrittenBundle:
    """Pack ``executable`` + ``source`` + ``manifest`` + trailer into ``output``, atomically.

    ``durable=False`` skips the fsyncs, for a private scratch file that is copied or renamed
    on (the final file's durability is then the copier's business).

    The bundle is assembled in an unnamed file in ``output``'s folder (a named, tracked one
    where the system has no unnamed files; see :class:`tempfiles.AtomicFile`) and linked or
    renamed onto ``output`` only when complete and synced. ``output`` is either the old file
    or the new bundle, never a partial one, and no temporary file is left: not on a failure,
    not on a signal, and (on Linux) not even when the process is killed.
    """
    exe = Path(executable)
    out = Path(output)
    _check_region_sizes(source, manifest, out)
    check_output_path(out, [exe, *extra_inputs])
    src_fd = _open_regular(exe, PackError)
    try:
        directory = out.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            staged = tempfiles.AtomicFile(out, mode=0o755)
        except OSError as exc:
            raise PackError(
                f"cannot create a file in {directory}: {exc.strerror or exc}",
                path=out,
                fix="choose an output in a folder you can write to",
            ) from None
        try:
            with staged:
                digest, binary_size = _copy_and_hash(src_fd, staged.fd)
                if binary_size == 0:
                    raise PackError(
                        "the executable is empty",
                        path=exe,
                        fix="pack the output of a successful `go build`",
                    )
                trailer = Trailer(len(source), len(manifest), digest).encode()
                for region in (source, manifest, trailer):
                    _write_all(staged.fd, memoryview(region))
                staged.commit(durable=durable)
        except OSError as exc:
            space = " (the disk is full)" if exc.errno == errno.ENOSPC else ""
            raise PackError(
                f"writing the bundle failed: {exc.strerror or exc}{space}",
                path=out,
                fix="free space or fix permissions, then pack again (the old output is untouched)",
            ) from None
    finally:
        os.close(src_fd)
    size = binary_size + len(source) + len(manifest) + TRAILER_SIZE
    return WrittenBundle(
        path=out,
        size=size,
        binary_size=binary_size,
        binary_sha256=digest,
        source_len=len(source),
        metadata_len=len(manifest),
    )
