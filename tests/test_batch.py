"""Many bundles at once: one ``go list`` and one ``go build -o DIR/ PKG...`` per group.

Real Go builds of a module with several bundles on the stand-in SDK. A logging wrapper
around the real go (``go_shim``) shows which go commands ran; the real go still builds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hatch_airflow_go.build import batch
from hatch_airflow_go.build.config import STRIP_FLAG, Settings
from hatch_airflow_go.build.pipeline import BundleSpec, pack_bundle, pack_bundles
from hatch_airflow_go.errors import BuildError, ConfigError, IntrospectionError
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.verify import verify_bundle
from hatch_airflow_go.golang import golist
from hatch_airflow_go.golang.toolchain import find_go
from tests.plugin_support import build, build_env, only, wheel_members
from tests.scale_support import bundle_names, write_go_module, write_project
from tests.test_pipeline import age_tree, go_shim, other_arch

FLAGS = ("-trimpath", "-buildvcs=false")
COUNT = 4


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_go_module(tmp_path / "mod", COUNT)


def specs_for(module: Path, out: Path, names: list[str], **changes: Any) -> list[BundleSpec]:
    return [
        BundleSpec(
            package=f"./cmd/{name}",
            module_dir=module,
            output_dir=out,
            build_flags=FLAGS,
            **changes,
        )
        for name in names
    ]


def go_calls(calls: Path, command: str) -> list[list[str]]:
    """The argument lists (after `go`) of every logged call of ``go <command>``."""
    found = []
    for line in calls.read_text().splitlines():
        words = line.split()[1:]
        if words and words[0] == command:
            found.append(words)
    return found


def packages_of(build: list[str]) -> list[str]:
    return [word for word in build if word.startswith("./")]


def test_a_group_is_listed_once_built_once_and_each_bundle_equals_its_lone_build(
    module: Path, tmp_path: Path, go: str
) -> None:
    shim, calls = go_shim(tmp_path, go)
    names = bundle_names(COUNT)
    built = pack_bundles(
        specs_for(module, tmp_path / "batched", names, go=str(shim)), cache_dir=tmp_path / "c"
    )
    builds = go_calls(calls, "build")
    assert len(builds) == 1
    assert sorted(packages_of(builds[0])) == [f"./cmd/{name}" for name in names]
    assert len(go_calls(calls, "list")) == 1
    assert [bundle.name for bundle in built] == names
    assert [bundle.dag_ids for bundle in built] == [(f"dag_{name}",) for name in names]
    for bundle, spec in zip(built, specs_for(module, tmp_path / "alone", names)):
        alone = pack_bundle(spec)  # no cache: a build of this bundle alone
        assert bundle.path.read_bytes() == alone.path.read_bytes()
        footer.read_bundle(bundle.path)
    # And through the CLI, as a user packs one bundle.
    cli_out = tmp_path / "cli-b002"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "hatch_airflow_go", "pack", "./cmd/b002", "--no-cache"),
            *("--output", str(cli_out), "--", *FLAGS),
        ],
        cwd=module,
        capture_output=True,
        text=True,
        env={**os.environ, "CGO_ENABLED": "0"},
    )
    assert result.returncode == 0, result.stderr
    assert cli_out.read_bytes() == built[1].path.read_bytes()


def test_without_a_cache_the_group_is_still_built_once(
    module: Path, tmp_path: Path, go: str
) -> None:
    shim, calls = go_shim(tmp_path, go)
    names = bundle_names(COUNT)
    built = pack_bundles(specs_for(module, tmp_path / "out", names, go=str(shim)))
    assert len(go_calls(calls, "build")) == 1
    assert len(go_calls(calls, "list")) == 1  # the main files of all four, found at once
    assert [bundle.name for bundle in built] == names


def test_one_listing_gives_each_package_what_a_listing_of_it_alone_gives(module: Path) -> None:
    toolchain = find_go(module_dir=module)
    env = toolchain.environment(module_dir=module)
    packages = [f"./cmd/{name}" for name in bundle_names(COUNT)]
    together = golist.many_packages_and_inputs(
        toolchain, packages, cwd=module, env=env, extra_args=FLAGS
    )
    alone = [
        golist.package_and_inputs(toolchain, package, cwd=module, env=env, extra_args=FLAGS)
        for package in packages
    ]
    assert together == alone
    assert all(any(path.name == "registry.go" for path in files) for _, files in alone)


def test_a_failing_package_in_a_batch_is_named_and_the_others_are_built(
    module: Path, tmp_path: Path, go: str
) -> None:
    (module / "cmd" / "broken").mkdir()
    (module / "cmd" / "broken" / "main.go").write_text("package main\n\nfunc main() { nope }\n")
    shim, calls = go_shim(tmp_path, go)
    names = bundle_names(3)
    specs = specs_for(module, tmp_path / "out", [*names, "broken"], go=str(shim))
    with pytest.raises(BuildError) as caught:
        pack_bundles(specs, cache_dir=tmp_path / "cache")
    text = str(caught.value)
    assert "bundle broken" in text
    assert "go build ./cmd/broken failed" in text
    assert "undefined: nope" in text
    assert not any(f"bundle {name}" in text for name in names)
    builds = go_calls(calls, "build")
    assert len(packages_of(builds[0])) == 4  # one batch first, then one by one
    for name in names:
        footer.read_bundle(tmp_path / "out" / name)  # the good ones were still packed
    assert not (tmp_path / "out" / "broken").exists()


def test_two_packages_with_one_last_element_go_to_separate_batches(
    module: Path, tmp_path: Path, go: str
) -> None:
    for folder, dag in (("team_a", "dag_a"), ("team_b", "dag_b")):
        (module / folder / "etl").mkdir(parents=True)
        (module / folder / "etl" / "main.go").write_text(
            'package main\n\nimport sdk "example.com/airflow-standin-sdk/sdk"\n\n'
            f'func main() {{\n\tsdk.AddDAG("{dag}").AddTask("t")\n\tsdk.Main()\n}}\n'
        )
    shim, calls = go_shim(tmp_path, go)
    specs = [
        BundleSpec(
            package=package,
            module_dir=module,
            output_dir=tmp_path / "out",
            name=name,
            build_flags=FLAGS,
            go=str(shim),
        )
        for package, name in (
            ("./team_a/etl", "etl-a"),
            ("./team_b/etl", "etl-b"),
            ("./cmd/b001", None),
        )
    ]
    built = pack_bundles(specs, cache_dir=tmp_path / "cache")
    assert [bundle.dag_ids for bundle in built] == [("dag_a",), ("dag_b",), ("dag_b001",)]
    builds = [sorted(packages_of(build)) for build in go_calls(calls, "build")]
    assert sorted(builds) == [["./cmd/b001", "./team_a/etl"], ["./team_b/etl"]]
    for bundle, spec in zip(built, specs):
        alone = pack_bundle(replace(spec, output_dir=tmp_path / "alone", go=None))
        assert bundle.path.read_bytes() == alone.path.read_bytes()


def test_a_cross_target_batch_builds_its_host_twins_in_one_more_go_build(
    module: Path, tmp_path: Path, go: str
) -> None:
    goarch = other_arch()
    shim, calls = go_shim(tmp_path, go)
    names = bundle_names(3)
    specs = specs_for(module, tmp_path / "out", names, goos="linux", goarch=goarch, go=str(shim))
    built = pack_bundles(specs, cache_dir=tmp_path / "cache")
    assert [(bundle.goos, bundle.goarch) for bundle in built] == [("linux", goarch)] * 3
    assert [bundle.dag_ids for bundle in built] == [(f"dag_{name}",) for name in names]
    targets = [line.split()[0] for line in calls.read_text().splitlines() if " build " in line]
    host_arch = "arm64" if goarch == "amd64" else "amd64"
    assert targets == [f"linux/{goarch}", f"{sys.platform}/{host_arch}"]  # bundles, then twins
    machine = {"arm64": 183, "amd64": 62}[goarch]  # ELF e_machine of the packed binaries
    for bundle, spec in zip(built, specs):
        data = bundle.path.read_bytes()
        assert data[18:20] == machine.to_bytes(2, "little")
        alone = pack_bundle(replace(spec, output_dir=tmp_path / "alone", go=None))
        assert data == alone.path.read_bytes()


def test_cached_bundles_in_private_outputs_are_still_proven_whole(
    module: Path, tmp_path: Path
) -> None:
    # A private output (the hook's scratch folder) takes the cached bundle in one copy, but
    # that copy is hashed like any other hit: a flipped byte in an entry is a miss.
    age_tree(module)
    names = bundle_names(2)
    cache = tmp_path / "cache"
    first = pack_bundles(specs_for(module, tmp_path / "first", names), cache_dir=cache)
    entries = {path.stat().st_ino: path for path in cache.glob("entries/*/bundle")}
    assert len(entries) == 2
    private = pack_bundles(
        specs_for(module, tmp_path / "private", names), cache_dir=cache, private_output=True
    )
    for bundle, original in zip(private, first):
        assert bundle.cached
        assert bundle.path.stat().st_ino not in entries  # never the cache's own file
        assert bundle.path.stat().st_mode & 0o777 == 0o755
        assert bundle.path.read_bytes() == original.path.read_bytes()
    damaged = next(iter(entries.values()))
    data = bytearray(damaged.read_bytes())
    data[-100] ^= 0x01  # inside the manifest region, before the trailer
    damaged.write_bytes(bytes(data))
    again = pack_bundles(
        specs_for(module, tmp_path / "again", names), cache_dir=cache, private_output=True
    )
    assert sorted(bundle.cached for bundle in again) == [False, True]
    for bundle, original in zip(again, first):
        assert bundle.path.read_bytes() == original.path.read_bytes()


def test_exec_name_follows_gos_rule(tmp_path: Path) -> None:
    (tmp_path / "cmd" / "tool" / "v2").mkdir(parents=True)
    assert batch.exec_name("./cmd/tool", tmp_path, "linux") == "tool"
    assert batch.exec_name("./cmd/tool/v2", tmp_path, "linux") == "tool"  # version suffix
    assert batch.exec_name("./cmd/tool", tmp_path, "windows") == "tool.exe"
    assert batch.exec_name("example.com/m/cmd/etl", tmp_path, "linux") == "etl"
    assert batch.exec_name("example.com/m/v1", tmp_path, "linux") == "v1"  # v1 is no suffix
    assert batch.exec_name(".", tmp_path, "linux") is None  # the module's name: ask go
    assert batch.exec_name("./cmd/...", tmp_path, "linux") is None


def strip_settings(module: Path, **config: Any) -> Settings:
    table = {"module-dir": str(module), "bundles": [{"package": "./cmd/b001"}], **config}
    return Settings.from_hook_config(table, root=module, environ={})


def test_strip_adds_ldflags_and_gives_a_smaller_valid_bundle(module: Path, tmp_path: Path) -> None:
    from tests.airflow_reader import read_metadata

    stripped_settings = strip_settings(module, strip=True)
    (spec,) = stripped_settings.bundle_specs(module, tmp_path / "strip")
    assert spec.build_flags == (*FLAGS, STRIP_FLAG)
    (default_spec,) = strip_settings(module).bundle_specs(module, tmp_path / "default")
    assert default_spec.build_flags == FLAGS
    stripped = pack_bundle(spec)
    default = pack_bundle(default_spec)
    assert stripped.binary_sha256 != default.binary_sha256
    assert stripped.binary_size < default.binary_size
    report = verify_bundle(stripped.path)
    assert report.ok, report.errors
    assert report.dags == {"dag_b001": ["extract", "load"]}
    metadata = read_metadata(stripped.path)  # Airflow's released reader reads it
    assert metadata is not None
    assert set(metadata["dags"]) == {"dag_b001"}


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"build-flags": ["-ldflags=-X main.v=1"]}, "'-ldflags=-X main.v=1' in `build-flags`"),
        (
            {"bundles": [{"package": "./cmd/b001", "build-flags": ["-ldflags", "-X a=b"]}]},
            "'-ldflags' in `bundles (./cmd/b001) build-flags`",
        ),
    ],
)
def test_strip_with_ldflags_of_ones_own_is_refused(
    module: Path, config: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        strip_settings(module, strip=True, **config)
    text = str(caught.value)
    assert "option `strip` cannot be combined with" in text
    assert named in text
    assert "drop strip = true" in text
    strip_settings(module, **config)  # without strip the same flags are fine


def test_strip_with_ldflags_in_goflags_is_refused(module: Path) -> None:
    table = {"module-dir": str(module), "bundles": [{"package": "./cmd/b001"}], "strip": True}
    with pytest.raises(ConfigError, match="an -ldflags in GOFLAGS"):
        Settings.from_hook_config(table, root=module, environ={"GOFLAGS": "-ldflags=-X=a=b"})


@pytest.mark.slow
def test_hook_builds_many_bundles_with_one_go_build_and_a_no_op_rebuild_gives_the_same_wheel(
    tmp_path: Path, go: str
) -> None:
    shim, calls = go_shim(tmp_path, go)
    project = write_project(tmp_path / "project", 3)
    age_tree(project)
    cache = tmp_path / "cache"
    env = build_env({"AIRFLOW_GO_GO": str(shim), "AIRFLOW_GO_CACHE_DIR": str(cache)})
    first = build(project, outdir=tmp_path / "first", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert len(go_calls(calls, "build")) == 1
    calls.write_text("")
    again = build(project, outdir=tmp_path / "again", env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (again.stdout + again.stderr).count("1 dag(s), cached") == 3
    assert go_calls(calls, "build") == []
    assert go_calls(calls, "list") == []
    wheel = only(tmp_path / "first", "*.whl")
    assert only(tmp_path / "again", "*.whl").read_bytes() == wheel.read_bytes()
    members = wheel_members(wheel)
    for name in bundle_names(3):
        member = members[f"scale-0.1.0.data/data/share/airflow/executable-bundles/scale/{name}"]
        assert (member.external_attr >> 16) & 0o777 == 0o755
    for entry in cache.glob("projects/*/*/*/bundle"):
        footer.read_bundle(entry)  # the cache's files are whole after being linked and read
        assert entry.stat().st_nlink == 1  # the hook's linked copy went with its folder


def test_metadata_file_bundles_in_a_cross_batch_need_no_twins_and_are_not_introspected(
    module: Path, tmp_path: Path, go: str
) -> None:
    meta = tmp_path / "captured.json"
    meta.write_text(
        json.dumps(
            {
                "airflow_bundle_metadata_version": "1.0",
                "sdk": {
                    "language": "go",
                    "version": "v0",
                    "supervisor_schema_version": "2026-06-16",
                },
                "dags": {"from_the_file": {"tasks": ["only"]}},
            }
        )
    )
    shim, calls = go_shim(tmp_path, go)
    names = bundle_names(2)
    specs = specs_for(
        module,
        tmp_path / "out",
        names,
        goos="linux",
        goarch=other_arch(),
        go=str(shim),
        metadata_file=meta,
    )
    built = pack_bundles(specs, cache_dir=tmp_path / "cache")
    assert [bundle.dag_ids for bundle in built] == [("from_the_file",)] * 2
    assert len(go_calls(calls, "build")) == 1  # the bundles only: no host twins
    for bundle, spec in zip(built, specs):
        alone = pack_bundle(replace(spec, output_dir=tmp_path / "alone", go=None))
        assert bundle.path.read_bytes() == alone.path.read_bytes()


def test_a_bundle_failing_after_the_batched_build_is_named_and_the_others_are_packed(
    module: Path, tmp_path: Path, go: str
) -> None:
    (module / "cmd" / "nodags").mkdir()
    (module / "cmd" / "nodags" / "main.go").write_text(
        'package main\n\nimport sdk "example.com/airflow-standin-sdk/sdk"\n\n'
        "func main() {\n\tsdk.Main()\n}\n"
    )
    shim, calls = go_shim(tmp_path, go)
    names = bundle_names(2)
    specs = specs_for(module, tmp_path / "out", [*names, "nodags"], go=str(shim))
    with pytest.raises(IntrospectionError) as caught:
        pack_bundles(specs, cache_dir=tmp_path / "cache")
    assert str(caught.value).startswith(
        f"{module / 'cmd' / 'nodags'}: bundle nodags: bundle exposes no dags"
    )
    assert len(go_calls(calls, "build")) == 1  # introspected from the batch's binary
    for name in names:
        footer.read_bundle(tmp_path / "out" / name)
    assert not (tmp_path / "out" / "nodags").exists()


def test_a_fifo_in_one_bundle_of_a_batch_is_refused_before_the_shared_go_list(
    module: Path, tmp_path: Path
) -> None:
    # go opens every .go file of a package folder: a FIFO there would block the one shared
    # `go list -deps` of the group forever. The job refuses it first, naming it.
    names = bundle_names(COUNT)
    fifo = module / "cmd" / names[1] / "extra.go"
    os.mkfifo(fifo)
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from hatch_airflow_go.build.pipeline import BundleSpec, pack_bundles\n"
        "from hatch_airflow_go.errors import AirflowGoError\n"
        "specs = [BundleSpec(package=f'./cmd/{n}', module_dir=Path(sys.argv[1]),\n"
        "         output_dir=Path(sys.argv[2])) for n in sys.argv[4:]]\n"
        "try:\n"
        "    pack_bundles(specs, cache_dir=Path(sys.argv[3]))\n"
        "except AirflowGoError as error:\n"
        "    print(error)\n"
        "    sys.exit(1)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(module), str(tmp_path / "out"), str(tmp_path / "c"),
         *names],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is a FIFO, socket or device, which go would block reading" in result.stdout
    assert str(fifo) in result.stdout
    assert f"bundle {names[1]}" in result.stdout or f"./cmd/{names[1]}" in result.stdout
