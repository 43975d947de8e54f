"""Temporary files and folders that never outlive a run, even one that was killed.

Three rules, one per way a run can end:

- **Finished or failed**: every temporary path is removed (or published) by the code that
  made it, in ``finally``.
- **Stopped by a signal** (SIGTERM, SIGHUP, SIGINT; see :mod:`hatch_airflow_go.signals`):
  the paths still registered here (:func:`track`) are removed on the way out, even when the
  signal landed in the middle of the cleanup itself.
- **Killed** (SIGKILL, out of memory, power loss): a file being written is an unnamed file
  (Linux ``O_TMPFILE``) that the kernel frees with the process, so nothing is left. Named
  temporary paths (scratch folders, and files where unnamed ones do not exist) carry their
  owner in their name, ``<prefix><pid>-<start time>-<pid namespace>-<random><suffix>``,
  and the next run that makes one in the same folder removes those whose owner is gone
  (:func:`sweep`): only entries that match the exact pattern, belong to the current user,
  are real files or folders (never a symbolic link), and whose owner process no longer
  exists (the pid is free, or now belongs to a process started at another time). An entry
  named in another pid namespace (a container sharing the folder) is left for an hour
  before it counts as stale, since its owner cannot be looked up from here.

This module uses only the standard library and :mod:`hatch_airflow_go.signals` (itself a
leaf), so every layer can use it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Optional

from hatch_airflow_go import signals

SCRATCH_PREFIX = "hatch-airflow-go-"
# An entry tagged in another pid namespace is stale once it is this old.
FOREIGN_STALE_SECONDS = 3600.0
_TAG = r"(\d+)-(\d+)-(\d+)-[0-9a-f]{8}"
_PROC_FD = "/proc/self/fd"

_lock = threading.Lock()
_tracked: set[Path] = set()
_tag_cache: dict[int, str] = {}


def _start_time(pid: int) -> Optional[int]:
    """A process's start time (clock ticks since boot) from /proc, None if there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count after the last ")".
    fields = data[data.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 of the whole line
    except (IndexError, ValueError):
        return None


def _pid_namespace() -> int:
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def owner_tag() -> str:
    """``<pid>-<start time>-<pid namespace>`` of this process (zeros where unknown)."""
    pid = os.getpid()
    tag = _tag_cache.get(pid)  # a forked child has a pid, and so a tag, of its own
    if tag is None:
        tag = f"{pid}-{_start_time(pid) or 0}-{_pid_namespace()}"
        _tag_cache[pid] = tag
    return tag


def owner_gone(pid: int, start: int, namespace: int, *, mtime: float) -> bool:
    """Whether the process that named a path ``pid-start-namespace`` no longer runs.

    Unknowable cases count as running, except that a path from another pid namespace (or
    from a system without /proc) is stale once it is FOREIGN_STALE_SECONDS old.
    """
    old = time.time() - mtime > FOREIGN_STALE_SECONDS
    if namespace == 0 or namespace != _pid_namespace():
        return old
    if pid == os.getpid():
        return start != (_start_time(pid) or 0)
    current = _start_time(pid)
    return current is None or current != start


def owned_name(prefix: str, suffix: str = "") -> str:
    """A fresh name carrying this process's tag: ``prefix + tag + "-" + random + suffix``."""
    return f"{prefix}{owner_tag()}-{os.urandom(4).hex()}{suffix}"


def _pattern(prefix: str, suffix: str) -> re.Pattern[str]:
    return re.compile(re.escape(prefix) + _TAG + re.escape(suffix))


def sweep(directory: Path, prefix: str, suffix: str = "") -> list[Path]:
    """Remove what killed runs left in ``directory`` under ``prefix``/``suffix``; see above.

    Never raises: a folder that cannot be listed, or an entry that cannot be removed, is
    left as it is. Returns the paths removed.
    """
    pattern = _pattern(prefix, suffix)
    uid = os.geteuid() if hasattr(os, "geteuid") else None
    removed: list[Path] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        path = Path(entry.path)
        with _lock:
            if path in _tracked:
                continue  # this process's own, in use
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if uid is not None and st.st_uid != uid:
            continue
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            continue
        pid, start, namespace = (int(group) for group in match.groups())
        if not owner_gone(pid, start, namespace, mtime=st.st_mtime):
            continue
        if _remove(path, directory=stat.S_ISDIR(st.st_mode)):
            removed.append(path)
    return removed


def _remove(path: Path, *, directory: bool) -> bool:
    import shutil  # only here: the CLI's start-up does not pay for it

    try:
        if directory:
            shutil.rmtree(path)
        else:
            path.unlink()
    except FileNotFoundError:
        return True
    except OSError:
        return False
    return True


def track(path: Path) -> None:
    """Remember a temporary path to remove if the run is stopped before it is done with it."""
    with _lock:
        _tracked.add(path)


def untrack(path: Path) -> None:
    with _lock:
        _tracked.discard(path)


def tracked() -> list[Path]:
    with _lock:
        return sorted(_tracked)


def remove_tracked() -> list[Path]:
    """Remove every tracked path (a signal stopped the run, or the interpreter exits)."""
    with _lock:
        paths = sorted(_tracked, key=lambda path: len(path.parts), reverse=True)
        _tracked.clear()
    removed = []
    for path in paths:
        try:
            st = path.lstat()
        except OSError:
            continue
        if _remove(path, directory=stat.S_ISDIR(st.st_mode)):
            removed.append(path)
    return removed


# An exception that ends the interpreter still runs atexit: nothing tracked stays.
atexit.register(remove_tracked)


def make_directory(parent: Path, prefix: str) -> Path:
    """A new tracked folder (mode 0700) in ``parent`` named with this run's tag, after a sweep
    of the stale ones with the same prefix. The caller removes it (:func:`discard`)."""
    sweep(parent, prefix)
    while True:
        path = parent / owned_name(prefix)
        with signals.deferred():  # a signal between the two would leave it unregistered
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:  # pragma: no cover - 32 random bits collided
                continue
            track(path)
        return path


def discard(path: Path) -> None:
    """Remove a tracked temporary folder or file; errors are ignored."""
    try:
        st = path.lstat()
    except OSError:
        untrack(path)
        return
    _remove(path, directory=stat.S_ISDIR(st.st_mode))
    untrack(path)


def system_temp_dir() -> Path:
    """``tempfile.gettempdir()``, whose first call writes and removes a probe file: a stop in
    between would leave the probe behind, so it is held back until the probe is gone."""
    import tempfile  # only here: the CLI's start-up does not pay for it

    with signals.deferred():
        return Path(tempfile.gettempdir())


def sweep_scratch() -> list[Path]:
    """:func:`sweep` the system temporary folder for scratch folders killed runs left."""
    return sweep(system_temp_dir(), SCRATCH_PREFIX)


@contextlib.contextmanager
def scratch_directory(prefix: str = SCRATCH_PREFIX) -> Iterator[Path]:
    """Like ``tempfile.TemporaryDirectory``, in the system temporary folder, but tracked,
    named with this run's tag and swept by the next run if this one is killed."""
    path = make_directory(system_temp_dir(), prefix)
    try:
        yield path
    finally:
        discard(path)


def _unnamed_files_work() -> bool:
    return hasattr(os, "O_TMPFILE") and os.path.isdir(_PROC_FD)


class AtomicFile:
    """A file written in full before it appears under its name, in one atomic step.

    Where Linux offers it, the data goes to an unnamed file in the target's folder
    (``O_TMPFILE``): nothing of it is ever visible, and the kernel frees it if the process
    dies. :meth:`commit` links it in (``linkat`` through ``/proc/self/fd``) when the target
    does not exist, else links it to a tracked temporary name and renames that onto the
    target. Elsewhere it is a named, tracked temporary file ``.<name>.<tag>.tmp``, swept by
    the next write into the folder if this run is killed. Until :meth:`commit` the target is
    untouched; :meth:`abort` (or leaving the ``with`` block by an exception) removes every
    trace. Raises OSError like ``os.open`` does.
    """

    def __init__(self, target: Path, *, mode: int = 0o644) -> None:
        self.target = target
        self.mode = mode
        self.directory = target.parent
        self.prefix = f".{target.name}."
        self.named: Optional[Path] = None
        sweep(self.directory, self.prefix, ".tmp")
        flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
        self.fd = -1
        if _unnamed_files_work():
            try:
                self.fd = os.open(self.directory, os.O_TMPFILE | flags, 0o600)
            except OSError:
                self.fd = -1  # the file system has no unnamed files: use a named one
        if self.fd < 0:
            named = self.directory / owned_name(self.prefix, ".tmp")
            track(named)
            try:
                self.fd = os.open(named, flags | os.O_CREAT | os.O_EXCL, 0o600)
            except BaseException:
                untrack(named)
                raise
            self.named = named

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd >= 0 or self.named is not None:
            self.abort()

    def commit(self, *, durable: bool = False) -> None:
        """Give the file its mode and name; ``durable`` fsyncs the data (and the folder)."""
        try:
            if sys.platform != "win32":
                os.fchmod(self.fd, self.mode)
            if durable:
                os.fsync(self.fd)
            if self.named is None:
                self._link_unnamed()
            else:
                os.close(self.fd)
                self.fd = -1
                os.replace(self.named, self.target)
                untrack(self.named)
                self.named = None
        except BaseException:
            self.abort()
            raise
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if durable:
            _fsync_directory(self.directory)

    def _link_unnamed(self) -> None:
        source = f"{_PROC_FD}/{self.fd}"
        dir_fd = os.open(self.directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            # A destination folder descriptor makes os.link use linkat(AT_SYMLINK_FOLLOW),
            # which links the file /proc/self/fd/N stands for (plain link() links nothing).
            try:
                os.link(source, self.target.name, dst_dir_fd=dir_fd, follow_symlinks=True)
                return
            except FileExistsError:
                pass
            temporary = owned_name(self.prefix, ".tmp")
            path = self.directory / temporary
            track(path)
            try:
                os.link(source, temporary, dst_dir_fd=dir_fd, follow_symlinks=True)
                os.replace(temporary, self.target.name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary, dir_fd=dir_fd)
                raise
            finally:
                untrack(path)
        finally:
            os.close(dir_fd)

    def abort(self) -> None:
        """Throw the file away; the target stays as it was."""
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1
        if self.named is not None:
            with contextlib.suppress(OSError):
                self.named.unlink()
            untrack(self.named)
            self.named = None


def _fsync_directory(directory: Path) -> None:
    """Make a rename durable; some platforms cannot open a folder, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def copy_file(source: Path, target: Path, *, mode: int = 0o644) -> None:
    """Copy ``source`` onto ``target`` atomically (an :class:`AtomicFile`); raises OSError."""
    with open(source, "rb") as reader, AtomicFile(target, mode=mode) as out:
        _copy_fd(reader.fileno(), out.fd)
        out.commit()


def _copy_fd(src: int, dst: int) -> None:
    """Copy all of ``src`` to ``dst`` in the kernel where it can (sendfile), else by reads."""
    sendfile = getattr(os, "sendfile", None)
    if sendfile is not None and sys.platform.startswith("linux"):
        offset = 0
        while True:
            sent = sendfile(dst, src, offset, 1 << 30)
            if sent == 0:
                return
            offset += sent
    while True:
        chunk = os.read(src, 1 << 20)
        if not chunk:
            return
        view = memoryview(chunk)
        while view:
            view = view[os.write(dst, view) :]


def write_bytes(target: Path, data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``target`` atomically (an :class:`AtomicFile`); raises OSError."""
    with AtomicFile(target, mode=mode) as out:
        view = memoryview(data)
        while view:
            view = view[os.write(out.fd, view) :]
        out.commit()
