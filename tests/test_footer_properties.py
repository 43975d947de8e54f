"""Property tests of the container codec: round trips, and no mutation escapes the error family."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hatch_airflow_go.errors import BundleError, NotABundleError
from hatch_airflow_go.format import footer

uint32 = st.integers(min_value=0, max_value=footer.MAX_REGION_SIZE)

trailers = st.builds(
    footer.Trailer,
    source_len=uint32,
    metadata_len=uint32,
    binary_sha256=st.binary(min_size=32, max_size=32),
    footer_version=uint32,
    reserved=st.binary(min_size=12, max_size=12),
)


@given(trailers)
def test_trailer_round_trip(trailer: footer.Trailer) -> None:
    data = trailer.encode()
    assert len(data) == footer.TRAILER_SIZE
    assert data.endswith(footer.MAGIC)
    assert footer.Trailer.decode(data) == trailer


@given(st.binary(min_size=64, max_size=64))
def test_any_64_bytes_decode_or_are_not_a_bundle(data: bytes) -> None:
    try:
        trailer = footer.Trailer.decode(data)
    except NotABundleError:
        assert data[-8:] != footer.MAGIC
    else:
        assert trailer.encode() == data


# Random 64-byte strings almost never end with the magic, so this strategy puts it there:
# every example takes the decode branch that the test above reaches only by chance.
magic_ended = st.binary(min_size=56, max_size=56).map(lambda head: head + footer.MAGIC)


@given(magic_ended)
def test_any_56_bytes_before_the_magic_decode_and_re_encode_exactly(data: bytes) -> None:
    trailer = footer.Trailer.decode(data)
    assert trailer.source_len == int.from_bytes(data[0:4], "little")
    assert trailer.metadata_len == int.from_bytes(data[4:8], "little")
    assert trailer.footer_version == int.from_bytes(data[8:12], "little")
    assert trailer.binary_sha256 == data[12:44]
    assert trailer.reserved == data[44:56]
    assert trailer.encode() == data


@given(st.binary(max_size=200).filter(lambda b: len(b) != 64))
def test_wrong_sized_trailer_is_a_bundle_error(data: bytes) -> None:
    with pytest.raises(BundleError, match="a bundle trailer is 64 bytes"):
        footer.Trailer.decode(data)


def _bundle(binary: bytes, source: bytes, manifest: bytes) -> bytes:
    digest = hashlib.sha256(binary).digest()
    return binary + source + manifest + footer.Trailer(len(source), len(manifest), digest).encode()


flip = st.tuples(st.just("flip"), st.integers(min_value=0), st.integers(1, 255))
truncate = st.tuples(st.just("truncate"), st.integers(min_value=0), st.just(0))
append = st.tuples(st.just("append"), st.binary(min_size=1, max_size=80), st.just(0))
overwrite = st.tuples(
    st.just("overwrite"), st.integers(min_value=0), st.binary(min_size=1, max_size=16)
)
mutations = st.lists(st.one_of(flip, truncate, append, overwrite), min_size=1, max_size=4)


def _mutate(data: bytes, steps: list[tuple[str, object, object]]) -> bytes:
    buffer = bytearray(data)
    for kind, first, second in steps:
        if kind == "flip" and buffer:
            assert isinstance(first, int)
            assert isinstance(second, int)
            buffer[first % len(buffer)] ^= second
        elif kind == "truncate":
            assert isinstance(first, int)
            del buffer[first % (len(buffer) + 1) :]
        elif kind == "append":
            assert isinstance(first, bytes)
            buffer += first
        elif kind == "overwrite" and buffer:
            assert isinstance(first, int)
            assert isinstance(second, bytes)
            at = first % len(buffer)
            buffer[at : at + len(second)] = second
    return bytes(buffer)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    binary=st.binary(min_size=1, max_size=300),
    source=st.binary(max_size=60),
    manifest=st.binary(max_size=120),
    steps=mutations,
)
def test_mutated_bundles_verify_or_fail_cleanly(
    binary: bytes, source: bytes, manifest: bytes, steps: list[tuple[str, object, object]]
) -> None:
    data = _mutate(_bundle(binary, source, manifest), steps)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "bundle"
        path.write_bytes(data)
        failure: Optional[BundleError] = None
        try:
            info = footer.read_bundle(path)
        except BundleError as error:
            failure = error
        if failure is not None:
            assert failure.path == str(path)
            assert failure.fix
            return
        # Whatever survived is a self-consistent bundle.
        assert info.size == len(data)
        assert hashlib.sha256(data[: info.source_start]).digest() == info.trailer.binary_sha256
        assert info.trailer.footer_version == footer.FOOTER_VERSION
        assert info.trailer.reserved == bytes(12)
        src, meta = footer.read_regions(info)
        assert data == data[: info.source_start] + src + meta + info.trailer.encode()


@settings(max_examples=100)
@given(
    binary=st.binary(min_size=1, max_size=300),
    source=st.binary(max_size=60),
    manifest=st.binary(max_size=120),
)
def test_write_then_read_round_trip(binary: bytes, source: bytes, manifest: bytes) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        exe = Path(scratch) / "exe"
        exe.write_bytes(binary)
        out = Path(scratch) / "out"
        written = footer.write_bundle(exe, source, manifest, out)
        assert out.read_bytes() == _bundle(binary, source, manifest)
        info = footer.read_bundle(out)
        assert (info.size, info.binary_size) == (written.size, written.binary_size)
        assert footer.read_regions(info) == (source, manifest)
