"""Packing a 256 MiB binary against `cp` followed by `sha256sum`.

The writer copies and hashes in one pass, so it should cost no more than copying the file
and then hashing the copy (target: ratio <= 1.0). It also fsyncs the bundle before the
rename (cp does not), so a third baseline adds `sync` of the copy for an even comparison.
Measured as the CLI (`hatch-airflow-go pack --executable ... --airflow-metadata ...`,
which also parses and re-renders the manifest) and as the library call alone.

    .venv/bin/python benchmarks/bench_pack.py [--rounds 5] [--size 256]
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

TARGET = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=256, help="binary size in MiB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pack-") as work:
        scratch = Path(work)
        binary = random_file(scratch / "binary", args.size * MIB)
        source = scratch / "main.go"
        source.write_bytes(SOURCE)
        metadata = scratch / "airflow-metadata.yaml"
        metadata.write_bytes(MANIFEST)
        out = scratch / "bundle"
        copy = scratch / "copy"
        library = (
            "from hatch_airflow_go.format import footer; "
            f"footer.write_bundle({str(binary)!r}, {SOURCE!r}, {MANIFEST!r}, {str(out)!r})"
        )
        contenders = {
            "cp BIN COPY && sha256sum COPY": [
                "sh",
                "-c",
                f"cp '{binary}' '{copy}' && sha256sum '{copy}'",
            ],
            "cp && sha256sum && sync COPY": [
                "sh",
                "-c",
                f"cp '{binary}' '{copy}' && sha256sum '{copy}' && sync '{copy}'",
            ],
            "hatch-airflow-go pack --executable": [
                PYTHON,
                "-m",
                "hatch_airflow_go",
                "pack",
                "--executable",
                str(binary),
                "--source",
                str(source),
                "--airflow-metadata",
                str(metadata),
                "--output",
                str(out),
            ],
            "footer.write_bundle (library)": [PYTHON, "-c", library],
        }
        results = {
            name: best_of(argv, args.rounds, cwd=scratch) for name, argv in contenders.items()
        }
    base = results["cp BIN COPY && sha256sum COPY"].seconds
    rows = [
        [name, ms(run.seconds), f"{run.seconds / base:.2f}", mib(run.peak_rss_kib)]
        for name, run in results.items()
    ]
    print(
        f"{args.size} MiB binary, best of {args.rounds} runs each, warm page cache; "
        "ratio = time / (cp + sha256sum) time"
    )
    print(table(["command", "time", "ratio", "peak RSS"], rows))
    cli = results["hatch-airflow-go pack --executable"].seconds / base
    print(f"target: CLI ratio <= {TARGET:.2f}: {'met' if cli <= TARGET else 'MISSED'} ({cli:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
