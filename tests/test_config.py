"""The hook's settings model: one test per validation branch, env overrides, docs in sync."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from hatch_airflow_go.build.config import (
    BUNDLE_OPTIONS,
    GLOBAL_TABLE,
    HATCHLING_RESERVED_KEYS,
    OPTIONS,
    SDIST_TABLE,
    WHEEL_TABLE,
    BundleSettings,
    Settings,
    load_sdist_settings,
    load_settings,
)
from hatch_airflow_go.build.editable import GO_MODULE_FILES, GO_SUFFIXES
from hatch_airflow_go.build.pipeline import REPRODUCIBLE_FLAGS
from hatch_airflow_go.errors import ConfigError

from .conftest import REPO

BUNDLE = {"package": "./cmd/etl"}


def settings(tmp_path: Path, environ: Any = None, **config: Any) -> Settings:
    config.setdefault("bundles", [BUNDLE])
    return Settings.from_hook_config(config, root=tmp_path, environ=environ or {})


def error_of(tmp_path: Path, environ: Any = None, **config: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        settings(tmp_path, environ, **config)
    return caught.value


def test_defaults(tmp_path: Path) -> None:
    result = settings(tmp_path)
    assert result.module_dir == tmp_path.resolve()
    assert result.target is None
    assert (result.goos, result.goarch) == (None, None)
    assert result.build_flags == ()
    assert result.go is None
    assert result.cgo is False
    assert result.supervisor_schema_version is None
    assert result.install_dir is None
    assert (result.exact_upstream, result.require_tool_directive) == (False, False)
    assert (result.smoke_test, result.skip, result.cache) == (False, False, True)
    assert result.bundles == (BundleSettings(package="./cmd/etl"),)


def test_every_option_read_from_the_table(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    result = settings(
        tmp_path,
        **{
            "module-dir": "go",
            "target": "linux/arm64",
            "build-flags": ["-tags=prod", "-ldflags=-s -w"],
            "go": "/opt/go/bin/go",
            "cgo": True,
            "install-dir": "pkg/bundles/",
            "exact-upstream": True,
            "require-tool-directive": True,
            "supervisor-schema-version": "2026-06-16",
            "smoke-test": True,
            "skip": True,
            "cache": False,
            "bundles": [
                {
                    "package": "./cmd/a",
                    "name": "alpha",
                    "source": "cmd/a/dags.go",
                    "build-flags": ["-tags=a"],
                    "env": {"GOEXPERIMENT": "arenas"},
                }
            ],
        },
    )
    assert result.module_dir == (tmp_path / "go").resolve()
    assert (result.target, result.goos, result.goarch) == ("linux/arm64", "linux", "arm64")
    assert result.build_flags == ("-tags=prod", "-ldflags=-s -w")
    assert result.go == "/opt/go/bin/go"
    assert result.cgo
    assert result.exact_upstream
    assert result.require_tool_directive
    assert result.supervisor_schema_version == "2026-06-16"
    assert result.smoke_test
    assert result.skip
    assert not result.cache
    assert result.install_dir == "pkg/bundles"
    assert result.bundles == (
        BundleSettings(
            "./cmd/a", "alpha", "cmd/a/dags.go", ("-tags=a",), {"GOEXPERIMENT": "arenas"}
        ),
    )


def test_hatchling_reserved_keys_are_accepted(tmp_path: Path) -> None:
    config = {key: value for key, value in zip(HATCHLING_RESERVED_KEYS, (True, [], False, []))}
    assert settings(tmp_path, **config).bundles


def test_unknown_key_names_it_and_suggests_the_closest(tmp_path: Path) -> None:
    error = error_of(tmp_path, **{"modul-dir": "go"})
    assert "unknown option `modul-dir`" in str(error)
    assert "did you mean `module-dir`?" in str(error)
    assert error.path == str(tmp_path / "pyproject.toml")


def test_unknown_key_with_no_close_match_lists_the_valid_ones(tmp_path: Path) -> None:
    error = error_of(tmp_path, zzz=1)
    assert "valid keys:" in str(error)
    assert "build-flags" in str(error)


def test_unknown_bundle_key(tmp_path: Path) -> None:
    error = error_of(tmp_path, bundles=[{"package": "./x", "nmae": "y"}])
    assert "bundles #1: unknown option `nmae`" in str(error)
    assert "did you mean `name`?" in str(error)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("module-dir", 3, "must be a string, not an integer"),
        ("go", ["go"], "must be a string, not an array"),
        ("install-dir", True, "must be a string, not a boolean"),
        ("target", 1.5, "must be a string, not a number"),
        ("cgo", "yes", "must be a boolean, not a string"),
        ("exact-upstream", 1, "must be a boolean, not an integer"),
        ("require-tool-directive", "true", "must be a boolean"),
        ("smoke-test", [], "must be a boolean, not an array"),
        ("skip", {}, "must be a boolean, not a table"),
        ("cache", "no", "must be a boolean"),
        ("build-flags", "-tags=prod", "not a string (flags are never shell-split)"),
        ("build-flags", [1], "must be a list of strings; 1 is an integer"),
        ("build-flags", {"a": 1}, "must be a list of strings, not a table"),
        ("bundles", {"package": "x"}, "must be an array of tables, not a table"),
    ],
)
def test_wrong_types_name_the_option_and_the_type(
    tmp_path: Path, key: str, value: Any, expected: str
) -> None:
    error = error_of(tmp_path, **{key: value})
    assert f"option `{key}`" in str(error)
    assert expected in str(error)
    assert error.fix


@pytest.mark.parametrize(
    ("bundle", "expected"),
    [
        ("./cmd/x", "bundles #1` must be a table, not a string"),
        ({}, "bundles #1` has no `package`"),
        ({"package": 5}, "`package` must be a non-empty string, not an integer"),
        ({"package": ""}, "`package` must be a non-empty string"),
        ({"package": "./x", "name": 3}, "name` must be a string, not an integer"),
        ({"package": "./x", "name": "a/b"}, "must be a plain file name, not 'a/b'"),
        ({"package": "./x", "name": ".."}, "must be a plain file name"),
        (
            {"package": "./x", "name": "a\nb"},
            "must be a plain file name, not 'a\\nb' (it has a control character",
        ),
        ({"package": "./x", "name": "a\0b"}, "(it has a control character (NUL, newline, tab))"),
        ({"package": "./x", "name": "c:x"}, "(it has ':' (a Windows drive letter or stream))"),
        ({"package": "./x", "name": "x" * 256}, "(it has more than 255 bytes)"),
        ({"package": "./x", "source": False}, "source` must be a string, not a boolean"),
        ({"package": "./x", "build-flags": "-x"}, "not a string (flags are never shell-split)"),
        ({"package": "./x", "env": {"A": 1}}, "env` must be a table of strings"),
        ({"package": "./x", "env": ["A"]}, "env` must be a table of strings"),
        ({"package": "./x", "env": {"GOOS": "linux"}}, "must not set GOOS"),
        ({"package": "./x", "env": {"CGO_ENABLED": "1"}}, "must not set CGO_ENABLED"),
    ],
)
def test_bundle_entry_errors(tmp_path: Path, bundle: Any, expected: str) -> None:
    assert expected in str(error_of(tmp_path, bundles=[bundle]))


def test_no_bundles_is_an_error_unless_skipped(tmp_path: Path) -> None:
    assert "`bundles` is empty" in str(error_of(tmp_path, bundles=[]))
    assert settings(tmp_path, bundles=[], skip=True).bundles == ()


def test_module_dir_must_exist(tmp_path: Path) -> None:
    error = error_of(tmp_path, **{"module-dir": "nope"})
    assert "names 'nope', which is not a directory" in str(error)


def project_in(tmp_path: Path) -> Path:
    """``tmp_path/project`` with ``tmp_path/outside`` beside it (and a go module above)."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "main.go").write_text("package main\n", encoding="utf-8")
    (tmp_path / "project").mkdir()
    return tmp_path / "project"


@pytest.mark.parametrize("value", ["..", "../outside", "/"])
def test_module_dir_outside_the_project_needs_the_opt_in(tmp_path: Path, value: str) -> None:
    root = project_in(tmp_path)
    error = str(error_of(root, **{"module-dir": value}))
    assert f"option `module-dir` names {value!r}, which resolves to" in error
    assert f"outside the project root {root.resolve()}" in error
    assert "set allow-outside-project = true" in error
    allowed = settings(root, **{"module-dir": value, "allow-outside-project": True})
    assert allowed.module_dir == (root / value).resolve()
    assert allowed.allow_outside_project is True


def test_module_dir_symlink_out_of_the_project_is_outside(tmp_path: Path) -> None:
    root = project_in(tmp_path)
    (root / "go").symlink_to(tmp_path / "outside")
    assert "outside the project root" in str(error_of(root, **{"module-dir": "go"}))


def test_module_dir_from_the_environment_is_held_to_the_same_rule(tmp_path: Path) -> None:
    root = project_in(tmp_path)
    error = str(error_of(root, {"AIRFLOW_GO_MODULE_DIR": ".."}))
    assert "environment variable AIRFLOW_GO_MODULE_DIR names '..'" in error
    opted_in = {"AIRFLOW_GO_MODULE_DIR": "..", "AIRFLOW_GO_ALLOW_OUTSIDE_PROJECT": "1"}
    assert settings(root, opted_in).module_dir == tmp_path.resolve()


@pytest.mark.parametrize("source", ["../../../../etc/passwd", "/etc/passwd", "../outside/main.go"])
def test_source_outside_the_module_and_project_is_refused(tmp_path: Path, source: str) -> None:
    root = project_in(tmp_path)
    error = str(error_of(root, bundles=[{"package": "./cmd/etl", "source": source}]))
    assert f"option `bundles #1 (./cmd/etl) source` names {source!r}, which resolves to" in error
    assert "the bundle would embed that file" in error
    assert 'source = "cmd/NAME/main.go"' in error


def test_source_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = project_in(tmp_path)
    (root / "dags.go").symlink_to(tmp_path / "outside" / "main.go")
    error = str(error_of(root, bundles=[{"package": "./cmd/etl", "source": "dags.go"}]))
    assert f"resolves to {(tmp_path / 'outside' / 'main.go').resolve()}" in error


def test_source_in_the_project_above_the_module_dir_is_allowed(tmp_path: Path) -> None:
    root = project_in(tmp_path)
    (root / "go").mkdir()
    bundle = {"package": "./cmd/etl", "source": "../dags/etl.go"}
    result = settings(root, **{"module-dir": "go"}, bundles=[bundle])
    assert result.bundles[0].source == "../dags/etl.go"


def test_opt_in_does_not_let_source_leave_the_module(tmp_path: Path) -> None:
    root = project_in(tmp_path)
    (tmp_path / "secret").write_text("x", encoding="utf-8")
    bundle = {"package": "./outside", "source": "../../secret"}
    config = {"module-dir": "..", "allow-outside-project": True, "bundles": [bundle]}
    assert "the bundle would embed that file" in str(error_of(root, **config))


@pytest.mark.parametrize("package", ["../x", "..", "/usr/lib/go", "./cmd/../../x"])
def test_package_path_outside_the_module_is_refused(tmp_path: Path, package: str) -> None:
    root = project_in(tmp_path)
    error = str(error_of(root, bundles=[{"package": package}]))
    assert f"package` names {package!r}, which resolves to" in error
    assert f"outside the Go module {root.resolve()}" in error


def test_package_symlink_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = project_in(tmp_path)
    (root / "cmd").symlink_to(tmp_path / "outside")
    assert "outside the Go module" in str(error_of(root, bundles=[{"package": "./cmd"}]))


def test_package_from_the_environment_is_held_to_the_same_rule(tmp_path: Path) -> None:
    root = project_in(tmp_path)
    error = str(error_of(root, {"AIRFLOW_GO_BUNDLES": "./cmd/a ../x"}))
    assert "environment variable AIRFLOW_GO_BUNDLES names the package '../x'" in error


@pytest.mark.parametrize("package", ["./cmd/etl", ".", "./...", "example.com/m/cmd/etl"])
def test_packages_inside_the_module_and_import_paths_pass(tmp_path: Path, package: str) -> None:
    assert settings(tmp_path, bundles=[{"package": package}]).bundles[0].package == package


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"module-dir": "a\0b"}, "option `module-dir`"),
        ({"bundles": [{"package": "./a\0b"}]}, "option `bundles #1 package`"),
        ({"bundles": [{"package": "./x", "source": "a\0.go"}]}, "(./x) source`"),
        ({"build-flags": ["-tags=a\0b"]}, "option `build-flags #1`"),
        ({"go": "/usr/bin/go\0"}, "option `go`"),
        ({"bundles": [{"package": "./x", "env": {"A": "\0"}}]}, "option `bundles #1 env A`"),
    ],
)
def test_nul_in_any_string_is_one_error(tmp_path: Path, config: Any, key: str) -> None:
    error = str(error_of(tmp_path, **config))
    assert key in error
    assert "holds a NUL character" in error


@pytest.mark.parametrize("value", ["/abs", "../up", "a/../b", "", "./x"])
def test_install_dir_must_stay_inside_the_wheel(tmp_path: Path, value: str) -> None:
    assert "must be a relative path inside the wheel" in str(
        error_of(tmp_path, **{"install-dir": value})
    )


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("C:/x", "':' (a Windows drive letter or stream)"),
        ("pkg/bun\0dles", "a control character (NUL, newline, tab)"),
        ("pkg/a\nb", "a control character (NUL, newline, tab)"),
    ],
)
def test_install_dir_must_be_a_portable_wheel_path(tmp_path: Path, value: str, reason: str) -> None:
    error = str(error_of(tmp_path, **{"install-dir": value}))
    assert f"must be a relative path inside the wheel, not {value!r} (it has {reason})" in error


@pytest.mark.parametrize("value", ["linux", "linux/", "/amd64", "linux/amd64/v2", "linux amd64"])
def test_target_must_be_goos_slash_goarch(tmp_path: Path, value: str) -> None:
    error = error_of(tmp_path, target=value)
    assert "option `target` must be GOOS/GOARCH" in str(error)


def test_env_overrides_the_table(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    environ = {
        "AIRFLOW_GO_MODULE_DIR": "other",
        "AIRFLOW_GO_BUILD_FLAGS": '-tags=ci "-ldflags=-s -w"',
        "AIRFLOW_GO_GO": "/usr/bin/go",
        "AIRFLOW_GO_CGO": "yes",
        "AIRFLOW_GO_INSTALL_DIR": "pkg/b",
        "AIRFLOW_GO_EXACT_UPSTREAM": "1",
        "AIRFLOW_GO_REQUIRE_TOOL_DIRECTIVE": "TRUE",
        "AIRFLOW_GO_SUPERVISOR_SCHEMA_VERSION": "2026-06-16",
        "AIRFLOW_GO_SMOKE_TEST": "on",
        "AIRFLOW_GO_SKIP": "0",
        "AIRFLOW_GO_CACHE": "false",
        "AIRFLOW_GO_BUNDLES": "./cmd/a ./cmd/b",
    }
    result = settings(
        tmp_path,
        environ,
        **{
            "build-flags": ["-tags=prod"],
            "go": "go",
            "cgo": False,
            "cache": True,
            "skip": True,
            "supervisor-schema-version": "2020-01-01",
        },
    )
    assert result.module_dir == (tmp_path / "other").resolve()
    assert result.supervisor_schema_version == "2026-06-16"
    assert result.build_flags == ("-tags=ci", "-ldflags=-s -w")
    assert result.go == "/usr/bin/go"
    assert result.cgo
    assert result.exact_upstream
    assert result.require_tool_directive
    assert result.smoke_test
    assert not result.skip
    assert not result.cache
    assert result.install_dir == "pkg/b"
    assert [b.package for b in result.bundles] == ["./cmd/a", "./cmd/b"]


def test_empty_env_var_counts_as_unset(tmp_path: Path) -> None:
    result = settings(tmp_path, {"AIRFLOW_GO_CGO": "", "AIRFLOW_GO_GO": ""}, cgo=True, go="g")
    assert result.cgo is True
    assert result.go == "g"


def test_invalid_env_bool_names_the_variable(tmp_path: Path) -> None:
    error = error_of(tmp_path, {"AIRFLOW_GO_SKIP": "maybe"})
    assert "environment variable AIRFLOW_GO_SKIP must be a boolean, not 'maybe'" in str(error)


def test_invalid_env_list_names_the_variable(tmp_path: Path) -> None:
    error = error_of(tmp_path, {"AIRFLOW_GO_BUILD_FLAGS": '-tags="x'})
    assert "environment variable AIRFLOW_GO_BUILD_FLAGS cannot be split" in str(error)
    error = error_of(tmp_path, {"AIRFLOW_GO_BUNDLES": "'./x"})
    assert "environment variable AIRFLOW_GO_BUNDLES cannot be split" in str(error)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("2026-6-16", "is not a YYYY-MM-DD date"),
        ("latest", "is not a YYYY-MM-DD date"),
        (" 2026-06-16", "is not a YYYY-MM-DD date"),
        ("2026-02-30", "is not a real calendar date"),
    ],
)
def test_supervisor_schema_version_must_be_a_yyyy_mm_dd_date(
    tmp_path: Path, value: str, problem: str
) -> None:
    error = error_of(tmp_path, **{"supervisor-schema-version": value})
    assert f"option `supervisor-schema-version` {problem}: {value!r}" in str(error)
    assert error.path == str(tmp_path / "pyproject.toml")
    env_error = error_of(tmp_path, {"AIRFLOW_GO_SUPERVISOR_SCHEMA_VERSION": value})
    assert (
        f"environment variable AIRFLOW_GO_SUPERVISOR_SCHEMA_VERSION {problem}: {value!r}"
    ) in str(env_error)


def test_supervisor_schema_version_unquoted_in_toml_says_to_quote_it(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        f"[{WHEEL_TABLE}]\nsupervisor-schema-version = 2026-06-16\n"
        f'[[{WHEEL_TABLE}.bundles]]\npackage = "./cmd/a"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(pyproject, {})
    assert "option `supervisor-schema-version` must be a string, not a TOML date" in str(
        caught.value
    )
    assert 'quote it: supervisor-schema-version = "2026-06-16"' in str(caught.value)
    # The environment override needs no quoting and beats the table.
    fixed = load_settings(pyproject, {"AIRFLOW_GO_SUPERVISOR_SCHEMA_VERSION": "2026-06-16"})
    assert fixed.supervisor_schema_version == "2026-06-16"


def test_invalid_env_target_names_the_variable(tmp_path: Path) -> None:
    error = error_of(tmp_path, {"AIRFLOW_GO_TARGET": "arm64"})
    assert "environment variable AIRFLOW_GO_TARGET must be GOOS/GOARCH" in str(error)


@pytest.mark.parametrize(
    ("config", "environ", "expected"),
    [
        (
            {"target": "windows/amd64"},
            {"AIRFLOW_GO_TARGET": "linux/arm64", "GOOS": "darwin"},
            ("windows", "amd64"),
        ),
        (
            {},
            {"AIRFLOW_GO_TARGET": "linux/arm64", "GOOS": "darwin", "GOARCH": "amd64"},
            ("linux", "arm64"),
        ),
        ({}, {"GOOS": "darwin", "GOARCH": "arm64"}, ("darwin", "arm64")),
        ({}, {"GOARCH": "arm64"}, (None, "arm64")),
        ({}, {}, (None, None)),
    ],
)
def test_target_precedence(
    tmp_path: Path, config: dict[str, Any], environ: dict[str, str], expected: tuple[Any, Any]
) -> None:
    result = settings(tmp_path, environ, **config)
    assert (result.goos, result.goarch) == expected
    assert result.target == (f"{expected[0]}/{expected[1]}" if all(expected) else None)


def test_bundle_specs(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    result = settings(
        tmp_path,
        {"AIRFLOW_GO_TARGET": "linux/arm64"},
        **{
            "module-dir": "go",
            "build-flags": ["-tags=prod"],
            "cgo": True,
            "exact-upstream": True,
            "supervisor-schema-version": "2026-06-16",
            "smoke-test": True,
            "go": "/x/go",
            "bundles": [
                {"package": "./cmd/a"},
                {
                    "package": "./cmd/b",
                    "name": "bee",
                    "source": "cmd/b/d.go",
                    "build-flags": ["-v"],
                    "env": {"K": "V"},
                },
            ],
        },
    )
    out = tmp_path / "out"
    first, second = result.bundle_specs(tmp_path, out)
    module = (tmp_path / "go").resolve()
    assert first.package == "./cmd/a"
    assert first.name is None
    assert first.source is None
    assert first.build_flags == (*REPRODUCIBLE_FLAGS, "-tags=prod")
    assert second.build_flags == (*REPRODUCIBLE_FLAGS, "-tags=prod", "-v")
    assert second.name == "bee"
    assert second.source == module / "cmd/b/d.go"
    assert dict(second.env) == {"K": "V"}
    for spec in (first, second):
        assert spec.module_dir == module
        assert spec.output_dir == out
        assert (spec.goos, spec.goarch) == ("linux", "arm64")
        assert spec.cgo
        assert spec.exact_upstream
        assert spec.supervisor_schema_version == "2026-06-16"
        assert spec.smoke_test
        assert spec.go == "/x/go"
    (plain,) = settings(tmp_path).bundle_specs(tmp_path, out, reproducible=False)
    assert plain.build_flags == ()
    assert plain.cgo is False  # the hook pins CGO_ENABLED=0 unless cgo = true
    assert plain.pinned_env
    assert plain.supervisor_schema_version is None


def test_cache_dir_is_one_shared_cache_wherever_the_module_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One cache for every module and checkout: its keys are location-free, so a wheel built
    # from an sdist unpacked in a new folder finds the entry a build elsewhere stored.
    monkeypatch.setenv("AIRFLOW_GO_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = settings(tmp_path, **{"module-dir": "a"}).cache_dir()
    second = settings(tmp_path, **{"module-dir": "b"}).cache_dir()
    assert first == second == tmp_path / "cache"
    assert settings(tmp_path, cache=False).cache_dir() is None


@pytest.mark.parametrize(
    ("value", "size"),
    [("2GiB", 2 << 30), ("500MB", 500_000_000), ("800M", 800 << 20), (1000, 1000), ("0", 0)],
)
def test_cache_size_takes_units_and_bytes(tmp_path: Path, value: Any, size: int) -> None:
    assert settings(tmp_path, **{"cache-size": value}).cache_size == size


def test_cache_size_defaults_to_none_and_the_environment_wins(tmp_path: Path) -> None:
    assert settings(tmp_path).cache_size is None
    env = {"AIRFLOW_GO_CACHE_SIZE": "1KiB"}
    assert settings(tmp_path, env, **{"cache-size": "2GiB"}).cache_size == 1024


@pytest.mark.parametrize("value", ["lots", "2 parsecs", True, [1], -5])
def test_bad_cache_size_is_one_message_with_a_fix(tmp_path: Path, value: Any) -> None:
    error = error_of(tmp_path, **{"cache-size": value})
    assert "`cache-size`" in str(error)
    assert error.fix is not None
    assert "2GiB" in error.fix


def test_bad_cache_size_in_the_environment_names_the_variable(tmp_path: Path) -> None:
    error = error_of(tmp_path, {"AIRFLOW_GO_CACHE_SIZE": "huge"})
    assert "AIRFLOW_GO_CACHE_SIZE" in str(error)


def test_load_settings_records_the_normalised_project_name(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "Acme_DAGs"\n\n'
        "[tool.hatch.build.targets.wheel.hooks.airflow_go]\n"
        '[[tool.hatch.build.targets.wheel.hooks.airflow_go.bundles]]\npackage = "./cmd/x"\n'
    )
    loaded = load_settings(tmp_path / "pyproject.toml", {})
    assert loaded.project == "Acme_DAGs"
    (spec,) = loaded.bundle_specs(tmp_path, tmp_path / "out")
    assert spec.project == "acme-dags"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_settings_reads_the_wheel_table(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        f"""
[{WHEEL_TABLE}]
cgo = true
[[{WHEEL_TABLE}.bundles]]
package = "./cmd/w"
""",
    )
    result = load_settings(pyproject, {})
    assert result.cgo
    assert result.bundles[0].package == "./cmd/w"
    assert result.where == WHEEL_TABLE


def test_load_settings_reads_the_global_table(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        f"""
[[{GLOBAL_TABLE}.bundles]]
package = "./cmd/g"
""",
    )
    result = load_settings(pyproject, {})
    assert result.bundles[0].package == "./cmd/g"
    assert result.where == GLOBAL_TABLE


def test_load_settings_warns_when_both_tables_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        f"""
[[{GLOBAL_TABLE}.bundles]]
package = "./cmd/g"
[[{WHEEL_TABLE}.bundles]]
package = "./cmd/w"
""",
    )
    result = load_settings(pyproject, {})
    assert result.bundles[0].package == "./cmd/w"
    err = capsys.readouterr().err
    assert "hatchling does not merge them and the wheel table wins" in err


def test_load_settings_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(tmp_path / "missing.toml", {})
    bad = write(tmp_path / "bad.toml", "[tool\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings(bad, {})
    empty = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=re.escape(f"has no [{WHEEL_TABLE}] table")):
        load_settings(empty, {})


SDIST_PROJECT = f"""
[{WHEEL_TABLE}]
module-dir = "go"
cgo = true
[[{WHEEL_TABLE}.bundles]]
package = "./cmd/w"

[{SDIST_TABLE}]
"""


def test_sdist_settings_overlay_the_wheel_table(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    (tmp_path / "other").mkdir()
    pyproject = write(tmp_path / "pyproject.toml", SDIST_PROJECT)
    inherited = load_sdist_settings(pyproject, {}, {})
    assert inherited.module_dir == (tmp_path / "go").resolve()
    assert inherited.cgo
    assert [b.package for b in inherited.bundles] == ["./cmd/w"]
    assert not inherited.skip
    overlaid = load_sdist_settings(
        pyproject, {"skip": True, "module-dir": "other", "go": "/opt/go/bin/go"}, {}
    )
    assert overlaid.skip
    assert overlaid.module_dir == (tmp_path / "other").resolve()
    assert overlaid.go == "/opt/go/bin/go"
    assert overlaid.cgo  # keys the sdist table does not set still come from the wheel table
    assert [b.package for b in overlaid.bundles] == ["./cmd/w"]


def test_sdist_settings_reject_an_unknown_key_of_the_sdist_table(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    pyproject = write(tmp_path / "pyproject.toml", SDIST_PROJECT)
    with pytest.raises(ConfigError) as caught:
        load_sdist_settings(pyproject, {"skipp": True}, {})
    message = str(caught.value)
    assert f"[{SDIST_TABLE}] unknown option `skipp`" in message
    assert "did you mean `skip`?" in message
    assert str(caught.value.path) == str(pyproject)


def test_sdist_settings_name_the_table_each_bad_key_is_written_in(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    pyproject = write(tmp_path / "pyproject.toml", SDIST_PROJECT)
    with pytest.raises(ConfigError) as from_sdist:
        load_sdist_settings(pyproject, {"cgo": "yes"}, {})
    assert f"[{SDIST_TABLE}] option `cgo` must be a boolean" in str(from_sdist.value)
    bad_wheel = SDIST_PROJECT.replace("cgo = true", "cgo = 1")
    write(tmp_path / "pyproject.toml", bad_wheel)
    with pytest.raises(ConfigError) as from_wheel:
        load_sdist_settings(pyproject, {}, {})
    assert f"[{WHEEL_TABLE}] option `cgo` must be a boolean" in str(from_wheel.value)
    write(tmp_path / "pyproject.toml", SDIST_PROJECT)
    with pytest.raises(ConfigError) as bundle_key:
        load_sdist_settings(pyproject, {"bundles": [{"package": "./x", "nam": "y"}]}, {})
    assert f"[{SDIST_TABLE}] bundles #1: unknown option `nam`" in str(bundle_key.value)


def test_sdist_settings_without_a_wheel_table_use_the_sdist_table_alone(tmp_path: Path) -> None:
    pyproject = write(
        tmp_path / "pyproject.toml",
        f"""
[[{SDIST_TABLE}.bundles]]
package = "./cmd/s"
""",
    )
    result = load_sdist_settings(pyproject, {"bundles": [{"package": "./cmd/s"}]}, {})
    assert [b.package for b in result.bundles] == ["./cmd/s"]
    assert result.where == SDIST_TABLE


def test_docs_document_every_option_and_nothing_else() -> None:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    documented = re.findall(r"^### `([a-z-]+)`$", text, flags=re.MULTILINE)
    assert documented == [option.key for option in OPTIONS]
    for option in OPTIONS:
        section = text.split(f"### `{option.key}`", 1)[1].split("\n### ", 1)[0]
        assert f"Environment: `{option.env_var}`" in section, option.key
    table_keys = re.findall(r"^\| `([a-z-]+)` \|", text, flags=re.MULTILINE)
    assert table_keys == [option.key for option in BUNDLE_OPTIONS]
    for key in HATCHLING_RESERVED_KEYS:
        assert f"`{key}`" in text


def test_docs_name_only_python_objects_that_exist() -> None:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    names = re.findall(r"`(hatch_airflow_go(?:\.\w+)+)", text)
    assert names  # the editable section names the staleness check
    for dotted in names:
        module_name, _, attribute = dotted.rpartition(".")
        module = importlib.import_module(module_name)
        assert hasattr(module, attribute), f"docs name {dotted}, which does not exist"


def test_docs_list_every_file_the_editable_digest_hashes() -> None:
    text = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = text.split("## Editable installs", 1)[1]
    for name in (*GO_SUFFIXES, *GO_MODULE_FILES, "vendor/modules.txt"):
        assert f"`{name}`" in section, name
    assert "hatch-airflow-go scan" in section
    assert "replaces with a local directory" in section


def test_airflow_rejects_and_strict_default_off_and_follow_the_table_and_the_environment(
    tmp_path: Path,
) -> None:
    default = settings(tmp_path)
    assert (default.allow_airflow_rejects, default.strict) == (False, False)
    table = settings(tmp_path, **{"allow-airflow-rejects": True, "strict": True})
    assert (table.allow_airflow_rejects, table.strict) == (True, True)
    env = {"AIRFLOW_GO_ALLOW_AIRFLOW_REJECTS": "yes", "AIRFLOW_GO_STRICT": "0"}
    overridden = settings(tmp_path, env, **{"strict": True})
    assert (overridden.allow_airflow_rejects, overridden.strict) == (True, False)
    error = error_of(tmp_path, **{"strict": "yes"})
    assert "`strict` must be a boolean, not a string" in str(error)
