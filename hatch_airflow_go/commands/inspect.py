"""``hatch-airflow-go inspect``: verify a bundle and print its manifest, as upstream's does.

Without options the output is the embedded manifest's bytes, exactly as packed; ``--source``
prints the embedded source first, under the same separators upstream uses; ``--json`` prints
one object describing the trailer and the parsed manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hatch_airflow_go.format import footer
from hatch_airflow_go.format.buildinfo import read_build_info
from hatch_airflow_go.format.manifest import parse_embedded

NAME = "inspect"
HELP = "verify a bundle and print its embedded manifest (and, with --source, its source)"
ORDER = 20

SOURCE_HEADER = b"# --- source ---\n"
MANIFEST_HEADER = b"# --- manifest ---\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("bundle", type=Path, metavar="BUNDLE")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--source", action="store_true", help="print the embedded source before the manifest"
    )
    output.add_argument(
        "--json", action="store_true", help="print one JSON object: trailer facts and manifest"
    )


def run(args: argparse.Namespace) -> int:
    info = footer.read_bundle(args.bundle)
    source, manifest_bytes = footer.read_regions(info)
    if args.json:
        manifest = parse_embedded(manifest_bytes, path=args.bundle)
        # Read from the binary itself: the Go that built it, whatever the manifest says.
        build = read_build_info(info.path, info.binary_size)
        described = {
            "path": str(args.bundle),
            "footer_version": info.trailer.footer_version,
            "binary_size": info.binary_size,
            "binary_sha256": info.binary_sha256_hex,
            "source_len": info.source_len,
            "metadata_len": info.metadata_len,
            "go_version": build.go_version if build else None,
            "go_main_package": build.main_module if build else None,
            "shape": manifest.shape,
            "manifest": _jsonable(manifest.raw),
        }
        print(json.dumps(described, indent=2, ensure_ascii=False))
        return 0
    out = sys.stdout.buffer
    if args.source:
        out.write(SOURCE_HEADER)
        out.write(source)
        out.write(MANIFEST_HEADER)
    out.write(manifest_bytes)
    out.flush()
    return 0


RECURSIVE = "<recursive: refers to itself>"


def _jsonable(value: object, inside: frozenset[int] = frozenset()) -> object:
    """YAML can hold what JSON cannot (dates, non-text keys, cycles through aliases, integers
    too long for decimal): keep it printable, not lossy. A container met again inside itself
    prints as RECURSIVE; an integer too long for ``str`` prints as a hex string."""
    if isinstance(value, (dict, list, tuple, set, frozenset)):
        if id(value) in inside:
            return RECURSIVE
        inside = inside | {id(value)}
    if isinstance(value, dict):
        return {
            key if isinstance(key, str) else json.dumps(_jsonable(key, inside)): _jsonable(
                item, inside
            )
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_jsonable(item, inside) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return int(value) if value.bit_length() <= 14_000 else hex(value)
    return str(value)
