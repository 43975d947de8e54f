"""``hatch-airflow-go inspect-wheel``: the bundles inside a built wheel, and its tags.

Reads the wheel as pip would install it: the WHEEL tags, then every member that carries a
bundle trailer, verified in full, with the install path and the executable bit pip will give
it. Exit 1 when a bundle fails verification or would not be executable once installed.
"""

from __future__ import annotations

import argparse
import json
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from hatch_airflow_go import footer
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.verify import verify_bundle

NAME = "inspect-wheel"
HELP = "show a wheel's tags and the bundles inside it, each verified"
ORDER = 25


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("wheels", nargs="+", type=Path, metavar="WHEEL")
    parser.add_argument("--json", action="store_true", help="print one JSON object per wheel")


def _install_path(member: str) -> str:
    """Where pip puts a wheel member: ``.data/<scheme>/x`` goes to the scheme's folder."""
    first, _, rest = member.partition("/")
    if first.endswith(".data") and rest:
        scheme, _, inside = rest.partition("/")
        return f"<{scheme}>/{inside}"
    return f"<site-packages>/{member}"


def describe_wheel(wheel: Path) -> dict[str, Any]:
    """The wheel's tags and a verified description of each bundle member."""
    try:
        archive = zipfile.ZipFile(wheel)
    except (OSError, zipfile.BadZipFile) as error:
        raise AirflowGoError(
            f"cannot read the wheel: {error}", path=wheel, fix="pass a .whl file built by pip/build"
        ) from error
    with archive, tempfile.TemporaryDirectory(prefix="inspect-wheel-") as scratch:
        metadata = [n for n in archive.namelist() if n.endswith(".dist-info/WHEEL")]
        tags: list[str] = []
        purelib = None
        if metadata:
            for line in archive.read(metadata[0]).decode("utf-8").splitlines():
                key, _, value = line.partition(":")
                if key == "Tag":
                    tags.append(value.strip())
                elif key == "Root-Is-Purelib":
                    purelib = value.strip() == "true"
        bundles: list[dict[str, Any]] = []
        for info in archive.infolist():
            if info.is_dir() or info.file_size < footer.TRAILER_SIZE:
                continue
            with archive.open(info) as member:
                data_path = Path(scratch) / f"member-{len(bundles)}"
                with data_path.open("wb") as copy:
                    while chunk := member.read(1 << 20):
                        copy.write(chunk)
            if not footer.is_bundle(data_path):
                data_path.unlink()
                continue
            mode = info.external_attr >> 16
            executable = bool(mode & stat.S_IXUSR)
            # Judge the member with the permissions the wheel gives it, not the scratch copy's.
            data_path.chmod(stat.S_IMODE(mode) or 0o644)
            report = verify_bundle(data_path)
            problems = list(report.errors)
            if not executable:
                problems.append(
                    "not executable once installed (the wheel stores it without the x bit): "
                    "Airflow will not find it"
                )
            bundles.append(
                {
                    "member": info.filename,
                    "installs_to": _install_path(info.filename),
                    "mode": oct(stat.S_IMODE(mode)) if mode else None,
                    "size": info.file_size,
                    "binary_sha256": report.info.binary_sha256_hex if report.info else None,
                    "sdk": (
                        f"{report.manifest.sdk.language}/{report.manifest.sdk.version}"
                        if report.manifest
                        else None
                    ),
                    "dags": report.dags,
                    "ok": not problems,
                    "problems": problems,
                    "warnings": list(report.warnings),
                }
            )
    return {"wheel": str(wheel), "tags": tags, "root_is_purelib": purelib, "bundles": bundles}


def _print_human(description: dict[str, Any]) -> None:
    print(f"{description['wheel']}")
    print(f"  tags: {', '.join(description['tags']) or '(none)'}")
    if not description["bundles"]:
        print("  no bundles")
    for bundle in description["bundles"]:
        status = "ok" if bundle["ok"] else "FAILED: " + "; ".join(bundle["problems"])
        print(f"  bundle {bundle['member']}")
        print(f"    installs to {bundle['installs_to']} (mode {bundle['mode']})")
        sha = f"{bundle['binary_sha256'][:16]}..." if bundle["binary_sha256"] else "unknown"
        sdk = bundle["sdk"] or "unknown"
        print(f"    {bundle['size']:,} bytes, sdk {sdk}, binary sha256 {sha}, {status}")
        for dag_id, tasks in bundle["dags"].items():
            print(f"    dag {dag_id}: {', '.join(tasks) or '(no tasks)'}")
        for warning in bundle["warnings"]:
            print(f"    warning: {warning}")


def run(args: argparse.Namespace) -> int:
    descriptions = [describe_wheel(wheel) for wheel in args.wheels]
    if args.json:
        print(json.dumps(descriptions if len(descriptions) > 1 else descriptions[0], indent=2))
    else:
        for description in descriptions:
            _print_human(description)
    failed = any(not b["ok"] for d in descriptions for b in d["bundles"])
    return 1 if failed else 0
