"""Add the hook to an existing pyproject.toml as text, leaving every other byte as it was.

A TOML writer would reformat the file and drop its comments, so the change is made on the
text: ``hatch-airflow-go`` goes first into ``[build-system] requires`` (or a
``[build-system]`` table is appended where there is none), and the hook's tables are
appended at the end. The result is then parsed and compared with the original data plus
exactly those additions; any other difference (a file laid out in a way the edit does not
understand) is refused rather than written.
"""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go import __version__
from hatch_airflow_go.build.config import SDIST_TABLE, WHEEL_TABLE, dotted_table
from hatch_airflow_go.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python < 3.11
    import tomli as tomllib

HATCHLING = "hatchling.build"
REQUIREMENT = f"hatch-airflow-go>={__version__}"
GLOBAL_TABLE = "tool.hatch.build.hooks.airflow_go"
_HEADER = re.compile(r"(?m)^[ \t]*\[[ \t]*build-system[ \t]*\][ \t]*(#[^\r\n]*)?\r?$")
_ANY_HEADER = re.compile(r"(?m)^[ \t]*\[")
_REQUIRES = re.compile(r"(?m)^[ \t]*requires[ \t]*=[ \t]*\[")
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class InitRefused(UsageError):
    """The project cannot take the hook as it is (exit 2: nothing was written)."""


@dataclass(frozen=True)
class HookSettings:
    go_dir: str  # the Go module's folder, relative to pyproject.toml, '/'-separated
    bundle: str


def _set(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value


def _normalized(requirement: object) -> str:
    match = _NAME.match(requirement) if isinstance(requirement, str) else None
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def parse(text: str, path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InitRefused(
            f"is not valid TOML: {error}",
            path=path,
            fix="fix the file (or restore it from git) and run `init` again",
        ) from None
    return data


def check_project(data: dict[str, Any], path: Path) -> None:
    """Refuse a project the hook cannot join: another build backend, a hook already there."""
    system = data.get("build-system")
    if system is not None:
        backend = system.get("build-backend") if isinstance(system, dict) else None
        if backend != HATCHLING:
            shown = (
                f"uses the build backend {backend!r}"
                if isinstance(backend, str)
                else "names no build-backend in [build-system] (so builds use setuptools)"
            )
            raise InitRefused(
                f"{shown}; the airflow_go hook is a hatchling plugin",
                path=path,
                fix='switch [build-system] to build-backend = "hatchling.build" (requires = '
                '["hatchling"]) and run `init` again, or build the bundles with '
                "`hatch-airflow-go pack` from your own build",
            )
    for table in (WHEEL_TABLE, GLOBAL_TABLE):
        if dotted_table(data, table) is not None:
            raise InitRefused(
                f"already configures the hook: [{table}] exists",
                path=path,
                fix=f'add a bundle there instead: [[{table}.bundles]] package = "./cmd/NAME"',
            )


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _add_requirement(text: str, path: Path) -> str:
    """``text`` with REQUIREMENT first in [build-system] requires (or a requires line)."""
    header = _HEADER.search(text)
    if header is None:
        raise _cannot_edit(path, "[build-system] is not written as a table header")
    following = _ANY_HEADER.search(text, header.end())
    section_end = following.start() if following else len(text)
    requires = _REQUIRES.search(text, header.end(), section_end)
    nl = _newline(text)
    if requires is None:  # hatchling backend but no requires: pip refuses it as it stands
        line_end = text.find("\n", header.end())
        cut = len(text) if line_end < 0 else line_end + 1
        added = f'requires = ["hatchling", "{REQUIREMENT}"]{nl}'
        return text[:cut] + ("" if line_end >= 0 else nl) + added + text[cut:]
    opening = requires.end()  # just after '['
    first = _first_element(text, opening)
    if first is None:
        raise _cannot_edit(path, "its [build-system] requires array does not close")
    if text[first] == "]":
        return f'{text[:opening]}"{REQUIREMENT}"{text[opening:]}'
    if "\n" in text[opening:first]:  # one element a line: a line of our own, indented alike
        line_start = text.rfind("\n", 0, first) + 1
        indent = text[line_start:first]
        cut = text.index("\n", opening) + 1
        return f'{text[:cut]}{indent}"{REQUIREMENT}",{nl}{text[cut:]}'
    return f'{text[:first]}"{REQUIREMENT}", {text[first:]}'


def _first_element(text: str, position: int) -> Optional[int]:
    """Where the array's first element (or its closing ']') starts, past blanks and comments."""
    while position < len(text):
        char = text[position]
        if char in " \t\r\n":
            position += 1
        elif char == "#":
            line_end = text.find("\n", position)
            if line_end < 0:
                return None
            position = line_end + 1
        else:
            return position
    return None


def _cannot_edit(path: Path, why: str) -> InitRefused:
    return InitRefused(
        f"cannot add the hook without rewriting the file: {why}",
        path=path,
        fix=f'add "{REQUIREMENT}" to [build-system] requires and the [{WHEEL_TABLE}] table by '
        "hand (README, 'Existing project')",
    )


def hook_tables(settings: HookSettings, *, sdist: bool, nl: str = "\n") -> str:
    lines = [
        "",
        "# Added by `hatch-airflow-go init`: the Go bundles the wheel carries.",
        f"[{WHEEL_TABLE}]",
        f'module-dir = "{settings.go_dir}"',
        "",
        f"[[{WHEEL_TABLE}.bundles]]",
        f'package = "./cmd/{settings.bundle}"',
    ]
    if sdist:
        lines += [
            "",
            "# Have sdist builds check that they carry every Go file a wheel build needs.",
            f"[{SDIST_TABLE}]",
        ]
    return nl.join(lines) + nl


def add_hook(text: str, path: Path, settings: HookSettings) -> str:
    """The new pyproject.toml text; raises :class:`InitRefused` (nothing is written)."""
    data = parse(text, path)
    check_project(data, path)
    expected = copy.deepcopy(data)
    nl = _newline(text)
    requires = dotted_table(data, "build-system.requires")
    if "build-system" not in data:
        new_text = text + ("" if not text or text.endswith("\n") else nl)
        new_text += f'{nl}[build-system]{nl}requires = ["hatchling", "{REQUIREMENT}"]{nl}'
        new_text += f'build-backend = "{HATCHLING}"{nl}'
        expected["build-system"] = {
            "requires": ["hatchling", REQUIREMENT],
            "build-backend": HATCHLING,
        }
    elif isinstance(requires, list) and "hatch-airflow-go" in map(_normalized, requires):
        new_text = text
    else:
        if requires is not None and not isinstance(requires, list):
            raise _cannot_edit(path, "[build-system] requires is not an array")
        new_text = _add_requirement(text, path)
        expected["build-system"]["requires"] = (
            [REQUIREMENT, *requires] if requires is not None else ["hatchling", REQUIREMENT]
        )
    sdist = dotted_table(data, SDIST_TABLE) is None
    if not new_text.endswith("\n"):
        new_text += nl
    new_text += hook_tables(settings, sdist=sdist, nl=nl)
    _set(
        expected,
        WHEEL_TABLE,
        {"module-dir": settings.go_dir, "bundles": [{"package": f"./cmd/{settings.bundle}"}]},
    )
    if sdist:
        _set(expected, SDIST_TABLE, {})
    try:
        result = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError as error:
        raise _cannot_edit(
            path, f"the tables it already has do not take new ones ({error})"
        ) from None
    if result != expected:
        raise _cannot_edit(path, "the edit would change more than the added lines")
    return new_text
