"""introspect(): real fixture binaries, one test per outcome, and no process left behind."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatch_airflow_go import log
from hatch_airflow_go.errors import AirflowGoError, IntrospectionError
from hatch_airflow_go.golang.introspect import (
    DEFAULT_MAX_OUTPUT,
    RunResult,
    introspect,
    introspection_environment,
    run_binary,
)
from tests.conftest import GoBundleBuilder


def _processes_running(path: Path) -> list[int]:
    """Pids of live processes running the executable ``path`` (by argv[0] or /proc exe)."""
    needle = str(path)
    try:
        import psutil  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        psutil = None
    if psutil is not None:
        found = []
        for proc in psutil.process_iter(["pid", "cmdline", "exe", "status"]):
            cmdline = proc.info.get("cmdline") or [""]
            if proc.info.get("status") != psutil.STATUS_ZOMBIE and needle in (
                cmdline[0],
                proc.info.get("exe"),
            ):
                found.append(proc.info["pid"])
        return found
    proc_root = Path("/proc")
    if not proc_root.is_dir():
        pytest.skip("cannot list processes here: psutil is not installed and there is no /proc")
    found = []
    for entry in proc_root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # A zombie has an empty command line and no exe: it holds nothing.
            argv0 = (entry / "cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
        except OSError:
            continue
        try:
            exe = os.readlink(entry / "exe")
        except OSError:
            exe = ""
        if needle in (argv0, exe):
            found.append(int(entry.name))
    return found


def assert_no_survivors(path: Path) -> None:
    """Every process started from ``path`` is gone (SIGKILL delivery takes a moment)."""
    deadline = time.monotonic() + 2.0
    while True:
        alive = _processes_running(path)
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert alive == [], f"processes of {path} still running: {alive}"


@pytest.fixture
def commands_run() -> Iterator[list[str]]:
    """The commands introspection echoed (debug level), in order."""
    seen: list[str] = []

    def sink(level: str, message: str) -> None:
        if level == "debug" and message.startswith("$ "):
            seen.append(message)

    log.set_sink(sink)
    yield seen
    log.set_sink(None)


def _error(binary: Path, **kwargs: float) -> IntrospectionError:
    with pytest.raises(IntrospectionError) as caught:
        introspect(binary, **kwargs)  # type: ignore[arg-type]
    error = caught.value
    assert error.path == str(binary)
    assert error.fix
    return error


def test_gen3_answers_json_first(gobundles: GoBundleBuilder, commands_run: list[str]) -> None:
    binary = gobundles.path("gen3")
    manifest = introspect(binary)
    assert manifest.dags == {
        "simple_dag": ["extract", "transform", "load"],
        "concurrent_xcom_dag": ["pull_xcoms_concurrently", "résumé_über", "push"],
    }
    assert list(manifest.dags) == ["simple_dag", "concurrent_xcom_dag"]
    assert (manifest.sdk.language, manifest.sdk.version) == ("go", "v0.1.0")
    assert manifest.sdk.supervisor_schema_version == "2026-06-16"
    assert manifest.source is None
    assert len(commands_run) == 1
    assert commands_run[0].endswith(f"{binary} --airflow-metadata --format json")
    assert_no_survivors(binary)


def test_yaml_only_falls_back_to_plain_airflow_metadata(
    gobundles: GoBundleBuilder, commands_run: list[str]
) -> None:
    binary = gobundles.path("yaml-only")
    manifest = introspect(binary)
    assert manifest.dags == {"yaml_dag": ["a", "b"]}
    assert manifest.sdk.supervisor_schema_version == "2026-06-16"
    assert manifest.source is None
    assert [c.split(str(binary), 1)[1] for c in commands_run] == [
        " --airflow-metadata --format json",
        " --airflow-metadata",
    ]
    assert_no_survivors(binary)


def test_gen2_falls_back_to_dump_bundle_spec(
    gobundles: GoBundleBuilder, commands_run: list[str]
) -> None:
    binary = gobundles.path("gen2")
    manifest = introspect(binary)
    assert manifest.dags == {"legacy_dag": ["first", "second"], "another_dag": ["only"]}
    assert (manifest.sdk.language, manifest.sdk.version) == ("go", "v0.1.0")
    assert manifest.source is None
    assert commands_run[-1].endswith(f"{binary} --dump-bundle-spec")
    assert len(commands_run) == 3
    assert_no_survivors(binary)


def test_gen1_only_answers_bundle_metadata(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("gen1")
    error = _error(binary)
    assert error.problem == (
        "binary only answers --bundle-metadata: its SDK is too old to list DAGs"
    )
    assert error.fix == "upgrade the Airflow Go SDK or pass --metadata FILE"
    assert_no_survivors(binary)


def test_nonzero_exit_reports_stderr_without_trying_other_flags(
    gobundles: GoBundleBuilder, commands_run: list[str]
) -> None:
    binary = gobundles.path("exit-nonzero")
    error = _error(binary)
    assert "exited with status 3" in error.problem
    assert "--airflow-metadata --format json" in error.problem
    assert error.detail is not None
    assert "connection to config store refused" in error.detail
    # The command is in the message so that it can be replayed by copy and paste.
    assert f"{binary} --airflow-metadata --format json" in error.detail
    assert len(commands_run) == 1
    assert_no_survivors(binary)


def test_hang_is_killed_with_its_children_after_the_timeout(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("hang")
    started = time.monotonic()
    error = _error(binary, timeout=2.0)
    elapsed = time.monotonic() - started
    assert "did not answer within 2 s" in error.problem
    assert elapsed < 2.0 + 5.0
    assert elapsed >= 2.0
    # The fixture starts a child of its own; the whole process group must be gone.
    assert_no_survivors(binary)


def test_garbage_output_is_not_metadata(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("garbage")
    error = _error(binary)
    assert "printed something that is not bundle metadata" in error.problem
    assert error.detail is not None
    assert "stdout began with: b'\\x00\\xff\\xfe{[" in error.detail
    assert_no_survivors(binary)


def test_huge_output_is_cut_at_the_default_bound(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("huge-output")
    started = time.monotonic()
    error = _error(binary)
    assert f"printed more than {DEFAULT_MAX_OUTPUT:,} bytes" in error.problem
    # Stopped early: reading all 100 MB and parsing it would take far longer.
    assert time.monotonic() - started < 10.0
    assert_no_survivors(binary)


def test_output_bound_is_configurable(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("gen3")
    error = _error(binary, max_output=100)
    assert "printed more than 100 bytes" in error.problem
    assert_no_survivors(binary)


def test_no_dags_uses_upstream_words(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("no-dags")
    error = _error(binary)
    assert error.problem == "bundle exposes no dags: nothing to pack"
    assert_no_survivors(binary)


def test_plugin_server_answers_no_flag(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("plugin-server")
    error = _error(binary, timeout=10.0)
    assert "answers none of the introspection flags" in error.problem
    for flag in ("--airflow-metadata", "--dump-bundle-spec", "--bundle-metadata"):
        assert flag in error.problem
    assert error.detail is not None
    assert "flag provided but not defined" in error.detail
    assert_no_survivors(binary)


def test_magic_cookie_never_reaches_the_binary(
    gobundles: GoBundleBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the cookie, plugin-server would print a handshake and serve forever; scrubbed,
    # it refuses to run and exits at once.
    binary = gobundles.path("plugin-server")
    monkeypatch.setenv("AIRFLOW_BUNDLE_MAGIC_COOKIE", "from-the-parent")
    result = run_binary(
        binary, (), timeout=10.0, env={"AIRFLOW_BUNDLE_MAGIC_COOKIE": "passed-explicitly"}
    )
    assert result.returncode == 1
    assert b"This binary is a plugin" in result.stderr
    assert result.stdout == b""
    assert result.seconds < 5.0
    assert_no_survivors(binary)


def test_binary_for_another_architecture_cannot_execute(
    gobundles: GoBundleBuilder, go: str
) -> None:
    host_arch = subprocess.run(
        [go, "env", "GOARCH"], capture_output=True, text=True, check=True
    ).stdout.strip()
    other = "arm64" if host_arch != "arm64" else "amd64"
    binary = gobundles.path("gen3", goarch=other)
    try:
        subprocess.run([str(binary), "--bundle-metadata"], capture_output=True, timeout=30)
    except OSError:
        pass  # the expected case: the kernel refuses the foreign binary
    else:
        pytest.skip(f"this host runs {other} binaries (binfmt emulation), so none fails to exec")
    error = _error(binary)
    assert "exec format error" in error.problem
    assert error.fix is not None
    assert "--metadata FILE" in error.fix
    assert "built for this host" in error.fix


def test_missing_binary(tmp_path: Path) -> None:
    error = _error(tmp_path / "absent")
    assert error.problem == "the binary does not exist"


def test_file_without_exec_permission(tmp_path: Path, gobundles: GoBundleBuilder) -> None:
    # Even root may execute a file only when one of its execute bits is set.
    copy = tmp_path / "gen3-copy"
    copy.write_bytes(gobundles.path("gen3").read_bytes())
    copy.chmod(0o644)
    error = _error(copy)
    assert "permission denied" in error.problem
    assert error.fix is not None
    assert "chmod +x" in error.fix


def test_errors_render_as_one_line_with_fix(gobundles: GoBundleBuilder) -> None:
    binary = gobundles.path("no-dags")
    with pytest.raises(AirflowGoError) as caught:
        introspect(binary)
    first_line = str(caught.value).splitlines()[0]
    assert first_line.startswith(f"{binary}: bundle exposes no dags: nothing to pack (fix: ")


def test_environment_is_scrubbed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("AIRFLOW_BUNDLE_MAGIC_COOKIE", "x")
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    monkeypatch.setenv("SOME_SECRET_TOKEN", "s3cret")
    env = introspection_environment({"EXTRA": "1", "AIRFLOW_BUNDLE_MAGIC_COOKIE": "y"})
    assert env["PATH"] == "/usr/bin"
    assert env["EXTRA"] == "1"
    for name in ("AIRFLOW_BUNDLE_MAGIC_COOKIE", "AIRFLOW__CORE__EXECUTOR", "SOME_SECRET_TOKEN"):
        assert name not in env


@pytest.mark.parametrize(
    ("returncode", "stderr", "rejected"),
    [
        (2, b"flag provided but not defined: -airflow-metadata\nUsage of x:\n", True),
        (1, b"Error: unknown flag: --dump-bundle-spec\n", True),
        (2, b'unknown argument "--format"\n', True),
        (1, b"Error: unknown shorthand flag: 'a' in -airflow-metadata\n", True),
        (3, b"panic: cannot connect\n", False),
        (0, b"flag provided but not defined: -x\n", False),
        # A program's own failure that merely says "unknown" did reject nothing.
        (1, b'unknown database "airflow"\n', False),
        (1, b"Unknown: loading DAGs failed\n", False),
        (1, b"level=error msg=unknown task type sensor\n", False),
        (1, b"unknown flag\n", False),
    ],
)
def test_flag_rejection_is_recognised(returncode: int, stderr: bytes, rejected: bool) -> None:
    result = RunResult(("bundle", "--airflow-metadata"), returncode, b"", stderr, 0.0)
    assert result.rejected_flag() is rejected


def test_flag_rejection_printed_on_stdout_is_recognised() -> None:
    result = RunResult(
        ("bundle", "--airflow-metadata"),
        2,
        b"flag provided but not defined: -airflow-metadata\nUsage of bundle:\n",
        b"",
        0.0,
    )
    assert result.rejected_flag() is True


def test_failure_that_says_unknown_is_reported_with_its_stderr(
    tmp_path: Path, commands_run: list[str]
) -> None:
    # A real executable failing for its own reasons: not a flag rejection, so introspection
    # stops at the first flag and shows what it printed.
    binary = tmp_path / "bundle"
    binary.write_text(
        "#!/bin/sh\necho 'unknown database \"airflow\" (check AIRFLOW_DB_URL)' >&2\nexit 1\n"
    )
    binary.chmod(0o755)
    error = _error(binary)
    assert error.problem == (
        "`--airflow-metadata --format json` exited with status 1 instead of printing its metadata"
    )
    assert error.detail is not None
    assert error.detail.splitlines() == [
        f"$ {binary} --airflow-metadata --format json",
        'unknown database "airflow" (check AIRFLOW_DB_URL)',
    ]
    assert "not an Airflow Go SDK bundle" not in str(error)
    assert len(commands_run) == 1


def test_listing_without_sdk_version_is_completed_from_bundle_metadata(tmp_path: Path) -> None:
    """An SDK generation that lists DAGs with --dump-bundle-spec but keeps its version in
    --bundle-metadata: the manifest gets the version from the second answer."""
    script = tmp_path / "older-sdk-bundle"
    script.write_text(
        "#!/bin/sh\n"
        'case "$1" in\n'
        '  --dump-bundle-spec) echo \'{"format_version": "1.0", "sdk": '
        '{"language": "go", "version": ""}, "dags": {"d": {"tasks": ["t"]}}}\'' + " ;;\n"
        '  --bundle-metadata) echo \'{"name": "go-sdk", "version": "v0.0.7"}\' ;;\n'
        '  *) echo "flag provided but not defined: $1" >&2; exit 2 ;;\n'
        "esac\n"
    )
    script.chmod(0o755)
    manifest = introspect(script, timeout=10)
    assert manifest.dags == {"d": ["t"]}
    assert manifest.sdk.version == "v0.0.7"


def test_descendants_that_left_the_group_are_killed_too(gobundles: GoBundleBuilder) -> None:
    # The fixture starts a setsid'd copy of itself and a double-forked daemon before it
    # answers: a process-group kill reaches neither, the run's mark reaches both.
    binary = gobundles.path("escaper")
    manifest = introspect(binary)
    assert list(manifest.dags) == ["escaper_dag"]
    assert_no_survivors(binary)


def _many_dags_answer(tmp_path: Path, dags: int) -> Path:
    """A stand-in binary that answers only `--airflow-metadata`, with ``dags`` dags of YAML:
    valid, under the 1 MiB bound, and slow for PyYAML's pure-Python loader."""
    lines = [
        'airflow_bundle_metadata_version: "1.0"',
        'sdk: {language: go, version: v0.1.0, supervisor_schema_version: "2026-06-16"}',
        "dags:",
        *(f"  d{i}: {{tasks: [t]}}" for i in range(dags)),
    ]
    answer = tmp_path / "answer.yaml"
    answer.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script = tmp_path / "many-dags"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$*" = "--airflow-metadata" ]; then exec cat {answer}; fi\n'
        'echo "flag provided but not defined: -format" >&2\n'
        "exit 2\n"
    )
    script.chmod(0o755)
    return script


def test_the_timeout_bounds_reading_the_answer_too(tmp_path: Path) -> None:
    binary = _many_dags_answer(tmp_path, 45_000)
    size = (tmp_path / "answer.yaml").stat().st_size
    assert size < 1024 * 1024
    started = time.monotonic()
    error = _error(binary, timeout=1.5)
    elapsed = time.monotonic() - started
    assert f"its {size:,}-byte answer to `--airflow-metadata` could not be read" in error.problem
    assert elapsed < 1.5 + 2.0, f"reading went on for {elapsed:.1f} s past a 1.5 s timeout"


def test_a_small_answer_is_read_well_within_the_timeout(tmp_path: Path) -> None:
    manifest = introspect(_many_dags_answer(tmp_path, 50), timeout=5.0)
    assert len(manifest.dags) == 50
