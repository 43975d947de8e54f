"""One wheel per Go target from one machine (``hatch-airflow-go build-wheels``).

How the builds run: hatchling's wheel builder, in this process, once per target, with the
hook forced to that target (:func:`hatch_airflow_go.plugin.forced_target`). One process
means one interpreter and hatchling start-up, one Go toolchain probe, Go's build cache
warm from the first target on, and one host-side introspection per bundle shared by every
cross target (:mod:`hatch_airflow_go.build.twinmemo`). Nothing leaks between targets: each
gets a new builder (new metadata, new hook instances, new build data); the forced target
and the memo live only for the run; the hook restores the signal handlers and log sink it
changes.

The price of in-process builds is that they use this environment, as
``python -m build --no-isolation`` does: before any build the project's
``[build-system]`` is checked (backend ``hatchling.build``, every ``requires`` installed
here at a matching version) and a mismatch is one message naming what is missing.

Wheels are written into a private staging folder inside the output folder and renamed into
place once complete, so a failure or a signal never leaves a half-written wheel there (the
staging folder is removed, or swept by the next run after a ``kill -9``).

Failure: like cibuildwheel, the run stops at the first target that fails (the wheels
already finished stay; they are complete), and the exit status is 1. ``keep_going`` builds
the remaining targets anyway and still fails the run.
"""

from __future__ import annotations

import os
import shlex
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from hatchling.bridge.app import Application

from hatch_airflow_go import signals, tempfiles
from hatch_airflow_go.build.config import PLUGIN_NAME, load_settings, read_pyproject
from hatch_airflow_go.build.wheeltag import wheel_targets
from hatch_airflow_go.errors import AirflowGoError, ConfigError, UsageError

STAGING_PREFIX = ".build-wheels-"
BACKEND = "hatchling.build"


@dataclass
class TargetResult:
    """What became of one target: ``built``, ``failed`` or ``not built`` (stopped before)."""

    target: str
    status: str = "not built"
    wheel: Optional[Path] = None
    tag: str = ""
    bundles: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    error: Optional[str] = None

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "status": self.status,
            "wheel": str(self.wheel) if self.wheel is not None else None,
            "tag": self.tag,
            "bundles": self.bundles,
            "seconds": round(self.seconds, 3),
            "error": self.error,
        }

    def first_error_line(self) -> str:
        """The failure's first line, without the hook's ``[airflow_go] error:`` label."""
        first = (self.error or "failed").strip().splitlines()[0]
        label = f"[{PLUGIN_NAME}] error: "
        return first[len(label) :] if first.startswith(label) else first

    def line(self) -> str:
        """``PATH  TAG  BUNDLE, BUNDLE``: one line per built wheel."""
        names = ", ".join(bundle["name"] for bundle in self.bundles) or "(no bundles)"
        return f"{self.wheel}  {self.tag}  {names}"


# -- validation --------------------------------------------------------------------------------
def parse_targets(values: Sequence[str]) -> list[str]:
    """The ``--target`` values, checked: GOOS/GOARCH with a wheel platform, each once."""
    valid = wheel_targets()
    if not values:
        raise UsageError(
            "no --target given",
            fix=f"name each platform to build, e.g. --target linux/amd64 --target "
            f"darwin/arm64 (valid: {', '.join(valid)})",
        )
    seen: list[str] = []
    for value in values:
        if value not in valid:
            shape = "" if "/" in value else " (the form is GOOS/GOARCH)"
            raise UsageError(
                f"--target {value!r} is not a platform wheels can be built for{shape}",
                fix=f"use one of: {', '.join(valid)}",
            )
        if value in seen:
            raise UsageError(
                f"--target {value} is given twice",
                fix="name each target once: one wheel is built per target",
            )
        seen.append(value)
    return seen


def _unmet_requirements(requires: Sequence[Any]) -> list[tuple[str, str]]:
    """The build requirements this environment does not satisfy, each with the reason."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    unmet = []
    for text in map(str, requires):
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            unmet.append((text, f"not a valid requirement: {error}"))
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            unmet.append((text, "not installed"))
            continue
        if requirement.specifier and not requirement.specifier.contains(
            installed, prereleases=True
        ):
            unmet.append((text, f"installed: {installed}"))
    return unmet


def check_build_system(pyproject: Path) -> None:
    """The project builds with hatchling and this environment has its build requirements."""
    data = read_pyproject(pyproject)
    system = data.get("build-system")
    system = system if isinstance(system, Mapping) else {}
    backend = system.get("build-backend")
    if backend != BACKEND or system.get("backend-path"):
        raise ConfigError(
            f"[build-system] build-backend is {backend!r}, not {BACKEND!r}: build-wheels "
            "runs hatchling's wheel builder",
            path=pyproject,
            fix=f'set build-backend = "{BACKEND}", or build each target with '
            "AIRFLOW_GO_TARGET=GOOS/GOARCH python -m build --wheel",
        )
    requires = system.get("requires", [])
    unmet = _unmet_requirements(requires if isinstance(requires, list) else [requires])
    if unmet:
        lacking = "; ".join(f"{text} ({why})" for text, why in unmet)
        install = " ".join(shlex.quote(text) for text, _ in unmet)
        raise ConfigError(
            f"[build-system] requires what this environment lacks: {lacking}",
            path=pyproject,
            fix=f"install them beside hatch-airflow-go ({sys.executable} -m pip install "
            f"{install}), or build each target in an isolated environment with "
            "AIRFLOW_GO_TARGET=GOOS/GOARCH python -m build --wheel",
        )


def check_cgo(targets: Sequence[str], *, cgo: bool, host: str, cc_set: bool) -> None:
    """With ``cgo = true`` every non-host target needs a C cross compiler, and ``CC`` names
    one compiler, for one target: refuse before anything is built."""
    if not cgo:
        return
    cross = [target for target in targets if target != host]
    if cross and not cc_set:
        raise UsageError(
            f"cgo = true cannot cross-build {', '.join(cross)} on this {host} host: CC is not set",
            fix=f"build only --target {host} here, or set CC to a C cross compiler and build "
            "one cross target per run, or set cgo = false",
        )
    if len(cross) > 1:
        raise UsageError(
            f"cgo = true with CC set builds for one cross target, but {len(cross)} were "
            f"given ({', '.join(cross)})",
            fix="run build-wheels once per cross target, each with CC naming that target's "
            "C compiler",
        )


# -- output of hatchling and the hook ----------------------------------------------------------
class TargetApp(Application):
    """hatchling's ``app`` for one target's build: every line to stderr (standard output
    carries the results), prefixed with the target; errors kept for the failure message."""

    def __init__(self, target: str, *, verbosity: int = 0) -> None:
        super().__init__()
        self.target = target
        self._verbosity = verbosity
        self.errors: list[str] = []

    @property
    def verbosity(self) -> int:
        return self._verbosity

    def _show(self, message: str) -> None:
        for line in str(message).splitlines() or [""]:
            print(f"[{self.target}] {line}", file=sys.stderr)

    @staticmethod
    def display(message: str = "", **kwargs: Any) -> None:
        print(message, file=sys.stderr)  # hatchling's unconditional output: stdout is ours

    def display_info(self, message: str = "", **kwargs: Any) -> None:
        if self._verbosity >= 0:
            self._show(message)

    display_waiting = display_info
    display_success = display_info
    display_mini_header = display_info

    def display_warning(self, message: str = "", **kwargs: Any) -> None:
        self._show(message)

    def display_error(self, message: str = "", **kwargs: Any) -> None:
        self.errors.append(str(message))
        self._show(message)

    def display_debug(self, message: str = "", level: int = 1, **kwargs: Any) -> None:
        if self._verbosity >= level:
            self._show(message)

    def abort(self, message: str = "", code: int = 1, **kwargs: Any) -> None:
        if message:
            self.display_error(message)
        raise SystemExit(code)

    def get_safe_application(self) -> Any:
        return self


# -- building ----------------------------------------------------------------------------------
# Reads a finished wheel back: its compressed tag and a verified description of each bundle
# (the command layer supplies it: `inspect-wheel`'s reader lives there).
Describe = Callable[[Path], tuple[str, list[dict[str, Any]]]]


def _failure(app: TargetApp, error: BaseException) -> str:
    if isinstance(error, AirflowGoError):
        return str(error)
    if isinstance(error, SystemExit):  # the hook (or hatchling) said why on display_error
        said = [line for line in app.errors if line.strip()]
        return "\n".join(said) or f"the wheel build exited with status {error.code}"
    return f"{type(error).__name__}: {error}"


def build_one(
    project: Path, target: str, out_dir: Path, app: TargetApp, describe: Describe
) -> TargetResult:
    """Build ``project``'s wheel for ``target`` into ``out_dir``, atomically; ``describe``
    reads the staged wheel back, and one whose bundles fail verification is not kept."""
    from hatchling.builders.wheel import WheelBuilder

    from hatch_airflow_go.plugin import forced_target

    result = TargetResult(target)
    started = time.perf_counter()
    staging = tempfiles.make_directory(out_dir, STAGING_PREFIX)
    try:
        with forced_target(target):
            builder = WheelBuilder(str(project.absolute()), app=app)
            artifacts = list(
                builder.build(directory=str(staging.absolute()), versions=["standard"])
            )
        staged = Path(artifacts[-1])
        result.tag, result.bundles = describe(staged)
        broken = [bundle for bundle in result.bundles if not bundle["ok"]]
        if broken:
            raise ConfigError(
                f"the built wheel carries a bundle that fails verification: "
                f"{broken[0]['member']}: {'; '.join(broken[0]['problems'])}",
                path=staged.name,
                fix="report this as a bug in hatch-airflow-go",
            )
        final = out_dir / staged.name
        os.replace(staged, final)
        result.wheel = final
        result.status = "built"
    except (Exception, SystemExit) as error:
        result.status = "failed"
        result.error = _failure(app, error)
        if not isinstance(error, SystemExit):
            app.display_error(result.error)  # the hook's own errors are on stderr already
    finally:
        signals.restore()  # the hook's exit-cleanly handlers, should hatchling have failed
        tempfiles.discard(staging)
        result.seconds = time.perf_counter() - started
    return result


def _host_first(targets: Sequence[str], host: str) -> Iterator[str]:
    """The host target first: its own binary answers for the cross targets' bundles."""
    if host in targets:
        yield host
    yield from (target for target in targets if target != host)


def build_wheels(
    project: Path,
    targets: Sequence[str],
    out_dir: Path,
    *,
    describe: Describe,
    keep_going: bool = False,
    verbosity: int = 0,
    on_result: Optional[Callable[[TargetResult], None]] = None,
) -> list[TargetResult]:
    """Build one wheel per target; results in the order the targets were given."""
    from hatch_airflow_go.build import twinmemo
    from hatch_airflow_go.golang.toolchain import find_go

    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        raise UsageError(
            "has no pyproject.toml",
            path=project,
            fix="pass the project's directory (default: the current one)",
        )
    check_build_system(pyproject)
    settings = load_settings(pyproject)
    if settings.skip:
        raise ConfigError(
            "skip = true (or AIRFLOW_GO_SKIP): the wheels would carry no bundles and be "
            "one pure-Python wheel",
            path=pyproject,
            fix="unset skip to build the bundles, or build the one wheel with python -m build",
        )
    toolchain = find_go(explicit=settings.go, module_dir=settings.module_dir)
    host = f"{toolchain.host_goos}/{toolchain.host_goarch}"
    cc_set = bool(os.environ.get("CC")) or all("CC" in b.env for b in settings.bundles)
    check_cgo(targets, cgo=settings.cgo, host=host, cc_set=cc_set)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the output folder: {error.strerror or error}",
            path=out_dir,
            fix="choose a writable --out folder",
        ) from None
    tempfiles.sweep(out_dir, STAGING_PREFIX)  # what a run killed with SIGKILL left
    results = {target: TargetResult(target) for target in targets}
    with twinmemo.shared_introspection():
        for target in _host_first(targets, host):
            app = TargetApp(target, verbosity=verbosity)
            result = build_one(project, target, out_dir, app, describe)
            results[target] = result
            if on_result is not None:
                on_result(result)
            if result.status == "failed" and not keep_going:
                break
    return [results[target] for target in targets]


__all__ = [
    "Describe",
    "TargetApp",
    "TargetResult",
    "build_one",
    "build_wheels",
    "check_build_system",
    "check_cgo",
    "parse_targets",
]
