"""Build bundles: discover -> build -> introspect -> render -> pack (-> smoke test).

The hatch hook, the CLI's ``pack`` and the ``check-go-bundles`` pre-commit hook all come
through here. A content-hash cache makes an unchanged rebuild skip ``go build`` altogether:
its key covers everything that changes a bundle's bytes (see :func:`_cache_key`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go import __version__, log, signals, tempfiles
from hatch_airflow_go.build import batch
from hatch_airflow_go.build.config import schema_version_problem
from hatch_airflow_go.errors import (
    AirflowGoError,
    BuildError,
    BundleError,
    ConfigError,
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
from hatch_airflow_go.golang.toolchain import GoToolchain, cache_root, find_go
from hatch_airflow_go.process import sweep_leftovers

# What the hatch hook adds so that two builds of one tree give the same bytes wherever the
# checkout lives. The CLI's `pack` passes flags verbatim, as upstream's packer does.
REPRODUCIBLE_FLAGS = ("-trimpath", "-buildvcs=false")

# Environment variables that change what `go build` produces.
_GO_OUTPUT_ENV = (
    "CGO_ENABLED",
    "GOFLAGS",
    "GOEXPERIMENT",
    "GOAMD64",
    "GOARM",
    "GOARM64",
    "GO386",
    "GOMIPS",
    "GOMIPS64",
    "GOPPC64",
    "GORISCV64",
    "GOWASM",
    "GOWORK",
    "GOTOOLCHAIN",
    "GOFIPS140",
    "CGO_CFLAGS",
    "CGO_CPPFLAGS",
    "CGO_CXXFLAGS",
    "CGO_LDFLAGS",
    "CC",
    "CXX",
)
_MODULE_FILES = ("go.mod", "go.sum", "vendor/modules.txt")
# 3: bundles whose SDK reports no supervisor_schema_version are refused, not cached.
_CACHE_FORMAT = 3
# A file whose mtime is this close to now may still change within the same timestamp
# tick: such a tree is not recorded in the stat index (the content hash still decides).
_RACY_SECONDS = 2.0


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
    introspect_timeout: float = 60.0
    smoke_test: bool = False
    output: Optional[Path] = None  # an explicit file path; default output_dir / name


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


def default_cache_dir() -> Path:
    """Where bundles are cached between builds: never inside the user's repository.

    ``$AIRFLOW_GO_CACHE_DIR``, else ``~/.cache/hatch-airflow-go`` (``$XDG_CACHE_HOME`` and
    HOME-less machines: the toolchain's per-user cache root, shared with Go's fallbacks).
    """
    explicit = os.environ.get("AIRFLOW_GO_CACHE_DIR")
    if explicit:
        return Path(explicit)
    home = os.environ.get("HOME")
    if home and not os.environ.get("XDG_CACHE_HOME"):
        return Path(home) / ".cache" / "hatch-airflow-go"
    return cache_root()


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


def _workspace_candidates(module_dir: Path, env: Mapping[str, str]) -> list[Path]:
    """The go.work files go would consider for this module (it searches upwards)."""
    explicit = env.get("GOWORK", "")
    if explicit == "off":
        return []
    if explicit:
        return [Path(explicit), Path(explicit + ".sum")]
    found: list[Path] = []
    for folder in (module_dir, *module_dir.parents):
        found.extend((folder / "go.work", folder / "go.work.sum"))
    return found


def _go_env_file(env: Mapping[str, str]) -> Path:
    """The file `go env -w` writes to: its settings change builds like variables do."""
    explicit = env.get("GOENV")
    if explicit and explicit != "off":
        return Path(explicit)
    config = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "/")) / ".config")
    return Path(config) / "go" / "env"


def _stat_signature(path: Path) -> Optional[list[int]]:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


def _write_atomically(path: Path, data: bytes) -> None:
    """Write a cache index file; any failure just leaves the index unwritten."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tempfiles.write_bytes(path, data)
    except OSError:
        return  # an unwritable cache costs speed, never a failed build


def _c_compiler(env: Mapping[str, str], goos: str) -> list[str]:
    """The C compiler go would use (CC, else Go's default for the target) and where PATH finds
    it: with CGO_ENABLED unset, whether one is found decides Go's cgo default."""
    default = "clang" if goos in ("darwin", "ios", "freebsd", "openbsd") else "gcc"
    cc = env.get("CC") or default
    words = cc.split()
    found = shutil.which(words[0], path=env.get("PATH")) if words else None
    return [cc, found or ""]


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_digest(path: Path) -> str:
    return footer.sha256_file(path).hex()


class _Job:
    """The state of one bundle's build, so each step reads as one short method."""

    def __init__(
        self,
        spec: BundleSpec,
        cache_dir: Optional[Path],
        toolchain: Optional[GoToolchain] = None,
    ) -> None:
        self.spec = spec
        self.cache_dir = cache_dir
        self.module_dir = spec.module_dir.resolve()
        self.toolchain = toolchain or find_go(explicit=spec.go, module_dir=self.module_dir)
        self._remembered: dict[Path, Optional[tuple[Path, str]]] = {}
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
                "the source file does not exist",
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

    def spec_fingerprint(self) -> str:
        """Everything about the request except file contents, for the stat index."""
        material = {
            "format": _CACHE_FORMAT,
            "hatch_airflow_go": __version__,
            "go": [str(self.toolchain.go), self.toolchain.version_text],
            "module": str(self.module_dir),
            "spec": [self.spec.package, self.spec.name, str(self.spec.source or "")],
            "target": [self.goos, self.goarch, self.spec.cgo, self.spec.pinned_env],
            "flags": list(self.spec.build_flags),
            "exact_upstream": self.spec.exact_upstream,
            "schema_version": self.spec.supervisor_schema_version,
            "env": sorted(self.spec.env.items()),
            "go_env": [(key, self.env.get(key, "")) for key in _GO_OUTPUT_ENV],
            "cc": _c_compiler(self.env, self.goos),
            "metadata": str(self.spec.metadata_file or ""),
        }
        return _sha256_bytes(json.dumps(material, sort_keys=True).encode())

    def remembered_key(self, cache_dir: Path) -> Optional[tuple[Path, str]]:
        """The (source, cache key) computed last time, if no input file has been touched.

        Computing the key costs a `go list -deps` run; an unchanged tree is recognised by the
        stat of every watched path (see :meth:`_watched`), so a no-op rebuild runs no go
        command at all beyond the toolchain's one-time `go env` probe.
        """
        index = cache_dir / "index" / f"{self.spec_fingerprint()}.json"
        try:
            record = json.loads(index.read_text(encoding="utf-8"))
            unchanged = all(
                _stat_signature(Path(path)) == signature
                for path, signature in record["stats"].items()
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return (Path(record["source"]), str(record["key"])) if unchanged else None

    def remembered(self, cache_dir: Path) -> Optional[tuple[Path, str]]:
        """:meth:`remembered_key`, asked once per job (a batch asks before and after
        grouping)."""
        if cache_dir not in self._remembered:
            self._remembered[cache_dir] = self.remembered_key(cache_dir)
        return self._remembered[cache_dir]

    def remember_key(
        self, cache_dir: Path, source: Path, key: str, stats: Mapping[str, Optional[list[int]]]
    ) -> None:
        """Record the key with the stats taken before hashing, unless the tree is racy."""
        newest = max((sig[0] for sig in stats.values() if sig is not None), default=0)
        if newest / 1e9 > time.time() - _RACY_SECONDS:
            return  # something changed just now: it could change again unseen in this tick
        record = {"source": str(source), "key": key, "stats": dict(stats)}
        _write_atomically(
            cache_dir / "index" / f"{self.spec_fingerprint()}.json",
            json.dumps(record).encode(),
        )

    def _watched(self, files: list[Path], source: Path) -> list[Path]:
        """Every path whose change (or appearance) can change the bundle.

        Input files and the directories holding them (a new file changes its directory's
        mtime); go.mod, go.sum, vendor/modules.txt; every go.work go would pick up from here
        to the root (present or not); the `go env -w` file; the metadata file.
        """
        watched = {*files, *(path.parent for path in files), source, source.parent}
        watched.update(self.module_dir / rel for rel in _MODULE_FILES)
        watched.update(_workspace_candidates(self.module_dir, self.env))
        watched.add(_go_env_file(self.env))
        if self.spec.metadata_file is not None:
            watched.add(self.spec.metadata_file.resolve())
        return sorted(watched)

    def cache_key(
        self, name: str, source: Path, files: list[Path]
    ) -> tuple[str, dict[str, Optional[list[int]]]]:
        """The content-hash key over the build's inputs, and the stats taken before hashing
        (so an edit made while hashing is seen as a change next time, never missed)."""
        watched = self._watched(files, source)
        stats = {str(path): _stat_signature(path) for path in watched}
        digests = {}
        for path in watched:
            if not path.is_file():
                continue
            label = (
                str(path.relative_to(self.module_dir))
                if path.is_relative_to(self.module_dir)
                else str(path)
            )
            digests[label] = _file_digest(path)
        material = {
            "format": _CACHE_FORMAT,
            "hatch_airflow_go": __version__,
            "go": self.toolchain.version_text,
            "target": [self.goos, self.goarch],
            "cgo": self.spec.cgo,
            "pinned_env": self.spec.pinned_env,
            "package": self.spec.package,
            "name": name,
            "source": source.name,
            "flags": list(self.spec.build_flags),
            "exact_upstream": self.spec.exact_upstream,
            "schema_version": self.spec.supervisor_schema_version,
            "env": sorted(self.spec.env.items()),
            "go_env": [(key, self.env.get(key, "")) for key in _GO_OUTPUT_ENV],
            "cc": _c_compiler(self.env, self.goos),
            "metadata": (
                _file_digest(self.spec.metadata_file) if self.spec.metadata_file else None
            ),
            "files": sorted(digests.items()),
        }
        return _sha256_bytes(json.dumps(material, sort_keys=True).encode()), stats

    def go_build(self, out: Path, env: Mapping[str, str], packages: Sequence[str] = ()) -> None:
        """``go build`` of this bundle's package into the file ``out``; with ``packages``,
        one ``go build -o out/ PKG...`` of them all into the directory ``out`` (the same
        flags and environment: see :mod:`hatch_airflow_go.build.batch`)."""
        # go's own work folder goes inside our scratch folder: a go killed with us (a signal)
        # leaves it there, to be removed with the rest, or swept by the next run.
        if "GOTMPDIR" not in env:
            env = {**env, "GOTMPDIR": str(out.parent)}
        if packages:
            target, named, what = (
                str(out) + os.sep,
                list(packages),
                f"go build of {len(packages)} packages",
            )
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

    def manifest(self, binary: Path, workdir: Path) -> Manifest:
        if self.spec.metadata_file is not None:
            return load_metadata_file(self.spec.metadata_file)
        if self.runs_here:
            return introspect(binary, timeout=self.spec.introspect_timeout)
        # A binary for another platform cannot run here: build a host-arch twin from the
        # same package and flags, solely to ask it for its DAGs (upstream does the same).
        sidecar = workdir / "introspect-host"
        log.debug(
            f"{self.spec.package}: building a {self.toolchain.host_goos}/"
            f"{self.toolchain.host_goarch} twin to read its DAGs"
        )
        self.go_build(sidecar, self.twin_env())
        return introspect(sidecar, timeout=self.spec.introspect_timeout)


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


def _cache_lookup(entry: Path) -> Optional[dict[str, Any]]:
    record_path = entry / "record.json"
    bundle = entry / "bundle"
    if not (record_path.is_file() and bundle.is_file()):
        return None
    try:
        record: dict[str, Any] = json.loads(record_path.read_text(encoding="utf-8"))
        info = footer.read_bundle(bundle)
    except (OSError, ValueError, BundleError):
        return None  # a damaged cache entry is rebuilt, never trusted
    if info.binary_sha256_hex != record.get("binary_sha256"):
        return None
    return record


def _cache_store(entry: Path, bundle: Path, record: Mapping[str, Any]) -> None:
    """Put a bundle in the cache; any failure just leaves it uncached."""
    parent = entry.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        # Named with this run's tag: the next store sweeps one a killed run left.
        staging = tempfiles.make_directory(parent, ".store-")
    except OSError:
        return  # an unwritable cache costs speed, never a failed build
    try:
        shutil.copyfile(bundle, staging / "bundle")
        (staging / "bundle").chmod(0o755)
        (staging / "record.json").write_text(json.dumps(dict(record), indent=1), encoding="utf-8")
        shutil.rmtree(entry, ignore_errors=True)
        os.replace(staging, entry)
        tempfiles.untrack(staging)
    except BaseException as error:
        tempfiles.discard(staging)
        if not isinstance(error, OSError):
            raise  # caching is an optimisation only: an OSError just leaves it uncached


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
    spec: BundleSpec, *, cache_dir: Optional[Path] = None, link_cached: bool = False
) -> BuiltBundle:
    """Build, introspect and pack one bundle; ``cache_dir`` enables the build cache.

    ``link_cached``: the output is a private file nobody writes to (the hook's scratch
    folder), so a cached bundle may be hard-linked there instead of copied.
    Every error names the bundle; a failed build leaves the output as it was.
    """
    sweep_leftovers()  # what runs killed with SIGKILL left: scratch folders, bundles
    context: dict[str, Path | str] = {}
    try:
        prepared = _prepare(spec, cache_dir, context, link_cached=link_cached)
        if isinstance(prepared, BuiltBundle):
            return prepared
        if prepared is None:
            job = _Job(spec, cache_dir)
            return _build_and_pack(job, time.perf_counter(), context, move=link_cached)
        return _build_and_pack(
            prepared.job,
            prepared.started,
            context,
            source=prepared.source,
            store=prepared.entry,
            move=link_cached,
        )
    except AirflowGoError as error:
        raise _name_the_bundle(error, spec, context) from error


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
    entry: Optional[Path]  # its cache entry, to store the result; None: no cache

    @property
    def spec(self) -> BundleSpec:
        return self.job.spec


def _prepare(
    spec: BundleSpec,
    cache_dir: Optional[Path],
    context: dict[str, Path | str],
    *,
    link_cached: bool = False,
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
    job = job or _Job(spec, cache_dir)
    if cache_dir is None:
        if not discover:
            return None
        source = job.source_file(listed[0] if listed else None)
        name, output = job.output_path(source)
        context["name"] = name
        return _Pending(index, job, started, context, source, name, output, None)
    remembered = job.remembered(cache_dir)
    if remembered:
        source, key = remembered
        name, output = job.output_path(source)
    else:
        package, files = listed or golist.package_and_inputs(
            job.toolchain,
            spec.package,
            cwd=job.module_dir,
            env=job.env,
            extra_args=spec.build_flags,
        )
        source = job.source_file(package)
        name, output = job.output_path(source)
        key, stats = job.cache_key(name, source, files)
        job.remember_key(cache_dir, source, key, stats)
    context["name"] = name
    entry = cache_dir / key[:2] / key
    record = _verified_lookup(entry, quick=remembered is not None)
    if record is not None:
        smoked = spec.smoke_test and job.runs_here
        if smoked:
            _smoke(entry / "bundle")
        _install_cached(entry / "bundle", output, link=link_cached)
        return _built(output, name, job, record, cached=True, started=started, smoked=smoked)
    return _Pending(index, job, started, context, source, name, output, entry)


def _verified_lookup(entry: Path, *, quick: bool) -> Optional[dict[str, Any]]:
    """:func:`_cache_lookup`, which re-hashes the whole cached bundle, or with ``quick`` its
    record alone when the entry's files still have the stats they had when last verified.

    ``quick`` comes with a stat-index hit: a no-op rebuild then reads no bundle in full. A
    changed or replaced entry (another mtime, size or inode) is verified in full again.
    """
    stamp = entry / "verified.json"
    files = (entry / "bundle", entry / "record.json")
    if quick:
        try:
            seen = json.loads(stamp.read_text(encoding="utf-8"))
            if seen == [_stat_signature(path) for path in files]:
                record: dict[str, Any] = json.loads(files[1].read_text(encoding="utf-8"))
                if isinstance(record.get("dag_ids"), list):
                    return record
        except (OSError, ValueError):
            pass  # no stamp yet, or a damaged one: verify in full
    checked = _cache_lookup(entry)
    if checked is not None:
        signatures = [_stat_signature(path) for path in files]
        _write_atomically(stamp, json.dumps(signatures).encode())
    return checked


def _install_cached(cached: Path, output: Path, *, link: bool) -> None:
    """Put a cached bundle at ``output``: a hard link when allowed (no bytes copied), else
    a copy. A link is only made for private outputs nobody writes to, and only when the
    entry has the mode the bundle must have; any failure (another file system) copies."""
    if link:
        try:
            if cached.stat().st_mode & 0o7777 == 0o755:
                output.parent.mkdir(parents=True, exist_ok=True)
                _link_atomically(cached, output)
                return
        except OSError:
            pass  # cross-device, no hard links here: copy as before
    _install_copy(cached, output)


def _link_atomically(cached: Path, output: Path) -> None:
    """Hard-link ``cached`` at ``output`` in one step (a tracked temporary name renamed on
    top, so a killed run leaves no half-made file beside it)."""
    temporary = output.parent / tempfiles.owned_name(".link-")
    with signals.deferred():
        os.link(cached, temporary)
        tempfiles.track(temporary)
    try:
        os.replace(temporary, output)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    finally:
        tempfiles.untrack(temporary)


def _build_and_pack(
    job: _Job,
    started: float,
    context: dict[str, Path | str],
    *,
    source: Optional[Path] = None,
    store: Optional[Path] = None,
    move: bool = False,
) -> BuiltBundle:
    """Build, introspect, render and write the bundle (no cache involved).

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
    store: Optional[Path],
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
        _cache_store(store, staged, record)
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
    link_cached: bool = False,
) -> list[BuiltBundle]:
    """Pack several bundles (results in the order given).

    Cached bundles are installed straight away; the rest are grouped by what their go
    command would be (module, go, target, flags, environment): each group is listed by one
    ``go list -deps`` (for the cache keys) and built by one ``go build -o DIR/ PKG...``
    (:mod:`hatch_airflow_go.build.batch`), then its binaries are introspected, rendered and
    packed in parallel (one per CPU). When a group's build fails, its bundles are built one
    by one, so that each error names its bundle.
    Every bundle is attempted; when any fail, one error lists each failure.
    ``link_cached``: see :func:`pack_bundle`.
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
    if len(specs) == 1:
        return [pack_bundle(specs[0], cache_dir=cache_dir, link_cached=link_cached)]
    sweep_leftovers()  # what runs killed with SIGKILL left: scratch folders, bundles
    workers = max(1, min(len(specs), jobs or os.cpu_count() or 1))
    toolchains = _ToolchainFinder()
    contexts: list[dict[str, Path | str]] = [{} for _ in specs]
    outcomes: dict[int, BuiltBundle | AirflowGoError] = {}

    def make_job(index: int) -> Optional[_Job]:
        spec = specs[index]
        try:
            return _Job(spec, cache_dir, toolchains.find(spec))
        except AirflowGoError as error:
            outcomes[index] = _name_the_bundle(error, spec, contexts[index])
            return None

    def prepare(index: int) -> BuiltBundle | _Pending | AirflowGoError:
        spec, context = specs[index], contexts[index]
        try:
            prepared = _prepare(
                spec,
                cache_dir,
                context,
                link_cached=link_cached,
                job=jobs_by_index[index],
                listed=listed.get(index),
                index=index,
                discover=True,
            )
        except AirflowGoError as error:
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
            if cache_dir is None or job.remembered(cache_dir) is None
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
        for done in pool.map(lambda group: _build_group(group, link_cached), groups):
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
        self._found: dict[tuple[Optional[str], Path], GoToolchain] = {}

    def find(self, spec: BundleSpec) -> GoToolchain:
        key = (spec.go, spec.module_dir.resolve())
        with self._lock:
            if key not in self._found:
                self._found[key] = find_go(explicit=spec.go, module_dir=key[1])
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
            store=item.entry,
            move=move,
        )
    except AirflowGoError as error:
        return _name_the_bundle(error, item.spec, item.context)


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
    group: Sequence[_Pending], link_cached: bool = False
) -> dict[int, BuiltBundle | AirflowGoError]:
    """Build one group with one go command (and its host twins with one more), then
    introspect and pack its bundles in parallel (one per CPU)."""
    if len(group) == 1:
        return {group[0].index: _build_alone(group[0], link_cached)}
    outcomes: dict[int, BuiltBundle | AirflowGoError] = {}
    job = group[0].job
    with tempfiles.scratch_directory() as workdir:
        for item in group:
            item.context["workdir"] = workdir
        try:
            job.go_build(workdir / "bin", job.env, packages=_unique_packages(group))
        except BuildError as error:
            log.debug(f"the batched build failed, building its bundles one by one: {error}")
            return {item.index: _build_alone(item, link_cached) for item in group}
        binaries, missing = _built_binaries(group, workdir / "bin", job.goos)
        twins: dict[int, Path] = {}
        need_twin = [item for item in group if item.index in binaries and item.job.needs_twin]
        if need_twin:
            host = job.toolchain.host_goos
            log.debug(f"building {len(need_twin)} host twin(s) to read their DAGs")
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
                else:
                    binary = twins.get(item.index, binaries[item.index])
                    manifest = introspect(binary, timeout=spec.introspect_timeout)
                return _finish(
                    item.job,
                    item.started,
                    binary=binaries[item.index],
                    manifest=manifest,
                    source=item.source,
                    name=item.name,
                    output=item.output,
                    staging=workdir / "packed" / str(item.index),
                    store=item.entry,
                    move=link_cached,
                )
            except AirflowGoError as error:
                return _name_the_bundle(error, spec, item.context)

        workers = max(1, min(len(ready), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for item, outcome in zip(ready, pool.map(introspect_and_pack, ready)):
                outcomes[item.index] = outcome
    for item in missing:
        outcomes[item.index] = _build_alone(item, link_cached)
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
            raise PackError(f"the {what} does not exist", path=path, fix=f"pass an existing {what}")
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
