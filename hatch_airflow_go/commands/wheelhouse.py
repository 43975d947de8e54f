"""``hatch-airflow-go wheelhouse DIR``: write this package's wheel into DIR.

Until hatch-airflow-go is on PyPI, a build that needs it (``[build-system] requires``) finds
it in such a folder: ``PIP_FIND_LINKS=DIR python -m build``, ``UV_FIND_LINKS=DIR hatch
build``, ``uv build --find-links DIR``. See :mod:`hatch_airflow_go.scaffold.selfwheel`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "wheelhouse"
HELP = "write this package's wheel into a folder that builds can find it in (before a release)"
ORDER = 95


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", type=Path, metavar="DIR", help="the folder (made if missing)")


def run(args: argparse.Namespace) -> int:
    from hatch_airflow_go.scaffold.selfwheel import write_wheel

    wheel = write_wheel(args.directory)
    print(f"Wrote {wheel}")
    return 0
