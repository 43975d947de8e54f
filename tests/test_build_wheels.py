"""``hatch-airflow-go build-wheels``: every platform's wheel from one machine, in real builds.

The fixture project (tests/projects/two-subdir: two bundles, module under go/) is built for
linux/amd64, linux/arm64 and darwin/arm64 by one run of the installed command; each wheel is
read back: its tag, the machine its bundles' binaries are for, their manifests, ``verify``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

import pytest

from hatch_airflow_go.build.wheeltag import built_platform_tag, wheel_targets
from hatch_airflow_go.errors import UsageError
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.manifest import parse_embedded
from hatch_airflow_go.golang.toolchain import find_go
from hatch_airflow_go.plugin import shared_data_dir
from hatch_airflow_go.wheelbuild import STAGING_PREFIX, check_cgo, parse_targets

from .conftest import REPO
from .plugin_support import VENV_BIN, build, build_env, copy_project, only, run

TARGETS = ("linux/amd64", "linux/arm64", "darwin/arm64")
PROJECT = "two_subdir-1.2.0"
BUNDLES = ("alpha", "beta-reports")
DAGS = {
    "alpha": {"two_subdir_alpha": ["extract", "load"]},
    "beta-reports": {
        "two_subdir_beta_daily": ["collect", "report"],
        "two_subdir_beta_weekly": ["summarise"],
    },
}
ELF_MACHINE = {"amd64": 62, "arm64": 183}  # EM_X86_64, EM_AARCH64
MACHO_MAGIC_64 = 0xFEEDFACF
MACHO_CPU_ARM64 = 0x0100000C  # CPU_TYPE_ARM | CPU_ARCH_ABI64
CLI = str(VENV_BIN / "hatch-airflow-go")
README_START, README_END = "<!-- build-wheels:start -->", "<!-- build-wheels:end -->"


def build_wheels(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return run([CLI, "build-wheels", *args], cwd=cwd, env=env)


def host_target() -> str:
    toolchain = find_go(module_dir=REPO)
    return f"{toolchain.host_goos}/{toolchain.host_goarch}"


def needs_amd64_host() -> None:
    if host_target() != "linux/amd64":
        pytest.skip(f"the counts assume a linux/amd64 host, this is {host_target()}")


def failed(result: subprocess.CompletedProcess[str], status: int) -> str:
    output = result.stdout + result.stderr
    assert result.returncode == status, output
    assert "Traceback" not in output, output
    return output


def extract(wheel: Path, name: str, dest: Path) -> Path:
    """One bundle from the wheel's shared data, with the mode the wheel gives it."""
    member = f"{PROJECT}.data/data/{shared_data_dir('two-subdir')}/{name}"
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        info = archive.getinfo(member)
        target = dest / name
        target.write_bytes(archive.read(info))
    target.chmod(stat.S_IMODE(info.external_attr >> 16))
    return target


def dags_of(bundle: Path) -> dict[str, list[str]]:
    _, manifest = footer.read_regions(footer.read_bundle(bundle))
    return dict(parse_embedded(manifest, path=bundle).dags)


def binary_machine(bundle: Path) -> tuple[str, int]:
    """("elf", e_machine) or ("macho", cputype) of the bundle's binary region."""
    header = bundle.read_bytes()[:20]
    if header[:4] == b"\x7fELF":
        return "elf", int.from_bytes(header[18:20], "little")
    if int.from_bytes(header[:4], "little") == MACHO_MAGIC_64:
        return "macho", int.from_bytes(header[4:8], "little")
    raise AssertionError(f"{bundle}: neither ELF nor Mach-O: {header[:4]!r}")


def wheel_tags(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(f"{PROJECT}.dist-info/WHEEL").decode()
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:")]


# -- argument handling (no build) --------------------------------------------------------------


def test_parse_targets_keeps_the_order_and_refuses_unknown_and_repeated_targets() -> None:
    assert parse_targets(["darwin/arm64", "linux/amd64"]) == ["darwin/arm64", "linux/amd64"]
    with pytest.raises(UsageError, match=r"'plan9/amd64' is not a platform .*use one of: linux"):
        parse_targets(["plan9/amd64"])
    with pytest.raises(UsageError, match=r"'linux' is not .* \(the form is GOOS/GOARCH\)"):
        parse_targets(["linux"])
    with pytest.raises(UsageError, match=r"--target linux/arm64 is given twice"):
        parse_targets(["linux/arm64", "darwin/arm64", "linux/arm64"])
    with pytest.raises(UsageError, match=r"no --target given"):
        parse_targets([])


def test_check_cgo_refuses_cross_targets_it_has_no_compiler_for() -> None:
    check_cgo(TARGETS, cgo=False, host="linux/amd64", cc_set=False)
    check_cgo(["linux/amd64"], cgo=True, host="linux/amd64", cc_set=False)
    check_cgo(["linux/amd64", "linux/arm64"], cgo=True, host="linux/amd64", cc_set=True)
    with pytest.raises(UsageError, match=r"cannot cross-build linux/arm64, darwin/arm64 on"):
        check_cgo(TARGETS, cgo=True, host="linux/amd64", cc_set=False)
    with pytest.raises(UsageError, match=r"builds for one cross target, but 2 were given"):
        check_cgo(TARGETS, cgo=True, host="linux/amd64", cc_set=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project("two-subdir", tmp_path / "project")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--target", "linux/amd64", "--target", "linux/amd64"], "--target linux/amd64 is given "
         "twice (fix: name each target once"),
        (["--target", "js/wasm"], "--target 'js/wasm' is not a platform wheels can be built for "
         f"(fix: use one of: {', '.join(wheel_targets())})"),
        (["--target", "linux-arm64"], "is not a platform wheels can be built for (the form is "
         "GOOS/GOARCH)"),
        ([], "no --target given"),
    ],
)  # fmt: skip
def test_bad_targets_are_one_usage_error_and_build_nothing(
    project: Path, args: list[str], expected: str
) -> None:
    output = failed(build_wheels(*args, cwd=project, env=build_env()), 2)
    assert expected in output
    assert len(output.strip().splitlines()) == 1, output
    assert not (project / "dist").exists()


def test_targets_cgo_cannot_cross_build_are_refused_before_any_build(project: Path) -> None:
    needs_amd64_host()
    env = {k: v for k, v in build_env({"AIRFLOW_GO_CGO": "1"}).items() if k not in ("CC", "CXX")}
    result = build_wheels(*(f"--target={target}" for target in TARGETS), cwd=project, env=env)
    output = failed(result, 2)
    assert (
        "cgo = true cannot cross-build linux/arm64, darwin/arm64 on this linux/amd64 host: "
        "CC is not set (fix: build only --target linux/amd64 here"
    ) in output
    assert not (project / "dist").exists()


def test_unmet_build_requirements_are_named_before_any_build(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace(
            '"hatch-airflow-go"]', '"hatch-airflow-go", "hatchling>=99", "no-such-pkg-x"]'
        ),
        encoding="utf-8",
    )
    output = failed(build_wheels("--target", "linux/arm64", cwd=project, env=build_env()), 1)
    assert output.startswith(
        "hatch-airflow-go: error: pyproject.toml: [build-system] requires what this environment "
        "lacks: hatchling>=99 (installed: "
    )
    assert "; no-such-pkg-x (not installed) (fix: install them beside hatch-airflow-go" in output
    assert "-m pip install 'hatchling>=99' no-such-pkg-x), or build each target" in output
    assert not (project / "dist").exists()


def test_a_backend_other_than_hatchling_is_refused(project: Path) -> None:
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('"hatchling.build"', '"setuptools.build_meta"'), "utf-8")
    output = failed(build_wheels("--target", "linux/arm64", cwd=project, env=build_env()), 1)
    assert "build-backend is 'setuptools.build_meta', not 'hatchling.build'" in output


# -- three targets, one command ----------------------------------------------------------------


class Built:
    def __init__(self, project: Path, result: subprocess.CompletedProcess[str]) -> None:
        self.project = project
        self.result = result
        self.wheels = {
            target: project / line.split("  ")[0]  # printed relative to the project
            for target, line in zip(TARGETS, result.stdout.splitlines())
        }


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("build-wheels")


@pytest.fixture(scope="module")
def built(work: Path) -> Built:
    """One run for the three targets, verbose, with a cache of its own (every go build runs)."""
    project = copy_project("two-subdir", work / "three")
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache-three")})
    args = [arg for target in TARGETS for arg in ("--target", target)]
    result = build_wheels(*args, "-v", cwd=project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return Built(project, result)


@pytest.mark.slow
def test_one_command_prints_one_line_per_wheel_tagged_for_its_target(
    built: Built, tmp_path: Path
) -> None:
    lines = built.result.stdout.splitlines()
    assert len(lines) == 3, built.result.stdout
    assert sorted(os.listdir(built.project / "dist")) == sorted(
        path.name for path in built.wheels.values()
    )
    for target, line in zip(TARGETS, lines):
        goos, goarch = target.split("/")
        wheel = built.wheels[target]
        binaries = [extract(wheel, name, tmp_path / target.replace("/", "-")) for name in BUNDLES]
        platform, _ = built_platform_tag(goos, goarch, cgo=False, binaries=binaries)
        assert line == f"dist/{PROJECT}-py3-none-{platform}.whl  py3-none-{platform}  " + ", ".join(
            BUNDLES
        )
        expanded = [f"py3-none-{one}" for one in platform.split(".")]
        assert wheel_tags(wheel) == expanded
    assert [line.split("  ")[1] for line in lines] == [
        "py3-none-manylinux_2_17_x86_64.musllinux_1_2_x86_64",
        "py3-none-manylinux_2_17_aarch64.musllinux_1_2_aarch64",
        "py3-none-macosx_11_0_arm64",
    ]


@pytest.mark.slow
def test_each_wheels_bundles_are_binaries_for_its_target_with_their_dags(
    built: Built, tmp_path: Path
) -> None:
    expected = {
        "linux/amd64": ("elf", ELF_MACHINE["amd64"]),
        "linux/arm64": ("elf", ELF_MACHINE["arm64"]),
        "darwin/arm64": ("macho", MACHO_CPU_ARM64),
    }
    extracted = []
    for target, wheel in built.wheels.items():
        for name in BUNDLES:
            bundle = extract(wheel, name, tmp_path / target.replace("/", "-"))
            assert binary_machine(bundle) == expected[target], (target, name)
            assert dags_of(bundle) == DAGS[name], (target, name)
            extracted.append(bundle)
    verified = run([CLI, "verify", *map(str, extracted)], cwd=tmp_path, env=build_env())
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.splitlines() == [f"{bundle}: ok" for bundle in extracted]


@pytest.mark.slow
def test_host_wheels_bundles_equal_a_plain_python_m_build(built: Built, work: Path) -> None:
    needs_amd64_host()
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache-plain")})  # nothing shared
    assert "AIRFLOW_GO_TARGET" not in env
    plain = build(built.project, outdir=work / "plain", env=env)
    assert plain.returncode == 0, plain.stdout + plain.stderr
    plain_wheel = only(work / "plain", "*.whl")
    assert plain_wheel.name == built.wheels["linux/amd64"].name
    for name in BUNDLES:
        ours = extract(built.wheels["linux/amd64"], name, work / "ours-host")
        theirs = extract(plain_wheel, name, work / "plain-host")
        assert ours.read_bytes() == theirs.read_bytes(), name


@pytest.mark.slow
def test_the_host_binary_answers_for_every_cross_target(built: Built) -> None:
    """Host first: its binaries are the twins, so no twin is built; one go build per target
    builds both bundles (they share module, flags and environment)."""
    needs_amd64_host()
    err = built.result.stderr
    builds = [line for line in err.splitlines() if "go build " in line]
    assert len(builds) == len(TARGETS), "\n".join(builds)
    assert all(line.endswith(" ./cmd/alpha ./cmd/beta)") for line in builds), "\n".join(builds)
    assert "twin to read its DAGs" not in err
    assert err.count("DAGs as the host binary of this run reported them") == 4
    assert err.index("[linux/amd64]") < err.index("[linux/arm64]") < err.index("[darwin/arm64]")


@pytest.mark.slow
def test_without_the_host_target_one_twin_per_bundle_serves_all_cross_targets(
    work: Path,
) -> None:
    needs_amd64_host()
    project = copy_project("two-subdir", work / "cross-only")
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache-cross-only")})
    result = build_wheels(
        "--target", "linux/arm64", "--target", "darwin/arm64", "-v", cwd=project, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    err = result.stderr
    assert err.count("building a linux/amd64 twin to read its DAGs") == len(BUNDLES)
    assert err.count("[linux/arm64] [airflow_go] ./cmd/alpha: building a linux/amd64 twin") == 1
    assert err.count("DAGs as the host binary of this run reported them") == len(BUNDLES)
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.slow
def test_target_beats_the_projects_target_setting(work: Path) -> None:
    project = copy_project("two-subdir", work / "pinned")
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        text.replace('module-dir = "go"', 'module-dir = "go"\ntarget = "linux/arm64"'), "utf-8"
    )
    env = build_env(
        {"AIRFLOW_GO_CACHE_DIR": str(work / "cache-three"), "AIRFLOW_GO_TARGET": "windows/386"}
    )
    result = build_wheels("--target", "darwin/arm64", cwd=project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split("  ")[1] == "py3-none-macosx_11_0_arm64"
    bundle = extract(project / result.stdout.split("  ")[0], "alpha", work / "pinned-out")
    assert binary_machine(bundle) == ("macho", MACHO_CPU_ARM64)


# -- a failing target --------------------------------------------------------------------------


def _break_darwin(project: Path) -> None:
    """A file only darwin builds compile, with a type error: that one target fails."""
    (project / "go" / "cmd" / "alpha" / "broken_darwin.go").write_text(
        'package main\n\nvar broken int = "not an int"\n', encoding="utf-8"
    )


@pytest.mark.slow
def test_a_failing_target_stops_the_run_keeping_finished_wheels_whole(work: Path) -> None:
    needs_amd64_host()
    project = copy_project("two-subdir", work / "fails")
    _break_darwin(project)
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache-three")})
    order = ("darwin/arm64", "linux/amd64", "linux/arm64")
    result = build_wheels(*(f"--target={target}" for target in order), cwd=project, env=env)
    output = failed(result, 1)
    assert result.stdout.splitlines() == [
        f"dist/{PROJECT}-py3-none-manylinux_2_17_x86_64.musllinux_1_2_x86_64.whl  "
        "py3-none-manylinux_2_17_x86_64.musllinux_1_2_x86_64  alpha, beta-reports"
    ]
    assert (
        f"hatch-airflow-go: error: target darwin/arm64: the wheel was not built: {project}/go: "
        "bundle alpha: go build ./cmd/alpha failed (exit status 1) (fix: fix what the "
        "[darwin/arm64] lines above say, and run build-wheels again)\n"
    ) in output
    # go's own words, naming the file, once, under the target's label
    assert output.count('cannot use "not an int"') == 1
    assert "[darwin/arm64] cmd/alpha/broken_darwin.go:3:18: cannot use" in output
    assert (
        "hatch-airflow-go: not built: linux/arm64 (the run stops at the first failing target; "
        "--keep-going builds the rest)"
    ) in output
    assert os.listdir(project / "dist") == [Path(result.stdout.split("  ")[0]).name]


@pytest.mark.slow
def test_keep_going_builds_the_rest_and_json_reports_each_target(work: Path) -> None:
    needs_amd64_host()
    import json

    project = copy_project("two-subdir", work / "keeps-going")
    _break_darwin(project)
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache-three")})
    result = build_wheels(
        *(f"--target={target}" for target in TARGETS), "--keep-going", "--json",
        cwd=project, env=env,
    )  # fmt: skip
    failed(result, 1)
    report = json.loads(result.stdout)
    assert [(entry["target"], entry["status"]) for entry in report] == [
        ("linux/amd64", "built"),
        ("linux/arm64", "built"),
        ("darwin/arm64", "failed"),
    ]
    assert report[2]["wheel"] is None
    assert "broken_darwin.go" in report[2]["error"]
    arm = report[1]
    assert arm["tag"] == "py3-none-manylinux_2_17_aarch64.musllinux_1_2_aarch64"
    assert Path(arm["wheel"]) == Path("dist") / f"{PROJECT}-{arm['tag']}.whl"
    assert [(b["name"], b["dags"], b["ok"]) for b in arm["bundles"]] == [
        (name, DAGS[name], True) for name in BUNDLES
    ]
    assert sorted(os.listdir(project / "dist")) == sorted(
        Path(entry["wheel"]).name for entry in report[:2]
    )


# -- atomic output -----------------------------------------------------------------------------


@pytest.mark.slow
def test_a_signal_mid_run_leaves_no_half_written_wheel(work: Path) -> None:
    project = copy_project("two-subdir", work / "signalled")
    out = work / "signalled-out"
    # A go that takes its time over linux/arm64 builds: the signal lands while one runs.
    slow_go = work / "slow-go"
    real_go = find_go(module_dir=REPO).go
    slow_go.write_text(
        f'#!/bin/sh\nif [ "$1" = build ] && [ "$GOARCH" = arm64 ]; then sleep 60; fi\n'
        f'exec {real_go} "$@"\n',
        encoding="utf-8",
    )
    slow_go.chmod(0o755)
    env = build_env(
        {"AIRFLOW_GO_CACHE_DIR": str(work / "cache-signalled"), "AIRFLOW_GO_GO": str(slow_go)}
    )
    process = subprocess.Popen(
        [CLI, "build-wheels", "--out", str(out), *(f"--target={t}" for t in TARGETS), "-v"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    staged: Optional[Path] = None
    assert process.stderr is not None
    for line in process.stderr:  # wait until a target's staging folder is in use
        if "[linux/arm64]" in line and "slow-go build " in line:
            staged = next(out.glob(f"{STAGING_PREFIX}*"), None)
            break
    assert staged is not None, "no staging folder seen while a target was building"
    process.terminate()
    _, rest = process.communicate(timeout=120)
    assert process.returncode in (-15, 143), rest
    left = sorted(os.listdir(out))
    assert left == [f"{PROJECT}-py3-none-manylinux_2_17_x86_64.musllinux_1_2_x86_64.whl"], left
    with zipfile.ZipFile(out / left[0]) as archive:
        assert archive.testzip() is None


# -- the README ---------------------------------------------------------------------------------


def readme_block() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text[text.index(README_START) + len(README_START) : text.index(README_END)]
    return [line for line in block.splitlines() if line and not line.startswith("```")]


@pytest.mark.slow
def test_readme_command_runs_as_printed_in_the_example(work: Path) -> None:
    (command,) = readme_block()
    project = copy_project(REPO / "examples" / "monorepo", work / "readme")
    env = build_env({"AIRFLOW_GO_CACHE_DIR": str(work / "cache-readme")})
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    result = run(["bash", "-c", command], cwd=project, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    platforms = (
        "manylinux_2_17_x86_64.musllinux_1_2_x86_64",
        "manylinux_2_17_aarch64.musllinux_1_2_aarch64",
        "macosx_11_0_arm64",
    )
    assert result.stdout.splitlines() == [
        f"dist/acme_dags-1.0.0-py3-none-{p}.whl  py3-none-{p}  acme-reports, etl" for p in platforms
    ]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = readme[readme.index("<!-- build-wheels-ci:start -->") :]
    assert f"run: {command}" in ci[: ci.index("<!-- build-wheels-ci:end -->")]
