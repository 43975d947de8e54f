"""The smoke test: does the bundle answer Airflow's supervisor, without running user code?

Airflow's ``ExecutableCoordinator`` finds a bundle by dag id, starts it with ``--comm`` and
``--logs`` and sends ``StartupDetails`` for one task. The smoke test does the same for a task
id that no bundle has (in the first DAG of the bundle's manifest), so the SDK looks the task
up, finds nothing and must answer with the terminal ``TaskState`` ``removed`` and exit 0. That
proves the binary starts, connects to both sockets within Airflow's startup timeout, reads the
first frame (msgpack with timestamps), looks tasks up by dag and task id and reports the state
the way the released supervisor reads it, while no task body runs. Before that it checks what
Airflow's reader would check: a bundle whose manifest names an unsupported
``supervisor_schema_version`` is never started by Airflow, so it is not started here either.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hatch_airflow_go.errors import PathLike, SmokeTestError
from hatch_airflow_go.format.footer import read_bundle, read_regions
from hatch_airflow_go.format.manifest import SUPPORTED_SCHEMA_VERSION, parse_embedded
from hatch_airflow_go.runtime.frames import short
from hatch_airflow_go.runtime.launch import DEFAULT_STARTUP_TIMEOUT
from hatch_airflow_go.runtime.startup import TaskTarget, startup_details
from hatch_airflow_go.runtime.supervisor import TaskRun, supervise

DEFAULT_TIMEOUT = 30.0
SMOKE_OUTCOMES = ("ok", "unsupported-schema", "not-removed")

# The fix for each outcome, right for bundles built on the Airflow Go SDK.
FIXES = {
    "unsupported-schema": "rebuild the bundle with an Airflow Go SDK whose "
    f"supervisor_schema_version is {SUPPORTED_SCHEMA_VERSION!r} (the one task-sdk 1.3 accepts)",
    "launch-failed": "make the file executable (chmod +x) and build it for this machine's platform",
    "never-connected": "make main() hand control to the SDK (the SDK's serve/main entry point) "
    "before any slow start-up work; Airflow gives a bundle 10 seconds to connect",
    "timeout": "look for blocking work at start-up (network calls, locks, reading stdin) in the "
    "code that runs before the SDK takes over, or raise --timeout",
    "crashed": "run the bundle with --comm and --logs under `hatch-airflow-go run-task` to see "
    "the failure, fix it and rebuild",
    "bad-exit": "the process must exit 0 once it has reported the task's state; do not call "
    "os.Exit with another status after the SDK returns",
    "no-terminal": "let the SDK report the task's state: return from main only after the SDK's "
    "entry point returns",
    "garbage-frame": "write nothing but the SDK's frames to the comm connection",
    "oversized-frame": "write nothing but the SDK's frames to the comm connection",
    "truncated-frame": "do not exit or close the comm connection while the SDK is writing",
    "error-frame": "rebuild the bundle with a released Airflow Go SDK",
    "wrong-reply": "rebuild the bundle with a released Airflow Go SDK: it answers a task it "
    "does not have with TaskState removed",
    "unexpected-request": "the bundle called the supervisor for a task it does not have: look "
    "tasks up by dag and task id before running any code (rebuild with a released SDK)",
    "not-removed": "rebuild the bundle with a released Airflow Go SDK: it answers a task it "
    "does not have with TaskState removed",
}


@dataclass
class SmokeResult:
    """The smoke test's verdict on one bundle, with the run it was based on."""

    run: TaskRun
    probe_dag_id: str
    probe_task_id: str

    @property
    def ok(self) -> bool:
        return self.run.ok

    @property
    def outcome(self) -> str:
        return self.run.outcome

    @property
    def problems(self) -> list[str]:
        return self.run.problems

    @property
    def bundle(self) -> Path:
        return self.run.bundle

    def fix(self) -> str:
        return FIXES.get(self.outcome, FIXES["crashed"])

    def error(self) -> SmokeTestError:
        """The failure as one error: first problem, the rest and the exit in the detail."""
        first, *rest = self.problems
        details = [f"also: {problem}" for problem in rest]
        if self.run.exit_code is not None:
            details.append(f"exit code: {self.run.exit_code}")
        elif self.outcome not in ("unsupported-schema", "launch-failed"):
            details.append("the bundle was still running and was killed")
        return SmokeTestError(
            f"smoke test failed ({self.outcome}): {first}",
            path=self.bundle,
            fix=self.fix(),
            detail="\n".join(details),
        )

    def to_json(self) -> dict[str, Any]:
        data = self.run.to_json()
        data.update(
            probe={"dag_id": self.probe_dag_id, "task_id": self.probe_task_id},
            fix=None if self.ok else self.fix(),
        )
        return data


def smoke_test(
    bundle: PathLike,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
) -> SmokeResult:
    """Start ``bundle`` as Airflow would for a task it does not have, and judge the answer.

    Raises :class:`~hatch_airflow_go.errors.BundleError` (or ``ManifestError``) when the file
    is not a valid bundle; everything the running bundle does wrong is in the result.
    """
    path = Path(bundle)
    info = read_bundle(path)
    _source, manifest_bytes = read_regions(info)
    manifest = parse_embedded(manifest_bytes, path=path)
    dag_id = next(iter(manifest.dags), "hatch_airflow_go_smoke")
    task_id = f"hatch-airflow-go-smoke-{secrets.token_hex(4)}"
    target = TaskTarget(dag_id=dag_id, task_id=task_id)
    schema = manifest.sdk.supervisor_schema_version
    if schema != SUPPORTED_SCHEMA_VERSION:
        run = TaskRun(bundle=path, dag_id=dag_id, task_id=task_id)
        run.fail(
            "unsupported-schema",
            f"the manifest's sdk.supervisor_schema_version is {short(schema)}; Airflow's "
            f"reader (task-sdk 1.3) starts only bundles with {SUPPORTED_SCHEMA_VERSION!r}, so "
            "it would skip this one",
        )
        return SmokeResult(run, dag_id, task_id)
    startup = startup_details(
        target, dag_rel_path=manifest.source or path.name, bundle_name=path.name
    )
    # No task body may run: any request the bundle makes is refused and fails the test.
    run = supervise(
        path, startup, answer=lambda _body: None, timeout=timeout, startup_timeout=startup_timeout
    )
    if run.ok and run.terminal is not None and run.state != "removed":
        run.fail(
            "not-removed",
            f"asked for task {task_id!r}, which the bundle does not have, it answered "
            f"{run.terminal.get('type')} (state {run.state}) instead of TaskState removed",
        )
    return SmokeResult(run, dag_id, task_id)
