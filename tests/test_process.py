"""hatch_airflow_go.process with real child processes: sessions, unreaped exits, group kills."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hatch_airflow_go import signals, tempfiles
from hatch_airflow_go.golang.toolchain import _run_bounded
from hatch_airflow_go.process import (
    MARK_VARIABLE,
    exit_status,
    has_exited,
    kill_group,
    kill_marked,
    mark,
    new_session,
    wait_exited,
)

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/stat").exists() or not hasattr(os, "waitid"),
    reason="these tests read process states from /proc and need os.waitid (Linux)",
)

# A child that starts a grandchild (`sleep 300`) in its own group, prints the grandchild's pid
# and then either waits for it or, with "exit", exits at once and leaves it running.
PARENT_OF_SLEEPER = (
    "import subprocess, sys\n"
    "child = subprocess.Popen(['sleep', '300'])\n"
    "print(child.pid, flush=True)\n"
    "if sys.argv[1:] == ['exit']:\n"
    "    sys.exit(0)\n"
    "child.wait()\n"
)


def proc_state(pid: int) -> str:
    """The one-letter state of ``pid`` in /proc ("Z" for a zombie), or "" once it is reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name is in parentheses and may hold spaces: the state follows the last ")".
    return stat.rsplit(")", 1)[1].split()[0]


def live_group_members(pgid: int) -> list[int]:
    """Pids of processes in group ``pgid`` that are not zombies."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``condition()`` until it is true or ``seconds`` pass; returns its last value."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return bool(condition())
        time.sleep(0.01)
    return True


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Children a test starts; any still around at the end are killed and reaped."""
    children: list[subprocess.Popen[bytes]] = []
    yield children
    for child in children:
        if child.returncode is None:
            kill_group(child)
            child.wait()


def start(children: list[subprocess.Popen[bytes]], *argv: str) -> subprocess.Popen[bytes]:
    child = subprocess.Popen(
        list(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, **new_session()
    )
    children.append(child)
    return child


def python(*lines: str) -> list[str]:
    return [sys.executable, "-c", "\n".join(lines)]


def test_new_session_makes_the_child_lead_its_own_group(
    started: list[subprocess.Popen[bytes]],
) -> None:
    child = start(started, "sleep", "30")
    assert os.getpgid(child.pid) == child.pid
    assert os.getsid(child.pid) == child.pid
    assert os.getpgid(child.pid) != os.getpgid(0)


def test_exit_is_seen_without_reaping(started: list[subprocess.Popen[bytes]]) -> None:
    child = start(started, *python("import sys", "sys.exit(3)"))
    assert wait_until(lambda: has_exited(child))
    assert exit_status(child) == 3
    # Still a zombie: the pid, and so the group id, cannot have been given to anyone else.
    assert child.returncode is None
    assert proc_state(child.pid) == "Z"
    assert child.wait() == 3
    assert proc_state(child.pid) == ""
    # Once Popen has reaped it, the code it recorded is the answer.
    assert exit_status(child) == 3


def test_exit_by_signal_is_a_negative_code(started: list[subprocess.Popen[bytes]]) -> None:
    child = start(started, "sleep", "30")
    assert exit_status(child) is None
    os.kill(child.pid, signal.SIGTERM)
    assert wait_exited(child, 5.0) == -signal.SIGTERM
    assert child.returncode is None
    assert child.wait() == -signal.SIGTERM


def test_wait_exited_gives_up_at_the_deadline(started: list[subprocess.Popen[bytes]]) -> None:
    child = start(started, "sleep", "30")
    began = time.monotonic()
    assert wait_exited(child, 0.3) is None
    waited = time.monotonic() - began
    assert 0.3 <= waited < 2.0
    assert proc_state(child.pid) not in ("", "Z")


def test_wait_exited_returns_as_soon_as_the_child_exits(
    started: list[subprocess.Popen[bytes]],
) -> None:
    child = start(started, *python("import time", "time.sleep(0.2)"))
    began = time.monotonic()
    assert wait_exited(child, 10.0) == 0
    assert time.monotonic() - began < 5.0
    assert proc_state(child.pid) == "Z"
    child.wait()


def test_kill_group_takes_the_grandchildren(started: list[subprocess.Popen[bytes]]) -> None:
    child = start(started, *python(PARENT_OF_SLEEPER))
    assert child.stdout is not None
    grandchild = int(child.stdout.readline())
    assert os.getpgid(grandchild) == child.pid
    assert sorted(live_group_members(child.pid)) == sorted([child.pid, grandchild])

    kill_group(child)
    assert child.wait() == -signal.SIGKILL
    assert wait_until(lambda: live_group_members(child.pid) == [])
    assert proc_state(grandchild) in ("", "Z")


def test_kill_group_after_the_leader_exited_unreaped(
    started: list[subprocess.Popen[bytes]],
) -> None:
    # The smoke test's case: the bundle exits, its leftover child runs on, the group is killed.
    child = start(started, *python(PARENT_OF_SLEEPER), "exit")
    assert child.stdout is not None
    grandchild = int(child.stdout.readline())
    assert wait_exited(child, 5.0) == 0
    assert live_group_members(child.pid) == [grandchild]

    kill_group(child)
    assert wait_until(lambda: live_group_members(child.pid) == [])
    assert child.wait() == 0


def test_kill_group_leaves_a_reaped_leaders_group_alone(
    started: list[subprocess.Popen[bytes]],
) -> None:
    # Once the leader is reaped its pid is free for reuse, so the group id is no longer
    # known to be ours: nothing is sent, even though a grandchild still runs in it.
    child = start(started, *python(PARENT_OF_SLEEPER), "exit")
    assert child.stdout is not None
    grandchild = int(child.stdout.readline())
    assert child.wait() == 0

    kill_group(child)
    time.sleep(0.2)
    assert live_group_members(child.pid) == [grandchild]
    os.kill(grandchild, signal.SIGKILL)
    assert wait_until(lambda: live_group_members(child.pid) == [])


def test_kill_group_on_an_exited_group_is_harmless(
    started: list[subprocess.Popen[bytes]],
) -> None:
    child = start(started, "true")
    assert wait_exited(child, 5.0) == 0
    kill_group(child)
    assert child.wait() == 0


def test_go_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    # toolchain runs go through the same helpers: on timeout a compiler go started must die
    # with it, or it would hold the output pipes open and outlive the build.
    pid_file = tmp_path / "grandchild.pid"
    argv = python(
        "import subprocess, sys, time",
        "child = subprocess.Popen(['sleep', '300'])",
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))",
        "time.sleep(300)",
    )
    began = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired):
        _run_bounded(argv, cwd=tmp_path, env=dict(os.environ), timeout=3.0)
    assert time.monotonic() - began < 15.0
    grandchild = int(pid_file.read_text())
    assert wait_until(lambda: proc_state(grandchild) in ("", "Z"))


# A child that starts `sleep 300` in a session of its own, out of reach of a group kill,
# prints its pid and exits: the sleeper is handed to init, as a daemon's double fork does.
ESCAPER = (
    "import subprocess, sys\n"
    "child = subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
    "print(child.pid, flush=True)\n"
)


def _escape(env: dict[str, str], started: list[subprocess.Popen[bytes]]) -> int:
    child = subprocess.Popen(
        [sys.executable, "-c", ESCAPER], env=env, stdout=subprocess.PIPE, **new_session()
    )
    started.append(child)
    assert child.stdout is not None
    escaped = int(child.stdout.readline())
    wait_exited(child, 10.0)
    kill_group(child)
    child.wait()
    return escaped


def _alive(pid: int) -> bool:
    return proc_state(pid) not in ("", "Z")


def _owner_parts() -> tuple[str, str, str]:
    pid, start, namespace = tempfiles.owner_tag().split("-")
    return pid, start, namespace


def test_kill_marked_reaches_a_descendant_that_left_the_group(
    started: list[subprocess.Popen[bytes]],
) -> None:
    env = dict(os.environ)
    token = mark(env)
    assert env[MARK_VARIABLE] == token
    assert token.startswith(f"{tempfiles.owner_tag()}-")
    escaped = _escape(env, started)
    try:
        assert _alive(escaped), "the group kill should not reach a setsid'd grandchild"
        assert escaped in kill_marked(token)
        assert wait_until(lambda: not _alive(escaped))
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(escaped, signal.SIGKILL)


def test_kill_marked_spares_other_runs_and_kills_what_dead_runs_left(
    started: list[subprocess.Popen[bytes]],
) -> None:
    pid, start, namespace = _owner_parts()
    envs = {
        "this": dict(os.environ),
        "other run": dict(os.environ),
        "dead run": {**os.environ, MARK_VARIABLE: f"{pid}-{int(start) + 1}-{namespace}-7"},
        "other namespace": {**os.environ, MARK_VARIABLE: f"{pid}-{start}-{int(namespace) + 1}-7"},
    }
    token = mark(envs["this"])
    mark(envs["other run"])
    pids = {name: _escape(env, started) for name, env in envs.items()}
    try:
        killed = kill_marked(token)
        assert sorted(killed) == sorted([pids["this"], pids["dead run"]])
        assert wait_until(lambda: not _alive(pids["this"]) and not _alive(pids["dead run"]))
        assert _alive(pids["other run"])
        assert _alive(pids["other namespace"])
    finally:
        for escaped in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(escaped, signal.SIGKILL)


# Run in a process of its own: kill_children() kills every child of the calling process,
# and pytest's may have others.
KILL_CHILDREN = """
import json, subprocess, sys, time
from hatch_airflow_go.process import kill_children, new_session
children = [
    subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, **new_session())
    for _ in range(2)
]
grandchildren = [int(child.stdout.readline()) for child in children]
killed = kill_children()
def state(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""
unreaped = [state(child.pid) for child in children]
codes = [child.wait() for child in children]
print(json.dumps({"children": [c.pid for c in children], "grandchildren": grandchildren,
                  "killed": killed, "unreaped": unreaped, "codes": codes}))
"""


def test_kill_children_kills_every_childs_group_and_leaves_them_unreaped() -> None:
    parent = PARENT_OF_SLEEPER.replace("sys.argv[1:]", "[]")
    result = subprocess.run(
        [sys.executable, "-c", KILL_CHILDREN, parent],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout)
    assert sorted(report["killed"]) == sorted(report["children"])
    assert report["unreaped"] == ["Z", "Z"]  # dead, and left for their owner to reap
    assert report["codes"] == [-signal.SIGKILL] * 2
    # Each child's group went with it: the grandchildren are dead too.
    assert wait_until(lambda: not any(_alive(pid) for pid in report["grandchildren"]))


def test_no_child_starts_once_the_program_is_stopping() -> None:
    signals.stop_starting(signal.SIGTERM)
    try:
        with pytest.raises(signals.Terminated) as stopped:
            subprocess.Popen(["true"], **new_session())
        assert stopped.value.signum == signal.SIGTERM
        assert stopped.value.exit_status == 143
    finally:
        signals.allow_starting()
    child = subprocess.Popen(["true"], **new_session())
    assert child.wait() == 0
