"""Run a task through Airflow's released supervisor: task-sdk's ``ExecutableCoordinator``.

With ``apache-airflow-task-sdk`` installed, this hands the task to the released code itself:
``ExecutableCoordinator(executables_root=[DIR]).execute_task(...)``, with the execution API
served in memory through an ``httpx.MockTransport`` backed by the same
:class:`~hatch_airflow_go.runtime.execution_api.ExecutionState` our own supervisor uses. The
bundle is linked alone into a temporary folder that serves as ``executables_root``, so the
released ``_Bundle.find`` picks exactly this file, by dag id, as a deployment would.

task-sdk's coordinator names are private API: this module is tested against task-sdk 1.3.2.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go.errors import SmokeTestError, UsageError
from hatch_airflow_go.runtime.execution_api import Call, ExecutionState, connection_response
from hatch_airflow_go.runtime.startup import TaskTarget, jsonable, ti_run_context

TESTED_TASK_SDK = "1.3.2"


@dataclass
class ReleasedRun:
    """What the released supervisor reported, and the API calls it made for the task."""

    bundle: Path
    dag_id: str
    task_id: str
    exit_code: Optional[int]
    state: Optional[str]
    api_calls: list[tuple[str, str]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    final_state_update: Optional[dict[str, Any]] = None
    seconds: float = 0.0
    killed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "bundle": str(self.bundle),
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "supervisor": "airflow",
            "state": self.state,
            "exit_code": self.exit_code,
            "api_calls": [f"{method} {path}" for method, path in self.api_calls],
            "calls": [jsonable(call.to_json()) for call in self.calls],
            "final_state_update": self.final_state_update,
            "seconds": round(self.seconds, 3),
            "killed_at_timeout": self.killed,
        }


def _imports() -> Any:
    try:
        import httpx
        from airflow.sdk.api.client import Client
        from airflow.sdk.api.datamodels._generated import BundleInfo, TaskInstance
        from airflow.sdk.coordinators.executable.coordinator import ExecutableCoordinator
    except ImportError as error:
        raise UsageError(
            f"--supervisor airflow needs Airflow's task SDK, which cannot be imported ({error})",
            fix=f"pip install 'hatch-airflow-go[airflow]' (apache-airflow-task-sdk=="
            f"{TESTED_TASK_SDK}), or use the built-in supervisor (--supervisor local)",
        ) from None
    return httpx, Client, BundleInfo, TaskInstance, ExecutableCoordinator


class _Api:
    """The execution API's endpoints the supervisor calls for one task, in memory."""

    def __init__(self, target: TaskTarget, state: ExecutionState, run: ReleasedRun) -> None:
        self.target = target
        self.state = state
        self.run = run

    def handle(self, request: Any) -> Any:
        import httpx

        path = request.url.path.lstrip("/")
        method = request.method
        self.run.api_calls.append((method, path))
        ti = f"task-instances/{self.target.ti_id}"
        if method == "PATCH" and path == f"{ti}/run":
            return httpx.Response(200, json=jsonable(ti_run_context(self.target)))
        if method == "PUT" and path == f"{ti}/heartbeat":
            return httpx.Response(204)
        if method == "PATCH" and path == f"{ti}/state":
            self.run.final_state_update = json.loads(request.content or b"{}")
            return httpx.Response(204)
        if method == "PUT" and path == f"{ti}/rtif":
            return httpx.Response(201, json={"ok": True})
        match = re.fullmatch(r"connections/([^/]+)", path)
        if method == "GET" and match:
            return self._lookup({"type": "GetConnection", "conn_id": match.group(1)})
        match = re.fullmatch(r"variables/([^/]+)", path)
        if method == "GET" and match:
            return self._lookup({"type": "GetVariable", "key": match.group(1)})
        match = re.fullmatch(r"xcoms/([^/]+)/([^/]+)/([^/]+)/([^/]+)", path)
        if match:
            dag_id, run_id, task_id, key = match.groups()
            map_index = int(request.url.params.get("map_index", -1))
            body = {"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "key": key}
            body["map_index"] = map_index
            if method == "GET":
                call = self.state.answer({"type": "GetXCom", **body})
                self.run.calls.append(call)
                value = (call.reply or {}).get("value")
                if value is None:
                    return _not_found(f"XCom {key} not found")
                return httpx.Response(200, json={"key": key, "value": value})
            if method == "POST":
                value = json.loads(request.content or b"null")
                self.run.calls.append(
                    self.state.answer({"type": "SetXCom", **body, "value": value})
                )
                return httpx.Response(201, json={"ok": True})
        # Unknown endpoints get a 4xx: the client retries 5xx answers with back-off.
        return httpx.Response(
            404,
            json={"detail": {"reason": "not_found", "message": f"{method} {path} is not served"}},
        )

    def _lookup(self, body: dict[str, Any]) -> Any:
        import httpx

        call = self.state.answer(body)
        self.run.calls.append(call)
        reply = call.reply or {}
        if reply.get("type") == "ErrorResponse":
            return _not_found(f"{body['type']} {reply.get('detail')}")
        if body["type"] == "GetConnection":
            conn_id = body["conn_id"]
            return httpx.Response(
                200, json=connection_response(conn_id, self.state.connections[conn_id])
            )
        return httpx.Response(200, json={"key": reply.get("key"), "value": reply.get("value")})


def _not_found(message: str) -> Any:
    import httpx

    return httpx.Response(404, json={"detail": {"reason": "not_found", "message": message}})


@contextlib.contextmanager
def _executables_root(bundle: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="hatch-airflow-go-root-") as folder:
        root = Path(folder)
        (root / bundle.name).symlink_to(bundle.resolve())
        yield root


def _watchdog(bundle: Path, timeout: float, done: threading.Event, run: ReleasedRun) -> None:
    """Kill the bundle's process if it outlives ``timeout``: execute_task waits for it."""
    if done.wait(timeout):
        return
    import psutil

    target = str(bundle.resolve())
    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if child.cmdline()[:1] == [target]:
                child.kill()
                run.killed = True


def run_released(
    bundle: Path,
    target: TaskTarget,
    state: ExecutionState,
    *,
    timeout: float = 60.0,
    startup_timeout: float = 10.0,
    logs_to_stdout: bool = True,
    executables_root: Optional[Path] = None,
) -> ReleasedRun:
    """Run one task of ``bundle`` with task-sdk's own supervisor.

    ``executables_root`` lets the released code find the bundle by dag id in a deployed
    folder (as Airflow would); by default the bundle alone is linked into a temporary one.
    """
    httpx, client_class, bundle_info_class, ti_class, coordinator_class = _imports()
    from airflow.sdk.coordinators.executable import coordinator as coordinator_module

    run = ReleasedRun(bundle, target.dag_id, target.task_id, exit_code=None, state=None)
    api = _Api(target, state, run)
    client = client_class(
        base_url=None, dry_run=True, token="", transport=httpx.MockTransport(api.handle)
    )
    ti = ti_class(
        id=target.ti_id,
        task_id=target.task_id,
        dag_id=target.dag_id,
        run_id=target.run_id,
        try_number=target.try_number,
        dag_version_id=target.dag_version_id,
        map_index=target.map_index,
    )
    started = time.monotonic()
    done = threading.Event()
    chosen = contextlib.nullcontext(executables_root) if executables_root else None
    with chosen or _executables_root(bundle) as root:
        coordinator_module._digest_cache.clear()
        watchdog = threading.Thread(
            target=_watchdog, args=(bundle, timeout, done, run), daemon=True
        )
        watchdog.start()
        try:
            coordinator = coordinator_class(
                executables_root=[root], task_startup_timeout=startup_timeout
            )
            result = coordinator.execute_task(
                what=ti,
                dag_rel_path=bundle.name,
                bundle_info=bundle_info_class(name=bundle.name, version=None),
                client=client,
                subprocess_logs_to_stdout=logs_to_stdout,
            )
        except (FileNotFoundError, TimeoutError, RuntimeError, ValueError) as error:
            raise SmokeTestError(
                f"Airflow's supervisor could not run {target.dag_id}.{target.task_id}: {error}",
                path=bundle,
                fix="run `hatch-airflow-go verify` and `hatch-airflow-go smoke` on the bundle "
                "to see why",
            ) from None
        finally:
            done.set()
            watchdog.join(timeout=5.0)
    run.seconds = time.monotonic() - started
    run.exit_code = result.exit_code
    final = result.final_state
    run.state = getattr(final, "value", final) if final is not None else None
    return run
