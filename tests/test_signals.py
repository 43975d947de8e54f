"""Signals and leftovers: SIGTERM, SIGHUP, SIGINT and SIGKILL at any point of ``pack`` (and of
a hook build) leave no process, no temporary file and no partial output.

Every run gets a temporary folder of its own as TMPDIR. Everything the run starts inherits
that TMPDIR (go, the bundle being introspected, what it starts in turn), so a process still
carrying it afterwards is a leftover; the folder itself must end up empty, go's work folder
included.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

import pytest

from hatch_airflow_go.format import footer
from tests.conftest import GOBUNDLES, GoBundleBuilder

from .plugin_support import build_env, copy_project

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/environ").exists() or sys.platform != "linux",
    reason="finds leftover processes through /proc (Linux)",
)

CLI = [sys.executable, "-m", "hatch_airflow_go"]
SEED = int(os.environ.get("SIGNALS_TEST_SEED", "0")) or random.SystemRandom().randrange(1 << 30)


def processes_with_tmpdir(tmpdir: Path, *, under: bool = False) -> list[int]:
    """Live processes whose environment has ``TMPDIR=tmpdir`` (``under``: a folder inside
    it): what a run started."""
    needle = b"TMPDIR=" + os.fsencode(tmpdir)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state == b"Z":
            continue
        if needle in environ or (under and any(v.startswith(needle + b"/") for v in environ)):
            found.append(int(entry.name))
    return found


def wait_for_no_processes(tmpdir: Path, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        left = processes_with_tmpdir(tmpdir)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def kill_leftovers(tmpdir: Path, *, under: bool = False) -> None:
    """After a failed check, do not leave the failure's processes running for other tests."""
    for pid in processes_with_tmpdir(tmpdir, under=under):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class Run:
    """One ``pack`` run in folders of its own: TMPDIR, cache and output."""

    def __init__(self, root: Path, argv: list[str], cwd: Path) -> None:
        self.root = root
        self.tmpdir = root / "tmp"
        self.cache = root / "cache"
        self.out_dir = root / "out"
        for folder in (self.tmpdir, self.cache, self.out_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.output = self.out_dir / "bundle"
        self.argv = [*CLI, "pack", *argv, "--output", str(self.output)]
        self.cwd = cwd
        self.env = {
            **os.environ,
            "TMPDIR": str(self.tmpdir),
            "AIRFLOW_GO_CACHE_DIR": str(self.cache),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }

    def start(self) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def complete(self) -> float:
        """Run to the end; returns how long it took."""
        started = time.monotonic()
        proc = self.start()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out + err
        return time.monotonic() - started

    def fresh_cache(self) -> None:
        """Empty the bundle cache, so that the next run builds (and stores) again."""
        shutil.rmtree(self.cache)
        self.cache.mkdir()

    def assert_clean(self, expected_size: Optional[int], context: str) -> None:
        """No process, no temporary file anywhere, and an output that is absent or whole."""
        try:
            left = wait_for_no_processes(self.tmpdir, 5.0)
            assert left == [], f"{context}: processes left: {left}"
            assert sorted(os.listdir(self.tmpdir)) == [], f"{context}: left in TMPDIR"
            names = sorted(os.listdir(self.out_dir))
            assert names in ([], ["bundle"]), f"{context}: beside the output: {names}"
            if names and expected_size is not None:
                info = footer.read_bundle(self.output)  # checks the trailer and the hash
                assert info.size == expected_size, f"{context}: a partial output"
            hidden = [p for p in self.cache.rglob("*") if p.name.startswith(".")]
            assert hidden == [], f"{context}: temporary files in the cache: {hidden}"
            for entry in self.cache.glob("??/*"):
                assert sorted(os.listdir(entry)) == ["bundle", "record.json"], (
                    f"{context}: an incomplete cache entry {entry}"
                )
        except BaseException:
            kill_leftovers(self.tmpdir)
            raise


@pytest.fixture(autouse=True)
def _no_process_outlives_the_test(tmp_path: Path) -> Iterator[None]:
    """Whatever a failing test leaves (the bug under test), it does not run on after it."""
    yield
    kill_leftovers(tmp_path, under=True)


@pytest.fixture
def big_binary(gobundles: GoBundleBuilder, tmp_path: Path) -> Path:
    """The gen3 fixture padded to 100 MiB (sparse): still runs, takes a while to copy."""
    binary = tmp_path / "big"
    shutil.copyfile(gobundles.path("gen3"), binary)
    with open(binary, "r+b") as handle:
        handle.truncate(100 * 1024 * 1024)
    binary.chmod(0o755)
    return binary


@pytest.fixture
def warm_go(gobundles: GoBundleBuilder) -> None:
    """Go's build cache holds gen3 already: a pack then costs a link, about a second."""
    gobundles.path("gen3")


STOPS = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


@pytest.mark.parametrize("signum", STOPS, ids=lambda s: signal.Signals(s).name)
def test_a_signal_during_introspection_stops_pack_cleanly(
    gobundles: GoBundleBuilder, tmp_path: Path, signum: int
) -> None:
    """The fixture never answers and starts a child: both must die, the scratch folder must
    go, and the exit status is 128 + the signal's number, with one line saying so."""
    binary = gobundles.path("hang")
    run = Run(
        tmp_path,
        ["--executable", str(binary), "--source", str(GOBUNDLES / "hang" / "main.go")],
        cwd=tmp_path,
    )
    proc = run.start()
    try:
        deadline = time.monotonic() + 30
        while len(processes_with_tmpdir(run.tmpdir)) < 3:  # the CLI, the binary, its child
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the binary was never started"
            time.sleep(0.02)
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum, err
    assert err == (
        f"hatch-airflow-go: stopped by {name}: its processes were killed and its temporary "
        "files removed\n"
    )
    run.assert_clean(None, name)
    assert not run.output.exists()


def _signal_at_random(run: Run, signum: int, delay: float) -> tuple[int, str]:
    proc = run.start()
    try:
        time.sleep(delay)
        proc.send_signal(signum)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err


def _check_stop(run: Run, signum: int, delay: float, size: int) -> None:
    context = f"{signal.Signals(signum).name} after {delay:.3f} s (seed {SEED})"
    code, err = _signal_at_random(run, signum, delay)
    handled = code in (0, 128 + signum)
    # A signal that lands while the interpreter starts, before main() runs, gets Python's own
    # treatment (for SIGINT a traceback, or "Fatal Python error" inside `site`). From main()
    # on, the run ends with 0 or 128 + n and at most one line, never a traceback.
    if handled:
        assert "Traceback" not in err, f"{context}: {err}"
    if signum == signal.SIGKILL:
        assert code in (0, -signal.SIGKILL), f"{context}: exit {code}: {err}"
        # What was running when we died finishes by itself (a go build); a bundle being
        # introspected is killed by the next run, which also sweeps the files we left.
        assert wait_for_no_processes(run.tmpdir, 30.0) == [], context
        run.complete()
        context += ", then a complete run"
    else:
        # Done before the signal (0), stopped by us (128 + n), or signalled before main()
        # ran (-n, or 1 for a Python that died in its own start-up: a "Fatal Python error"
        # from one of its init_* steps, such as init_import_site or init_sys_streams, or
        # while importing `runpy`): nothing had started yet.
        python_died_starting = code == 1 and err.startswith(
            ("Fatal Python error: init_", "Could not import runpy module")
        )
        assert handled or code == -signum or python_died_starting, f"{context}: exit {code}: {err}"
        if code == 128 + signum:
            # Progress lines printed before the signal (which Go builds, what is running)
            # are not part of the stop: one line says how the run ended.
            lines = [
                line
                for line in err.splitlines()
                if not line.startswith(("building ", "still working after "))
            ]
            assert len(lines) == 1, f"{context}: {err}"
            assert lines[0].startswith(
                (
                    f"hatch-airflow-go: stopped by {signal.Signals(signum).name}:",
                    "hatch-airflow-go: interrupted",
                )
            ), f"{context}: {err}"
    run.assert_clean(size, context)


def _cases(rng: random.Random, duration: float) -> Iterator[tuple[int, float]]:
    for signum in (*STOPS, signal.SIGKILL):
        for _ in range(2):
            yield signum, rng.uniform(0.0, duration)


def test_signals_at_random_points_of_a_pack_from_source(warm_go: None, tmp_path: Path) -> None:
    """A real go build of tests/gobundles/gen3, introspection, cache store, install."""
    rng = random.Random(SEED)
    run = Run(tmp_path, ["./gen3", "--reproducible"], cwd=GOBUNDLES)
    duration = run.complete()
    size = run.output.stat().st_size
    for signum, delay in _cases(rng, duration):
        run.fresh_cache()  # so that each run builds, introspects and stores
        _check_stop(run, signum, delay, size)


def test_signals_at_random_points_of_a_pack_of_a_big_binary(
    big_binary: Path, tmp_path: Path
) -> None:
    """``--executable`` with a 100 MiB binary: most of the time goes into writing the bundle."""
    rng = random.Random(SEED)
    run = Run(
        tmp_path,
        ["--executable", str(big_binary), "--source", str(GOBUNDLES / "gen3" / "main.go")],
        cwd=tmp_path,
    )
    duration = run.complete()
    size = run.output.stat().st_size
    for signum, delay in _cases(rng, duration):
        _check_stop(run, signum, delay, size)


def test_a_signal_that_was_ignored_stays_ignored() -> None:
    """``nohup`` ignores SIGHUP: stop_cleanly() must not make it stop the program."""
    from hatch_airflow_go import signals

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    before = signal.getsignal(signal.SIGTERM)
    try:
        with signals.stop_cleanly():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) not in (before, signal.SIG_IGN)
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) == before
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_the_cleanup_finishes_when_a_second_signal_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A signal that lands in the middle of the cleanup after the first one is ignored, so
    that the cleanup runs to its end."""
    from hatch_airflow_go import process, signals, tempfiles

    folder = tempfiles.make_directory(tmp_path, "x-")
    real = tempfiles.remove_tracked
    second: list[bool] = []

    def remove_tracked() -> list[Path]:
        os.kill(os.getpid(), signal.SIGTERM)  # handled right here, at the next bytecode
        second.append(True)
        return real()

    def stopped_by_sigterm() -> None:
        with signals.stop_cleanly():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # interrupted by the handler's exception

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(tempfiles, "remove_tracked", remove_tracked)
    try:
        with pytest.raises(signals.Terminated) as stopped:
            stopped_by_sigterm()
        # The program is stopping from now on: no child may start any more.
        with pytest.raises(signals.Terminated):
            subprocess.Popen(["true"], **process.new_session())
    finally:
        signals.allow_starting()  # this test's process goes on to run other tests
    assert stopped.value.signum == signal.SIGTERM
    assert second == [True]
    assert not folder.exists()
    assert signal.getsignal(signal.SIGTERM) == before


# -- the build hook -------------------------------------------------------------------------

# A bundle whose introspection never ends: the hook is caught waiting for it.
HANGING_MAIN = """// Command hello never answers introspection.
package main

import (
\t"os"
\t"time"

\tsdk "example.com/airflow-standin-sdk/sdk"
)

func main() {
\tfor _, arg := range os.Args[1:] {
\t\tif arg == "--airflow-metadata" || arg == "--dump-bundle-spec" {
\t\t\ttime.Sleep(10 * time.Minute)
\t\t}
\t}
\tsdk.AddDAG("fixture_hello").AddTask("say_hello")
\tsdk.Main()
}
"""


def _hook_build(project: Path, tmpdir: Path, cache: Path) -> subprocess.Popen[str]:
    """``python -m build --no-isolation`` in a session of its own, so that a signal can go to
    its whole process group (the frontend and the backend running our hook), as a terminal,
    ``timeout --foreground`` or a CI runner sends it."""
    env = build_env({"TMPDIR": str(tmpdir), "AIRFLOW_GO_CACHE_DIR": str(cache)})
    return subprocess.Popen(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", str(project)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _ours_in(tmpdir: Path) -> list[str]:
    """Our scratch folders, and go's work folders, in ``tmpdir``."""
    return sorted(
        name for name in os.listdir(tmpdir) if name.startswith(("hatch-airflow-go-", "go-build"))
    )


def _stop_build(build: subprocess.Popen[str], tmpdir: Path, context: str) -> str:
    try:
        os.killpg(build.pid, signal.SIGTERM)
        output, _ = build.communicate(timeout=60)
        left = wait_for_no_processes(tmpdir, 10.0)
        assert left == [], f"{context}: processes left: {left}\n{output}"
        assert _ours_in(tmpdir) == [], f"{context}: left in TMPDIR\n{output}"
        return output
    finally:
        kill_leftovers(tmpdir)
        if build.poll() is None:
            build.kill()
            build.wait()


@pytest.mark.slow
def test_sigterm_to_a_hook_build_waiting_for_a_bundle_leaves_nothing(tmp_path: Path) -> None:
    project = copy_project("single", tmp_path / "project")
    (project / "cmd" / "hello" / "main.go").write_text(HANGING_MAIN, encoding="utf-8")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    build = _hook_build(project, tmpdir, tmp_path / "cache")
    deadline = time.monotonic() + 120
    # The frontend, the backend and the bundle being introspected.
    while not any(
        Path(f"/proc/{pid}/exe").resolve().name == "bundle"
        for pid in processes_with_tmpdir(tmpdir)
        if Path(f"/proc/{pid}/exe").exists()
    ):
        assert build.poll() is None, build.communicate()[0]
        assert time.monotonic() < deadline, "the bundle was never introspected"
        time.sleep(0.05)
    output = _stop_build(build, tmpdir, "SIGTERM during introspection")
    assert build.returncode != 0, output
    assert list(project.glob("dist/*.whl")) == []


@pytest.mark.slow
def test_sigterm_at_random_points_of_a_hook_build_leaves_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    project = copy_project("single", tmp_path / "project")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    started = time.monotonic()
    first = _hook_build(project, tmpdir, tmp_path / "cache-0")
    output, _ = first.communicate(timeout=300)
    assert first.returncode == 0, output
    duration = time.monotonic() - started
    for attempt in range(1, 4):
        delay = rng.uniform(0.5, duration)
        build = _hook_build(project, tmpdir, tmp_path / f"cache-{attempt}")
        time.sleep(delay)
        _stop_build(build, tmpdir, f"SIGTERM after {delay:.2f} s (seed {SEED})")
