"""Interop with upstream's own packer, `go tool airflow-go-pack`, where it can be had.

Both packers get the same pre-built binary, source and captured manifest; the bundles must
be byte-identical. Where the Go module proxy does not serve github.com/apache/airflow/go-sdk
the test skips and quotes what the proxy answered.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_cli

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


def _go_env(go: str) -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod", "CGO_ENABLED": "0"}


@pytest.fixture(scope="module")
def upstream_module(go: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A module whose go.mod pins upstream's packer, or a skip saying why there is none."""
    root = tmp_path_factory.mktemp("upstream")
    env = _go_env(go)
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
        env=_go_env(go),
        check=True,
        capture_output=True,
        timeout=300,
    )
    ours = tmp_path / "ours"
    result = run_cli(
        "pack",
        "--executable",
        str(binary),
        "--source",
        str(source),
        "--metadata",
        str(meta),
        "--output",
        str(ours),
        "--exact-upstream",
    )
    assert result.returncode == 0, result.stderr
    assert ours.read_bytes() == theirs.read_bytes()
