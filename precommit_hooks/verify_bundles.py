"""Pre-commit hook ``verify-bundles``: committed bundle files must pass verification.

A bundle is recognised by its trailer's magic, never by its name: every file pre-commit
passes is probed cheaply (size and last eight bytes) and files without the magic are left
alone, so the hook can run over a whole repository. Each bundle found is verified as
``hatch-airflow-go verify`` does: trailer, binary hash, regions, manifest shape and ids.
What Airflow would not run fails: a bundle without the executable bit (its scanner skips it)
and ids its server refuses. ``--allow-airflow-rejects`` makes those warnings; ``--strict``
makes every warning fail.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Optional

from hatch_airflow_go.format import footer
from precommit_hooks._common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    argv_list,
    guarded,
    print_finding,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify-bundles",
        description=(
            "Verify committed Airflow Go executable bundles (found by their trailer magic); "
            "other files are ignored."
        ),
    )
    parser.add_argument("filenames", nargs="*", help="files to look at (pre-commit passes them)")
    parser.add_argument(
        "--strict", action="store_true", help="fail on warnings too (e.g. dags without tasks)"
    )
    parser.add_argument(
        "--allow-airflow-rejects",  # verify.ALLOW_REJECTS_FLAG; not imported: it loads yaml
        action="store_true",
        dest="allow_airflow_rejects",
        help="only warn about what Airflow rejects: ids its server refuses, no executable bit",
    )
    return parser


def _verify(filenames: Sequence[str], strict: bool, allow_airflow_rejects: bool = False) -> int:
    # Imported here so that a run over files that are not bundles costs no manifest or
    # schema machinery at all.
    from hatch_airflow_go.format.verify import verify_bundle

    status = EXIT_CLEAN
    for name in filenames:
        if not footer.is_bundle(name):
            continue
        report = verify_bundle(name, strict=strict, allow_airflow_rejects=allow_airflow_rejects)
        for problem in report.errors:
            print_finding(name, problem)
        for warning in report.warnings:
            print_finding(name, f"warning: {warning}")
        if not report.ok:  # with strict=True the report already fails on warnings
            status = EXIT_FINDINGS
    return status


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv_list(argv))
    return guarded(lambda: _verify(args.filenames, args.strict, args.allow_airflow_rejects))


if __name__ == "__main__":
    raise SystemExit(main())
