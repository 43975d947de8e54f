"""Scanning 1,000 files (10 of them bundles) against Airflow's released reader.

The folder holds 10 bundles of a few MiB, 990 other files (source files, data, a few
executables without a trailer) in nested folders. The released reader's view is its own
walk (`_find_executables`) plus `_read_bundle_metadata` on each candidate, with its digest
cache cleared first, so it hashes every bundle as a fresh process would. Ours is `scan()`,
which also reads non-executable files (to report bundles Airflow would miss) and checks
each manifest against the schema. Timed in process (imports excluded) and as the CLI.

    .venv/bin/python benchmarks/bench_scan.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Optional

from _util import (
    MANIFEST,
    MIB,
    PYTHON,
    SOURCE,
    best_of,
    best_time,
    mib,
    ms,
    random_file,
    table,
)

from hatch_airflow_go.format import footer
from hatch_airflow_go.format.verify import scan

BUNDLES = 10
FILES = 1000
BUNDLE_MIB = 4


def make_tree(root: Path) -> None:
    """1,000 files in 20 nested folders; every 100th file is a bundle."""
    binary = random_file(root.parent / "binary", BUNDLE_MIB * MIB)
    for index in range(FILES):
        folder = root / f"group-{index % 20:02d}" / f"sub-{index % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        if index % (FILES // BUNDLES) == 0:
            manifest = MANIFEST.replace(b"_dag:", f"_dag_{index}:".encode())
            footer.write_bundle(binary, SOURCE, manifest, folder / f"bundle-{index}")
        elif index % 50 == 1:
            random_file(folder / f"tool-{index}", 64 * 1024)  # executable, no trailer
        elif index % 2:
            (folder / f"module-{index}.go").write_text("package main\n" * 40)
        else:
            (folder / f"data-{index}.json").write_bytes(os.urandom(2048))


RELEASED = "airflow.sdk.coordinators.executable.coordinator"


def load_released_reader() -> Optional[ModuleType]:
    """Airflow's released reader, imported with a throw-away AIRFLOW_HOME; None if absent."""
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="bench-airflow-home-")
    try:
        return importlib.import_module(RELEASED)
    except Exception as error:  # any import failure: measure ours alone, say why
        print(f"released reader not measured: cannot import {RELEASED}: {error!r}")
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    released = load_released_reader()
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as work:
        root = Path(work) / "bundles"
        make_tree(root)
        report = scan([root])
        if report.files_seen != FILES or len(report.bundles) != BUNDLES or not report.ok:
            raise SystemExit(f"unexpected scan result: {report.to_json()}")
        rows = []
        ours_s = best_time(lambda: scan([root]), args.rounds)
        rows.append(["scan() (library, in process)", ms(ours_s), "", ""])
        if released is not None:
            reader: ModuleType = released

            def airflow_walk() -> int:
                reader._digest_cache.clear()
                found = 0
                for path in reader._find_executables([root]):
                    if reader._read_bundle_metadata(path) is not None:
                        found += 1
                if found != BUNDLES:
                    raise SystemExit(f"the released reader found {found} bundles")
                return found

            theirs_s = best_time(airflow_walk, args.rounds)
            rows.append(["released walk + _read_bundle_metadata", ms(theirs_s), "", ""])
            rows[0][2] = f"{ours_s / theirs_s:.2f}"
            rows[1][2] = "1.00"
        cli = best_of([PYTHON, "-m", "hatch_airflow_go", "scan", str(root)], args.rounds)
        rows.append(["hatch-airflow-go scan DIR (CLI)", ms(cli.seconds), "", mib(cli.peak_rss_kib)])
        if released is not None:
            code = (
                f"import importlib; m = importlib.import_module({RELEASED!r}); "
                "from pathlib import Path; "
                f"[m._read_bundle_metadata(p) for p in m._find_executables([Path({str(root)!r})])]"
            )
            env = {**os.environ, "AIRFLOW_HOME": os.environ["AIRFLOW_HOME"]}
            theirs = best_of([PYTHON, "-c", code], args.rounds, env=env)
            rows.append(
                [
                    "released reader (fresh process, import incl.)",
                    ms(theirs.seconds),
                    "",
                    mib(theirs.peak_rss_kib),
                ]
            )
    print(
        f"{FILES} files, {BUNDLES} bundles of {BUNDLE_MIB} MiB; best of {args.rounds}; "
        "ratio = ours / released (in process)"
    )
    print(table(["what", "time", "ratio", "peak RSS"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
