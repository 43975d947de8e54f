"""``hatch-airflow-go verify``: check bundle files completely, one line per finding.

Each file gets ``path: ok`` or one ``path: <problem>`` line per problem; warnings print as
``path: warning: ...`` and fail only with ``--strict``. What Airflow would not run (no
executable bit, ids its server refuses) is a problem unless ``--allow-airflow-rejects``.
Exit 1 when any file fails.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hatch_airflow_go.errors import shorten
from hatch_airflow_go.format.verify import ALLOW_REJECTS_FLAG, verify_bundle
from hatch_airflow_go.stampdirs import stamp_folders

NAME = "verify"
HELP = "verify bundle files: trailer, binary hash, manifest shape and schema, ids"
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundles", nargs="+", type=Path, metavar="BUNDLE")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list, one object per file"
    )
    parser.add_argument("--strict", action="store_true", help="treat warnings as failures")
    parser.add_argument(
        ALLOW_REJECTS_FLAG,
        action="store_true",
        dest="allow_airflow_rejects",
        help="only warn about what Airflow rejects: ids its server refuses, no executable bit",
    )


def run(args: argparse.Namespace) -> int:
    reports = [
        verify_bundle(path, strict=args.strict, allow_airflow_rejects=args.allow_airflow_rejects)
        for path in args.bundles
    ]
    for report in reports:
        # A bundle an editable install put there, whose Go sources changed since: the file is
        # sound, but not what the working tree builds any more.
        stale = _staleness(report.path, report.info.binary_sha256_hex) if report.info else []
        report.warnings.extend(stale)
        if stale and args.strict:
            report.ok = False
    if args.json:
        print(json.dumps([report.to_json() for report in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            shown = shorten(str(report.path))  # a 100 KB path argument is not a 100 KB line
            for error in report.errors:
                print(f"{shown}: {error}")
            for warning in report.warnings:
                print(f"{shown}: warning: {warning}")
            if not report.errors:
                print(f"{shown}: ok" if report.ok else f"{shown}: failed (--strict)")
    return 0 if all(report.ok for report in reports) else 1


def _staleness(bundle: Path, binary_sha256: str) -> list[str]:
    """:func:`~hatch_airflow_go.build.editable.bundle_staleness`, imported only for a bundle
    with a stamp folder on its path (reading a bundle needs no build or Go layer)."""
    if not stamp_folders(bundle):
        return []
    from hatch_airflow_go.build.editable import bundle_staleness

    return bundle_staleness(bundle, binary_sha256)
