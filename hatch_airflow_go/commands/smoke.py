"""``hatch-airflow-go smoke``: run a bundle the way Airflow's DAG processor does, once.

The bundle is started as a coordinator-protocol child, asked to parse its DAGs, and its answer
is compared with the manifest it carries. Exit 0 when it connects, answers with a parse
result, exits 0 and reports the same dag ids (and task ids) as its manifest; exit 1 otherwise,
with the reason.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hatch_airflow_go.errors import AirflowGoError, SmokeTestError, UsageError
from hatch_airflow_go.runtime.coordinator import SmokeResult, smoke_test

NAME = "smoke"
HELP = "start a bundle over the coordinator protocol, ask it to parse its DAGs, check the answer"
ORDER = 50


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, help="the bundle file to run")
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="overall time the bundle gets to connect, answer and exit (default: 30)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the whole exchange as one JSON object"
    )


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")
    try:
        result = smoke_test(args.bundle, timeout=args.timeout)
    except AirflowGoError as error:
        if not args.json:
            raise
        # A machine reading --json gets the refusal in the same shape as a failed run.
        print(
            json.dumps(
                {
                    "bundle": str(args.bundle),
                    "ok": False,
                    "outcome": "invalid-bundle",
                    "problems": [error.summary()],
                },
                indent=2,
            )
        )
        return 1
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0 if result.ok else 1
    if not result.ok:
        raise _failure(result)
    _print_success(result)
    return 0


def _print_success(result: SmokeResult) -> None:
    tasks = sum(len(ids) for ids in result.task_ids.values())
    print(
        f"{result.bundle}: ok: answered a DagFileParseRequest with {len(result.dag_ids)} "
        f"dag(s) and {tasks} task(s) matching its manifest, exited 0 "
        f"({result.seconds:.2f}s)"
    )
    for dag_id in result.dag_ids:
        listed = result.task_ids.get(dag_id)
        shown = ", ".join(listed) if listed else "(no tasks listed)"
        print(f"  dag {dag_id}: {shown}")


def _failure(result: SmokeResult) -> SmokeTestError:
    first, *rest = result.problems
    detail_lines = [f"also: {problem}" for problem in rest]
    if result.exit_code is None:
        detail_lines.append("the bundle was still running and was killed")
    else:
        detail_lines.append(f"exit code: {result.exit_code}")
    return SmokeTestError(
        f"smoke test failed ({result.outcome}): {first}",
        path=result.bundle,
        fix=_fix_for(result.outcome),
        detail="\n".join(detail_lines),
    )


def _fix_for(outcome: str) -> str:
    fixes = {
        "mismatch": "the bundle registers different DAGs when it runs than when it was packed; "
        "make registration independent of flags and environment, then repack",
        "cannot-parse": "rebuild the bundle against an SDK version that answers "
        "DagFileParseRequest",
        "never-connected": "check that the bundle was built with an Airflow Go SDK and that "
        "its main function calls the SDK's entry point",
        "timeout": "look for blocking work at start-up (network calls, locks) in the DAG code, "
        "or raise --timeout",
    }
    return fixes.get(outcome, "run the bundle's DAG registration locally and fix the failure")
