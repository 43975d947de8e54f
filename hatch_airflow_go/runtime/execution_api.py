"""An in-memory stand-in for Airflow's execution API: connections, variables and XComs.

It answers a running task's requests the way task-sdk's supervisor does after asking the API
server: a ``ConnectionResult``, ``VariableResult`` or ``XComResult`` body; an ``ErrorResponse``
body (``CONNECTION_NOT_FOUND``, ``VARIABLE_NOT_FOUND``) for what does not exist; an empty body
after ``SetXCom``. Every request is recorded with its answer, in order, so a caller can show
what the task asked for. State comes from the command line or a JSON file (:func:`load_file`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import parse_qsl, unquote, urlsplit

from hatch_airflow_go.errors import UsageError

MAX_STATE_FILE = 16 * 1024 * 1024
CONNECTION_FIELDS = ("conn_type", "host", "schema", "login", "password", "port", "extra")


@dataclass(frozen=True)
class Call:
    """One request a task made and what it was answered."""

    request: dict[str, Any]
    reply: Optional[dict[str, Any]]
    error: Optional[dict[str, Any]] = None

    def to_json(self) -> dict[str, Any]:
        return {"request": self.request, "reply": self.reply, "error": self.error}


XComKey = tuple[str, str, str, int, str]  # dag_id, run_id, task_id, map_index, key
Reply = dict[str, Any]


@dataclass
class ExecutionState:
    """What the task can read and what it wrote."""

    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)
    xcoms: dict[XComKey, Any] = field(default_factory=dict)
    pushed: list[tuple[XComKey, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)

    def answer(self, body: Mapping[str, Any]) -> Call:
        """Answer one request body and record it."""
        request = dict(body)
        reply, error = self._answer(request)
        call = Call(request, reply, error)
        self.calls.append(call)
        return call

    def _answer(self, body: dict[str, Any]) -> tuple[Optional[dict[str, Any]], Optional[Reply]]:
        kind = body.get("type")
        if kind == "GetConnection":
            conn_id = str(body.get("conn_id"))
            conn = self.connections.get(conn_id)
            if conn is None:
                return _not_found("CONNECTION_NOT_FOUND", conn_id=conn_id), None
            return {"type": "ConnectionResult", **connection_response(conn_id, conn)}, None
        if kind == "GetVariable":
            key = str(body.get("key"))
            if key not in self.variables:
                return _not_found("VARIABLE_NOT_FOUND", key=key), None
            return {"type": "VariableResult", "key": key, "value": self.variables[key]}, None
        if kind == "GetXCom":
            xcom_key = _xcom_key(body)
            return {
                "type": "XComResult",
                "key": xcom_key[4],
                "value": self.xcoms.get(xcom_key),
            }, None
        if kind == "SetXCom":
            xcom_key = _xcom_key(body)
            self.xcoms[xcom_key] = body.get("value")
            self.pushed.append((xcom_key, body.get("value")))
            return None, None
        if kind == "DeleteXCom":
            self.xcoms.pop(_xcom_key(body), None)
            return None, None
        message = f"{kind!r} requests are not served by hatch-airflow-go's local supervisor"
        return {
            "type": "ErrorResponse",
            "error": "GENERIC_ERROR",
            "detail": {"message": message},
        }, None


def _not_found(error: str, **detail: str) -> dict[str, Any]:
    return {"type": "ErrorResponse", "error": error, "detail": detail}


def _xcom_key(body: Mapping[str, Any]) -> XComKey:
    map_index = body.get("map_index")
    return (
        str(body.get("dag_id")),
        str(body.get("run_id")),
        str(body.get("task_id")),
        map_index if isinstance(map_index, int) and map_index >= 0 else -1,
        str(body.get("key")),
    )


def connection_response(conn_id: str, conn: Mapping[str, Any]) -> dict[str, Any]:
    """A connection in the execution API's ``ConnectionResponse`` shape (every field)."""
    return {"conn_id": conn_id, **{name: conn.get(name) for name in CONNECTION_FIELDS}}


def parse_connection_uri(conn_id: str, uri: str) -> dict[str, Any]:
    """Read an Airflow connection URI (``postgres://user:pass@host:5432/schema?k=v``)."""
    parts = urlsplit(uri)
    if not parts.scheme:
        raise UsageError(
            f"connection {conn_id!r}: {uri!r} is not a connection URI",
            fix="give it as TYPE://[LOGIN[:PASSWORD]@]HOST[:PORT][/SCHEMA][?EXTRA=VALUE], or as "
            'JSON: --conn \'ID={"conn_type": "http", "host": "example.com"}\'',
        )
    try:
        port = parts.port
    except ValueError:
        raise UsageError(
            f"connection {conn_id!r}: the port in {uri!r} is not a number",
            fix="write the port as digits, e.g. postgres://db:5432/x",
        ) from None
    extra = dict(parse_qsl(parts.query, keep_blank_values=True))
    return {
        "conn_type": parts.scheme.replace("-", "_"),
        "host": unquote(parts.hostname) if parts.hostname else None,
        "schema": unquote(parts.path[1:]) if len(parts.path) > 1 else None,
        "login": unquote(parts.username) if parts.username is not None else None,
        "password": unquote(parts.password) if parts.password is not None else None,
        "port": port,
        "extra": json.dumps(extra) if extra else None,
    }


def parse_connection(spec: str) -> tuple[str, dict[str, Any]]:
    """``ID=URI`` or ``ID=JSON`` from the command line."""
    conn_id, sep, value = spec.partition("=")
    if not sep or not conn_id:
        raise UsageError(
            f"--conn {spec!r}: expected ID=URI or ID=JSON",
            fix="e.g. --conn warehouse=postgres://etl:secret@db:5432/dw",
        )
    if value.lstrip().startswith("{"):
        return conn_id, _connection_from_json(conn_id, _json(value, f"--conn {conn_id}"))
    return conn_id, parse_connection_uri(conn_id, value)


def _connection_from_json(conn_id: str, data: Any) -> dict[str, Any]:
    if isinstance(data, str):
        return parse_connection_uri(conn_id, data)
    if not isinstance(data, dict) or not isinstance(data.get("conn_type"), str):
        raise UsageError(
            f"connection {conn_id!r}: expected a URI string or an object with a string conn_type",
            fix='e.g. {"conn_type": "postgres", "host": "db", "port": 5432}',
        )
    unknown = sorted(set(data) - set(CONNECTION_FIELDS) - {"conn_id"})
    if unknown:
        raise UsageError(
            f"connection {conn_id!r}: unknown field(s) {', '.join(unknown)}",
            fix="use only " + ", ".join(CONNECTION_FIELDS),
        )
    conn = {name: data.get(name) for name in CONNECTION_FIELDS}
    if isinstance(conn["extra"], (dict, list)):
        conn["extra"] = json.dumps(conn["extra"])
    return conn


def parse_assignment(spec: str, flag: str) -> tuple[str, str]:
    """``KEY=VALUE`` from the command line."""
    key, sep, value = spec.partition("=")
    if not sep or not key:
        raise UsageError(f"{flag} {spec!r}: expected KEY=VALUE", fix=f"e.g. {flag} region=eu")
    return key, value


def parse_xcom(spec: str) -> tuple[str, str, Any]:
    """``TASK_ID.KEY=JSON``: an XCom an upstream task of the same run pushed."""
    target, sep, value = spec.partition("=")
    task_id, dot, key = target.rpartition(".")
    if not sep or not dot or not task_id or not key:
        raise UsageError(
            f"--xcom {spec!r}: expected UPSTREAM_TASK_ID.KEY=JSON",
            fix="e.g. --xcom extract.return_value='{\"rows\": 3}'",
        )
    return task_id, key, _json(value, f"--xcom {target}")


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise UsageError(
            f"{what}: not valid JSON ({error})",
            fix="quote the value for the shell, e.g. '\"text\"' for a JSON string",
        ) from None


def load_file(path: Path) -> dict[str, Any]:
    """A state file: ``{"connections": {ID: URI|{...}}, "variables": {K: V},
    "xcoms": {"TASK_ID": {KEY: VALUE}}}``, every part optional."""
    try:
        with path.open("rb") as handle:
            if not path.is_file():
                raise UsageError(f"{path}: not a regular file", path=path, fix="name a JSON file")
            raw = handle.read(MAX_STATE_FILE + 1)
    except OSError as error:
        raise UsageError(
            f"cannot read {path}: {error.strerror or error}", path=path, fix="name a JSON file"
        ) from None
    if len(raw) > MAX_STATE_FILE:
        raise UsageError(
            f"{path}: larger than {MAX_STATE_FILE} bytes", path=path, fix="use a smaller file"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise UsageError(
            f"{path}: not valid JSON ({error})", path=path, fix="fix the JSON"
        ) from None
    allowed = {"connections", "variables", "xcoms"}
    if not isinstance(data, dict) or set(data) - allowed:
        raise UsageError(
            f"{path}: expected an object with only connections, variables and xcoms",
            path=path,
            fix='e.g. {"variables": {"region": "eu"}}',
        )
    for part in allowed:
        if not isinstance(data.get(part, {}), dict):
            raise UsageError(f"{path}: {part} must be an object", path=path, fix="fix the JSON")
    return data


def state_from(
    *,
    files: tuple[Path, ...] = (),
    connections: tuple[str, ...] = (),
    variables: tuple[str, ...] = (),
    xcoms: tuple[str, ...] = (),
    dag_id: str,
    run_id: str,
) -> ExecutionState:
    """Build the state from files first, then command-line values (which win)."""
    state = ExecutionState()
    for path in files:
        data = load_file(path)
        for conn_id, value in data.get("connections", {}).items():
            state.connections[conn_id] = _connection_from_json(conn_id, value)
        for key, value in data.get("variables", {}).items():
            state.variables[key] = value if isinstance(value, str) else json.dumps(value)
        for task_id, values in data.get("xcoms", {}).items():
            if not isinstance(values, dict):
                raise UsageError(
                    f"{path}: xcoms.{task_id} must be an object of KEY: VALUE",
                    path=path,
                    fix='e.g. {"xcoms": {"extract": {"return_value": 3}}}',
                )
            for key, value in values.items():
                state.xcoms[(dag_id, run_id, task_id, -1, key)] = value
    for spec in connections:
        conn_id, conn = parse_connection(spec)
        state.connections[conn_id] = conn
    for spec in variables:
        key, value = parse_assignment(spec, "--var")
        state.variables[key] = value
    for spec in xcoms:
        task_id, key, value = parse_xcom(spec)
        state.xcoms[(dag_id, run_id, task_id, -1, key)] = value
    return state
