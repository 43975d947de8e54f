"""Editable installs: the stamp that records which Go sources an install's bundles came from.

An editable install's Python code is live, but its bundles are copies built at install time.
The build hook leaves ``.hatch-airflow-go/<project>.editable.json`` beside the installed
bundles; :func:`stale_editable_bundles` (run by ``hatch-airflow-go scan``) compares it with the
working tree and says when the Go sources changed (the module's own, or those of a module it
replaces with a local directory), so the install must be run again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from hatch_airflow_go.errors import GoModError
from hatch_airflow_go.golang.gomod import read_gomod

STAMP_DIR = ".hatch-airflow-go"
STAMP_FORMAT = 1

# Files whose change changes a bundle; hashed for the editable stamp. Embedded files named by
# //go:embed are not covered (they can be anything): rebuild after changing those.
GO_SUFFIXES = (".go", ".s", ".c", ".h", ".cc", ".cpp", ".syso")
GO_MODULE_FILES = ("go.mod", "go.sum", "go.work", "go.work.sum")


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


def _add_tree(update: Callable[[bytes], None], root: Path, label: str) -> None:
    for path in _go_input_files(root):
        update(f"{label}{path.relative_to(root).as_posix()}".encode() + b"\0")
        update(hashlib.sha256(path.read_bytes()).digest())


def go_inputs_digest(module_dir: Path) -> str:
    """A digest of the Go sources a build of ``module_dir`` reads (names and contents).

    The files under ``module_dir``, and those of every module its go.mod replaces with a
    local directory (``replace example.com/x => ../x``), since a build compiles those too.
    """
    module_dir = module_dir.resolve()
    digest = hashlib.sha256()
    _add_tree(digest.update, module_dir, "")
    for module, directory in local_replace_dirs(module_dir):
        # Labelled by module path, so the digest does not depend on where the checkout lives.
        _add_tree(digest.update, directory, f"replace {module}:")
    return digest.hexdigest()


def stale_editable_bundles(bundle_dir: Path) -> list[str]:
    """Messages for each editable install in ``bundle_dir`` whose Go sources changed since.

    ``bundle_dir`` is an installed ``share/airflow/executable-bundles`` folder; each editable
    install left a stamp in its ``.hatch-airflow-go/`` subfolder.
    """
    messages: list[str] = []
    for stamp in sorted((bundle_dir / STAMP_DIR).glob("*.editable.json")):
        try:
            record = json.loads(stamp.read_text(encoding="utf-8"))
            module_dir = Path(record["module_dir"])
            recorded = str(record["go_inputs"])
        except (OSError, ValueError, KeyError, TypeError):
            messages.append(f"{stamp}: unreadable editable stamp (reinstall the project)")
            continue
        if not module_dir.is_dir():
            messages.append(
                f"{stamp}: the project's Go module {module_dir} is gone "
                "(fix: uninstall the editable project or reinstall it from its new place)"
            )
        elif go_inputs_digest(module_dir) != recorded:
            names = ", ".join(sorted(record.get("bundles", {})))
            messages.append(
                f"{stamp}: Go sources under {module_dir} (or in a module its go.mod replaces "
                "with a local directory) changed since the editable install; "
                f"bundles {names} are stale (fix: run `pip install -e {record.get('root', '.')}` "
                "again)"
            )
    return messages
