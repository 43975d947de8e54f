"""``hatch-airflow-go cache``: look into the bundle build cache, trim it, or empty it.

``cache`` and ``cache info`` print the folder, its total size, the entry count and the limit;
``cache list`` one line per entry (least recently used first); ``cache prune`` evicts the
least recently used entries down to the limit (or ``--max-size``); ``cache clear`` removes
every entry, or one project's. A cache that is not private (see
:mod:`hatch_airflow_go.build.cache`) is refused with the reason and the fix.
"""

from __future__ import annotations

import argparse
import datetime
import json
from pathlib import Path
from typing import Any

from hatch_airflow_go.build import cache
from hatch_airflow_go.errors import ConfigError, UsageError

NAME = "cache"
HELP = "show, list, prune or clear the bundle build cache"
ORDER = 80


def _size(text: str) -> int:
    try:
        return cache.parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="?",
        default="info",
        choices=("info", "list", "prune", "clear"),
        help="info (the default), list, prune or clear",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--max-size",
        type=_size,
        metavar="SIZE",
        help="prune: evict down to this size (default: the limit, AIRFLOW_GO_CACHE_SIZE or 2GiB)",
    )
    parser.add_argument(
        "--project", metavar="NAME", help="clear: only this project's (distribution's) entries"
    )


def _root() -> Path:
    root = cache.default_cache_dir()
    problem = cache.check_root(root, create=False) if root.exists() else None
    if problem is not None:
        raise ConfigError(problem.problem, path=root, fix=problem.fix)
    return root


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _info(root: Path, as_json: bool) -> None:
    entries = cache.list_entries(root)
    total = cache.total_size(entries)
    limit = cache.size_limit()
    if as_json:
        report = {"folder": str(root), "size": total, "entries": len(entries), "limit": limit}
        print(json.dumps(report, indent=2))
        return
    print(f"folder:  {root}")
    print(f"size:    {cache.format_size(total)} ({total:,} bytes)")
    print(f"entries: {len(entries)}")
    print(f"limit:   {cache.format_size(limit)} ({limit:,} bytes)")


def _list(root: Path, as_json: bool) -> None:
    entries = cache.list_entries(root)
    if as_json:
        print(json.dumps([entry.to_json() for entry in entries], indent=2))
        return
    for entry in entries:
        print(
            f"{entry.key[:12]}  {entry.project or '-'}  {entry.bundle or '-'}  "
            f"{entry.target or '-'}  {entry.size:,} bytes  last used {_when(entry.last_used)}"
        )
    print(f"{_entries(len(entries))}, {cache.format_size(cache.total_size(entries))}")


def _removed(root: Path, what: str, removed: list[cache.Entry], as_json: bool) -> None:
    left = cache.list_entries(root)
    if as_json:
        report: dict[str, Any] = {
            "folder": str(root),
            "removed": [entry.to_json() for entry in removed],
            "entries": len(left),
            "size": cache.total_size(left),
        }
        print(json.dumps(report, indent=2))
        return
    freed = cache.total_size(removed)
    print(
        f"{what}: removed {_entries(len(removed))} ({cache.format_size(freed)}); "
        f"{len(left)} left ({cache.format_size(cache.total_size(left))}) in {root}"
    )


def run(args: argparse.Namespace) -> int:
    if args.max_size is not None and args.action != "prune":
        raise UsageError("--max-size is for `cache prune`", fix="hatch-airflow-go cache prune")
    if args.project is not None and args.action != "clear":
        raise UsageError("--project is for `cache clear`", fix="hatch-airflow-go cache clear")
    root = _root()
    if args.action == "info":
        _info(root, args.json)
    elif args.action == "list":
        _list(root, args.json)
    elif args.action == "prune":
        limit = cache.size_limit() if args.max_size is None else args.max_size
        _removed(root, "prune", cache.prune(root, limit), args.json)
    else:
        removed = cache.clear(root, project=args.project)
        what = "clear" if args.project is None else f"clear {cache.normalize_project(args.project)}"
        _removed(root, what, removed, args.json)
    return 0
