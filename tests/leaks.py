"""Checks that a supervised run left nothing behind: no process, listener, socket or thread."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def processes_running(path: Path) -> list[int]:
    """Pids whose executable or argv[0] is ``path``."""
    found = []
    target = str(path.absolute())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv0 = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            exe = os.readlink(entry / "exe") if argv0 != target else target
        except OSError:
            continue
        if target in (argv0, exe):
            found.append(int(entry.name))
    return found


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR lets the bind succeed past TIME_WAIT leftovers of closed connections, but
    # never while a socket is still listening on the port.
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind(("127.0.0.1", port))
        probe.listen(1)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def open_socket_count() -> int:
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if os.readlink(fd).startswith("socket:"):
                count += 1
        except OSError:
            continue
    return count


@contextmanager
def nothing_left(bundles: list[Path], ports: list[tuple[int, int]]) -> Iterator[None]:
    """Around a block that runs bundles: afterwards none of them runs, no port they were given
    still listens, and this process has the sockets and threads it had before."""
    threads_before = threading.active_count()
    sockets_before = open_socket_count()
    yield
    assert bundles, "the block recorded no bundle to check"
    for bundle in bundles:
        assert processes_running(bundle) == [], f"{bundle} still runs"
    for pair in ports:
        for port in pair:
            assert port > 0
            assert port_is_free(port), f"port {port} is still listening"
    assert threading.active_count() == threads_before
    assert open_socket_count() == sockets_before
