"""Verifying a bundle against `openssl dgst -sha256` of the same file: 256 MiB and tiny.

Verification is one streaming SHA-256 of the binary region plus a trailer and a small
manifest, so the command should cost what hashing the file costs: the target (issue 12) is
`hatch-airflow-go verify` of a 256 MiB bundle within 1.25x `openssl dgst -sha256` of it,
Python start-up and imports included. The tiny bundle shows that fixed cost alone; peak RSS
must not grow with the file's size. The command is the console script, run as a user runs
it, with bytecode cached as an installed package has it (pip compiles on install; the runs
here cache it in a scratch folder, even where PYTHONDONTWRITEBYTECODE is set). The library
call alone, in a bare Python process, is shown too. After the table, one
`python -X importtime` run of the tiny verify lists what its imports cost.

    .venv/bin/python benchmarks/bench_verify.py [--rounds 7] [--sizes tiny,256]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
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

TARGET = 1.25  # CLI verify time / `openssl dgst -sha256` time, for the 256 MiB bundle
TARGET_MIB = 256  # the size the target is set for
TINY_BYTES = 4096  # the binary of the "tiny" bundle
OPENSSL = "/usr/bin/openssl"
OPENSSL_FIX = "install it (`apt-get install -y openssl`) and run again"


def _baseline() -> tuple[str, list[str]]:
    """The command compared with: openssl, else sha256sum (and the target is not judged)."""
    found = OPENSSL if os.access(OPENSSL, os.X_OK) else shutil.which("openssl")
    if found:
        return "openssl dgst -sha256", [found, "dgst", "-sha256"]
    print(f"openssl is not installed ({OPENSSL} is missing): {OPENSSL_FIX}; comparing with "
          "sha256sum meanwhile, and the target is not judged")  # fmt: skip
    return "sha256sum", ["sha256sum"]


def _our_command() -> list[str]:
    """``hatch-airflow-go`` as installed beside this Python, else ``python -m`` (which also
    pays for runpy)."""
    script = Path(PYTHON).parent / "hatch-airflow-go"
    return [str(script)] if script.is_file() else [PYTHON, "-m", "hatch_airflow_go"]


def _child_env(scratch: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env


def _sizes(text: str) -> list[tuple[str, int]]:
    sizes = []
    for part in (item.strip() for item in text.split(",")):
        if part == "tiny":
            sizes.append((f"tiny ({TINY_BYTES:,} B)", TINY_BYTES))
        else:
            sizes.append((f"{int(part)} MiB", int(part) * MIB))
    return sizes


def _import_costs(command: list[str], bundle: Path, env: dict[str, str], top: int = 8) -> str:
    """The costliest top-level imports of one ``python -X importtime`` run (one run: noisy)."""
    script = ["-m", "hatch_airflow_go"] if command[0] == PYTHON else command
    argv = [PYTHON, "-X", "importtime", *script, "verify", str(bundle)]
    run = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    rows = []
    total = 0
    for line in run.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| ( *)(\S+)", line)
        if found is None:
            continue
        total += int(found.group(1))
        if not found.group(3):  # imported by the command itself, not by another module
            rows.append((int(found.group(2)), found.group(4)))
    rows.sort(reverse=True)
    shown = ", ".join(f"{name} {micros / 1000:.1f} ms" for micros, name in rows[:top])
    return f"imports of the tiny verify (one -X importtime run): {total / 1000:.1f} ms; {shown}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--sizes", default="tiny,256", help="bundle sizes: MiB, or `tiny` (a 4 KiB binary)"
    )
    args = parser.parse_args()
    base_name, base_argv = _baseline()
    ours = _our_command()
    rows = []
    verdict = f"not measured (--sizes has no size of {TARGET_MIB} MiB or more)"
    imports = ""
    with tempfile.TemporaryDirectory(prefix="bench-verify-") as scratch_name:
        scratch = Path(scratch_name)
        env = _child_env(scratch)
        for label, size in _sizes(args.sizes):
            binary = random_file(scratch / f"bin-{size}", size)
            bundle = scratch / f"bundle-{size}"
            footer.write_bundle(binary, SOURCE, MANIFEST, bundle)
            binary.unlink()
            contenders = {
                f"{base_name} BUNDLE": [*base_argv, str(bundle)],
                "hatch-airflow-go verify BUNDLE": [*ours, "verify", str(bundle)],
                "footer.read_bundle (library)": [
                    PYTHON,
                    "-c",
                    "from hatch_airflow_go.format import footer; "
                    f"footer.read_bundle({str(bundle)!r})",
                ],
            }
            results = {
                name: best_of(argv, args.rounds, env=env) for name, argv in contenders.items()
            }
            base = results[f"{base_name} BUNDLE"].seconds
            for name, run in results.items():
                ratio = run.seconds / base
                if name.startswith("hatch-airflow-go") and size >= TARGET_MIB * MIB:
                    if base_name != "sha256sum":
                        met = ratio <= TARGET
                        verdict = f"{'met' if met else 'NOT MET'} ({ratio:.2f}x)"
                    else:
                        verdict = "not judged: openssl is missing"
                rows.append([label, name, ms(run.seconds), f"{ratio:.2f}", mib(run.peak_rss_kib)])
            if size < MIB and not imports:
                imports = _import_costs(ours, bundle, env)
    print(
        f"best of {args.rounds} runs each, warm page cache, bytecode cached; "
        f"ratio = time / {base_name} time"
    )
    print(table(["size", "command", "time", "ratio", "peak RSS"], rows))
    print(f"target: verify <= {TARGET:.2f}x {base_name} at {TARGET_MIB} MiB: {verdict}")
    if imports:
        print(imports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
