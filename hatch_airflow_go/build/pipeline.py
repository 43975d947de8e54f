"""Build bundles: discover -> build -> introspect -> render -> pack (-> smoke test).

The hatch hook, the CLI's ``pack`` and the ``check-go-bundles`` pre-commit hook all come
through here. A content-hash cache makes an unchanged rebuild skip ``go build`` altogether:
its key covers everything that changes a bundle's bytes (see :func:`_cache_key`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go import __version__, log, tempfiles
from hatch_airflow_go.build.config import schema_version_problem
from hatch_airflow_go.build.progress import Progress
from hatch_airflow_go.errors import (
    AirflowGoError,
    BuildError,
    BundleError,
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
    go_origin: str = "setting"  # "env": `go` came from $AIRFLOW_GO_GO (for messages)
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

    def __init__(self, spec: BundleSpec, cache_dir: Optional[Path], progress: Progress) -> None:
        self.spec = spec
        self.cache_dir = cache_dir
        self.progress = progress
        self.label = spec_label(spec)
        self.module_dir = spec.module_dir.resolve()
        check_relative_package(spec.package, self.module_dir)
        self.toolchain = find_go(
            explicit=spec.go, module_dir=self.module_dir, origin=spec.go_origin
        )
        progress.using(self.toolchain, self.label)
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

    def go_build(self, out: Path, env: Mapping[str, str]) -> None:
        # go's own work folder goes inside our scratch folder: a go killed with us (a signal)
        # leaves it there, to be removed with the rest, or swept by the next run.
        if "GOTMPDIR" not in env:
            env = {**env, "GOTMPDIR": str(out.parent)}
        self.progress.step(self.label, "go build")
        self.toolchain.run(
            ["build", *self.spec.build_flags, "-o", str(out), self.spec.package],
            cwd=self.module_dir,
            env=env,
            error=BuildError,
            what=f"go build {self.spec.package}",
        )

    def manifest(self, binary: Path, workdir: Path) -> Manifest:
        if self.spec.metadata_file is not None:
            return load_metadata_file(self.spec.metadata_file)
        self.progress.step(self.label, "asking the binary for its DAGs")
        try:
            return self._introspected(binary, workdir)
        except IntrospectionError as error:
            raise self._reproducible(error) from error

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

    def _introspected(self, binary: Path, workdir: Path) -> Manifest:
        if self.runs_here:
            return introspect(binary, timeout=self.spec.introspect_timeout)
        # A binary for another platform cannot run here: build a host-arch twin from the
        # same package and flags, solely to ask it for its DAGs (upstream does the same).
        sidecar = workdir / "introspect-host"
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
        log.debug(
            f"{self.spec.package}: building a {self.toolchain.host_goos}/"
            f"{self.toolchain.host_goarch} twin to read its DAGs"
        )
        self.go_build(sidecar, host_env)
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
    spec: BundleSpec, *, cache_dir: Optional[Path] = None, progress: Optional[Progress] = None
) -> BuiltBundle:
    """Build, introspect and pack one bundle; ``cache_dir`` enables the build cache.

    Every error names the bundle; a failed build leaves the output as it was. ``progress``
    is the build's reporter (default: one for this bundle alone).
    """
    if progress is None:
        with Progress([spec_label(spec)]) as own:
            return pack_bundle(spec, cache_dir=cache_dir, progress=own)
    sweep_leftovers()  # what runs killed with SIGKILL left: scratch folders, bundles
    context: dict[str, Path | str] = {}
    try:
        return _pack_bundle(spec, cache_dir, context, progress)
    except AirflowGoError as error:
        raise _name_the_bundle(error, spec, context) from error
    finally:
        progress.done(spec_label(spec))


def _pack_bundle(
    spec: BundleSpec,
    cache_dir: Optional[Path],
    context: dict[str, Path | str],
    progress: Progress,
) -> BuiltBundle:
    started = time.perf_counter()
    job = _Job(spec, cache_dir, progress)
    remembered = job.remembered_key(cache_dir) if cache_dir is not None else None
    entry: Optional[Path] = None
    if cache_dir is None:
        return _build_and_pack(job, started, context)
    if remembered:
        source, key = remembered
        name, output = job.output_path(source)
    else:
        progress.step(job.label, "go list (the build's input files)")
        package, files = golist.package_and_inputs(
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
    record = _cache_lookup(entry)
    if record is not None:
        smoked = spec.smoke_test and job.runs_here
        if smoked:
            _smoke(entry / "bundle")
        _install_copy(entry / "bundle", output)
        return _built(output, name, job, record, cached=True, started=started, smoked=smoked)
    return _build_and_pack(job, started, context, source=source, store=entry)


def _build_and_pack(
    job: _Job,
    started: float,
    context: dict[str, Path | str],
    *,
    source: Optional[Path] = None,
    store: Optional[Path] = None,
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
        staged = workdir / "packed" / name
        written = footer.write_bundle(binary, _read_source(source), manifest_bytes, staged)
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
        _install_copy(staged, output)
    return _built(output, name, job, record, cached=False, started=started, smoked=smoked)


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
) -> list[BuiltBundle]:
    """Pack several bundles concurrently (at most one per CPU), in the order given.

    Every bundle is attempted; when any fail, one error lists each failure.
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
    workers = max(1, min(len(specs), jobs or os.cpu_count() or 1))
    with (
        Progress([spec_label(spec) for spec in specs]) as progress,
        ThreadPoolExecutor(max_workers=workers) as pool,
    ):
        futures = [
            pool.submit(pack_bundle, spec, cache_dir=cache_dir, progress=progress) for spec in specs
        ]
    results: list[BuiltBundle] = []
    failures: list[tuple[BundleSpec, AirflowGoError]] = []
    for spec, future in zip(specs, futures):
        error = future.exception()
        if error is None:
            results.append(future.result())
        elif isinstance(error, AirflowGoError):
            failures.append((spec, error))
        else:
            raise error
    if len(failures) == 1:
        raise failures[0][1]
    if failures:
        raise BuildError(
            f"{len(failures)} of {len(specs)} bundles failed",
            detail="\n".join(f"[{spec.package}] {error}" for spec, error in failures),
        )
    return results


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
