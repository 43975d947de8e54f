"""The bundle format's worked example (spec §1 and §2.3), shared by tests and benchmarks."""

from __future__ import annotations

WORKED_BINARY = bytes.fromhex("7f454c46") + b"fake-binary"
WORKED_SOURCE = b"package main\n\nfunc main() {}\n"
# The 293-byte V1 manifest; SHA-256 below.
WORKED_MANIFEST = (
    b'airflow_bundle_metadata_version: "1.0"\n'
    b"sdk:\n"
    b'  language: "go"\n'
    b'  version: "v0.1.0"\n'
    b'  supervisor_schema_version: "2026-06-16"\n'
    b'source: "main.go"\n'
    b"dags:\n"
    b"  concurrent_xcom_dag:\n"
    b"    tasks:\n"
    b'      - "pull_xcoms_concurrently"\n'
    b"  simple_dag:\n"
    b"    tasks:\n"
    b'      - "extract"\n'
    b'      - "transform"\n'
    b'      - "load"\n'
)
WORKED_MANIFEST_SHA256 = "0bcebef3e8d0328e2b8cb58fd7647055db564ca82dca22cdb5952749e1dddd51"
