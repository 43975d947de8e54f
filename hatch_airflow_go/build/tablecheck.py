"""Hook tables in pyproject.toml that hatchling never reads.

hatchling reads a build hook's settings from ``[tool.hatch.build.targets.<target>.hooks.<name>]``
(or ``[tool.hatch.build.hooks.<name>]`` for every target) and silently ignores every other
table: ``target.wheel`` for ``targets.wheel``, ``targets.whl``, ``hooks.airflowgo``. Such a
build succeeds and makes a pure-Python wheel without a single bundle. This walks the
``[tool]`` tree (bounded) for tables named like this hook that are not where hatchling looks,
and says where each should be.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hatch_airflow_go.build.config import GLOBAL_TABLE, PLUGIN_NAME, SDIST_TABLE, WHEEL_TABLE

# The targets this hook acts on, and the other builders hatchling ships.
HOOK_TARGETS = ("wheel", "sdist")
HATCHLING_TARGETS = (*HOOK_TARGETS, "binary", "app", "custom")
READ_TABLES = (WHEEL_TABLE, SDIST_TABLE, GLOBAL_TABLE)
_MAX_DEPTH = 10
_MAX_TABLES = 5_000


@dataclass(frozen=True)
class UnreadTable:
    """A table hatchling never reads, and the table it was meant to be."""

    table: str
    meant: str
    why: str

    def line(self) -> str:
        return (
            f"[{self.table}] is never read by hatchling: {self.why} (fix: rename it [{self.meant}])"
        )


def _looks_like_plugin(key: str) -> bool:
    squashed = re.sub(r"[-_.\s]", "", key.lower())
    return squashed == "airflowgo" or (
        difflib.SequenceMatcher(None, squashed, "airflowgo").ratio() >= 0.8
    )


def _tables(data: Mapping[str, Any], prefix: str, depth: int) -> Iterator[tuple[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            yield path, value
            yield from _tables(value, path, depth + 1)
        elif isinstance(value, list):  # arrays of tables ([[...bundles]])
            for item in value:
                if isinstance(item, Mapping):
                    yield from _tables(item, path, depth + 1)


def _closest(word: str, choices: tuple[str, ...]) -> str:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.0)
    return found[0] if found else choices[0]


def _meant(parts: list[str]) -> tuple[str, str]:
    """The table a misplaced hook table was meant to be, and what is wrong with it."""
    hook = parts[-1]
    named = hook != PLUGIN_NAME
    why = [f"the hook is named {PLUGIN_NAME!r}, not {hook!r}"] if named else []
    target = "wheel"
    if "targets" in parts or "target" in parts:
        at = parts.index("targets") if "targets" in parts else parts.index("target")
        if parts[at] == "target":
            why.append("hatchling reads tool.hatch.build.targets (plural), not .target")
        if at + 1 < len(parts) - 1:
            given = parts[at + 1]
            target = given if given in HOOK_TARGETS else _closest(given, HOOK_TARGETS)
            if given not in HATCHLING_TARGETS:
                why.append(f"there is no build target {given!r} (hatchling has "
                           f"{', '.join(HATCHLING_TARGETS)})")  # fmt: skip
    elif parts[:4] == ["tool", "hatch", "build", "hooks"] and len(parts) == 5:
        return GLOBAL_TABLE, "; ".join(why)
    meant = f"tool.hatch.build.targets.{target}.hooks.{PLUGIN_NAME}"
    if not why:
        why.append(f"hatchling reads this hook's settings only from [{meant}]")
    return meant, "; ".join(why)


def unread_tables(pyproject: Mapping[str, Any]) -> list[UnreadTable]:
    """Every table named like this hook that hatchling never reads as its settings."""
    tool = pyproject.get("tool")
    if not isinstance(tool, Mapping):
        return []
    found: list[UnreadTable] = []
    for count, (path, _value) in enumerate(_tables(tool, "tool", 1)):
        if count >= _MAX_TABLES:
            break
        parts = path.split(".")
        if not _looks_like_plugin(parts[-1]) or path in READ_TABLES:
            continue
        if any(path.startswith(read + ".") for read in READ_TABLES):
            continue  # inside a read table (a bundle's own settings)
        meant, why = _meant(parts)
        found.append(UnreadTable(path, meant, why))
    return found


def read_tables(pyproject: Mapping[str, Any]) -> list[str]:
    """The hook tables hatchling does read, as dotted names."""
    present = []
    for table in READ_TABLES:
        node: Any = pyproject
        for part in table.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if isinstance(node, Mapping):
            present.append(table)
    return present
