"""Ask Airflow's released bundle reader (apache-airflow-task-sdk==1.3.2) about files.

The names used here are private to that release, which is why the version is pinned and
every test using them is marked ``interop``. ``AIRFLOW_HOME`` points at a throw-away folder
before Airflow is first imported, so importing it never touches the user's configuration.
The reader keeps a process-wide digest cache; every call here clears it first, so each
answer is about the file as it is now.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Optional

import pytest

MODULE = "airflow.sdk.coordinators.executable.coordinator"
UNAVAILABLE_NOTE = Path(__file__).resolve().parents[1] / ".venv" / ".interop-unavailable"

_loaded: dict[str, ModuleType] = {}


class InteropUnavailable(RuntimeError):
    """The released reader cannot be imported here; the text says why."""


def load_coordinator() -> ModuleType:
    """Import the released reader's module, or raise :class:`InteropUnavailable`."""
    if MODULE in _loaded:
        return _loaded[MODULE]
    if "airflow" not in sys.modules:
        os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="airflow-home-")
    try:
        module = importlib.import_module(MODULE)
    except Exception as error:  # any import failure means "not available here"
        reason = f"cannot import {MODULE} (apache-airflow-task-sdk==1.3.2): {error!r}"
        if UNAVAILABLE_NOTE.is_file():
            reason += f"; {UNAVAILABLE_NOTE.read_text(encoding='utf-8').strip()}"
        raise InteropUnavailable(reason) from error
    _loaded[MODULE] = module
    return module


def coordinator() -> ModuleType:
    """The released reader's module; skips the calling test, saying why, when absent."""
    try:
        return load_coordinator()
    except InteropUnavailable as error:
        pytest.skip(str(error))


def clear_cache() -> None:
    """Forget every digest the released reader has cached."""
    coordinator()._digest_cache.clear()


def read_metadata(path: os.PathLike[str] | str) -> Optional[dict[str, Any]]:
    """What ``_read_bundle_metadata`` returns for ``path`` (``None`` = not usable)."""
    module = coordinator()
    module._digest_cache.clear()
    result: Optional[dict[str, Any]] = module._read_bundle_metadata(Path(path))
    return result


def find_dag(roots: Sequence[os.PathLike[str] | str], dag_id: str) -> Optional[Path]:
    """The bundle ``_Bundle.find`` picks for ``dag_id`` under ``roots``, or ``None``."""
    module = coordinator()
    module._digest_cache.clear()
    try:
        bundle = module._Bundle.find([Path(root) for root in roots], dag_id)
    except FileNotFoundError:
        return None
    found: Path = bundle.path
    return found


def find_executables(roots: Sequence[os.PathLike[str] | str]) -> list[Path]:
    """Every file the released walk considers (regular, executable), in its order."""
    module = coordinator()
    return list(module._find_executables([Path(root) for root in roots]))
