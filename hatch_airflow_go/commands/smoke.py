"""``hatch-airflow-go smoke``: start a bundle the way Airflow's supervisor does, run nothing.

The bundle is started with ``--comm`` and ``--logs`` and sent ``StartupDetails`` for a task it
does not have; it must answer ``TaskState`` ``removed`` and exit 0 within the timeout. Exit 0
when it does, 1 otherwise with the named outcome, the reason and a fix.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hatch_airflow_go.commands._args import positive_seconds
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.runtime.smoke import DEFAULT_TIMEOUT, SmokeResult, smoke_test

NAME = "smoke"
HELP = "start a bundle as Airflow's supervisor does, for a task it lacks: it must answer removed"
ORDER = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, help="the bundle file to run")
    parser.add_argument(
        "--timeout",
        type=positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"overall time the bundle gets to connect, answer and exit (default: "
        f"{DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the whole exchange as one JSON object"
    )


def run(args: argparse.Namespace) -> int:
    try:
        result = smoke_test(args.bundle, timeout=args.timeout)
    except AirflowGoError as error:
        if not args.json:
            raise
        # A machine reading --json gets the refusal in the same shape as a failed run.
        refusal = {
            "bundle": str(args.bundle),
            "ok": False,
            "outcome": "invalid-bundle",
            "problems": [error.summary()],
            "fix": error.fix,
        }
        print(json.dumps(refusal, indent=2))
        return 1
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0 if result.ok else 1
    if not result.ok:
        raise result.error()
    _print_success(result)
    return 0


def _print_success(result: SmokeResult) -> None:
    print(
        f"{result.bundle}: ok: started as Airflow's supervisor starts it, answered "
        f"TaskState removed for {result.probe_dag_id}.{result.probe_task_id} (a task it does "
        f"not have) and exited 0 ({result.run.seconds:.2f}s)"
    )
