"""Interop with upstream's own packer, `go tool airflow-go-pack`, where it can be had.

Both packers get the same pre-built binary, source and captured manifest, or build the same
package; the bundles must be byte-identical. Both run in the same environment, the caller's
(CGO_ENABLED, GOTOOLCHAIN and GOFLAGS as the test process has them): upstream's packer runs
`go build` in it unchanged, and so does our `pack`. Where the Go module proxy does not serve
github.com/apache/airflow/go-sdk the tests skip and quote what the proxy answered.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

SDK = "github.com/apache/airflow/go-sdk"
PACKER = f"{SDK}/cmd/airflow-go-pack"

CAPTURED = """\
airflow_bundle_metadata_version: "1.0"
sdk:
    language: go
    version: v0.1.0
    supervisor_schema_version: "2026-06-16"
dags:
    simple_dag:
        tasks:
            - extract
            - transform
            - load
"""


STANDIN = REPO / "hatch_airflow_go" / "scaffold" / "standin-sdk"
STANDIN_MAIN = """\
package main

import sdk "example.com/airflow-standin-sdk/sdk"

func main() {
\tsdk.AddDAG("simple_dag").AddTask("extract").AddTask("load")
\tsdk.Main()
}
"""


def _fetch_env() -> dict[str, str]:
    """For fetching the packer only: never switch toolchains, resolve modules freely."""
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


def _caller_env() -> dict[str, str]:
    """The one environment both packers are compared under: the caller's, unchanged."""
    return dict(os.environ)


def _ours(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hatch_airflow_go", "pack", *args],
        cwd=cwd,
        env=_caller_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def upstream_module(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module whose go.mod pins upstream's packer, or a skip saying why there is none."""
    root = tmp_path_factory.mktemp("upstream")
    env = _fetch_env()
    subprocess.run(
        [go, "mod", "init", "example.com/upstreaminterop"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    got = subprocess.run(
        [go, "get", "-tool", f"{PACKER}@latest"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if got.returncode != 0:
        pytest.skip(
            f"upstream's packer cannot be fetched here: `go get -tool {PACKER}@latest` answered: "
            + got.stderr.strip().replace("\n", " | ")
        )
    return root


def test_pack_matches_upstream_packer_byte_for_byte(
    upstream_module: Path, go: str, tmp_path: Path
) -> None:
    binary = tmp_path / "prebuilt"
    source = tmp_path / "dag" / "main.go"
    source.parent.mkdir()
    source.write_text("package main\n\nfunc main() {}\n")
    binary.write_bytes(b"\x7fELF" + b"prebuilt-binary" * 1000)
    binary.chmod(0o755)
    meta = tmp_path / "airflow-metadata.yaml"
    meta.write_text(CAPTURED)
    theirs = tmp_path / "theirs"
    subprocess.run(
        [
            go,
            "tool",
            "airflow-go-pack",
            "--executable",
            str(binary),
            "--source",
            str(source),
            "--airflow-metadata",
            str(meta),
            "--output",
            str(theirs),
        ],
        cwd=upstream_module,
        env=_caller_env(),
        check=True,
        capture_output=True,
        timeout=300,
    )
    ours = tmp_path / "ours"
    result = _ours(
        "--executable",
        str(binary),
        "--source",
        str(source),
        "--metadata",
        str(meta),
        "--output",
        str(ours),
        "--exact-upstream",
        cwd=upstream_module,
    )
    assert result.returncode == 0, result.stderr
    assert ours.read_bytes() == theirs.read_bytes()


def test_pack_from_a_package_matches_upstream_in_the_callers_environment(
    upstream_module: Path, go: str, tmp_path: Path
) -> None:
    """Both build the package themselves: with CGO_ENABLED as the caller has it (unset: Go's
    default, on where a C compiler is found) the binary regions, and so the bundles, agree."""
    edit = [
        go,
        "mod",
        "edit",
        "-require=example.com/airflow-standin-sdk@v0.0.0",
        f"-replace=example.com/airflow-standin-sdk={STANDIN}",
    ]
    subprocess.run(edit, cwd=upstream_module, env=_fetch_env(), check=True, capture_output=True)
    package = upstream_module / "cmd" / "etl"
    package.mkdir(parents=True, exist_ok=True)
    (package / "main.go").write_text(STANDIN_MAIN)
    theirs = tmp_path / "theirs"
    subprocess.run(
        [go, "tool", "airflow-go-pack", "./cmd/etl", "--output", str(theirs), "--", "-trimpath"],
        cwd=upstream_module,
        env=_caller_env(),
        check=True,
        capture_output=True,
        timeout=600,
    )
    ours = tmp_path / "ours"
    result = _ours(
        "./cmd/etl", "--output", str(ours), "--no-cache", "--", "-trimpath", cwd=upstream_module
    )
    assert result.returncode == 0, result.stderr
    assert ours.read_bytes() == theirs.read_bytes()
