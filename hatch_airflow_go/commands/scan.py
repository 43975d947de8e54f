"""``hatch-airflow-go scan``: what Airflow's executable coordinator would find in some folders.

Walks each folder recursively, as the released scanner does: regular files only, files
without the bundle magic ignored. Prints one line per bundle found and per file rejected
(with the reason), then a summary. Exit 1 when a file is rejected, a bundle lacks the
executable bit, or one dag id is in two bundles.

A folder an editable install put bundles into also carries that install's stamp: when the
project's Go sources changed since, its bundles are stale and ``scan`` says so (exit 1).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hatch_airflow_go.build.editable import stale_editable_bundles
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.format.footer import read_bundle
from hatch_airflow_go.format.verify import ScanReport, scan

NAME = "scan"
HELP = "list the bundles Airflow would find under folders, and the files it would reject"
ORDER = 40


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", type=Path, metavar="DIR")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _print_human(report: ScanReport) -> None:
    for entry in report.bundles:
        dags = ", ".join(entry.dag_ids) or "(none)"
        if entry.found:
            print(f"{entry.path}: bundle (sdk {entry.sdk}; dags: {dags})")
        else:
            print(f"{entry.path}: {'; '.join(entry.problems)} (sdk {entry.sdk}; dags: {dags})")
        for warning in entry.warnings:
            print(f"{entry.path}: warning: {warning}")
    for entry in report.rejected:
        print(f"{entry.path}: rejected: {'; '.join(entry.problems)}")
    for line in report.duplicate_problems():
        print(line)
    found = sum(1 for entry in report.bundles if entry.found)
    print(
        f"scanned {report.files_seen} files: {found} bundle(s) Airflow would find, "
        f"{len(report.bundles) - found} it would miss, {len(report.rejected)} rejected"
    )


def run(args: argparse.Namespace) -> int:
    report = scan(args.dirs)
    found = []
    for entry in report.bundles:
        try:
            found.append((entry.path, read_bundle(entry.path, check_hash=False).binary_sha256_hex))
        except AirflowGoError:
            continue  # the scan already reports what is wrong with it
    stale = list(
        dict.fromkeys(
            message for folder in args.dirs for message in stale_editable_bundles(folder, found)
        )
    )
    if args.json:
        print(
            json.dumps({**report.to_json(), "stale_editable": stale}, indent=2, ensure_ascii=False)
        )
    else:
        _print_human(report)
        for message in stale:
            print(message)
    return 0 if report.ok and not stale else 1
