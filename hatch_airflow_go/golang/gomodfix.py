"""Checking and repairing go.mod files: the rules of :mod:`gomod`, repaired with ``go mod edit``.

:func:`check_and_fix` is the whole check-and-repair that ``hatch-airflow-go check-go-mod`` and
the ``check-go-tool-directive`` hook share. It reads every file in-process and looks up a Go
toolchain only for a file that has something to repair, so a clean run starts no process.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from hatch_airflow_go.errors import AirflowGoError, GoModError, PathLike
from hatch_airflow_go.golang.gomod import (
    PACKER_TOOL,
    TOOL_MIN_GO,
    Finding,
    GoMod,
    check_gomod,
    error_finding,
    read_gomod,
)
from hatch_airflow_go.golang.toolchain import GoToolchain, find_go


def fix_gomod(mod: GoMod, findings: Sequence[Finding], toolchain: GoToolchain) -> list[str]:
    """Apply the offline fixes with one ``go mod edit`` in the go.mod's directory.

    Returns the commands that still have to be run by hand (they need the network), each
    ready to paste: ``(cd DIR && go get -tool ...)``.
    """
    if mod.path is None:
        raise GoModError("cannot fix a go.mod that was not read from a file", fix="use read_gomod")
    directory = mod.path.resolve().parent
    flags = [flag for finding in findings if finding.fixable_offline for flag in finding.edit]
    if flags:
        toolchain.run(
            ["mod", "edit", *flags, mod.path.name],
            cwd=directory,
            env=toolchain.environment(module_dir=directory),
            error=GoModError,
            what=f"go mod edit {mod.path}",
        )
    return _by_hand(mod.path, findings)


def _by_hand(path: Path, findings: Sequence[Finding]) -> list[str]:
    """The ready-to-paste commands of the findings that need the network, in order."""
    directory = path.resolve().parent
    return [
        f"(cd {directory} && {finding.fix})" for finding in findings if not finding.fixable_offline
    ]


# --------------------------------------------------------------------------- check and fix


@dataclass(frozen=True)
class CheckedFinding:
    """A finding as :func:`check_and_fix` leaves it."""

    finding: Finding
    fixed: bool = False
    # The ready-to-paste command, `(cd DIR && go get ...)`, for a repair that needs the
    # network, when a fix was asked for; None otherwise.
    by_hand: Optional[str] = None


@dataclass(frozen=True)
class GoModCheck:
    """What :func:`check_and_fix` found (and repaired) in one go.mod."""

    path: Path
    findings: tuple[CheckedFinding, ...] = ()
    # Why the repair could not run (no usable Go, `go mod edit` failed); the findings are
    # then all unfixed.
    error: Optional[AirflowGoError] = None

    @property
    def clean(self) -> bool:
        """Nothing found and nothing went wrong."""
        return not self.findings and self.error is None


def _go_mod_path(path: Path) -> Path:
    """The go.mod a command-line argument names: the file, or the one inside a folder.

    A folder that is itself called ``go.mod`` and holds none is taken as the file the user
    meant, so that the message says it is a directory. Never raises: a path the system
    refuses (too long, a loop) is read as given and its error reported there.
    """
    try:
        is_dir = stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return path
    inside = path / "go.mod"
    if is_dir and (path.name != "go.mod" or os.path.lexists(inside)):
        return inside
    return path


def check_and_fix(
    paths: Iterable[PathLike],
    *,
    required_tools: Sequence[str] = (PACKER_TOOL,),
    min_go: str = TOOL_MIN_GO,
    fix: bool = False,
    go: Optional[str] = None,
) -> list[GoModCheck]:
    """Check go.mod files (or directories holding one) and, with ``fix``, repair them.

    Each file is read in-process; a go binary is looked up (``go``, then the usual search)
    only for a file that has something to repair, so a clean run never starts a process.
    Offline repairs are applied with one ``go mod edit`` per file and the file is checked
    again, so ``fixed`` says what the edit really cured; repairs that need the network come
    back as commands to run. A file that cannot be read, or cannot be repaired, is reported
    on its own entry and never hides the results of the others.
    """
    tools = tuple(dict.fromkeys(required_tools))
    results: list[GoModCheck] = []
    for given in paths:
        path = _go_mod_path(Path(given))
        try:
            mod = read_gomod(path)
        except GoModError as error:
            results.append(GoModCheck(path, (CheckedFinding(error_finding(error)),)))
            continue
        findings = check_gomod(mod, required_tools=tools, min_go=min_go)
        if not (fix and findings):
            results.append(GoModCheck(path, tuple(CheckedFinding(f) for f in findings)))
            continue
        results.append(_repair(mod, path, findings, tools=tools, min_go=min_go, go=go))
    return results


def _repair(
    mod: GoMod,
    path: Path,
    findings: Sequence[Finding],
    *,
    tools: Sequence[str],
    min_go: str,
    go: Optional[str],
) -> GoModCheck:
    if not any(finding.fixable_offline for finding in findings):
        # Only network steps are left: say them without asking for a Go that would not run.
        by_hand = iter(_by_hand(path, findings))
        return GoModCheck(path, tuple(CheckedFinding(f, False, next(by_hand)) for f in findings))
    try:
        toolchain = find_go(explicit=go, module_dir=path.parent)
        by_hand = iter(fix_gomod(mod, findings, toolchain))
        after = check_gomod(read_gomod(path), required_tools=tools, min_go=min_go)
    except AirflowGoError as error:
        return GoModCheck(path, tuple(CheckedFinding(f) for f in findings), error)
    remaining = {(f.problem, f.fix) for f in after}
    checked = []
    for finding in findings:
        # fix_gomod gives one command per finding that needs the network, in order.
        command = None if finding.fixable_offline else next(by_hand)
        fixed = (finding.problem, finding.fix) not in remaining
        checked.append(CheckedFinding(finding, fixed, command))
    return GoModCheck(path, tuple(checked))
