"""Verifying a bundle against `sha256sum` of the same file, at 64 MiB and 256 MiB.

Verification is one streaming SHA-256 of the binary region plus a trailer and a small
manifest, so it should cost what hashing the file costs (target: ratio <= 1.10), and its
peak RSS must not grow with the file's size. Measured both as the whole CLI
(`hatch-airflow-go verify`, Python start-up and imports included) and as the library call
alone in a bare Python process.

    .venv/bin/python benchmarks/bench_verify.py [--rounds 5] [--sizes 64,256]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from _util import (
    MANIFEST,
    MIB,
    PYTHON,
    SOURCE,
    best_of,
    mib,
    ms,
    random_file,
    table,
)

from hatch_airflow_go.format import footer

TARGET = 1.10  # CLI verify time / sha256sum time, for the 256 MiB bundle
TARGET_MIB = 256  # the size the target is set for


def _verdict(judged: bool, failed: bool) -> str:
    """The target line's answer: a size it applies to may not have been measured at all."""
    if not judged:
        return f"not measured (--sizes has no size of {TARGET_MIB} MiB or more)"
    return "MISSED" if failed else "met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", default="64,256", help="bundle sizes in MiB")
    args = parser.parse_args()
    rows = []
    failed = False
    judged = False  # whether any size the target applies to was measured
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as scratch:
        for size_mib in (int(s) for s in args.sizes.split(",")):
            binary = random_file(Path(scratch) / f"bin-{size_mib}", size_mib * MIB)
            bundle = Path(scratch) / f"bundle-{size_mib}"
            footer.write_bundle(binary, SOURCE, MANIFEST, bundle)
            binary.unlink()
            contenders = {
                "sha256sum BUNDLE": ["sha256sum", str(bundle)],
                "hatch-airflow-go verify BUNDLE": [
                    PYTHON,
                    "-m",
                    "hatch_airflow_go",
                    "verify",
                    str(bundle),
                ],
                "footer.read_bundle (library)": [
                    PYTHON,
                    "-c",
                    "from hatch_airflow_go.format import footer; "
                    f"footer.read_bundle({str(bundle)!r})",
                ],
            }
            results = {name: best_of(argv, args.rounds) for name, argv in contenders.items()}
            base = results["sha256sum BUNDLE"].seconds
            judged = judged or size_mib >= TARGET_MIB
            for name, run in results.items():
                ratio = run.seconds / base
                # The target is set for the 256 MiB bundle; smaller files are dominated by
                # Python's start-up and imports, which do not grow with the file.
                if (
                    name.startswith("hatch-airflow-go")
                    and size_mib >= TARGET_MIB
                    and ratio > TARGET
                ):
                    failed = True
                rows.append(
                    [
                        f"{size_mib} MiB",
                        name,
                        ms(run.seconds),
                        f"{ratio:.2f}",
                        mib(run.peak_rss_kib),
                    ]
                )
    print(f"best of {args.rounds} runs each, warm page cache; ratio = time / sha256sum time")
    print(table(["size", "command", "time", "ratio", "peak RSS"], rows))
    print(f"target: CLI ratio <= {TARGET:.2f} at {TARGET_MIB} MiB: {_verdict(judged, failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
