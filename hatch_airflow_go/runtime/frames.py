"""Frames of Airflow's task protocol: a 4-byte big-endian length, then a msgpack array.

The supervisor sends responses ``[id, body, error]`` (StartupDetails is one, with id 0); the
bundle sends requests ``[id, body]``. Datetimes travel as msgpack's timestamp extension, as
task-sdk's encoder writes them, and are read back as aware UTC datetimes. Reads are bounded in
size and time: a frame over :data:`MAX_FRAME` is refused from its length alone.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, Callable, Optional

import msgpack

MAX_FRAME = 64 * 1024 * 1024


class FrameError(Exception):
    """The peer sent something that is not a frame; ``outcome`` names how."""

    def __init__(self, outcome: str, message: str) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.message = message


@dataclass(frozen=True)
class Frame:
    """One decoded frame: ``error`` is set only for a response that carries one."""

    id: Any
    body: Any
    error: Any = None
    arity: int = 2

    @property
    def kind(self) -> Optional[str]:
        """The body's ``type`` (the task-sdk message class name), if it has one."""
        if isinstance(self.body, dict) and isinstance(self.body.get("type"), str):
            return str(self.body["type"])
        return None


def encode(message: Any) -> bytes:
    """The bytes of one frame: length prefix and msgpack payload (datetimes as timestamps)."""
    payload: bytes = msgpack.packb(message, use_bin_type=True, datetime=True)
    return len(payload).to_bytes(4, "big") + payload


def response(frame_id: int, body: Any = None, error: Any = None) -> bytes:
    """A supervisor's response frame, always three elements as task-sdk writes them."""
    return encode([frame_id, body, error])


class FrameReader:
    """Reads frames from a connected socket, each read bounded by ``time_left()``."""

    def __init__(self, conn: socket.socket, time_left: Callable[[], float]) -> None:
        self.conn = conn
        self.time_left = time_left

    def read(self, waiting_for: str) -> Optional[Frame]:
        """The next frame, or None when the peer closed the connection between frames.

        Raises :class:`FrameError` for a truncated, oversized or undecodable frame, and
        ``TimeoutError`` when the time runs out (its message says what was awaited).
        """
        header = self._exactly(4, waiting_for)
        if not header:
            return None
        if len(header) < 4:
            raise FrameError(
                "truncated-frame",
                f"truncated frame: the connection closed after {len(header)} of the 4 length bytes",
            )
        size = int.from_bytes(header, "big")
        if size > MAX_FRAME:
            raise FrameError(
                "oversized-frame",
                f"oversized frame: it declares {size} bytes, over the {MAX_FRAME}-byte limit",
            )
        payload = self._exactly(size, waiting_for)
        if len(payload) < size:
            raise FrameError(
                "truncated-frame",
                f"truncated frame: the connection closed after {len(payload)} of {size} bytes",
            )
        try:
            # msgpack raises many unrelated exception types on bad input, hence the broad except.
            value = msgpack.unpackb(
                payload, raw=False, strict_map_key=False, use_list=True, timestamp=3
            )
        except Exception as error:
            raise FrameError(
                "garbage-frame",
                f"garbage frame: {size} bytes that are not valid msgpack ({_name(error)})",
            ) from None
        if not isinstance(value, list) or len(value) < 2 or not isinstance(value[0], int):
            raise FrameError(
                "garbage-frame",
                f"garbage frame: not a msgpack array [id, body, ...] (got {short(value)})",
            )
        error_part = value[2] if len(value) > 2 else None
        return Frame(value[0], value[1], error_part, len(value))

    def _exactly(self, size: int, waiting_for: str) -> bytes:
        chunks = bytearray()
        while len(chunks) < size:
            left = self.time_left()
            if left <= 0:
                raise TimeoutError(waiting_for)
            self.conn.settimeout(min(left, 0.25))
            try:
                chunk = self.conn.recv(min(size - len(chunks), 1024 * 1024))
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            chunks += chunk
        return bytes(chunks)


def short(value: Any, limit: int = 200) -> str:
    """``repr`` cut to ``limit`` characters, for messages about what a peer sent."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _name(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
