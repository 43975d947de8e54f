"""Ask a built bundle binary which DAGs and tasks it holds.

A bundle describes itself when run with an introspection flag. Three SDK generations answer
three different flags, so the flags are tried newest first and the first one the binary
accepts wins: ``--airflow-metadata --format json``, ``--airflow-metadata`` (YAML),
``--dump-bundle-spec``. ``--bundle-metadata`` (the oldest generation) names the SDK but lists
no DAGs; it is asked only to explain why packing cannot go on.

The binary is user code, so it is run defensively: a scrubbed environment without the
go-plugin magic cookie (an old bundle must not start serving), stdin closed, a timeout that
kills its whole process group, and stdout read incrementally up to a bound. The child carries
a run mark in its environment, so that what it starts outside its group (``setsid``, a
double fork) is found and killed after the run too (:func:`process.kill_marked`). One
budget, the timeout, covers the whole of :func:`introspect`: every run of the binary and the
reading of its answer.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Optional

from hatch_airflow_go import log
from hatch_airflow_go.errors import IntrospectionError, ManifestError, PathLike
from hatch_airflow_go.format.deadline import overdue, time_limit
from hatch_airflow_go.format.manifest import Manifest, merge_bundle_metadata, parse_introspection
from hatch_airflow_go.process import has_exited, kill_group, kill_marked, mark, new_session

# The flags that list DAGs, newest SDK generation first.
LISTING_FLAGS: tuple[tuple[str, ...], ...] = (
    ("--airflow-metadata", "--format", "json"),
    ("--airflow-metadata",),
    ("--dump-bundle-spec",),
)
# The oldest generation's flag: asked only to give a precise error.
IDENTITY_FLAG: tuple[str, ...] = ("--bundle-metadata",)

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_OUTPUT = 16 * 1024 * 1024
# Enough of stderr for any error message or Go panic header; the rest is drained and dropped.
MAX_STDERR = 64 * 1024

# What a bundle may see of our environment: enough for a Go program to run (temp dir, home,
# locale, time zone, Windows essentials) and nothing that configures Airflow or go-plugin.
_PASSED_ENV = (
    "PATH",
    "HOME",
    "TMPDIR",
    "TMP",
    "TEMP",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "SYSTEMROOT",
    "SYSTEMDRIVE",
    "USERPROFILE",
    "COMSPEC",
    "PATHEXT",
)
# Set by a go-plugin host to make an old bundle serve; such a bundle would then never exit.
_MAGIC_COOKIE = "AIRFLOW_BUNDLE_MAGIC_COOKIE"

# The exact messages a command-line parser prints for a flag it does not define: Go's flag
# package, cobra/pflag (long and shorthand forms) and the stand-in SDK. Each names the flag
# with its dash, so a program's own failure that merely says "unknown" is not taken for one.
_REJECTION_PATTERNS = (
    re.compile(r"flag provided but not defined: -"),
    re.compile(r"unknown flag: -"),
    re.compile(r"unknown shorthand flag: '.+' in -"),
    re.compile(r'unknown argument "-'),
)

_POLL_SECONDS = 0.25
_EXIT_POLL_SECONDS = 0.001
_READ_CHUNK = 64 * 1024


@dataclasses.dataclass(frozen=True)
class RunResult:
    """What one introspection run printed; stderr is cut at ``MAX_STDERR`` bytes."""

    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes
    seconds: float

    @property
    def flags(self) -> str:
        return " ".join(self.argv[1:])

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def rejected_flag(self) -> bool:
        """True when the binary failed because it does not know the flag it was given."""
        if self.returncode == 0:
            return False
        # Some parsers print their usage, and so the message, on stdout.
        said = (self.stderr + b"\n" + self.stdout[:MAX_STDERR]).decode("utf-8", errors="replace")
        return any(pattern.search(said) for pattern in _REJECTION_PATTERNS)


def introspection_environment(extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
    """The explicit environment a bundle is introspected in (never the magic cookie)."""
    env = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
    env.update(extra or {})
    env.pop(_MAGIC_COOKIE, None)
    return env


class _Drain(threading.Thread):
    """Reads one pipe to its end, keeping at most ``keep`` bytes.

    With ``stop_when_full`` it stops at the bound and sets ``overflowed`` (stdout: the child
    is then killed); otherwise it keeps reading and drops the excess (stderr: the child must
    never block on a full pipe).
    """

    def __init__(self, pipe: IO[bytes], keep: int, *, stop_when_full: bool) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.keep = keep
        self.stop_when_full = stop_when_full
        self.chunks: list[bytes] = []
        self.size = 0
        self.overflowed = threading.Event()
        self.ended = threading.Event()  # end of file, overflow, or a closed pipe

    def run(self) -> None:
        try:
            self._read()
        finally:
            self.ended.set()

    def _read(self) -> None:
        fd = self.pipe.fileno()
        try:
            while True:
                chunk = os.read(fd, _READ_CHUNK)
                if not chunk:
                    return
                room = self.keep - self.size
                if len(chunk) > room:
                    if room > 0:
                        self.chunks.append(chunk[:room])
                        self.size += room
                    self.overflowed.set()
                    if self.stop_when_full:
                        return
                    continue
                self.chunks.append(chunk)
                self.size += len(chunk)
        except OSError:
            return  # the pipe was closed under us after a kill

    def data(self) -> bytes:
        return b"".join(self.chunks)


def _start(argv: Sequence[str], env: Mapping[str, str], binary: Path) -> subprocess.Popen[bytes]:
    """Start the binary leading its own process group, or explain why it cannot run here."""
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
            cwd=binary.parent,
            bufsize=0,
            **new_session(),
        )
    except OSError as exc:
        raise _cannot_execute(binary, exc) from exc


def _cannot_execute(binary: Path, exc: OSError) -> IntrospectionError:
    if exc.errno == errno.ENOEXEC or getattr(exc, "winerror", None) == 193:
        return IntrospectionError(
            "cannot execute the binary: exec format error (it was built for another "
            "operating system or CPU architecture than this host)",
            path=binary,
            fix="introspect a twin of the bundle built for this host (the packer does this for "
            "cross-compiled targets), or pass --metadata FILE with its pre-captured manifest",
        )
    if isinstance(exc, FileNotFoundError):
        return IntrospectionError(
            "the binary does not exist",
            path=binary,
            fix="build the bundle first, or point at the built executable",
        )
    if isinstance(exc, PermissionError):
        return IntrospectionError(
            "cannot execute the binary: permission denied",
            path=binary,
            fix=f"make it executable (chmod +x {binary}) and check the file system allows exec",
        )
    return IntrospectionError(
        f"cannot execute the binary: {exc.strerror or exc}",
        path=binary,
        fix="check that the file is a complete executable built for this host",
    )


def run_binary(
    binary: PathLike,
    args: Sequence[str],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: int = DEFAULT_MAX_OUTPUT,
    env: Optional[Mapping[str, str]] = None,
    deadline: Optional[float] = None,
) -> RunResult:
    """Run ``binary args`` once, bounded in time and output, and return what it printed.

    ``deadline`` (``time.monotonic()``) ends the run earlier than ``timeout`` would: the end
    of a budget that ``timeout`` is the whole of, and that the message names.

    Raises IntrospectionError when it cannot be started, does not finish within ``timeout``
    seconds, or prints more than ``max_output`` bytes on stdout; in the last two cases its
    whole process group is killed first. A non-zero exit is returned, not raised.
    """
    path = Path(binary)
    argv = (str(path.absolute()), *args)
    run_env = introspection_environment(env)
    run_mark = mark(run_env)
    log.debug(log.format_command(argv))
    started = time.monotonic()
    proc = _start(argv, run_env, path)
    assert proc.stdout is not None
    assert proc.stderr is not None
    out = _Drain(proc.stdout, max_output, stop_when_full=True)
    err = _Drain(proc.stderr, MAX_STDERR, stop_when_full=False)
    out.start()
    err.start()
    deadline = started + timeout if deadline is None else min(deadline, started + timeout)
    timed_out = False
    try:
        while not has_exited(proc):
            if out.overflowed.is_set():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            if out.ended.is_set():
                # stdout closed: the exit is a moment away, so look again soon.
                time.sleep(min(_EXIT_POLL_SECONDS, remaining))
            else:
                # Wake the moment stdout closes (the usual sign of exit), not on a timer.
                out.ended.wait(min(remaining, _POLL_SECONDS))
    finally:
        # Always: a well-behaved bundle leaves nothing behind, and a misbehaving one must not.
        # The loop above never reaps the child, so its group id is still ours to kill.
        kill_group(proc)
        proc.wait()
        kill_marked(run_mark)  # what it started outside its group: setsid, double forks
        for drain in (out, err):
            drain.join(timeout=5.0)
            # A reader still blocked (a daemonised grandchild holds the pipe) keeps its fd:
            # closing it under the read could let a reused fd number be read instead.
            if not drain.is_alive():
                drain.pipe.close()
    seconds = time.monotonic() - started
    result = RunResult(argv, proc.returncode, out.data(), err.data(), seconds)
    command = log.format_command(argv)
    if out.overflowed.is_set():
        raise IntrospectionError(
            f"printed more than {max_output:,} bytes for `{result.flags}` and was stopped; "
            "a bundle manifest is never that large",
            path=path,
            fix="make sure nothing else writes to stdout when the bundle is asked for its "
            "metadata (logging belongs on stderr), or pass --metadata FILE",
            detail=_detail(command, result),
        )
    if timed_out:
        raise IntrospectionError(
            f"did not answer within {timeout:g} s when run with `{result.flags}`, and was killed",
            path=path,
            fix="make the bundle answer introspection flags before it connects to anything "
            "or waits for input; raise the introspection timeout if it is only slow, or "
            "pass --metadata FILE",
            detail=_detail(command, result),
        )
    return result


def _with_identity(
    path: Path, manifest: Manifest, run: Callable[[Sequence[str]], RunResult]
) -> Manifest:
    """Fill a listing that names no SDK version from ``--bundle-metadata`` (name, version):
    some SDKs that answer ``--dump-bundle-spec`` keep their version there."""
    identity = run(IDENTITY_FLAG)
    if identity.returncode != 0:
        return manifest  # nothing better to be had: the manifest checks report the gap
    return merge_bundle_metadata(manifest, identity.stdout, path=path)


def _detail(command: str, result: RunResult) -> str:
    lines = [command]
    text = result.stderr_text.rstrip()
    if text:
        lines.append(text)
    if len(result.stderr) >= MAX_STDERR:
        lines.append(f"[stderr cut at {MAX_STDERR:,} bytes]")
    return "\n".join(lines)


def _failed(binary: Path, result: RunResult) -> IntrospectionError:
    if result.returncode < 0:
        status = f"was killed by signal {-result.returncode}"
    else:
        status = f"exited with status {result.returncode}"
    return IntrospectionError(
        f"`{result.flags}` {status} instead of printing its metadata",
        path=binary,
        fix="run the command below to see the error; the bundle's main() must be able to "
        "start on the build host without its runtime configuration",
        detail=_detail(log.format_command(result.argv), result),
    )


def _parse(binary: Path, result: RunResult) -> Manifest:
    try:
        manifest = parse_introspection(result.stdout, flag=result.flags, path=binary)
    except ManifestError as exc:
        if overdue() is not None:
            raise IntrospectionError(
                f"its {len(result.stdout):,}-byte answer to `{result.flags}` could not be read "
                "within the introspection timeout, and reading was stopped",
                path=binary,
                fix="a manifest is a few kilobytes: make the bundle print only its metadata for "
                "this flag; raise the introspection timeout if it really lists that many DAGs, "
                "or pass --metadata FILE",
                detail=log.format_command(result.argv),
            ) from None
        shown = result.stdout[:120]
        detail = "\n".join(
            part
            for part in (
                log.format_command(result.argv),
                exc.detail or "",
                f"stdout began with: {shown!r}",
            )
            if part
        )
        raise IntrospectionError(
            f"`{result.flags}` printed something that is not bundle metadata: {exc.problem}",
            path=binary,
            fix="the bundle (or a library it imports) must print nothing but the metadata on "
            "stdout for this flag; or pass --metadata FILE",
            detail=detail,
        ) from exc
    if manifest.source is not None:
        manifest = dataclasses.replace(manifest, source=None)
    return manifest


def introspect(
    binary: PathLike,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_output: int = DEFAULT_MAX_OUTPUT,
    env: Optional[Mapping[str, str]] = None,
) -> Manifest:
    """The manifest a built bundle binary reports about itself (``source`` is ``None``).

    ``timeout`` bounds the whole call, every run and the reading of the answer together;
    ``max_output`` bounds each run's stdout; ``env`` adds variables to the scrubbed
    environment. Raises IntrospectionError naming the binary, the flag and the fix.
    """
    path = Path(binary)
    deadline = time.monotonic() + timeout

    def run(flags: Sequence[str]) -> RunResult:
        return run_binary(
            path, flags, timeout=timeout, max_output=max_output, env=env, deadline=deadline
        )

    if not path.is_file():
        raise IntrospectionError(
            "the binary does not exist" if not path.exists() else "not a regular file",
            path=path,
            fix="build the bundle first, or point at the built executable",
        )
    rejections: list[RunResult] = []
    for flags in LISTING_FLAGS:
        result = run(flags)
        if result.returncode == 0:
            with time_limit(deadline, timeout):
                manifest = _parse(path, result)
            if not manifest.dags:
                raise IntrospectionError(
                    "bundle exposes no dags: nothing to pack",
                    path=path,
                    fix="register at least one DAG in the bundle's main package before it "
                    "hands control to the SDK",
                )
            log.debug(f"{path}: `{result.flags}` listed {len(manifest.dags)} dag(s)")
            if not manifest.sdk.version:
                manifest = _with_identity(path, manifest, run)
            return manifest
        if not result.rejected_flag():
            raise _failed(path, result)
        rejections.append(result)

    oldest = run(IDENTITY_FLAG)
    if oldest.returncode == 0:
        raise IntrospectionError(
            "binary only answers --bundle-metadata: its SDK is too old to list DAGs",
            path=path,
            fix="upgrade the Airflow Go SDK or pass --metadata FILE",
            detail=_detail(log.format_command(oldest.argv), oldest) if oldest.stderr else None,
        )
    if not oldest.rejected_flag():
        raise _failed(path, oldest)
    rejections.append(oldest)
    tried = ", ".join(f"`{r.flags}`" for r in rejections)
    raise IntrospectionError(
        f"binary answers none of the introspection flags ({tried}): it is not an Airflow Go "
        "SDK bundle, or its SDK predates bundle introspection",
        path=path,
        fix="build it with a current Airflow Go SDK, or pass --metadata FILE",
        detail=_detail(log.format_command(rejections[0].argv), rejections[0]),
    )
