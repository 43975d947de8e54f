"""``hatch-airflow-go run-task``: run one task of a bundle locally, the way Airflow would.

What ``airflow tasks test`` is for Python DAGs, for Go bundles, with no Airflow deployment:
the bundle is started with ``--comm``/``--logs``, sent ``StartupDetails`` for the task, and its
requests (connections, variables, XComs) are answered from values given on the command line or
in JSON files. Every call is printed, then the XComs the task pushed and its final state. Exit
0 when the task ends ``success``; 1 for any other state or a protocol failure.

``--supervisor airflow`` runs the task through task-sdk's released ``ExecutableCoordinator``
instead of the built-in supervisor (the ``airflow`` extra installs it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go.commands._args import positive_seconds
from hatch_airflow_go.errors import SmokeTestError
from hatch_airflow_go.format.footer import read_bundle, read_regions
from hatch_airflow_go.format.manifest import parse_embedded
from hatch_airflow_go.runtime.execution_api import Call, ExecutionState, state_from
from hatch_airflow_go.runtime.frames import short
from hatch_airflow_go.runtime.smoke import FIXES
from hatch_airflow_go.runtime.startup import TaskTarget, jsonable, startup_details
from hatch_airflow_go.runtime.supervisor import TaskRun, evidence, log_line, supervise

NAME = "run-task"
HELP = "run one task of a bundle locally under a supervisor with an in-memory execution API"
ORDER = 55


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, help="the bundle file")
    parser.add_argument("dag_id", help="the DAG the task belongs to")
    parser.add_argument("task_id", help="the task to run")
    parser.add_argument(
        "--conn",
        action="append",
        default=[],
        metavar="ID=URI|JSON",
        help="a connection, as an Airflow URI or a JSON object (repeatable)",
    )
    parser.add_argument(
        "--var", action="append", default=[], metavar="KEY=VALUE", help="a variable (repeatable)"
    )
    parser.add_argument(
        "--xcom",
        action="append",
        default=[],
        metavar="TASK_ID.KEY=JSON",
        help="an XCom an upstream task of the run pushed (repeatable)",
    )
    parser.add_argument(
        "--state",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help='JSON {"connections": {...}, "variables": {...}, "xcoms": '
        "{TASK_ID: {KEY: VALUE}}}; read before the flags above (repeatable)",
    )
    parser.add_argument("--run-id", default="manual__hatch-airflow-go", help="the DAG run id")
    parser.add_argument("--try-number", type=int, default=1, help="the try number (default 1)")
    parser.add_argument("--map-index", type=int, default=-1, help="the map index (default -1)")
    parser.add_argument(
        "--retry",
        action="store_true",
        help="tell the task a failure will be retried (should_retry)",
    )
    parser.add_argument(
        "--supervisor",
        choices=("local", "airflow"),
        default="local",
        help="local: hatch-airflow-go's own supervisor (default); airflow: "
        "task-sdk's released ExecutableCoordinator",
    )
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=300.0,
        metavar="SECONDS",
        help="how long the task may take in all (default: 300)",
    )
    parser.add_argument(
        "--startup-timeout",
        type=positive_seconds,
        default=10.0,
        metavar="SECONDS",
        help="how long the bundle gets to connect (default: 10, Airflow's)",
    )
    parser.add_argument("--json", action="store_true", help="print the run as one JSON object")


def run(args: argparse.Namespace) -> int:
    bundle: Path = args.bundle
    info = read_bundle(bundle)
    _source, manifest_bytes = read_regions(info)
    manifest = parse_embedded(manifest_bytes, path=bundle)
    if args.dag_id not in manifest.dags:
        known = ", ".join(sorted(manifest.dags)) or "none"
        raise SmokeTestError(
            f"the manifest has no dag {args.dag_id!r}, so Airflow would never start this bundle "
            "for it",
            path=bundle,
            fix=f"name one of its dags: {known}",
        )
    target = TaskTarget(
        dag_id=args.dag_id,
        task_id=args.task_id,
        run_id=args.run_id,
        try_number=args.try_number,
        map_index=args.map_index,
        should_retry=args.retry,
        max_tries=args.try_number if args.retry else 0,
    )
    state = state_from(
        files=tuple(args.state),
        connections=tuple(args.conn),
        variables=tuple(args.var),
        xcoms=tuple(args.xcom),
        dag_id=target.dag_id,
        run_id=target.run_id,
    )
    if args.supervisor == "airflow":
        return _run_released(args, bundle, target, state)
    if not args.json:
        print(
            f"running {target.dag_id}.{target.task_id} from {bundle} (run {target.run_id}, "
            f"try {target.try_number}) under hatch-airflow-go's supervisor",
            flush=True,
        )
    startup = startup_details(
        target, dag_rel_path=manifest.source or bundle.name, bundle_name=bundle.name
    )
    result = supervise(
        bundle,
        startup,
        state=state,
        timeout=args.timeout,
        startup_timeout=args.startup_timeout,
        on_call=None if args.json else _print_call,
    )
    if args.json:
        data = result.to_json()
        data["xcoms_pushed"] = _pushed(state)
        print(json.dumps(data, indent=2))
        return 0 if result.ok and result.state == "success" else 1
    _print_result(result, state)
    if not result.ok:
        raise SmokeTestError(
            f"run-task failed ({result.outcome}): {result.problems[0]}",
            path=bundle,
            fix=FIXES.get(result.outcome, FIXES["crashed"]),
            detail="\n".join(f"also: {problem}" for problem in result.problems[1:]),
        )
    return 0 if result.state == "success" else 1


def _run_released(
    args: argparse.Namespace, bundle: Path, target: TaskTarget, state: ExecutionState
) -> int:
    from hatch_airflow_go.runtime.released import run_released

    if not args.json:
        print(
            f"running {target.dag_id}.{target.task_id} from {bundle} under Airflow's "
            "ExecutableCoordinator (task-sdk)",
            flush=True,
        )
    # With --json, stdout carries the one JSON object: task-sdk's own log lines go to stderr.
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        result = run_released(
            bundle,
            target,
            state,
            timeout=args.timeout,
            startup_timeout=args.startup_timeout,
            logs_to_stdout=not args.json,
        )
    if args.json:
        data = result.to_json()
        data["xcoms_pushed"] = _pushed(state)
        print(json.dumps(data, indent=2))
    else:
        for call in result.calls:
            _print_call(call)
        _print_pushed(state)
        how = "killed at the timeout, " if result.killed else ""
        print(f"state: {result.state} ({how}exit {result.exit_code}, {result.seconds:.2f}s)")
    return 0 if result.state == "success" else 1


def _masked(body: Optional[dict[str, Any]]) -> Optional[dict[str, Any]]:
    # Airflow masks connection passwords in what it prints; so does this.
    if body and body.get("password"):
        return {**body, "password": "***"}
    return body


def _describe(body: Optional[dict[str, Any]]) -> str:
    if body is None:
        return "(empty: ok)"
    shown = {key: value for key, value in (_masked(body) or {}).items() if key != "type"}
    fields = " ".join(f"{key}={short(jsonable(value), 120)}" for key, value in shown.items())
    return f"{body.get('type', '?')} {fields}".rstrip()


def _print_call(call: Call) -> None:
    print(f"  -> {_describe(call.request)}")
    print(f"  <- {_describe(call.error if call.error is not None else call.reply)}", flush=True)


def _pushed(state: ExecutionState) -> list[dict[str, Any]]:
    return [
        {"task_id": key[2], "key": key[4], "map_index": key[3], "value": jsonable(value)}
        for key, value in state.pushed
    ]


def _print_pushed(state: ExecutionState) -> None:
    for item in _pushed(state):
        print(f"xcom pushed: {item['task_id']}.{item['key']} = {json.dumps(item['value'])}")


def _print_result(result: TaskRun, state: ExecutionState) -> None:
    for line in result.log_lines:
        print(f"  log {log_line(line)}")
    _print_pushed(state)
    terminal = result.terminal.get("type") if result.terminal else "no terminal message"
    exit_text = "still running (killed)" if result.exit_code is None else f"exit {result.exit_code}"
    print(f"state: {result.state} ({terminal}, {exit_text}, {result.seconds:.2f}s)")
    if result.ok and result.state != "success" and result.stderr.strip():
        sys.stderr.write(evidence(result).lstrip("; ") + "\n")
