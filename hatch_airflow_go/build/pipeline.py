"""Build bundles: discover -> build -> introspect -> render -> pack (-> smoke test).

The hatch hook, the CLI's ``pack`` and the ``check-go-bundles`` pre-commit hook all come
through here. A content-hash cache (:mod:`hatch_airflow_go.build.cache`) makes an unchanged
rebuild skip ``go build`` altogether: its key covers everything that changes a bundle's bytes.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go import log, tempfiles
from hatch_airflow_go.build import batch, twinmemo
from hatch_airflow_go.build.cache import BundleCache, CachedBundle, KeyInputs
from hatch_airflow_go.build.config import schema_version_problem
from hatch_airflow_go.build.progress import Progress
from hatch_airflow_go.errors import (
    AirflowGoError,
    BuildError,
    ConfigError,
    IntrospectionError,
    PackError,
)
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import (
    SUPPORTED_SCHEMA_VERSION,
    Manifest,
    id_warnings,
    load_metadata_file,
    reader_problems,
    render_v1,
)
from hatch_airflow_go.golang import golist
from hatch_airflow_go.golang.introspect import introspect
from hatch_airflow_go.golang.modroot import check_relative_package
from hatch_airflow_go.golang.toolchain import GoToolchain, find_go
from hatch_airflow_go.process import sweep_leftovers

# What the hatch hook adds so that two builds of one tree give the same bytes wherever the
# checkout lives. The CLI's `pack` passes flags verbatim, as upstream's packer does.
REPRODUCIBLE_FLAGS = ("-trimpath", "-buildvcs=false")


@dataclass(frozen=True)
class BundleSpec:
    """One bundle to build from a Go main package."""

    package: str
    module_dir: Path
    output_dir: Path
    name: Optional[str] = None
    source: Optional[Path] = None
    goos: Optional[str] = None
    goarch: Optional[str] = None
    build_flags: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    # CGO_ENABLED=1 / 0; None: as the caller's environment has it (pack, like upstream).
    cgo: Optional[bool] = False
    # The hook's pins (GOTOOLCHAIN=local, -mod=vendor); pack runs without them, like upstream.
    pinned_env: bool = True
    # Written into the manifest when the SDK reports no supervisor_schema_version.
    supervisor_schema_version: Optional[str] = None
    metadata_file: Optional[Path] = None
    exact_upstream: bool = False
    go: Optional[str] = None
    go_origin: str = "setting"  # "env": `go` came from $AIRFLOW_GO_GO (for messages)
    introspect_timeout: float = 60.0
    smoke_test: bool = False
    output: Optional[Path] = None  # an explicit file path; default output_dir / name
    project: str = ""  # the distribution (PEP 503 normalised) its cache entries belong to


@dataclass(frozen=True)
class BuiltBundle:
    """What was built, for progress lines, build_data and ``--json``."""

    path: Path
    name: str
    goos: str
    goarch: str
    size: int
    binary_size: int
    binary_sha256: str
    dag_ids: tuple[str, ...]
    cached: bool
    seconds: float
    warnings: tuple[str, ...]
    go_version: str
    sdk: str = ""
    smoke_tested: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "name": self.name,
            "target": f"{self.goos}/{self.goarch}",
            "size": self.size,
            "binary_size": self.binary_size,
            "binary_sha256": self.binary_sha256,
            "dags": list(self.dag_ids),
            "sdk": self.sdk,
            "go_version": self.go_version,
            "cached": self.cached,
            "smoke_tested": self.smoke_tested,
            "seconds": round(self.seconds, 3),
            "warnings": list(self.warnings),
        }

    def summary(self) -> str:
        """One progress line: name, target, size, hash prefix, dags, cached or built."""
        how = "cached" if self.cached else f"built in {self.seconds:.1f}s"
        if self.smoke_tested:
            how += ", smoke-tested"
        return (
            f"{self.name} ({self.goos}/{self.goarch}): {self.size:,} bytes, "
            f"sha256 {self.binary_sha256[:12]}, {len(self.dag_ids)} dag(s), {how}"
        )


def spec_label(spec: BundleSpec) -> str:
    """What progress lines call a bundle: its planned file name, else its package."""
    planned = planned_output(spec)
    return planned.name if planned is not None else spec.package


def planned_output(spec: BundleSpec) -> Optional[Path]:
    """The output path when it is known without asking go: an explicit output or name, or a
    relative package path (the default name is the package directory's, upstream's rule)."""
    if spec.output is not None:
        return spec.output
    if spec.name:
        return spec.output_dir / spec.name
    if spec.package.startswith("."):
        return spec.output_dir / (spec.module_dir / spec.package).resolve().name
    return None


def resolve_target(spec: BundleSpec, toolchain: GoToolchain) -> tuple[str, str]:
    """GOOS/GOARCH: the spec (flag) wins, then the environment, then the host."""
    goos = spec.goos or spec.env.get("GOOS") or os.environ.get("GOOS") or toolchain.host_goos
    goarch = (
        spec.goarch or spec.env.get("GOARCH") or os.environ.get("GOARCH") or toolchain.host_goarch
    )
    return goos, goarch


class _Job:
    """The state of one bundle's build, so each step reads as one short method."""

    def __init__(
        self,
        spec: BundleSpec,
        toolchain: Optional[GoToolchain] = None,
        progress: Optional[Progress] = None,
    ) -> None:
        self.spec = spec
        self.label = spec_label(spec)
        # Without a build's reporter (a job made for one step): one that says nothing.
        self.progress = progress or Progress([self.label], say=lambda line: None)
        self.module_dir = spec.module_dir.resolve()
        check_relative_package(spec.package, self.module_dir)
        self.toolchain = toolchain or find_go(
            explicit=spec.go, module_dir=self.module_dir, origin=spec.go_origin
        )
        self.progress.using(self.toolchain, self.label)
        self._remembered: Optional[tuple[Optional[tuple[Path, str]]]] = None
        self.goos, self.goarch = resolve_target(spec, self.toolchain)
        self.env = self.toolchain.environment(
            goos=self.goos,
            goarch=self.goarch,
            cgo=spec.cgo,
            module_dir=self.module_dir,
            extra=spec.env,
            pinned=spec.pinned_env,
        )
        self._check_cross_cgo()
        if "-o" in spec.build_flags or any(f.startswith("-o=") for f in spec.build_flags):
            raise PackError(
                "build flags must not contain -o: the packer chooses the build output",
                path=self.module_dir,
                fix="set the bundle's output with --output (or `name` in the hook config)",
            )
        # A missing or special source, a FIFO go.mod or .go file: refused before any go
        # command (a shared `go list` of a batch would block on a FIFO forever).
        self.explicit_source()
        _refuse_blocking_go_inputs(self.module_dir, spec.package)

    @property
    def runs_here(self) -> bool:
        return (self.goos, self.goarch) == (self.toolchain.host_goos, self.toolchain.host_goarch)

    def _check_cross_cgo(self) -> None:
        """``cgo = true`` for another platform needs a C compiler for that platform: the
        host's gcc or clang would fail deep inside runtime/cgo, so refuse unless CC is set."""
        if self.spec.cgo is not True or self.runs_here or self.env.get("CC"):
            return
        target = f"{self.goos}/{self.goarch}"
        host = f"{self.toolchain.host_goos}/{self.toolchain.host_goarch}"
        raise ConfigError(
            f"cgo = true for a cross build ({target} on this {host} host) needs a C cross "
            "compiler for the target, and CC is not set",
            fix=f"set CC (and CXX for C++) to a C compiler for {target} in the environment or "
            "the bundle's `env`, e.g. CC=aarch64-linux-gnu-gcc; or build on a "
            f"{target} host; or set cgo = false",
        )

    def explicit_source(self) -> Optional[Path]:
        """The source file the user named, checked to exist; None to discover it."""
        if self.spec.source is None:
            return None
        source = self.spec.source
        if not source.is_absolute():
            source = self.module_dir / source
        if not source.is_file():
            raise PackError(
                _not_a_file(source, "source file"),
                path=source,
                fix="point --source (or the hook's `source`) at the DAG's main .go file",
            )
        return source

    def source_file(self, package: Optional[golist.PackageInfo] = None) -> Path:
        """The DAG's main file: the named one, else the package's one ``func main()`` file."""
        explicit = self.explicit_source()
        if explicit is not None:
            return explicit
        if package is None:
            package = golist.list_package(
                self.toolchain, self.spec.package, cwd=self.module_dir, env=self.env
            )
        return golist.find_main_source(package)

    def early_output(self) -> Optional[Path]:
        return planned_output(self.spec)

    def output_path(self, source: Path) -> tuple[str, Path]:
        name = self.spec.name or source.parent.name
        output = self.spec.output or (self.spec.output_dir / name)
        inputs: list[Path] = [source]
        if self.spec.metadata_file is not None:
            inputs.append(self.spec.metadata_file)
        footer.check_output_path(output, inputs)
        return name, output

    def key_inputs(self) -> KeyInputs:
        """What the cache keys this build by (see :mod:`hatch_airflow_go.build.cache`)."""
        spec = self.spec
        return KeyInputs(
            module_dir=self.module_dir,
            package=spec.package,
            name=spec.name,
            source=spec.source,
            project=spec.project,
            go=self.toolchain.go,
            go_version=self.toolchain.version_text,
            goos=self.goos,
            goarch=self.goarch,
            cgo=spec.cgo,
            pinned_env=spec.pinned_env,
            build_flags=spec.build_flags,
            exact_upstream=spec.exact_upstream,
            schema_version=spec.supervisor_schema_version,
            spec_env=spec.env,
            go_env=self.env,
            metadata_file=spec.metadata_file,
        )

    def remembered(self, cache: BundleCache) -> Optional[tuple[Path, str]]:
        """The stat index's (source, key) for this job, asked once (a batch asks before and
        after grouping)."""
        if self._remembered is None:
            self._remembered = (cache.remembered_key(self.key_inputs().fingerprint()),)
        return self._remembered[0]

    def go_build(self, out: Path, env: Mapping[str, str], packages: Sequence[str] = ()) -> None:
        """``go build`` of this bundle's package into the file ``out``; with ``packages``,
        one ``go build -o out/ PKG...`` of them all into the directory ``out`` (the same
        flags and environment: see :mod:`hatch_airflow_go.build.batch`)."""
        # go's own work folder goes inside our scratch folder: a go killed with us (a signal)
        # leaves it there, to be removed with the rest, or swept by the next run.
        if "GOTMPDIR" not in env:
            env = {**env, "GOTMPDIR": str(out.parent)}
        self.progress.step(self.label, "go build")
        if packages:
            target, named = str(out) + os.sep, list(packages)
            what = f"go build of {len(packages)} packages"
        else:
            target, named, what = str(out), [self.spec.package], f"go build {self.spec.package}"
        self.toolchain.run(
            ["build", *self.spec.build_flags, "-o", target, *named],
            cwd=self.module_dir,
            env=env,
            error=BuildError,
            what=what,
        )

    @property
    def needs_twin(self) -> bool:
        """Whether reading the DAGs takes a host-platform twin of the binary."""
        return self.spec.metadata_file is None and not self.runs_here

    def twin_env(self) -> dict[str, str]:
        """The environment of the host-platform twin: the bundle's, for the host."""
        # With cgo = true, CC/CXX name the target's cross compiler: the twin uses the host's.
        dropped = ("GOOS", "GOARCH", "CC", "CXX") if self.spec.cgo is True else ("GOOS", "GOARCH")
        host_env = self.toolchain.environment(
            goos=self.toolchain.host_goos,
            goarch=self.toolchain.host_goarch,
            cgo=self.spec.cgo,
            module_dir=self.module_dir,
            extra={k: v for k, v in self.spec.env.items() if k not in dropped},
            pinned=self.spec.pinned_env,
        )
        if self.spec.cgo is True:
            for key in ("CC", "CXX"):
                host_env.pop(key, None)
        return host_env

    def known_dags(self) -> Optional[Manifest]:
        """The DAGs a host binary of this bundle already reported in this run, if any
        (``build-wheels``: the host target's build answers for every cross target)."""
        env = self.twin_env() if self.needs_twin else self.env
        return twinmemo.recall(self._twin_key(env))

    def read_dags(self, binary: Path) -> Manifest:
        """Introspect a host binary of this bundle (itself or its twin), remembered for the
        run's other targets."""
        self.progress.step(self.label, "asking the binary for its DAGs")
        try:
            manifest = introspect(binary, timeout=self.spec.introspect_timeout)
        except IntrospectionError as error:
            raise self._reproducible(error) from error
        env = self.twin_env() if self.needs_twin else self.env
        twinmemo.remember(self._twin_key(env), manifest)
        return manifest

    def manifest(self, binary: Path, workdir: Path) -> Manifest:
        if self.spec.metadata_file is not None:
            return load_metadata_file(self.spec.metadata_file)
        if self.runs_here:
            return self.read_dags(binary)
        known = self.known_dags()  # another target's build of this run asked it already
        if known is not None:
            log.debug(f"{self.spec.package}: DAGs as the host binary of this run reported them")
            return known
        # A binary for another platform cannot run here: build a host-arch twin from the
        # same package and flags, solely to ask it for its DAGs (upstream does the same).
        sidecar = workdir / "introspect-host"
        log.debug(
            f"{self.spec.package}: building a {self.toolchain.host_goos}/"
            f"{self.toolchain.host_goarch} twin to read its DAGs"
        )
        self.go_build(sidecar, self.twin_env())
        return self.read_dags(sidecar)

    def _reproducible(self, error: IntrospectionError) -> IntrospectionError:
        """The error with a command that rebuilds the binary and reruns it, in place of the
        scratch binary's path (deleted by the time the user reads the message)."""
        lines = (error.detail or "").split("\n")
        if not lines[0].startswith("$ "):
            return error
        try:
            flags = shlex.split(lines[0][2:])[1:]
        except ValueError:
            return error
        name = planned_output(self.spec)
        out = Path(tempfile.gettempdir()) / f"{name.name if name else 'bundle'}-introspect"
        # The go that built it: the one on PATH is just `go`, another one by its path.
        go = "go" if self.toolchain.origin == "path" else str(self.toolchain.go)
        changes = {
            key: self.env[key]
            for key in ("CGO_ENABLED", "GOTOOLCHAIN", "GOFLAGS", "GOROOT", *self.spec.env)
            if key in self.env
            and key not in ("GOOS", "GOARCH")  # the rerun needs a binary for this host
            and os.environ.get(key) != self.env[key]
        }
        build = log.format_command(
            [go, "build", *self.spec.build_flags, "-o", str(out), self.spec.package], changes
        )[2:]
        command = f"$ cd {shlex.quote(str(self.module_dir))} && {build} && " + " ".join(
            shlex.quote(arg) for arg in [str(out), *flags]
        )
        fix = (error.fix or "").replace(
            "run the command below",
            "run the command below (it rebuilds the binary and runs it as the packer did)",
        )
        return IntrospectionError(
            error.problem, path=error.path, fix=fix, detail="\n".join([command, *lines[1:]])
        )

    def _twin_key(self, host_env: Mapping[str, str]) -> str:
        # With cgo = true a twin builds with the host's default compiler (twin_env drops
        # CC/CXX): the host target's own build must key the same way to answer for it.
        if self.spec.cgo is True:
            host_env = {k: v for k, v in host_env.items() if k not in ("CC", "CXX")}
        return twinmemo.twin_key(
            go=self.toolchain.go,
            go_version=self.toolchain.version_text,
            module_dir=self.module_dir,
            package=self.spec.package,
            build_flags=self.spec.build_flags,
            env=host_env,
        )


_SCHEMA_SETTING = (
    f'the hook setting supervisor-schema-version = "{SUPPORTED_SCHEMA_VERSION}" '
    f"(or AIRFLOW_GO_SUPERVISOR_SCHEMA_VERSION), or pack --supervisor-schema-version "
    f"{SUPPORTED_SCHEMA_VERSION}"
)


def settle_schema_version(
    manifest: Manifest,
    setting: Optional[str],
    *,
    metadata_file: Optional[Path] = None,
    where: Optional[Path] = None,
) -> Manifest:
    """The manifest with the ``sdk.supervisor_schema_version`` it will be packed with.

    Airflow's reader skips a bundle without one, so a manifest that lacks it is refused
    unless ``setting`` supplies it. A setting that contradicts what the SDK (or the metadata
    file) reports is refused too: the version selects the wire schema Airflow's supervisor
    speaks to the bundle, and only the SDK knows which one its runtime implements.
    """
    if setting is not None:
        problem = schema_version_problem(setting)
        if problem is not None:
            raise ConfigError(
                f"the supervisor schema version {setting!r} {problem}",
                fix=f"give it as a YYYY-MM-DD string, e.g. {SUPPORTED_SCHEMA_VERSION}",
            )
    reported = manifest.sdk.supervisor_schema_version
    who = "the metadata file" if metadata_file is not None else "the SDK"
    if reported:
        if setting is not None and setting != reported:
            raise PackError(
                f"{who} reports supervisor_schema_version {reported!r}, but the "
                f"supervisor-schema-version setting says {setting!r}",
                path=metadata_file or where,
                fix="drop the setting: the bundle's runtime speaks the schema its SDK reports, "
                "and the setting is only for SDKs that report none",
            )
        return manifest
    if setting is not None:
        return replace(manifest, sdk=replace(manifest.sdk, supervisor_schema_version=setting))
    if metadata_file is not None:
        raise PackError(
            "the metadata file gives no sdk.supervisor_schema_version, so Airflow's reader "
            "will skip this bundle",
            path=metadata_file,
            fix=f'add supervisor_schema_version: "{SUPPORTED_SCHEMA_VERSION}" to its sdk block, '
            f"or set it explicitly with {_SCHEMA_SETTING}",
        )
    older = manifest.shape == "dump-bundle-spec"
    answered = " (it answers only --dump-bundle-spec)" if older else ""
    raise PackError(
        f"the SDK reports no supervisor_schema_version{answered}, so Airflow's reader will "
        "skip this bundle",
        path=where,
        fix="upgrade the Airflow Go SDK to one that answers --airflow-metadata (it reports "
        f"the version itself), or set it explicitly with {_SCHEMA_SETTING}",
    )


def _render(
    manifest: Manifest,
    source: Path,
    exact_upstream: bool,
    where: Path,
    *,
    schema_version: Optional[str] = None,
    metadata_file: Optional[Path] = None,
    binary: Optional[Path] = None,
) -> tuple[bytes, list[str]]:
    """Render the V1 manifest and collect upstream's warnings (and ours).

    ``binary`` is where an introspected manifest came from (None: the caller names it).
    """
    if not manifest.dags:
        raise PackError(
            "bundle exposes no dags: nothing to pack",
            path=where,
            fix="register at least one DAG in the bundle's main package",
        )
    manifest = settle_schema_version(
        manifest, schema_version, metadata_file=metadata_file, where=binary
    )
    manifest = manifest.with_source(source.name)
    warnings = [
        f"dag {dag_id!r} has no tasks" for dag_id, tasks in manifest.dags.items() if not tasks
    ]
    warnings.extend(id_warnings(manifest))
    warnings.extend(
        f"Airflow's released reader will skip this bundle: {problem}"
        for problem in reader_problems(manifest)
    )
    rendered = render_v1(manifest, exact_upstream=exact_upstream)
    warnings.extend(rendered.warnings)
    return rendered.data, warnings


def _install_copy(built: Path, output: Path) -> None:
    """Copy a finished bundle onto ``output`` atomically, keeping it executable (an unnamed
    file linked in when complete: nothing is left beside ``output``, even after a kill)."""
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        tempfiles.copy_file(built, output, mode=0o755)
    except OSError as error:
        raise _cannot_write(output, error) from error


def _cannot_write(output: Path, error: OSError) -> PackError:
    return PackError(
        f"cannot write the bundle: {error.strerror or error}",
        path=output,
        fix="choose an output in a writable directory with free space",
    )


def _smoke(bundle: Path) -> None:
    # Imported here: only --smoke needs the task-protocol runtime (and msgpack).
    from hatch_airflow_go.runtime.smoke import smoke_test

    result = smoke_test(bundle)
    if not result.ok:
        raise result.error()


def _name_the_bundle(
    error: AirflowGoError, spec: BundleSpec, context: Mapping[str, Path | str]
) -> AirflowGoError:
    """The same error, saying which bundle failed; a path inside the scratch build directory
    (gone by the time the user reads it) becomes the package's directory."""
    path: Optional[str] = error.path
    workdir = context.get("workdir")
    if path is None or (isinstance(workdir, Path) and Path(path).is_relative_to(workdir)):
        path = str(spec.module_dir / spec.package)
    problem = error.problem
    label = f"bundle {context.get('name') or spec.name or spec.package}"
    if not problem.startswith(label):
        problem = f"{label}: {problem}"
    renamed = type(error)(problem, path=path, fix=error.fix, detail=error.detail)
    return renamed


def pack_bundle(
    spec: BundleSpec,
    *,
    cache_dir: Optional[Path] = None,
    cache_size: Optional[int] = None,
    private_output: bool = False,
) -> BuiltBundle:
    """Build, introspect and pack one bundle; ``cache_dir`` enables the build cache (of at
    most ``cache_size`` bytes, default :func:`~hatch_airflow_go.build.cache.size_limit`).

    ``private_output``: the output is a file nobody else writes to (the hook's scratch
    folder), so a fresh bundle is renamed there and a cached one copied straight there,
    instead of staged and copied again. Every error names the bundle; a failed build leaves
    the output as it was.
    """
    sweep_leftovers()  # what runs killed with SIGKILL left: scratch folders, bundles
    cache = BundleCache.open(cache_dir, limit=cache_size)
    with Progress([spec_label(spec)]) as progress:
        return _pack_named(spec, cache, progress, private_output=private_output)


def _pack_named(
    spec: BundleSpec,
    cache: Optional[BundleCache],
    progress: Progress,
    *,
    private_output: bool = False,
) -> BuiltBundle:
    context: dict[str, Path | str] = {}
    try:
        job = _Job(spec, progress=progress)
        prepared = _prepare(spec, cache, context, private_output=private_output, job=job)
        if isinstance(prepared, BuiltBundle):
            return prepared
        if prepared is None:
            return _build_and_pack(job, time.perf_counter(), context, move=private_output)
        return _build_and_pack(
            prepared.job,
            prepared.started,
            context,
            source=prepared.source,
            store=prepared.store,
            move=private_output,
        )
    except AirflowGoError as error:
        raise _name_the_bundle(error, spec, context) from error
    finally:
        progress.done(spec_label(spec))


def _not_a_file(path: Path, what: str) -> str:
    """Why ``path`` (not a regular file) cannot be the ``what``: a FIFO is not "missing"."""
    if path.is_dir():
        return f"the {what} is a directory"
    if path.exists():
        return f"the {what} is not a regular file (a FIFO or device)"
    return f"the {what} does not exist"


def _refuse_blocking_go_inputs(module_dir: Path, package: str) -> None:
    """No FIFO or device where go will read a file: the module's go.mod, the package's .go files.

    go opens every ``.go`` file of a package directory (to read its build constraints) and
    the go.mod; a FIFO there blocks it forever. Only packages written as a directory path
    are looked at (``./cmd/x``; not import paths or ``...`` patterns).
    """
    candidates = [module_dir / "go.mod"]
    if (package in (".", "..") or package.startswith(("./", "../", "/"))) and "..." not in package:
        folder = module_dir / package
        try:
            with os.scandir(folder) as entries:
                candidates += [Path(e.path) for e in entries if e.name.endswith(".go")]
        except OSError:
            pass  # go reports a missing or unreadable package directory itself
    for path in candidates:
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise PackError(
                "is a FIFO, socket or device, which go would block reading",
                path=path,
                fix="replace it with a regular file, or remove it",
            )


@dataclass
class _Pending:
    """A bundle that must be built: its job, and what is known before building."""

    index: int
    job: _Job
    started: float
    context: dict[str, Path | str]
    source: Path
    name: str
    output: Path
    store: Optional[tuple[BundleCache, str]]  # where to cache the result; None: no cache

    @property
    def spec(self) -> BundleSpec:
        return self.job.spec


def _prepare(
    spec: BundleSpec,
    cache: Optional[BundleCache],
    context: dict[str, Path | str],
    *,
    private_output: bool = False,
    job: Optional[_Job] = None,
    listed: Optional[tuple[golist.PackageInfo, list[Path]]] = None,
    index: int = 0,
    discover: bool = False,
) -> BuiltBundle | _Pending | None:
    """The cached bundle, installed; else what building it needs.

    Without a cache, None (a lone bundle finds its main file alongside its build), or with
    ``discover`` a pending build whose main file was found first (a batch needs it).
    ``job`` and ``listed`` (the package's ``go list`` answer) are reused when given.
    """
    started = time.perf_counter()
    job = job or _Job(spec)
    if cache is None:
        if not discover:
            return None
        source = job.source_file(listed[0] if listed else None)
        name, output = job.output_path(source)
        context["name"] = name
        return _Pending(index, job, started, context, source, name, output, None)
    remembered = job.remembered(cache)
    if remembered:
        source, key = remembered
        name, output = job.output_path(source)
    else:
        if listed is None:
            job.progress.step(job.label, "go list (the build's input files)")
        package, files = listed or golist.package_and_inputs(
            job.toolchain,
            spec.package,
            cwd=job.module_dir,
            env=job.env,
            extra_args=spec.build_flags,
        )
        source = job.source_file(package)
        name, output = job.output_path(source)
        inputs = job.key_inputs()
        key, stats = inputs.content_key(name, source, files)
        cache.remember_key(inputs.fingerprint(), source, key, stats, project=spec.project)
    context["name"] = name
    smoked = spec.smoke_test and job.runs_here
    # Smoke-tested before it replaces the output: a failure leaves the output as it was.
    check = _smoke if smoked else None
    hit = _fetch_cached(cache, key, name, output, private_output=private_output, check=check)
    if hit is not None:
        record = {"dag_ids": hit.dag_ids, "warnings": hit.warnings, "sdk": hit.sdk}
        return _built(output, name, job, record, cached=True, started=started, smoked=smoked)
    return _Pending(index, job, started, context, source, name, output, (cache, key))


def _fetch_cached(
    cache: BundleCache,
    key: str,
    name: str,
    output: Path,
    *,
    private_output: bool,
    check: Optional[Callable[[Path], None]] = None,
) -> Optional[CachedBundle]:
    """Install the cached bundle ``key`` at ``output`` if the entry proves itself (the whole
    file is hashed as it is copied) and passes ``check`` (the smoke test). A private output
    is copied to directly (one copy, under a temporary name renamed on); any other through a
    scratch copy and an atomic install."""
    if private_output:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _cannot_write(output, error) from error
        temporary = output.parent / tempfiles.owned_name(".cached-")
        tempfiles.track(temporary)
        try:
            hit = cache.fetch(key, temporary)
            if hit is None:
                return None
            if check is not None:
                check(temporary)
            try:
                os.replace(temporary, output)
            except OSError as error:
                raise _cannot_write(output, error) from error
            return replace(hit, path=output)
        finally:
            with contextlib.suppress(OSError):
                temporary.unlink()
            tempfiles.untrack(temporary)
    with tempfiles.scratch_directory() as workdir:
        hit = cache.fetch(key, workdir / name)
        if hit is None:
            return None
        if check is not None:
            check(hit.path)
        _install_copy(hit.path, output)
        return replace(hit, path=output)


def _build_and_pack(
    job: _Job,
    started: float,
    context: dict[str, Path | str],
    *,
    source: Optional[Path] = None,
    store: Optional[tuple[BundleCache, str]] = None,
    move: bool = False,
) -> BuiltBundle:
    """Build, introspect, render and write the bundle (no cache lookup involved).

    Without a known source, finding the main file (`go list`) runs alongside `go build`,
    but only once the output is known to be writable: a bad output is refused before any
    build starts, as upstream's packer does.
    """
    spec = job.spec
    with tempfiles.scratch_directory() as workdir:
        context["workdir"] = workdir
        binary = workdir / "bundle"
        early = job.early_output() if source is None else None
        if source is None and early is not None and job.explicit_source() is None:
            footer.check_output_path(early, [spec.metadata_file] if spec.metadata_file else [])
            with ThreadPoolExecutor(max_workers=1) as pool:
                building = pool.submit(job.go_build, binary, job.env)
                try:
                    source = job.source_file()
                finally:
                    build_error = building.exception()  # waits: the build owns workdir
            name, output = job.output_path(source)
            context["name"] = name
            if build_error is not None:
                raise build_error
        else:
            source = source or job.source_file()
            name, output = job.output_path(source)
            context["name"] = name
            job.go_build(binary, job.env)
        manifest = job.manifest(binary, workdir)
        return _finish(
            job,
            started,
            binary=binary,
            manifest=manifest,
            source=source,
            name=name,
            output=output,
            staging=workdir / "packed",
            store=store,
            move=move,
        )


def _finish(
    job: _Job,
    started: float,
    *,
    binary: Path,
    manifest: Manifest,
    source: Path,
    name: str,
    output: Path,
    staging: Path,
    store: Optional[tuple[BundleCache, str]],
    move: bool = False,
) -> BuiltBundle:
    """Render the manifest, pack the bundle privately, smoke-test, cache and install it.

    ``move``: the output is private (see :func:`pack_bundle`), so the packed file is
    renamed onto it rather than copied."""
    spec = job.spec
    manifest_bytes, warnings = _render(
        manifest,
        source,
        spec.exact_upstream,
        output,
        schema_version=spec.supervisor_schema_version,
        metadata_file=spec.metadata_file,
    )
    # Packed privately first: the smoke test and the cache see this bundle's own bytes,
    # and the output only ever changes by one atomic rename.
    staged = staging / name
    # A scratch file, copied or renamed on: syncing it to disk would buy nothing.
    written = footer.write_bundle(
        binary, _read_source(source), manifest_bytes, staged, durable=False
    )
    smoked = spec.smoke_test and job.runs_here
    if smoked:
        _smoke(staged)
    elif spec.smoke_test:
        warnings.append(
            f"smoke test skipped: a {job.goos}/{job.goarch} bundle cannot run on this "
            f"{job.toolchain.host_goos}/{job.toolchain.host_goarch} host"
        )
    record = {
        "dag_ids": list(manifest.dags),
        "warnings": warnings,
        "sdk": f"{manifest.sdk.language}/{manifest.sdk.version}",
        "binary_sha256": written.binary_sha256.hex(),
    }
    if store is not None:
        cache, key = store
        target = f"{job.goos}/{job.goarch}"
        cache.store(
            key, staged, {**record, "project": spec.project, "bundle": name, "target": target}
        )
    _install_staged(staged, output, move=move)
    return _built(output, name, job, record, cached=False, started=started, smoked=smoked)


def _install_staged(staged: Path, output: Path, *, move: bool) -> None:
    """Put a freshly packed bundle at ``output``: renamed there when the output is private
    and on the same file system (no bytes copied), else copied atomically."""
    if move:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, output)
            return
        except OSError:
            pass  # another file system: copy
    _install_copy(staged, output)


def _read_source(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as error:
        raise PackError(
            f"cannot read the source file: {error.strerror or error}",
            path=source,
            fix="check that the DAG's main .go file exists and is readable",
        ) from error


def _built(
    output: Path,
    name: str,
    job: _Job,
    record: Mapping[str, Any],
    *,
    cached: bool,
    started: float,
    smoked: bool,
) -> BuiltBundle:
    job.progress.done(job.label)
    info = footer.read_bundle(output, check_hash=False)
    return BuiltBundle(
        path=output,
        name=name,
        goos=job.goos,
        goarch=job.goarch,
        size=info.size,
        binary_size=info.binary_size,
        binary_sha256=info.binary_sha256_hex,
        dag_ids=tuple(record["dag_ids"]),
        cached=cached,
        seconds=time.perf_counter() - started,
        warnings=tuple(record["warnings"]),
        go_version=job.toolchain.version_text,
        sdk=str(record.get("sdk", "")),
        smoke_tested=smoked,
    )


def pack_bundles(
    specs: Sequence[BundleSpec],
    *,
    cache_dir: Optional[Path] = None,
    jobs: Optional[int] = None,
    cache_size: Optional[int] = None,
    private_output: bool = False,
) -> list[BuiltBundle]:
    """Pack several bundles (results in the order given).

    Cached bundles are installed straight away; the rest are grouped by what their go
    command would be (module, go, target, flags, environment): each group is listed by one
    ``go list -deps`` (for the cache keys) and built by one ``go build -o DIR/ PKG...``
    (:mod:`hatch_airflow_go.build.batch`), then its binaries are introspected, rendered and
    packed in parallel (one per CPU). When a group's build fails, its bundles are built one
    by one, so that each error names its bundle.

    Every bundle is attempted; when any fail, one error lists each failure.
    ``private_output``: see :func:`pack_bundle`.
    """
    outputs: dict[Path, str] = {}
    for spec in specs:
        out = planned_output(spec)
        if out is None:
            continue
        if out in outputs:
            raise PackError(
                f"two bundles would be written to the same file ({outputs[out]} and "
                f"{spec.package})",
                path=out,
                fix="give each bundle a distinct `name`",
            )
        outputs[out] = spec.package
    sweep_leftovers()  # what runs killed with SIGKILL left: scratch folders, bundles
    cache = BundleCache.open(cache_dir, limit=cache_size)  # checked (and warned) once
    with Progress([spec_label(spec) for spec in specs]) as progress:
        if len(specs) == 1:
            return [_pack_named(specs[0], cache, progress, private_output=private_output)]
        return _pack_many(specs, cache, progress, jobs=jobs, private_output=private_output)


def _pack_many(
    specs: Sequence[BundleSpec],
    cache: Optional[BundleCache],
    progress: Progress,
    *,
    jobs: Optional[int],
    private_output: bool,
) -> list[BuiltBundle]:
    """:func:`pack_bundles` of two or more bundles: cached ones first, the rest batched."""
    workers = max(1, min(len(specs), jobs or os.cpu_count() or 1))
    toolchains = _ToolchainFinder()
    contexts: list[dict[str, Path | str]] = [{} for _ in specs]
    outcomes: dict[int, BuiltBundle | AirflowGoError] = {}

    def make_job(index: int) -> Optional[_Job]:
        spec = specs[index]
        try:
            return _Job(spec, toolchains.find(spec), progress)
        except AirflowGoError as error:
            progress.done(spec_label(spec))
            outcomes[index] = _name_the_bundle(error, spec, contexts[index])
            return None

    def prepare(index: int) -> BuiltBundle | _Pending | AirflowGoError:
        spec, context = specs[index], contexts[index]
        try:
            prepared = _prepare(
                spec,
                cache,
                context,
                private_output=private_output,
                job=jobs_by_index[index],
                listed=listed.get(index),
                index=index,
                discover=True,
            )
        except AirflowGoError as error:
            progress.done(spec_label(spec))
            return _name_the_bundle(error, spec, context)
        assert prepared is not None  # discover=True always says what to build
        return prepared

    with ThreadPoolExecutor(max_workers=workers) as pool:
        made = list(pool.map(make_job, range(len(specs))))
        jobs_by_index = {index: job for index, job in enumerate(made) if job is not None}
        # Bundles known unchanged by the stat index need no go list at all.
        unknown = {
            index: job
            for index, job in jobs_by_index.items()
            if cache is None or job.remembered(cache) is None
        }
        listed = _list_together(unknown, pool)
        remaining = [index for index in range(len(specs)) if index not in outcomes]
        prepared = dict(zip(remaining, pool.map(prepare, remaining)))
    pending: list[_Pending] = []
    for index, item in prepared.items():
        if isinstance(item, _Pending):
            pending.append(item)
        else:
            outcomes[index] = item
    groups = _batches(pending)
    with ThreadPoolExecutor(max_workers=max(1, min(len(groups), workers))) as pool:
        for done in pool.map(lambda group: _build_group(group, private_output), groups):
            outcomes.update(done)
    return _collect(specs, [outcomes[index] for index in range(len(specs))])


def _collect(
    specs: Sequence[BundleSpec], outcomes: Sequence[BuiltBundle | AirflowGoError]
) -> list[BuiltBundle]:
    results: list[BuiltBundle] = []
    failures: list[tuple[BundleSpec, AirflowGoError]] = []
    for spec, outcome in zip(specs, outcomes):
        if isinstance(outcome, AirflowGoError):
            failures.append((spec, outcome))
        else:
            results.append(outcome)
    if len(failures) == 1:
        raise failures[0][1]
    if failures:
        raise BuildError(
            f"{len(failures)} of {len(specs)} bundles failed",
            detail="\n".join(f"[{spec.package}] {error}" for spec, error in failures),
        )
    return results


class _ToolchainFinder:
    """:func:`find_go` once per (go setting, module) in one :func:`pack_bundles` call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._found: dict[tuple[Optional[str], str, Path], GoToolchain] = {}

    def find(self, spec: BundleSpec) -> GoToolchain:
        key = (spec.go, spec.go_origin, spec.module_dir.resolve())
        with self._lock:
            if key not in self._found:
                self._found[key] = find_go(explicit=spec.go, module_dir=key[2], origin=key[1])
            return self._found[key]


def _list_together(
    jobs: Mapping[int, _Job], pool: ThreadPoolExecutor
) -> dict[int, tuple[golist.PackageInfo, list[Path]]]:
    """One ``go list -deps`` per group of bundles that would share a go command, instead
    of one per bundle. A group whose listing fails is left out: each of its bundles then
    asks for itself, so that an error names its bundle."""
    groups: dict[Any, list[int]] = {}
    for index, job in jobs.items():
        groups.setdefault(_group_key(job), []).append(index)
    shared = [members for members in groups.values() if len(members) > 1]

    def list_group(members: list[int]) -> dict[int, tuple[golist.PackageInfo, list[Path]]]:
        job = jobs[members[0]]
        for index in members:
            jobs[index].progress.step(jobs[index].label, "go list (the build's input files)")
        try:
            found = golist.many_packages_and_inputs(
                job.toolchain,
                [jobs[index].spec.package for index in members],
                cwd=job.module_dir,
                env=job.env,
                extra_args=job.spec.build_flags,
            )
        except BuildError as error:
            log.debug(f"the shared go list failed, listing its bundles one by one: {error}")
            return {}
        return dict(zip(members, found)) if found is not None else {}

    listed: dict[int, tuple[golist.PackageInfo, list[Path]]] = {}
    for done in pool.map(list_group, shared):
        listed.update(done)
    return listed


def _group_key(job: _Job) -> Any:
    return batch.group_key(
        go=job.toolchain.go,
        module_dir=job.module_dir,
        target=(job.goos, job.goarch),
        flags=job.spec.build_flags,
        env=job.env,
    )


def _package_identity(pending: _Pending) -> str:
    """The package as one string however it is written (``./cmd/a`` and ``cmd/a/``)."""
    package = pending.spec.package
    if package.startswith("."):
        return str((pending.job.module_dir / package).resolve())
    return package


def _batches(pending: Sequence[_Pending]) -> list[list[_Pending]]:
    """The pending bundles in groups that one go command builds (a group of one is built
    alone, as :func:`pack_bundle` builds it)."""
    keyed: dict[Any, list[_Pending]] = {}
    alone: list[list[_Pending]] = []
    for item in pending:
        job = item.job
        if batch.exec_name(job.spec.package, job.module_dir, job.goos) is None:
            alone.append([item])
            continue
        keyed.setdefault(_group_key(job), []).append(item)
    groups: list[list[_Pending]] = []
    for members in keyed.values():
        groups.extend(
            batch.split_by_name(
                members,
                lambda item: str(
                    batch.exec_name(item.spec.package, item.job.module_dir, item.job.goos)
                ),
                _package_identity,
            )
        )
    return groups + alone


def _build_alone(item: _Pending, move: bool = False) -> BuiltBundle | AirflowGoError:
    try:
        return _build_and_pack(
            item.job,
            item.started,
            item.context,
            source=item.source,
            store=item.store,
            move=move,
        )
    except AirflowGoError as error:
        item.job.progress.done(item.job.label)
        return _name_the_bundle(error, item.spec, item.context)


def _build_each_alone(
    items: Sequence[_Pending], private_output: bool
) -> dict[int, BuiltBundle | AirflowGoError]:
    """Build bundles one go command each, in parallel (one per CPU): the fallback of a batch
    that failed, so that each error names its bundle."""
    workers = max(1, min(len(items), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        built = pool.map(lambda item: _build_alone(item, private_output), items)
        return {item.index: outcome for item, outcome in zip(items, built)}


def _unique_packages(items: Sequence[_Pending]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        seen.setdefault(_package_identity(item), item.spec.package)
    return list(seen.values())


def _built_binaries(
    items: Sequence[_Pending], folder: Path, goos: str
) -> tuple[dict[int, Path], list[_Pending]]:
    """Each bundle's binary in ``folder`` (named by Go's rule), and the bundles whose
    binary is not there (built alone instead, so that go says why)."""
    found: dict[int, Path] = {}
    missing: list[_Pending] = []
    for item in items:
        name = batch.exec_name(item.spec.package, item.job.module_dir, goos)
        path = folder / name if name else None
        if path is not None and path.is_file():
            found[item.index] = path
        else:
            missing.append(item)
    return found, missing


def _build_group(
    group: Sequence[_Pending], private_output: bool = False
) -> dict[int, BuiltBundle | AirflowGoError]:
    """Build one group with one go command (and its host twins with one more), then
    introspect and pack its bundles in parallel (one per CPU)."""
    if len(group) == 1:
        return {group[0].index: _build_alone(group[0], private_output)}
    outcomes: dict[int, BuiltBundle | AirflowGoError] = {}
    job = group[0].job
    with tempfiles.scratch_directory() as workdir:
        for item in group:
            item.context["workdir"] = workdir
            item.job.progress.step(item.job.label, f"go build (of {len(group)} at once)")
        try:
            job.go_build(workdir / "bin", job.env, packages=_unique_packages(group))
        except BuildError as error:
            log.debug(f"the batched build failed, building its bundles one by one: {error}")
            return _build_each_alone(group, private_output)
        binaries, missing = _built_binaries(group, workdir / "bin", job.goos)
        twins: dict[int, Path] = {}
        known = {
            item.index: dags
            for item in group
            if item.index in binaries and item.job.needs_twin
            if (dags := item.job.known_dags()) is not None
        }
        need_twin = [
            item
            for item in group
            if item.index in binaries and item.job.needs_twin and item.index not in known
        ]
        for item in group:
            if item.index in known:
                log.debug(f"{item.spec.package}: DAGs as the host binary of this run reported them")
        if need_twin:
            host = job.toolchain.host_goos
            for item in need_twin:
                log.debug(
                    f"{item.spec.package}: building a {host}/{job.toolchain.host_goarch} twin to "
                    "read its DAGs (one go build for the group)"
                )
            try:
                job.go_build(workdir / "twin", job.twin_env(), packages=_unique_packages(need_twin))
            except BuildError:
                missing.extend(need_twin)
            else:
                twins, no_twin = _built_binaries(need_twin, workdir / "twin", host)
                missing.extend(no_twin)
        alone = {item.index for item in missing}
        ready = [item for item in group if item.index not in alone]

        def introspect_and_pack(item: _Pending) -> BuiltBundle | AirflowGoError:
            spec = item.spec
            try:
                if spec.metadata_file is not None:
                    manifest = load_metadata_file(spec.metadata_file)
                elif item.index in known:  # another target's build of this run asked it
                    manifest = known[item.index]
                else:
                    binary = twins.get(item.index, binaries[item.index])
                    manifest = item.job.read_dags(binary)
                return _finish(
                    item.job,
                    item.started,
                    binary=binaries[item.index],
                    manifest=manifest,
                    source=item.source,
                    name=item.name,
                    output=item.output,
                    staging=workdir / "packed" / str(item.index),
                    store=item.store,
                    move=private_output,
                )
            except AirflowGoError as error:
                item.job.progress.done(item.job.label)
                return _name_the_bundle(error, spec, item.context)

        workers = max(1, min(len(ready), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for item, outcome in zip(ready, pool.map(introspect_and_pack, ready)):
                outcomes[item.index] = outcome
    outcomes.update(_build_each_alone(missing, private_output))
    return outcomes


def pack_executable(
    executable: Path,
    *,
    source: Path,
    output: Path,
    metadata_file: Optional[Path] = None,
    exact_upstream: bool = False,
    introspect_timeout: float = 60.0,
    supervisor_schema_version: Optional[str] = None,
) -> BuiltBundle:
    """Pack a pre-built binary (upstream's ``--executable`` mode): no build, no cache."""
    started = time.perf_counter()
    sweep_leftovers()  # what runs killed with SIGKILL left: scratch folders, bundles
    for path, what in ((executable, "executable"), (source, "source file")):
        if not path.is_file():
            raise PackError(_not_a_file(path, what), path=path, fix=f"pass an existing {what}")
    inputs = [executable, source] + ([metadata_file] if metadata_file else [])
    footer.check_output_path(output, inputs)
    if metadata_file is not None:
        manifest = load_metadata_file(metadata_file)
    else:
        manifest = introspect(executable, timeout=introspect_timeout)
    manifest_bytes, warnings = _render(
        manifest,
        source,
        exact_upstream,
        output,
        schema_version=supervisor_schema_version,
        metadata_file=metadata_file,
        binary=executable,
    )
    written = footer.write_bundle(executable, _read_source(source), manifest_bytes, output)
    return BuiltBundle(
        path=output,
        name=output.name,
        goos="",
        goarch="",
        size=written.size,
        binary_size=written.binary_size,
        binary_sha256=written.binary_sha256.hex(),
        dag_ids=tuple(manifest.dags),
        cached=False,
        seconds=time.perf_counter() - started,
        warnings=tuple(warnings),
        go_version="",
        sdk=f"{manifest.sdk.language}/{manifest.sdk.version}",
    )
