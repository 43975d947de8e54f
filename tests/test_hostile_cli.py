"""The command line under hostile conditions (issue 10, part B), run as a user runs it.

Each case runs the installed console script in a subprocess with a timeout: devices and
FIFOs where files are expected, paths the kernel refuses, standard output closed, full or
cut off by ``head``, unreadable go.mod files. Each must end promptly with one message that
names the file, a non-zero status, and no traceback.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from tests.hostile_inputs import READABLE, UNREADABLE, make_fifo, write_bundle_file
from tests.vectors import WORKED_MANIFEST

TIMEOUT = 20
SCRIPT = Path(sys.executable).with_name("hatch-airflow-go")
GOBUNDLES = Path(__file__).parent / "gobundles"
LONG_NAME = "x" * 5000  # one component far beyond NAME_MAX (255 on Linux and macOS)


def _command() -> list[str]:
    return [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "hatch_airflow_go"]


def cli(*args: str, stdin: Optional[int] = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args], capture_output=True, text=True, timeout=TIMEOUT, stdin=stdin
    )


def shell(line: str) -> subprocess.CompletedProcess[str]:
    """Run ``line`` under sh (for redirections Python cannot express directly)."""
    return subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=TIMEOUT)


def script() -> str:
    if SCRIPT.exists():
        return shlex.quote(str(SCRIPT))
    return f"{shlex.quote(sys.executable)} -m hatch_airflow_go"


def assert_one_error(result: subprocess.CompletedProcess[str], names: str, fragment: str) -> None:
    """Exit 1, no traceback, and one error line naming ``names`` that says ``fragment``."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in (result.stdout + result.stderr).splitlines() if fragment in line]
    assert len(lines) == 1, (result.stdout, result.stderr)
    assert names in lines[0]
    assert "(fix: " in lines[0]


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    return write_bundle_file(tmp_path / "bundle", WORKED_MANIFEST)


# --- devices and FIFOs: refused by what they are, before anything is opened -----------------


@pytest.mark.parametrize("command", ["check-go-mod", "inspect-wheel", "inspect", "verify"])
def test_dev_zero_is_refused_not_read(command: str) -> None:
    result = cli(command, "/dev/zero")
    assert_one_error(result, "/dev/zero", "not a regular file")


@pytest.mark.parametrize("command", ["check-go-mod", "inspect-wheel", "inspect", "verify"])
def test_fifo_is_refused_without_hanging(tmp_path: Path, command: str) -> None:
    fifo = make_fifo(tmp_path / "pipe")
    result = cli(command, str(fifo))
    assert_one_error(result, str(fifo), "not a regular file")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_pack_metadata_that_is_a_fifo_or_device_is_refused(tmp_path: Path, kind: str) -> None:
    metadata = make_fifo(tmp_path / "meta.yaml") if kind == "fifo" else Path("/dev/zero")
    out = tmp_path / "bundle"
    source = str(Path(__file__).parent / "gobundles" / "gen1" / "main.go")
    result = cli(
        "pack", "--executable", sys.executable, "--source", source,
        "--metadata", str(metadata), "-o", str(out),
    )  # fmt: skip
    assert_one_error(result, str(metadata), "the metadata file is not a regular file")
    assert not out.exists()


# --- the manifest catalogue, through the installed command ---------------------------------


@pytest.mark.parametrize("name", sorted(UNREADABLE))
def test_unreadable_manifest_in_a_bundle_is_one_verify_error(tmp_path: Path, name: str) -> None:
    if name == "decimal-int-5000-digits" and not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this Python has no int/str conversion limit, so the value reads fine")
    text, fragment = UNREADABLE[name]
    bundle = write_bundle_file(tmp_path / "bundle", text)
    assert_one_error(cli("verify", str(bundle)), str(bundle), fragment)


@pytest.mark.parametrize("name", sorted({**UNREADABLE, **READABLE}))
def test_hostile_manifest_as_pack_metadata_is_one_error(tmp_path: Path, name: str) -> None:
    """None of the catalogue's manifests is a bundle manifest: pack refuses each, once."""
    text = UNREADABLE[name][0] if name in UNREADABLE else READABLE[name]
    metadata = tmp_path / "meta.yaml"
    metadata.write_bytes(text)
    out = tmp_path / "bundle"
    source = str(Path(__file__).parent / "gobundles" / "gen1" / "main.go")
    result = cli(
        "pack", "--executable", sys.executable, "--source", source,
        "--metadata", str(metadata), "-o", str(out),
    )  # fmt: skip
    assert_one_error(result, f"{metadata}: the metadata file", "the metadata file")
    assert not out.exists()


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("fifo", "the source file is not a regular file (a FIFO or device)"),
        ("device", "the source file is not a regular file (a FIFO or device)"),
        ("directory", "the source file is a directory"),
    ],
)
def test_pack_source_that_is_not_a_file_says_what_it_is(
    tmp_path: Path, kind: str, says: str
) -> None:
    if kind == "fifo":
        source = make_fifo(tmp_path / "main.go")
    elif kind == "device":
        source = Path("/dev/zero")
    else:
        source = tmp_path / "main.go"
        source.mkdir()
    out = tmp_path / "bundle"
    for package in (["--executable", sys.executable], ["./gen1"]):  # pre-built, and from source
        result = subprocess.run(
            [*_command(), "pack", *package, "--source", str(source), "-o", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=GOBUNDLES,
            stdin=subprocess.DEVNULL,
        )
        assert_one_error(result, str(source), says)
        assert not out.exists()


def test_fifo_named_go_mod_in_a_folder_is_refused(tmp_path: Path) -> None:
    fifo = make_fifo(tmp_path / "go.mod")
    result = cli("check-go-mod", str(tmp_path))
    assert_one_error(result, str(fifo), "not a regular file")


def test_scan_skips_a_fifo_inside_the_folder(tmp_path: Path, bundle: Path) -> None:
    make_fifo(tmp_path / "pipe")
    result = cli("scan", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert f"{bundle}: bundle (sdk go/v0.1.0" in result.stdout


# --- paths the kernel refuses -----------------------------------------------------------


@pytest.mark.parametrize("command", ["inspect", "verify", "scan", "check-go-mod", "inspect-wheel"])
def test_file_name_too_long(tmp_path: Path, command: str) -> None:
    path = str(tmp_path / LONG_NAME)
    result = cli(command, path)
    # The 5,000-character name is shown by its two ends and its length, not in full.
    assert_one_error(result, f"{path[:160]}...{path[-100:]} (5,", "File name too long")
    assert len(result.stdout + result.stderr) < 1000


DEEP_PATH = "/".join(["d" * 200] * 25)  # every part fits NAME_MAX, the whole is > PATH_MAX


@pytest.mark.parametrize(
    ("args", "argument", "limit"),
    [
        (["--source", "s" * 100_000], "--source", "one of its parts has 100,000 bytes"),
        (["--source=" + "s" * 100_000], "--source", "one of its parts has 100,000 bytes"),
        (["-o", "o" * 300], "-o", "one of its parts has 300 bytes; the limit is 255"),
        (["-o", "{tmp}/" + DEEP_PATH], "-o", "the limit is 4,096"),
        (["--source", "{tmp}/" + DEEP_PATH], "--source", "the limit is 4,096"),
        (["--executable", "e" * 300, "--source", "gen1/main.go"], "--executable", "300 bytes"),
    ],
    ids=["source-100k", "source-equals-100k", "output-300", "output-5000", "source-5000", "exe"],
)
def test_pack_argument_too_long_names_the_argument(
    tmp_path: Path, args: list[str], argument: str, limit: str
) -> None:
    """pack's path arguments beyond the kernel's limits: one short line naming the option."""
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in args]
    package = [] if argument == "--executable" else ["./gen1"]
    result = subprocess.run(
        [*_command(), "pack", *package, *argv, "--no-cache"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=GOBUNDLES,
        stdin=subprocess.DEVNULL,
    )
    assert_one_error(result, f"error: {argument} ", "File name too long")
    assert limit in result.stderr
    assert f"(fix: shorten {argument})" in result.stderr
    assert len(result.stderr) < 1000
    assert sorted(os.listdir(tmp_path)) == []  # no half-written bundle


# --- go.mod that cannot be read ------------------------------------------------------------


def test_go_mod_that_is_a_directory_in_a_folder(tmp_path: Path) -> None:
    (tmp_path / "go.mod").mkdir()
    result = cli("check-go-mod", str(tmp_path))
    assert_one_error(result, str(tmp_path / "go.mod"), "is a directory, not a go.mod file")


def test_go_mod_that_is_a_directory_named_directly(tmp_path: Path) -> None:
    folder = tmp_path / "go.mod"
    folder.mkdir()
    result = cli("check-go-mod", str(folder))
    assert_one_error(result, str(folder), "is a directory, not a go.mod file")


def test_go_mod_without_read_permission(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode (the directory case covers root)")
    path = tmp_path / "go.mod"
    path.write_text("module example.com/x\n\ngo 1.24\n")
    path.chmod(0)
    result = cli("check-go-mod", str(path))
    assert_one_error(result, str(path), "permission denied")


# --- standard output closed, full, or cut off ------------------------------------------


def test_inspect_with_stdout_closed(bundle: Path) -> None:
    result = shell(f"{script()} inspect {shlex.quote(str(bundle))} >&-")
    assert_one_error(result, "standard output", "standard output is closed")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("flags", ["", "--json", "--source"])
def test_inspect_into_a_full_disk(bundle: Path, flags: str) -> None:
    result = shell(f"{script()} inspect {flags} {shlex.quote(str(bundle))} > /dev/full")
    assert_one_error(result, "standard output", "No space left on device")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
def test_verify_into_a_full_disk(bundle: Path) -> None:
    result = shell(f"{script()} verify {shlex.quote(str(bundle))} > /dev/full")
    assert_one_error(result, "standard output", "No space left on device")


def test_inspect_piped_into_head_ends_quietly_with_141(tmp_path: Path) -> None:
    source = b"package main\n" + b"// filler line for the pipe\n" * 200_000
    bundle = write_bundle_file(tmp_path / "bundle", WORKED_MANIFEST, source=source)
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "hatch_airflow_go"]
    process = subprocess.Popen(
        [*command, "inspect", "--source", str(bundle)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    assert process.stdout.readline() == b"# --- source ---\n"
    process.stdout.close()  # what `| head -1` does once it has its line
    try:
        code = process.wait(timeout=TIMEOUT)
    finally:
        process.kill()
    stderr = process.stderr.read().decode()
    process.stderr.close()
    assert code == 141
    assert stderr == ""


# --- text that cannot be encoded as it stands -------------------------------------------


@pytest.mark.parametrize("flags", [["verify", "--json"], ["inspect", "--json"], ["verify"]])
def test_lone_surrogates_are_printed_escaped(tmp_path: Path, flags: list[str]) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", READABLE["lone-surrogate-ids"])
    result = cli(*flags, str(bundle))
    assert "Traceback" not in result.stderr
    assert result.returncode == (0 if flags[0] == "inspect" else 1), result.stderr
    if "--json" in flags:
        described = json.loads(result.stdout)
        text = json.dumps(described)
        assert "\\ud800x" in text
    else:
        assert "'\\ud800x'" in result.stdout
