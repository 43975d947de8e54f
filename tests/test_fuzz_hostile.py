"""Fuzzing the readers (issue 10, part C): no exception outside the project's error family.

Mutated manifests (byte flips, truncations, inserted YAML snippets with tags, anchors,
aliases and deep nesting) and mutated trailers go through ``parse_embedded``,
``parse_introspection``, ``verify_bundle``, ``scan`` and ``inspect --json`` (the CLI's
``main``, in-process). The readers may only raise their documented errors, ``verify`` and
``scan`` never raise, and the CLI answers 0 or 1 with valid JSON or one error line; its
catch-all for bugs is switched to re-raising, so a bug fails the test instead of being
reported politely. The examples are bounded (see ``EXAMPLES``) and the whole file runs in
a few seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Callable, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hatch_airflow_go.cli import main
from hatch_airflow_go.errors import AirflowGoError, BundleError, ManifestError
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import MAX_MESSAGE_CHARS, parse_embedded, parse_introspection
from hatch_airflow_go.format.verify import scan, verify_bundle
from tests.hostile_inputs import billion_laughs, bundle_bytes, nested
from tests.vectors import WORKED_MANIFEST

TRACEBACK = "HATCH_AIRFLOW_GO_TRACEBACK"
EXAMPLES = {"manifest": 300, "trailer": 200, "introspection": 200}
"""How many examples each fuzz test runs (the README's Reliability section quotes these)."""

FUZZ = settings(
    max_examples=EXAMPLES["manifest"],
    deadline=timedelta(seconds=5),  # generous: two cores are shared with other test runs
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)

SNIPPETS = [
    b"!!int ",
    b'!!int "abc"',
    b'!!float "x"',
    b'!!bool "maybe"',
    b'!!timestamp "x"',
    b"2001-02-30",
    b"!!set ",
    b"!!omap ",
    b"!!pairs ",
    b"!!binary ",
    b"!!str ",
    b"!!map ",
    b"!!seq ",
    b"!!null ",
    b"!!python/object:os.system ",
    b"!unknown ",
    b"&a ",
    b"*a",
    b"&b [*b]",
    b"<<: *a\n",
    b"<<: [*a, *a]\n",
    b"? ",
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"\n",
    b"\t",
    b"  ",
    b"#",
    b"---\n",
    b"...\n",
    b"%YAML 1.1\n",
    b"%TAG ! tag:x,2000:\n",
    b'"\\U00110000"',
    b'"\\uD800"',
    b'"\\x',
    b"'",
    b'"',
    b"|\n",
    b">-\n",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\xff",
    b"0x" + b"F" * 4000,
    b"1" * 5000,
    b"=",
    b"~",
    b"1e999",
    b".nan",
    b"\xe2\x80\xa8",
]

STRUCTURES = [
    nested(70),
    nested(200),
    b"a: " + b"{a: " * 80 + b"}" * 80 + b"\n",
    billion_laughs(),
    billion_laughs(levels=5, width=4),
    b"a: &x [*x]\n",
    b"x: &x {y: *x}\nsdk: *x\ndags: *x\n",
    b"!!set {a, b}\n",
    b"- " * 100 + b"x\n",
]


@st.composite
def mutated_manifest(draw: st.DrawFn) -> bytes:
    text = bytearray(draw(st.sampled_from([WORKED_MANIFEST, *STRUCTURES])))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete", "text"]))
        at = draw(st.integers(0, len(text)))
        if kind == "flip" and text:
            index = min(at, len(text) - 1)
            text[index] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del text[at:]
        elif kind == "insert":
            text[at:at] = draw(st.sampled_from(SNIPPETS + STRUCTURES))
        elif kind == "delete":
            del text[at : at + draw(st.integers(1, 16))]
        else:
            text[at:at] = draw(st.text(max_size=12)).encode("utf-8", "surrogatepass")
    return bytes(text)


@pytest.fixture(scope="module", autouse=True)
def bug_tracebacks() -> Iterator[None]:
    """Let the CLI's catch-all re-raise, so that a bug surfaces as an exception here."""
    before = os.environ.get(TRACEBACK)
    os.environ[TRACEBACK] = "1"
    yield
    if before is None:
        del os.environ[TRACEBACK]
    else:
        os.environ[TRACEBACK] = before


def raised(family: type[AirflowGoError], call: Callable[[], object]) -> Optional[AirflowGoError]:
    """The error ``call`` raised from ``family`` (None when it returned); anything else
    propagates and fails the test."""
    try:
        call()
    except family as error:
        return error
    return None


def run_main(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def check_bundle_file(path: Path) -> None:
    """Every entry point over one file: only the error family, and honest exit codes."""
    report = verify_bundle(path)  # never raises
    assert all(len(error) <= MAX_MESSAGE_CHARS + 200 for error in report.errors)
    code, out, err = run_main("inspect", "--json", str(path))
    assert code in (0, 1), err
    if code == 0:
        assert report.info is not None
        assert isinstance(json.loads(out), dict)
        assert err == ""
    else:
        assert out == ""
        assert err.startswith(f"hatch-airflow-go: error: {path}: "), err
        assert "internal error" not in err
    code, out, err = run_main("verify", "--json", str(path))
    assert code == (0 if report.ok else 1)
    assert json.loads(out)[0]["ok"] is report.ok


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-hostile-") as name:
        yield Path(name)


@FUZZ
@given(manifest=mutated_manifest())
def test_fuzz_manifests(manifest: bytes, workdir: Path) -> None:
    error = raised(ManifestError, lambda: parse_embedded(manifest, path="bundle"))
    if error is not None:
        assert error.path == "bundle"
        assert error.fix
        assert len(error.problem) <= MAX_MESSAGE_CHARS
    folder = workdir / "manifests"
    folder.mkdir(exist_ok=True)
    path = folder / "bundle"
    path.write_bytes(bundle_bytes(manifest))
    path.chmod(0o755)
    check_bundle_file(path)
    report = scan([folder])  # never raises, and sees the file whatever it holds
    assert len(report.bundles) + len(report.rejected) == 1


@st.composite
def mutated_bundle(draw: st.DrawFn) -> bytes:
    data = bytearray(bundle_bytes(WORKED_MANIFEST))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip-trailer", "field", "truncate", "append", "flip"]))
        if kind == "flip-trailer" and len(data) >= 64:
            data[len(data) - draw(st.integers(1, 64))] = draw(st.integers(0, 255))
        elif kind == "field" and len(data) >= 64:
            offset = len(data) - 64 + draw(st.sampled_from([0, 4, 8]))
            value = draw(st.one_of(st.integers(0, 400), st.integers(0, 0xFFFFFFFF)))
            data[offset : offset + 4] = struct.pack("<I", value)
        elif kind == "truncate":
            del data[draw(st.integers(0, len(data))) :]
        elif kind == "append":
            data += draw(st.binary(max_size=80))
        elif data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@settings(FUZZ, max_examples=EXAMPLES["trailer"])
@given(data=mutated_bundle())
def test_fuzz_trailers(data: bytes, workdir: Path) -> None:
    folder = workdir / "trailers"
    folder.mkdir(exist_ok=True)
    path = folder / "bundle"
    path.write_bytes(data)
    path.chmod(0o755)
    error = raised(BundleError, lambda: footer.read_regions(footer.read_bundle(path)))
    if error is not None:
        assert error.path == str(path)
    check_bundle_file(path)
    report = scan([folder])
    assert len(report.bundles) + len(report.rejected) == (1 if footer.is_bundle(path) else 0)


@settings(FUZZ, max_examples=EXAMPLES["introspection"])
@given(
    text=st.one_of(mutated_manifest(), st.binary(max_size=64)),
    flag=st.sampled_from(["--airflow-metadata", "--airflow-metadata --format json"]),
)
def test_fuzz_introspection_answers(text: bytes, flag: str) -> None:
    error = raised(ManifestError, lambda: parse_introspection(text, flag=flag, path="binary"))
    if error is not None:
        assert error.path == "binary"
        assert len(error.problem) <= MAX_MESSAGE_CHARS
