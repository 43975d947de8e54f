"""``hatch-airflow-go smoke``: start a bundle the way Airflow's supervisor does, run nothing.

The bundle is started with ``--comm`` and ``--logs`` and sent ``StartupDetails`` for a task it
does not have; it must answer ``TaskState`` ``removed`` and exit 0 within the timeout. Exit 0
when it does, 1 otherwise with the named outcome, the reason and a fix. A bundle an editable
install put there whose Go sources changed since gets a warning (``--strict``: exit 1).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hatch_airflow_go import log
from hatch_airflow_go.build.editable import bundle_staleness
from hatch_airflow_go.commands._args import positive_seconds
from hatch_airflow_go.errors import AirflowGoError, SmokeTestError
from hatch_airflow_go.format import footer
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
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail when the bundle came from an editable install whose Go sources changed since",
    )


def _staleness(bundle: Path) -> list[str]:
    """Why an editable install's bundle no longer matches its Go sources (see verify)."""
    try:
        info = footer.read_bundle(bundle, check_hash=False)
    except AirflowGoError:
        return []  # smoke_test reports what is wrong with the file
    return bundle_staleness(bundle, info.binary_sha256_hex)


def run(args: argparse.Namespace) -> int:
    stale = _staleness(args.bundle)
    if stale and not args.json:
        for message in stale:
            log.warning(message)
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
    failed_strict = bool(stale) and args.strict
    if args.json:
        print(json.dumps({**result.to_json(), "stale_editable": stale}, indent=2))
        return 0 if result.ok and not failed_strict else 1
    if not result.ok:
        raise result.error()
    _print_success(result)
    if failed_strict:
        raise SmokeTestError(
            "the bundle ran, but it came from an editable install whose Go sources changed "
            "since (--strict)",
            path=args.bundle,
            fix="run the editable install again (`pip install -e .` in the project)",
        )
    return 0


def _print_success(result: SmokeResult) -> None:
    print(
        f"{result.bundle}: ok: started as Airflow's supervisor starts it, answered "
        f"TaskState removed for {result.probe_dag_id}.{result.probe_task_id} (a task it does "
        f"not have) and exited 0 ({result.run.seconds:.2f}s)"
    )
