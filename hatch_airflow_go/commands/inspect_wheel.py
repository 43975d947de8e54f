"""``hatch-airflow-go inspect-wheel``: the bundles inside a built wheel, and its tags.

Reads the wheel as pip would install it: the WHEEL tags, then every member that carries a
bundle trailer, verified in full, with the install path and the executable bit pip will give
it. Exit 1 when a bundle fails verification or would not be executable once installed.
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.buildinfo import read_build_info
from hatch_airflow_go.format.verify import verify_bundle
from hatch_airflow_go.regularfile import NotRegularFile, open_regular

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


# What reading one damaged member can raise: a bad CRC or local header (BadZipFile), a
# broken deflate stream (zlib.error), compressed data cut short (EOFError), an unknown
# compression method (NotImplementedError), an encrypted member (RuntimeError).
_MEMBER_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
)
FIX_DAMAGED = "the wheel is damaged: build it again (or download it again) and re-inspect it"


def _member_error(wheel: Path, member: str, error: BaseException) -> AirflowGoError:
    return AirflowGoError(f"cannot read the member {member}: {error}", path=wheel, fix=FIX_DAMAGED)


def _scratch_error(wheel: Path, member: str, error: OSError) -> AirflowGoError:
    return AirflowGoError(
        f"cannot copy the member {member} to a temporary file: {error.strerror or error}",
        path=wheel,
        fix="free space in the temporary folder (or point TMPDIR at one with room)",
    )


def _copy_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, wheel: Path
) -> None:
    """Extract one member to ``target``, turning a damaged member into one clear error."""
    try:
        copy = target.open("wb")
    except OSError as error:
        raise _scratch_error(wheel, info.filename, error) from None
    with copy:
        try:
            member = archive.open(info)
        except _MEMBER_ERRORS as error:
            raise _member_error(wheel, info.filename, error) from None
        with member:
            while True:
                try:
                    chunk = member.read(1 << 20)
                except _MEMBER_ERRORS as error:
                    raise _member_error(wheel, info.filename, error) from None
                if not chunk:
                    break
                try:
                    copy.write(chunk)
                except OSError as error:
                    raise _scratch_error(wheel, info.filename, error) from None


def _wheel_metadata(archive: zipfile.ZipFile, name: str, wheel: Path) -> str:
    """The text of the wheel's ``WHEEL`` file (UTF-8, as the wheel spec requires)."""
    try:
        data = archive.read(name)
    except _MEMBER_ERRORS as error:
        raise _member_error(wheel, name, error) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AirflowGoError(
            f"the member {name} is not UTF-8 text (byte {error.start})",
            path=wheel,
            fix="build the wheel again with a standard build backend; WHEEL must be UTF-8",
        ) from None


FIX_WHEEL = "pass a .whl file built by pip/build"


def _open_wheel(wheel: Path) -> tuple[BinaryIO, zipfile.ZipFile]:
    """Open the wheel, refusing a directory, device or FIFO before reading a byte of it.

    The open does not block (a FIFO would wait for a writer forever) and the file is judged
    by what it is once open, so nothing can be swapped in between.
    """
    try:
        fd = open_regular(wheel)
    except NotRegularFile as error:
        problem = "is a directory, not a wheel" if error.is_dir else "not a regular file"
        raise AirflowGoError(
            problem, path=wheel, fix=f"{FIX_WHEEL} (not a device or FIFO)"
        ) from None
    except OSError as error:
        raise AirflowGoError(
            f"cannot read the wheel: {error.strerror or error}", path=wheel, fix=FIX_WHEEL
        ) from None
    try:
        stream = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    try:
        return stream, zipfile.ZipFile(stream)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as error:
        stream.close()
        text = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise AirflowGoError(f"cannot read the wheel: {text}", path=wheel, fix=FIX_WHEEL) from None


def describe_wheel(wheel: Path) -> dict[str, Any]:
    """The wheel's tags and a verified description of each bundle member."""
    stream, archive = _open_wheel(wheel)
    with stream, archive, tempfile.TemporaryDirectory(prefix="inspect-wheel-") as scratch:
        metadata = [n for n in archive.namelist() if n.endswith(".dist-info/WHEEL")]
        tags: list[str] = []
        purelib = None
        if metadata:
            for line in _wheel_metadata(archive, metadata[0], wheel).splitlines():
                key, _, value = line.partition(":")
                if key == "Tag":
                    tags.append(value.strip())
                elif key == "Root-Is-Purelib":
                    purelib = value.strip() == "true"
        bundles: list[dict[str, Any]] = []
        for info in archive.infolist():
            if info.is_dir() or info.file_size < footer.TRAILER_SIZE:
                continue
            data_path = Path(scratch) / f"member-{len(bundles)}"
            _copy_member(archive, info, data_path, wheel)
            if not footer.is_bundle(data_path):
                data_path.unlink()
                continue
            mode = info.external_attr >> 16
            executable = bool(mode & stat.S_IXUSR)
            # Judge the member with the permissions the wheel gives it, not the scratch copy's.
            data_path.chmod(stat.S_IMODE(mode) or 0o644)
            # The x bit is judged from the wheel's mode below; the ids as `verify` judged them.
            report = verify_bundle(data_path, allow_airflow_rejects=True)
            problems = list(report.errors)
            if not executable:
                problems.append(
                    "not executable once installed (the wheel stores it without the x bit): "
                    "Airflow will not find it"
                )
            build = report.info and read_build_info(report.info.path, report.info.binary_size)
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
                    "go_version": build.go_version if build else None,
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
        go = bundle["go_version"] or "unknown"
        print(
            f"    {bundle['size']:,} bytes, sdk {sdk}, built by {go}, binary sha256 {sha}, {status}"
        )
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
