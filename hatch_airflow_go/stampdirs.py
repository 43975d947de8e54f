"""Where editable-install stamps live, found from an installed bundle's path.

Kept apart from :mod:`hatch_airflow_go.build.editable` (which digests Go sources and reads
go.mod files) so that reading commands such as ``verify`` learn whether a bundle has a stamp
at all without importing the build and Go layers: almost none has one.
"""

from __future__ import annotations

from pathlib import Path

STAMP_DIR = ".hatch-airflow-go"  # where earlier versions put stamps: beside the bundles
# Where stamps install now, relative to the data scheme (the install prefix).
STAMP_DATA_DIR = "share/airflow/hatch-airflow-go/editable"


def stamp_folders(bundle: Path) -> list[Path]:
    """The existing folders that may hold stamps for ``bundle``: ``STAMP_DATA_DIR`` under each
    of its ancestors, and ``STAMP_DIR`` beside it (older stamps)."""
    absolute = bundle.absolute()
    folders = [parent / STAMP_DATA_DIR for parent in absolute.parents]
    folders.append(absolute.parent / STAMP_DIR)
    return [folder for folder in folders if folder.is_dir()]


__all__ = ["STAMP_DATA_DIR", "STAMP_DIR", "stamp_folders"]
