"""This package's own wheel, written into a folder: the wheelhouse a build can find it in.

Before hatch-airflow-go is on PyPI, a build front end that installs a project's build
requirements into a fresh environment finds it nowhere; pointed at a folder holding its wheel
(``PIP_FIND_LINKS``, ``UV_FIND_LINKS``, ``--find-links``) it installs it from there. The wheel
comes from what is installed, so it is the very version running:

- installed in development mode (``pip install -e``): built from the checkout with hatchling
  (a dependency of this package, so always at hand);
- installed from a wheel or a folder: the installed files repacked, each checked first
  against the hash its ``RECORD`` gives, with a new ``RECORD`` (the installer's own files,
  ``INSTALLER``, ``REQUESTED``, ``direct_url.json``, and byte code left out).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Optional

from hatch_airflow_go import tempfiles
from hatch_airflow_go.errors import AirflowGoError
from hatch_airflow_go.scaffold import DISTRIBUTION, source_checkout

# The installer's own records, not the distribution's (PEP 376, 610, 627): never repacked.
_INSTALLER_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
# The package is a few hundred kilobytes; an installed tree far beyond it is not ours.
MAX_TOTAL_BYTES = 64 << 20
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed: the same install gives the same wheel bytes


class WheelhouseError(AirflowGoError):
    """This package's wheel could not be written."""


def _editable() -> bool:
    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
        record = json.loads(text) if text else {}
    except (metadata.PackageNotFoundError, ValueError, OSError):
        return False
    dir_info = record.get("dir_info") if isinstance(record, dict) else None
    return isinstance(dir_info, dict) and dir_info.get("editable") is True


def _own_checkout() -> Optional[Path]:
    """The source tree this module is imported from, when it is one (no install at all)."""
    root = Path(__file__).resolve().parents[2]
    pyproject = root / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return root if re.search(rf'(?m)^name\s*=\s*"{DISTRIBUTION}"', text) else None


def write_wheel(directory: Path) -> Path:
    """Write this package's wheel into ``directory`` (made if missing); returns its path."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WheelhouseError(
            f"cannot create the folder: {error.strerror or error}",
            path=directory,
            fix="choose a folder you can write to",
        ) from None
    checkout = source_checkout() if _editable() else None
    if checkout is None:
        try:
            distribution: Optional[metadata.Distribution] = metadata.distribution(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            distribution = None
        if distribution is not None and _has_installed_package(distribution):
            return _repack(distribution, directory)
        checkout = _own_checkout()
    if checkout is None:
        raise WheelhouseError(
            "hatch-airflow-go is neither installed nor run from its checkout",
            path=directory,
            fix="install it (`python -m pip install PATH_TO_CHECKOUT`) and run this again",
        )
    return _build_from(checkout, directory)


def _has_installed_package(distribution: metadata.Distribution) -> bool:
    return any(
        file.as_posix() == "hatch_airflow_go/__init__.py" for file in distribution.files or []
    )


def _build_from(checkout: Path, directory: Path) -> Path:
    from hatchling.builders.wheel import WheelBuilder

    with tempfiles.scratch_directory() as scratch:
        try:
            built = [Path(path) for path in WheelBuilder(str(checkout)).build(
                directory=str(scratch), versions=["standard"]
            )]  # fmt: skip
        except Exception as error:  # hatchling raises plain exceptions for a broken tree
            raise WheelhouseError(
                f"hatchling could not build the wheel: {type(error).__name__}: {error}",
                path=checkout,
                fix="check that the checkout's pyproject.toml is intact (`git status`)",
            ) from None
        if len(built) != 1:
            raise WheelhouseError(
                f"hatchling built {len(built)} wheels where one was expected",
                path=checkout,
                fix="check that the checkout's pyproject.toml is intact (`git status`)",
            )
        (wheel,) = built
        target = directory / wheel.name
        _publish(target, lambda: tempfiles.copy_file(wheel, target))
    return target


def _publish(target: Path, write: Callable[[], object]) -> None:
    """Run ``write`` (an atomic write of ``target``), an OSError becoming one message."""
    try:
        write()
    except OSError as error:
        raise WheelhouseError(
            f"cannot write the wheel: {error.strerror or error}",
            path=target,
            fix="choose a folder you can write to",
        ) from None


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def _repack(distribution: metadata.Distribution, directory: Path) -> Path:
    files = distribution.files or []
    dist_info = next(
        (f.parent.as_posix() for f in files if f.name == "METADATA" and len(f.parts) == 2), None
    )
    if dist_info is None:
        raise WheelhouseError(
            "the installed hatch-airflow-go has no METADATA in its RECORD",
            fix="reinstall it (`python -m pip install --force-reinstall PATH_TO_CHECKOUT`)",
        )
    members: list[tuple[str, bytes, int]] = []
    total = 0
    for file in files:
        name = file.as_posix()
        if name.startswith("../") or "__pycache__/" in name or name.endswith(".pyc"):
            continue  # scripts (bin/) are made from entry_points.txt; byte code is rebuilt
        if name.startswith(f"{dist_info}/") and file.name in _INSTALLER_FILES:
            continue
        path = Path(str(distribution.locate_file(file)))
        try:
            data = path.read_bytes()
            mode = path.stat().st_mode
        except OSError as error:
            raise _changed(path, f"cannot be read: {error.strerror or error}") from None
        total += len(data)
        if total > MAX_TOTAL_BYTES:
            raise _changed(path, f"the installed files exceed {MAX_TOTAL_BYTES >> 20} MiB")
        if file.hash is not None and _record_hash(data) != f"{file.hash.mode}={file.hash.value}":
            raise _changed(path, "differs from what was installed (its RECORD hash)")
        members.append((name, data, mode))
    wheel_file = next((data for name, data, _ in members if name == f"{dist_info}/WHEEL"), b"")
    tag = re.search(rb"(?m)^Tag: (\S+)$", wheel_file)
    if tag is None:
        raise _changed(Path(str(distribution.locate_file(f"{dist_info}/WHEEL"))), "has no Tag")
    stem = dist_info[: -len(".dist-info")]
    target = directory / f"{stem}-{tag.group(1).decode()}.whl"
    data = _zip(members, dist_info)
    _publish(target, lambda: tempfiles.write_bytes(target, data))
    return target


def _changed(path: Path, problem: str) -> WheelhouseError:
    return WheelhouseError(
        f"installed file {problem}",
        path=path,
        fix="reinstall hatch-airflow-go (`python -m pip install --force-reinstall "
        "PATH_TO_CHECKOUT`) and run this again",
    )


def _zip(members: list[tuple[str, bytes, int]], dist_info: str) -> bytes:
    """The wheel's bytes: the package first, the dist-info after it, RECORD last (PEP 427)."""
    members = sorted(members, key=lambda m: (m[0].startswith(f"{dist_info}/"), m[0]))
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = ((mode & 0o777) | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
            writer.writerow([name, _record_hash(data), str(len(data))])
        writer.writerow([f"{dist_info}/RECORD", "", ""])
        info = zipfile.ZipInfo(f"{dist_info}/RECORD", date_time=_ZIP_DATE)
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, record.getvalue())
    return buffer.getvalue()
