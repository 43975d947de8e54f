"""The messages that start a task: ``StartupDetails`` and the ``TIRunContext`` inside it.

Shaped as task-sdk 1.3.2 builds them (``execution_time/comms.py`` and the execution API's
generated models): the task instance, the bundle, the start date and a DAG run context whose
``dag_run`` carries every field the API's model requires. Dates are aware datetimes; the frame
encoder writes them as msgpack timestamps and :func:`jsonable` as ISO 8601 text for JSON.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Optional


@dataclass(frozen=True)
class TaskTarget:
    """Which task instance to run, and the run it belongs to."""

    dag_id: str
    task_id: str
    run_id: str = "manual__hatch-airflow-go"
    try_number: int = 1
    map_index: int = -1
    max_tries: int = 0
    should_retry: bool = False
    ti_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    dag_version_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    logical_date: datetime = field(
        default_factory=lambda: datetime.now(timezone.utc).replace(microsecond=0)
    )


def task_instance(target: TaskTarget) -> dict[str, Any]:
    """The ``ti`` of StartupDetails (the API's ``TaskInstance``)."""
    return {
        "id": target.ti_id,
        "task_id": target.task_id,
        "dag_id": target.dag_id,
        "run_id": target.run_id,
        "try_number": target.try_number,
        "dag_version_id": target.dag_version_id,
        "map_index": target.map_index,
        "hostname": None,
        "context_carrier": None,
        "queue": "default",
    }


def ti_run_context(target: TaskTarget, now: Optional[datetime] = None) -> dict[str, Any]:
    """The API's ``TIRunContext`` for the task, as ``PATCH /task-instances/{id}/run`` returns it."""
    started = now or datetime.now(timezone.utc)
    return {
        "dag_run": {
            "dag_id": target.dag_id,
            "run_id": target.run_id,
            "logical_date": target.logical_date,
            "data_interval_start": target.logical_date,
            "data_interval_end": target.logical_date,
            "run_after": target.logical_date,
            "start_date": started,
            "end_date": None,
            "clear_number": 0,
            "run_type": "manual",
            "state": "running",
            "conf": {},
            "consumed_asset_events": [],
            "partition_key": None,
        },
        "task_reschedule_count": 0,
        "max_tries": target.max_tries,
        "variables": [],
        "connections": [],
        "should_retry": target.should_retry,
    }


def startup_details(
    target: TaskTarget,
    *,
    dag_rel_path: str,
    bundle_name: str,
    now: Optional[datetime] = None,
) -> dict[str, Any]:
    """The first frame's body."""
    started = now or datetime.now(timezone.utc)
    return {
        "type": "StartupDetails",
        "ti": task_instance(target),
        "dag_rel_path": dag_rel_path,
        "bundle_info": {"name": bundle_name, "version": None},
        "start_date": started,
        "ti_context": ti_run_context(target, started),
        "sentry_integration": "",
    }


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO 8601 text, for JSON."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value
