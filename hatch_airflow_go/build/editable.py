"""Editable installs: the stamp that records which Go sources an install's bundles came from.

An editable install's Python code is live, but its bundles are copies built at install time.
The build hook installs a stamp, ``<prefix>/share/airflow/hatch-airflow-go/editable/
<dist>.editable.json`` (the wheel's data scheme, beside ``share/airflow/executable-bundles``
and outside it, so nothing lands in the folder Airflow scans), recording a digest of the Go
inputs and each bundle's binary hash. :func:`stamps_for_bundle` finds the stamps of a bundle
from its own path (a ``share/airflow/hatch-airflow-go/editable`` folder under one of its
ancestors, i.e. the install prefix, with an entry for its binary hash), so ``verify``,
``smoke`` and ``scan`` say when the Go sources changed (the module's own, or those of a module
it replaces with a local directory) and the install must be run again. Stamps that earlier
versions put beside the bundles (``.hatch-airflow-go/``) are still read.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Optional

from hatch_airflow_go.errors import BuildError, GoModError
from hatch_airflow_go.golang.gomod import read_gomod
from hatch_airflow_go.stampdirs import STAMP_DIR, stamp_folders

STAMP_FORMAT = 1

# Files whose change changes a bundle; hashed for the editable stamp. Embedded files named by
# //go:embed are not covered (they can be anything): rebuild after changing those.
GO_SUFFIXES = (".go", ".s", ".c", ".h", ".cc", ".cpp", ".syso")
GO_MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum")

# A stamp is a few hundred bytes; what a digest may read is bounded too, because `scan` reads
# stamps it finds in folders it is given, and a stamp could name any folder.
MAX_STAMP = 64 * 1024
MAX_INPUT_FILES = 100_000
MAX_INPUT_BYTES = 2 * 1024 * 1024 * 1024


class InputsTooLarge(BuildError):
    """The Go module holds more input files or bytes than a digest reads."""


class _Budget:
    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0

    def take(self, root: Path, size: int) -> None:
        self.files += 1
        self.bytes += size
        if self.files > MAX_INPUT_FILES or self.bytes > MAX_INPUT_BYTES:
            raise InputsTooLarge(
                f"more than {MAX_INPUT_FILES} Go input files or {MAX_INPUT_BYTES} bytes under "
                "this folder",
                path=root,
                fix="point module-dir at the Go module itself, not a folder above it",
            )


def _go_input_files(module_dir: Path) -> Iterable[Path]:
    for directory, dirs, files in os.walk(module_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and d != "testdata")
        for name in sorted(files):
            wanted = name.endswith(GO_SUFFIXES) or name in (*GO_MODULE_FILES, "modules.txt")
            if wanted and not name.endswith("_test.go"):
                yield Path(directory) / name


def local_replace_dirs(module_dir: Path) -> list[tuple[str, Path]]:
    """The modules ``module_dir/go.mod`` replaces with a local directory: (module path, dir).

    Only existing directories outside ``module_dir`` (those inside are walked anyway). A
    go.mod that is missing or cannot be read names none: its own bytes are part of the
    digest, so a change to it shows up regardless.
    """
    try:
        mod = read_gomod(module_dir / "go.mod")
    except GoModError:
        return []
    found: dict[Path, str] = {}
    for replace in mod.replaces:
        if not replace.is_local:
            continue
        target = Path(replace.new.path)
        target = (target if target.is_absolute() else module_dir / target).resolve()
        inside = target == module_dir or module_dir in target.parents
        if target.is_dir() and not inside:
            found.setdefault(target, replace.old.path)
    return sorted(((module, target) for target, module in found.items()), key=lambda x: x[0])


def _add_tree(update: Callable[[bytes], None], root: Path, label: str, budget: _Budget) -> None:
    for path in _go_input_files(root):
        try:
            info = path.stat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            # A FIFO or a device named like a Go file is nothing go build compiles: never
            # open it (a FIFO would block, /dev/zero never ends).
            continue
        budget.take(root, info.st_size)
        update(f"{label}{path.relative_to(root).as_posix()}".encode() + b"\0")
        update(_file_digest(path))


def _file_digest(path: Path) -> bytes:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.digest()


def go_inputs_digest(module_dir: Path) -> str:
    """A digest of the Go sources a build of ``module_dir`` reads (names and contents).

    The files under ``module_dir``, and those of every module its go.mod replaces with a
    local directory (``replace example.com/x => ../x``), since a build compiles those too.
    """
    module_dir = module_dir.resolve()
    digest = hashlib.sha256()
    budget = _Budget()
    _add_tree(digest.update, module_dir, "", budget)
    for module, directory in local_replace_dirs(module_dir):
        # Labelled by module path, so the digest does not depend on where the checkout lives.
        _add_tree(digest.update, directory, f"replace {module}:", budget)
    return digest.hexdigest()


def _read_stamp(stamp: Path) -> dict[str, object]:
    """The stamp's record; ValueError for anything that is not a small regular JSON file."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(stamp, flags)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("not a regular file")
        raw = handle.read(MAX_STAMP + 1)
    if len(raw) > MAX_STAMP:
        raise ValueError("too large")
    record = json.loads(raw.decode("utf-8"))
    if not isinstance(record, dict):
        raise ValueError("not an object")
    return record


def _stamps(bundle_dir: Path) -> list[Path]:
    """Stamp files in ``bundle_dir/.hatch-airflow-go`` and ``bundle_dir/*/.hatch-airflow-go``."""
    found = {
        *(bundle_dir / STAMP_DIR).glob("*.editable.json"),
        *bundle_dir.glob(f"*/{STAMP_DIR}/*.editable.json"),
    }
    return sorted(found)


def stamps_for_bundle(bundle: Path, binary_sha256: str) -> list[Path]:
    """The stamps of the editable installs that installed ``bundle`` (by its binary hash),
    found in ``STAMP_DATA_DIR`` under each of its ancestors and beside it (older stamps)."""
    found: list[Path] = []
    for folder in stamp_folders(bundle):
        for stamp in sorted(folder.glob("*.editable.json"))[:100]:
            try:
                bundles = _read_stamp(stamp).get("bundles")
            except (OSError, ValueError):
                continue
            if isinstance(bundles, dict) and binary_sha256 in bundles.values():
                found.append(stamp)
    return found


def stamp_problem(stamp: Path) -> Optional[str]:
    """Why the bundles an editable install's ``stamp`` describes are stale, or None."""
    try:
        record = _read_stamp(stamp)
        module_dir = Path(str(record["module_dir"]))
        recorded = str(record["go_inputs"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"{stamp}: unreadable editable stamp (reinstall the project)"
    bundles = record.get("bundles", {})
    if not module_dir.is_absolute() or not (module_dir / "go.mod").is_file():
        # Only a Go module is ever digested: a stamp naming any other folder (/usr, a
        # FIFO, a device) is reported, never read.
        return (
            f"{stamp}: the project's Go module {module_dir} is gone "
            "(fix: uninstall the editable project or reinstall it from its new place)"
        )
    try:
        current = go_inputs_digest(module_dir)
    except InputsTooLarge as error:
        return f"{stamp}: {error.summary()}"
    if current == recorded:
        return None
    names = ", ".join(sorted(str(name) for name in bundles)) if isinstance(bundles, dict) else "?"
    return (
        f"{stamp}: Go sources under {module_dir} (or in a module its go.mod replaces "
        "with a local directory) changed since the editable install; "
        f"bundles {names} are stale (fix: run `pip install -e {record.get('root', '.')}` "
        "again)"
    )


def bundle_staleness(bundle: Path, binary_sha256: str) -> list[str]:
    """Why ``bundle``, installed by an editable install, no longer matches its Go sources."""
    return [
        problem
        for problem in map(stamp_problem, stamps_for_bundle(bundle, binary_sha256))
        if problem is not None
    ]


def stale_editable_bundles(bundle_dir: Path, bundles: Iterable[tuple[Path, str]] = ()) -> list[str]:
    """Messages for each editable install in ``bundle_dir`` whose Go sources changed since.

    ``bundle_dir`` is an installed ``share/airflow/executable-bundles`` folder, one
    distribution's folder inside it, or an ``install-dir``. ``bundles`` are the (path, binary
    hash) of the bundles found in it: their stamps are found from their paths (see
    :func:`stamps_for_bundle`). Stamps of earlier versions, in a ``.hatch-airflow-go/``
    subfolder of ``bundle_dir`` or of a folder directly inside it, are read too.
    """
    stamps = dict.fromkeys(_stamps(bundle_dir))
    for path, sha in bundles:
        stamps.update(dict.fromkeys(stamps_for_bundle(path, sha)))
    return [problem for problem in map(stamp_problem, stamps) if problem is not None]
