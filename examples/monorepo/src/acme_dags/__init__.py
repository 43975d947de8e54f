"""Acme's DAG package: Python helpers that ship in the same wheel as the Go bundles."""

from __future__ import annotations

import sysconfig
from pathlib import Path


def executables_root() -> Path:
    """The folder this environment's Go bundles are installed in.

    Point Airflow's executable coordinator at it (``executables_root``).
    """
    return Path(sysconfig.get_path("data")) / "share" / "airflow" / "executable-bundles"
