"""What a command imports: each pays only for the modules it needs (issue 12, fast start).

Every run is a fresh interpreter (a subprocess), so what is imported there is what the
command imported. ``verify`` is on every pre-commit run and should cost what hashing the
file costs: it must not import jsonschema (the schema is checked by ``schemacheck``),
hatchling, msgpack, the toml modules or the build, Go and runtime layers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.hostile_inputs import write_bundle_file
from tests.vectors import WORKED_MANIFEST

PROBE = """
import sys
from hatch_airflow_go.cli import main
try:
    status = main(sys.argv[2:])
except SystemExit as stop:  # --help
    status = stop.code
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("\\n".join(sorted(sys.modules)))
sys.exit(status)
"""

NEVER_FOR_READING = {
    "jsonschema",
    "referencing",
    "hatchling",
    "msgpack",
    "tomllib",
    "tomli",
    "tomli_w",
    "subprocess",
    "socket",
    "hatch_airflow_go.build",
    "hatch_airflow_go.golang",
    "hatch_airflow_go.runtime",
    "hatch_airflow_go.plugin",
}


def imported(tmp_path: Path, *argv: str) -> tuple[int, set[str]]:
    listing = tmp_path / "modules.txt"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(listing), *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    assert listing.exists(), result.stderr
    return result.returncode, set(listing.read_text(encoding="utf-8").splitlines())


def top_level(modules: set[str]) -> set[str]:
    """Package names as well as the modules themselves (``yaml.reader`` -> ``yaml``)."""
    names = set(modules)
    for module in modules:
        parts = module.split(".")
        names.update(".".join(parts[:i]) for i in range(1, len(parts)))
    return names


def test_verify_imports_no_schema_library_build_or_runtime_layer(tmp_path: Path) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", WORKED_MANIFEST)
    status, modules = imported(tmp_path, "verify", str(bundle))
    assert status == 0
    assert "hatch_airflow_go.format.schemacheck" in modules  # the schema was checked
    assert top_level(modules) & NEVER_FOR_READING == set()


def test_verify_of_a_manifest_breaking_the_schema_needs_no_jsonschema(tmp_path: Path) -> None:
    bad = WORKED_MANIFEST.replace(b'"v0.1.0"', b'""').replace(b'source: "main.go"\n', b"")
    bundle = write_bundle_file(tmp_path / "bundle", bad)
    status, modules = imported(tmp_path, "verify", str(bundle))
    assert status == 1
    assert "jsonschema" not in top_level(modules)


@pytest.mark.parametrize("command", ["inspect", "scan"])
def test_other_reading_commands_import_no_schema_library(tmp_path: Path, command: str) -> None:
    bundle = write_bundle_file(tmp_path / "bundle", WORKED_MANIFEST)
    status, modules = imported(tmp_path, command, str(bundle if command == "inspect" else tmp_path))
    assert status == 0
    assert top_level(modules) & {"jsonschema", "referencing", "hatchling", "msgpack"} == set()


def test_help_imports_no_schema_library(tmp_path: Path) -> None:
    status, modules = imported(tmp_path, "--help")
    assert status == 0
    assert "jsonschema" not in top_level(modules)
