"""The bundle build cache: finished bundles kept between builds, keyed by their inputs.

One cache per user, shared by every project and checkout (``$AIRFLOW_GO_CACHE_DIR``, else
``~/.cache/hatch-airflow-go``, else the toolchain's per-user folder). Its layout::

    <root>/entries/<key>/bundle        the packed bundle, byte for byte what was installed
    <root>/entries/<key>/record.json   project, bundle name, target, size, sha256, warnings
    <root>/index/<fingerprint>.json    the stat index: a shortcut to a key, see below

Four rules make it safe to trust:

- **Private.** Folders are made with mode 0700, and a root (or entry) that is not owned by
  the current user, or that group or others may write, is not used at all for the build
  (one warning says which folder, why, and the fix): another user could otherwise plant a
  bundle that we would install.
- **A hit proves the whole file.** The record keeps the whole bundle's sha256 and size; a hit
  hashes the whole cached file while copying it out (bounded by :data:`MAX_ENTRY_BYTES`); the
  SDK comes from the copied bundle's own manifest, and the record's dag ids (kept for their
  registration order) are used only when they are exactly the manifest's. Any mismatch is a
  miss: the bundle is rebuilt and the entry overwritten.
- **Keys do not depend on where the tree is.** Files inside the Go module are named
  relative to it, files of other local modules by that module's path, and only things that
  are the same file everywhere (the `go env -w` file) by their absolute path. The module's
  location enters the key only when the build does not trim paths (no ``-trimpath``): then the
  binary embeds it. So ``python -m build`` and ``uv build``, which build the wheel from an
  sdist unpacked in a new temporary folder each time, hit the cache. The stat index (it saves
  the ``go list -deps`` run) is keyed by location, and bounded to :data:`INDEX_LIMIT` files.
- **Bounded, least recently used first.** A hit touches its entry (the folder's mtime); after
  a store the oldest entries are removed until the cache fits its limit
  (:data:`DEFAULT_CACHE_SIZE`, the ``cache-size`` setting, ``AIRFLOW_GO_CACHE_SIZE``), never
  one this run used. Stores and removals are renames of whole folders, so a concurrent run
  sees an entry complete or not at all; a reader that loses the race just misses.

Every failure to read or write the cache costs speed, never the build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go import __version__, log, tempfiles
from hatch_airflow_go.errors import BundleError, ManifestError
from hatch_airflow_go.format import footer
from hatch_airflow_go.golang.toolchain import cache_root
from hatch_airflow_go.privatedir import is_private, mkdir_private, privacy_problem
from hatch_airflow_go.regularfile import open_regular, read_regular

# 4: one shared cache (entries/ and index/ under the root) with location-independent keys,
# whole-file digests, and the project recorded; 3 and before kept projects/<module digest>/.
CACHE_FORMAT = 4
# 2 GiB holds some 500 bundles of a typical 4 MB: every target of a few projects over many
# revisions, so switching branches or targets still hits, while a machine that builds in
# throw-away folders all day (CI, sdist builds) stops growing at a size next to Go's own
# build cache (which is often several GiB). Set cache-size to change it.
DEFAULT_CACHE_SIZE = 2 << 30
SIZE_ENV = "AIRFLOW_GO_CACHE_SIZE"
DIR_ENV = "AIRFLOW_GO_CACHE_DIR"
# A cached bundle bigger than this is refused unread (Go binaries of a DAG are tens of MB).
MAX_ENTRY_BYTES = 1 << 30
MAX_RECORD_BYTES = 1 << 20
MAX_INDEX_BYTES = 4 << 20
# Stat-index files kept: each checkout location (each sdist build folder) adds one per bundle.
INDEX_LIMIT = 256
ENTRIES = "entries"
INDEX = "index"
# What version 3 and before kept here (never read now): prune and `cache clear` remove it.
LEGACY = "projects"
# A file whose mtime is this close to now may still change within the same timestamp tick:
# such a tree is not recorded in the stat index (the content hash still decides).
RACY_SECONDS = 2.0

# Environment variables that change what `go build` produces.
GO_OUTPUT_ENV = (
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
MODULE_FILES = ("go.mod", "go.sum", "vendor/modules.txt")

_SIZE_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*")
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1 << 10,
    "kib": 1 << 10,
    "kb": 10**3,
    "m": 1 << 20,
    "mib": 1 << 20,
    "mb": 10**6,
    "g": 1 << 30,
    "gib": 1 << 30,
    "gb": 10**9,
    "t": 1 << 40,
    "tib": 1 << 40,
    "tb": 10**12,
}
_KEY_RE = re.compile(r"[0-9a-f]{64}")


def default_cache_dir() -> Path:
    """Where bundles are cached between builds: never inside the user's repository.

    ``$AIRFLOW_GO_CACHE_DIR``, else ``~/.cache/hatch-airflow-go`` (``$XDG_CACHE_HOME`` and
    HOME-less machines: the toolchain's per-user cache root, shared with Go's fallbacks).
    """
    explicit = os.environ.get(DIR_ENV)
    if explicit:
        return Path(explicit)
    home = os.environ.get("HOME")
    if home and not os.environ.get("XDG_CACHE_HOME"):
        return Path(home) / ".cache" / "hatch-airflow-go"
    return cache_root()


def parse_size(text: str) -> int:
    """Bytes from ``"2GiB"``, ``"500MB"``, ``"1.5G"`` or ``"1000000"``; ValueError says why.

    KiB/MiB/GiB/TiB (and bare K/M/G/T) are powers of 1024, kB/MB/GB/TB powers of 1000.
    """
    match = _SIZE_RE.fullmatch(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(
            f"{text!r} is not a size: give bytes, or a number with a unit such as "
            '"2GiB", "500MB" or "800M"'
        )
    return int(float(match.group(1)) * _UNITS[unit])


def format_size(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def size_limit(setting: Optional[int] = None, environ: Optional[Mapping[str, str]] = None) -> int:
    """The cache's size limit: ``$AIRFLOW_GO_CACHE_SIZE``, else ``setting``, else 2 GiB.

    An unreadable environment value is warned about and ignored (the cache is only speed).
    """
    environ = os.environ if environ is None else environ
    value = environ.get(SIZE_ENV)
    if value:
        try:
            return parse_size(value)
        except ValueError as error:
            log.warning(f"{SIZE_ENV}: {error}; using the default")
    return DEFAULT_CACHE_SIZE if setting is None else setting


def normalize_project(name: str) -> str:
    """A distribution name as PEP 503 normalises it (``Acme_DAGs`` -> ``acme-dags``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- privacy ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RootProblem:
    """Why a cache root cannot be used, and the fix."""

    root: Path
    problem: str
    fix: str

    def warning(self) -> str:
        return f"{self.problem}; this build does not use it (fix: {self.fix})"


def check_root(root: Path, *, create: bool = True) -> Optional[RootProblem]:
    """Why ``root`` is unusable as a cache, or None when it is a private folder.

    ``create`` makes a missing root (mode 0700).
    """
    yours = f"set {DIR_ENV} to a folder of your own"
    try:
        if create and not root.exists():
            mkdir_private(root)
        st = root.stat()
    except OSError as error:
        return RootProblem(
            root,
            f"the bundle cache {root} cannot be used ({error.strerror or error})",
            f"make it a writable folder of yours, or {yours}",
        )
    if not stat.S_ISDIR(st.st_mode):
        return RootProblem(
            root, f"the bundle cache {root} is not a folder", f"remove it, or {yours}"
        )
    problem = privacy_problem(st)
    if problem is None:
        return None
    if "owned by" in problem:
        fix = f"remove it if you do not trust it, or {yours}"
    else:
        fix = f"chmod 700 {root}, or {yours}"
    return RootProblem(
        root,
        f"the bundle cache {root} is not private: {problem}, so another user could plant "
        "bundles in it",
        fix,
    )


# -- keys ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyInputs:
    """Everything about one bundle's build that can change its bytes, except file contents."""

    module_dir: Path
    package: str
    name: Optional[str]
    source: Optional[Path]
    project: str
    go: Path
    go_version: str
    goos: str
    goarch: str
    cgo: Optional[bool]
    pinned_env: bool
    build_flags: tuple[str, ...]
    exact_upstream: bool
    schema_version: Optional[str]
    spec_env: Mapping[str, str]
    go_env: Mapping[str, str]  # the environment go build runs with
    metadata_file: Optional[Path] = None

    def _common(self) -> dict[str, Any]:
        return {
            "format": CACHE_FORMAT,
            "hatch_airflow_go": __version__,
            "project": self.project,
            "target": [self.goos, self.goarch],
            "cgo": self.cgo,
            "pinned_env": self.pinned_env,
            "package": self.package,
            "flags": list(self.build_flags),
            "exact_upstream": self.exact_upstream,
            "schema_version": self.schema_version,
            "env": sorted(self.spec_env.items()),
            "go_env": [(key, self.go_env.get(key, "")) for key in GO_OUTPUT_ENV],
            "cc": _c_compiler(self.go_env, self.goos),
        }

    def fingerprint(self) -> str:
        """The stat index's file name: the request and where the tree is."""
        material = {
            **self._common(),
            "go": [str(self.go), self.go_version],
            "module": str(self.module_dir),
            "spec": [self.package, self.name, str(self.source or "")],
            "metadata": str(self.metadata_file or ""),
        }
        return _sha256_json(material)

    def trims_paths(self) -> bool:
        """Whether go build runs with -trimpath (GOFLAGS first, the flags after it win)."""
        words = [*self.go_env.get("GOFLAGS", "").split(), *self.build_flags]
        trimmed = False
        for word in words:
            flag = word.lstrip("-")
            if flag in ("trimpath", "trimpath=true", "trimpath=1"):
                trimmed = True
            elif flag in ("trimpath=false", "trimpath=0"):
                trimmed = False
        return trimmed

    def watched(self, files: Sequence[Path], source: Path) -> list[Path]:
        """Every path whose change (or appearance) can change the bundle.

        Input files and the directories holding them (a new file changes its directory's
        mtime); go.mod, go.sum, vendor/modules.txt; every go.work go would pick up from here
        to the root (present or not); the `go env -w` file; the metadata file.
        """
        watched = {*files, *(path.parent for path in files), source, source.parent}
        watched.update(self.module_dir / rel for rel in MODULE_FILES)
        watched.update(_workspace_candidates(self.module_dir, self.go_env))
        watched.add(_go_env_file(self.go_env))
        if self.metadata_file is not None:
            watched.add(self.metadata_file.resolve())
        return sorted(watched)

    def content_key(
        self, name: str, source: Path, files: Sequence[Path]
    ) -> tuple[str, dict[str, Optional[list[int]]]]:
        """The content-hash key over the build's inputs, and the stats taken before hashing
        (so an edit made while hashing is seen as a change next time, never missed)."""
        watched = self.watched(files, source)
        stats = {str(path): _stat_signature(path) for path in watched}
        labels = _Labeller(self.module_dir)
        digests = {}
        for path in watched:
            if path.is_file():
                digests[labels.label(path)] = footer.sha256_file(path).hex()
        material = {
            **self._common(),
            "go": self.go_version,
            "name": name,
            "source": source.name,
            # Without -trimpath the binary embeds the module's absolute path.
            "module": None if self.trims_paths() else str(self.module_dir),
            "metadata": (
                footer.sha256_file(self.metadata_file).hex() if self.metadata_file else None
            ),
            "files": sorted(digests.items()),
        }
        return _sha256_json(material), stats


class _Labeller:
    """Location-free names for input files (see the module docstring)."""

    def __init__(self, module_dir: Path) -> None:
        self.module_dir = module_dir
        self._module_of: dict[Path, Optional[tuple[Path, str]]] = {}

    def label(self, path: Path) -> str:
        if path.is_relative_to(self.module_dir):
            return path.relative_to(self.module_dir).as_posix()
        if path.name in ("go.work", "go.work.sum"):
            # Found by walking up from the module: where it is relative to it is what counts.
            return "workspace:" + Path(os.path.relpath(path, self.module_dir)).as_posix()
        owner = self._module(path.parent)
        if owner is not None:
            root, module_path = owner
            return f"module:{module_path}/{path.relative_to(root).as_posix()}"
        return str(path)  # the same file wherever the tree is (the `go env -w` file)

    def _module(self, folder: Path) -> Optional[tuple[Path, str]]:
        """The Go module (root, path) holding ``folder``: a locally replaced module."""
        if folder in self._module_of:
            return self._module_of[folder]
        found: Optional[tuple[Path, str]] = None
        gomod = folder / "go.mod"
        if gomod.is_file():
            match = re.search(
                r"^\s*module\s+\"?([^\s\"]+)", gomod.read_text(encoding="utf-8", errors="replace"),
                re.MULTILINE,
            )  # fmt: skip
            found = (folder, match.group(1) if match else str(folder))
        elif folder.parent != folder:
            found = self._module(folder.parent)
        self._module_of[folder] = found
        return found


def _sha256_json(material: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


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


def _c_compiler(env: Mapping[str, str], goos: str) -> list[str]:
    """The C compiler go would use (CC, else Go's default for the target) and where PATH finds
    it: with CGO_ENABLED unset, whether one is found decides Go's cgo default."""
    default = "clang" if goos in ("darwin", "ios", "freebsd", "openbsd") else "gcc"
    cc = env.get("CC") or default
    words = cc.split()
    found = shutil.which(words[0], path=env.get("PATH")) if words else None
    return [cc, found or ""]


def _stat_signature(path: Path) -> Optional[list[int]]:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size, st.st_ino]


# -- the cache -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedBundle:
    """A proven hit, copied out: what the pipeline reports for it."""

    path: Path
    dag_ids: tuple[str, ...]
    sdk: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """One cache entry, as ``cache list`` shows it."""

    key: str
    path: Path
    project: str
    bundle: str
    target: str
    size: int
    last_used: float

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "project": self.project,
            "bundle": self.bundle,
            "target": self.target,
            "size": self.size,
            "last_used": self.last_used,
        }


@dataclass
class BundleCache:
    """A checked-private cache root, for one run: it remembers the entries this run used."""

    root: Path
    limit: int = DEFAULT_CACHE_SIZE
    in_use: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, root: Optional[Path], *, limit: Optional[int] = None) -> Optional[BundleCache]:
        """The cache at ``root`` for this run, or None (no root, or not private: warned)."""
        if root is None:
            return None
        problem = check_root(root)
        if problem is not None:
            log.warning(problem.warning())
            return None
        return cls(root=root, limit=size_limit(limit))

    @property
    def entries(self) -> Path:
        return self.root / ENTRIES

    # -- stat index -------------------------------------------------------------------------
    def remembered_key(self, fingerprint: str) -> Optional[tuple[Path, str]]:
        """The (source, cache key) computed last time, if no watched path has been touched.

        Computing the key costs a `go list -deps` run; an unchanged tree is recognised by
        the stat of every watched path, so a no-op rebuild runs no go command at all beyond
        the toolchain's one-time `go env` probe.
        """
        index = self.root / INDEX / f"{fingerprint}.json"
        try:
            if not is_private(index):
                return None
            record = json.loads(read_regular(index, MAX_INDEX_BYTES))
            unchanged = all(
                _stat_signature(Path(path)) == signature
                for path, signature in record["stats"].items()
            )
            found = (Path(record["source"]), str(record["key"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not unchanged:
            return None
        with contextlib.suppress(OSError):
            os.utime(index)  # recently used: kept when the index is trimmed
        return found

    def remember_key(
        self,
        fingerprint: str,
        source: Path,
        key: str,
        stats: Mapping[str, Optional[list[int]]],
        *,
        project: str = "",
    ) -> None:
        """Record the key with the stats taken before hashing, unless the tree is racy."""
        newest = max((sig[0] for sig in stats.values() if sig is not None), default=0)
        if newest / 1e9 > time.time() - RACY_SECONDS:
            return  # something changed just now: it could change again unseen in this tick
        record = {"source": str(source), "key": key, "project": project, "stats": dict(stats)}
        folder = self.root / INDEX
        try:
            mkdir_private(folder)
            tempfiles.write_bytes(folder / f"{fingerprint}.json", json.dumps(record).encode())
        except OSError:
            return  # an unwritable cache costs speed, never a failed build
        _trim_index(folder, INDEX_LIMIT)

    # -- entries ----------------------------------------------------------------------------
    def fetch(self, key: str, dest: Path) -> Optional[CachedBundle]:
        """Copy the entry ``key`` to ``dest`` (a new file) if it proves itself, else None."""
        entry = self.entries / key
        try:
            hit = _fetch(entry, key, dest)
        except (OSError, ValueError, KeyError, TypeError, BundleError, ManifestError) as error:
            hit = None
            reason = str(error)
        else:
            reason = "" if hit is None else "hit"
        if hit is None:
            if reason and entry.exists():
                log.debug(f"bundle cache: entry {key[:12]} not used: {reason}")
            with contextlib.suppress(OSError):
                dest.unlink()
            return None
        with self._lock:
            self.in_use.add(key)
        with contextlib.suppress(OSError):
            os.utime(entry)  # used now: the last to be evicted
        return hit

    def store(self, key: str, bundle: Path, record: Mapping[str, Any]) -> None:
        """Put a bundle in the cache, then evict down to the limit; failures leave it out."""
        with self._lock:
            self.in_use.add(key)
        try:
            size = bundle.stat().st_size
        except OSError:
            return
        if size > min(self.limit, MAX_ENTRY_BYTES):
            log.debug(f"bundle cache: {bundle.name} ({size:,} bytes) is bigger than the limit")
            return
        full = {
            **record,
            "format": CACHE_FORMAT,
            "key": key,
            "size": size,
            "sha256": footer.sha256_file(bundle).hex(),
            "stored": time.time(),
        }
        if _store(self.entries, key, bundle, full):
            with self._lock:
                keep = set(self.in_use)
            prune(self.root, self.limit, keep=keep)


def _fetch(entry: Path, key: str, dest: Path) -> Optional[CachedBundle]:
    """The proof of one entry (raises or returns None for any mismatch, with a reason)."""
    if not entry.is_dir():
        return None
    for path in (entry, entry / "record.json"):
        problem = privacy_problem(path.lstat())
        if problem is not None:
            raise ValueError(f"{path}: {problem}")
    data = read_regular(entry / "record.json", MAX_RECORD_BYTES + 1)
    if len(data) > MAX_RECORD_BYTES:
        raise ValueError("its record is too large")
    record = json.loads(data)
    if record.get("format") != CACHE_FORMAT or record.get("key") != key:
        raise ValueError("its record is for another key or cache format")
    size, digest = record["size"], record["sha256"]
    if not isinstance(size, int) or not 0 < size <= MAX_ENTRY_BYTES:
        raise ValueError(f"its recorded size {size!r} is out of bounds")
    fd = open_regular(entry / "bundle")
    try:
        st = os.fstat(fd)
        problem = privacy_problem(st)
        if problem is not None:
            raise ValueError(f"its bundle: {problem}")
        if st.st_size != size:
            raise ValueError(f"its bundle is {st.st_size:,} bytes, the record says {size:,}")
        # Hashed as it is copied: the bytes proven are the bytes used.
        copied, hashed = _copy_hashing(fd, dest, size)
    finally:
        os.close(fd)
    if copied != size or hashed != digest:
        raise ValueError("its bundle's sha256 differs from the record's")
    # Imported here: the settings model reads sizes through this module, and hatch's
    # dependency inspection should not pay for the manifest machinery (PyYAML).
    from hatch_airflow_go.format.manifest import parse_embedded

    info = footer.read_bundle(dest, check_hash=False)  # the whole file is proven already
    _, manifest_bytes = footer.read_regions(info)
    manifest = parse_embedded(manifest_bytes, path=dest)
    # The record keeps the SDK's registration order (the manifest's is sorted): it is used
    # only once it names exactly the manifest's dags.
    dag_ids = record["dag_ids"]
    if not isinstance(dag_ids, list) or sorted(map(str, dag_ids)) != sorted(manifest.dags):
        raise ValueError("its record's dag ids differ from the bundle's manifest")
    return CachedBundle(
        path=dest,
        dag_ids=tuple(map(str, dag_ids)),
        sdk=f"{manifest.sdk.language}/{manifest.sdk.version}",
        warnings=tuple(str(w) for w in record.get("warnings", [])),
    )


def _copy_hashing(src: int, dest: Path, limit: int) -> tuple[int, str]:
    """Copy at most ``limit`` + 1 bytes of ``src`` into the new file ``dest``, hashing them."""
    digest = hashlib.sha256()
    copied = 0
    out = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
    try:
        while copied <= limit:
            chunk = os.read(src, min(footer.CHUNK_SIZE, limit + 1 - copied))
            if not chunk:
                break
            digest.update(chunk)
            copied += len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(out, view) :]
    finally:
        os.close(out)
    return copied, digest.hexdigest()


def _store(entries: Path, key: str, bundle: Path, record: Mapping[str, Any]) -> bool:
    """Stage the entry beside its place and rename it in; True when it is in."""
    entry = entries / key
    try:
        mkdir_private(entries)
        # Named with this run's tag: the next store sweeps what a killed run left.
        staging = tempfiles.make_directory(entries, ".store-")
    except OSError:
        return False  # an unwritable cache costs speed, never a failed build
    try:
        shutil.copyfile(bundle, staging / "bundle")
        (staging / "bundle").chmod(0o755)
        tempfiles.write_bytes(
            staging / "record.json", json.dumps(dict(record), indent=1).encode(), mode=0o600
        )
        _retire(entry)  # an older or damaged entry of this key
        os.replace(staging, entry)
        tempfiles.untrack(staging)
        return True
    except BaseException as error:
        tempfiles.discard(staging)
        if not isinstance(error, OSError):
            raise  # caching is an optimisation only: an OSError just leaves it uncached
        return False


def _retire(entry: Path) -> bool:
    """Remove an entry folder: first renamed away in one step, so no reader sees it half
    removed (one that already opened its bundle still reads it whole)."""
    trash = entry.parent / tempfiles.owned_name(".trash-")
    tempfiles.track(trash)
    try:
        os.rename(entry, trash)
    except OSError:
        tempfiles.untrack(trash)
        return False
    shutil.rmtree(trash, ignore_errors=True)
    tempfiles.untrack(trash)
    return True


def _trim_index(folder: Path, keep: int) -> None:
    """Remove the least recently used stat-index files beyond ``keep``."""
    try:
        files = [(entry.stat().st_mtime_ns, entry.path) for entry in os.scandir(folder)]
    except OSError:
        return
    files = [item for item in files if item[1].endswith(".json")]
    if len(files) <= keep:
        return
    files.sort()
    for _, path in files[: len(files) - keep]:
        with contextlib.suppress(OSError):
            os.unlink(path)


# -- inspection and maintenance --------------------------------------------------------------


def list_entries(root: Path) -> list[Entry]:
    """Every entry under ``root``, least recently used first."""
    folder = root / ENTRIES
    found: list[Entry] = []
    try:
        candidates = list(os.scandir(folder))
    except OSError:
        return found
    tempfiles.sweep(folder, ".trash-")
    for item in candidates:
        if not _KEY_RE.fullmatch(item.name):
            continue
        path = Path(item.path)
        try:
            last_used = item.stat(follow_symlinks=False).st_mtime
            record = json.loads(read_regular(path / "record.json", MAX_RECORD_BYTES))
        except (OSError, ValueError):
            record = {}
            last_used = 0.0
        size = sum(_file_size(path / name) for name in ("bundle", "record.json"))
        found.append(
            Entry(
                key=item.name,
                path=path,
                project=str(record.get("project", "")),
                bundle=str(record.get("bundle", "")),
                target=str(record.get("target", "")),
                size=size,
                last_used=last_used,
            )
        )
    found.sort(key=lambda entry: (entry.last_used, entry.key))
    return found


def _file_size(path: Path) -> int:
    try:
        return path.lstat().st_size
    except OSError:
        return 0


def total_size(entries: Iterable[Entry]) -> int:
    return sum(entry.size for entry in entries)


def prune(root: Path, max_size: int, *, keep: Iterable[str] = ()) -> list[Entry]:
    """Evict the least recently used entries until the cache fits ``max_size``, except those
    in ``keep``. Returns the entries removed."""
    # Version 3's per-module folders are never read again: they go first, whole.
    shutil.rmtree(root / LEGACY, ignore_errors=True)
    entries = list_entries(root)
    total = total_size(entries)
    kept = set(keep)
    removed: list[Entry] = []
    for entry in entries:
        if total <= max_size:
            break
        if entry.key in kept:
            continue
        if _retire(entry.path):
            total -= entry.size
            removed.append(entry)
    return removed


def clear(root: Path, *, project: Optional[str] = None) -> list[Entry]:
    """Remove every entry (and the stat index, and version 3's folders), or only
    ``project``'s entries and stat-index files. Returns the entries removed.

    Only the cache's own folders are touched: without HOME the root is shared with Go's
    fallback GOCACHE/GOPATH, which stay.
    """
    wanted = None if project is None else normalize_project(project)
    removed = [
        entry
        for entry in list_entries(root)
        if (wanted is None or entry.project == wanted) and _retire(entry.path)
    ]
    index = root / INDEX
    if wanted is None:
        shutil.rmtree(index, ignore_errors=True)
        shutil.rmtree(root / LEGACY, ignore_errors=True)
        return removed
    gone = {entry.key for entry in removed}
    with contextlib.suppress(OSError):
        for item in os.scandir(index):
            try:
                record = json.loads(read_regular(item.path, MAX_INDEX_BYTES))
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and (
                record.get("project") == wanted or record.get("key") in gone
            ):
                with contextlib.suppress(OSError):
                    os.unlink(item.path)
    return removed


__all__ = [
    "CACHE_FORMAT",
    "DEFAULT_CACHE_SIZE",
    "BundleCache",
    "CachedBundle",
    "Entry",
    "KeyInputs",
    "RootProblem",
    "check_root",
    "clear",
    "default_cache_dir",
    "list_entries",
    "normalize_project",
    "parse_size",
    "privacy_problem",
    "prune",
    "size_limit",
]
