"""The run-scoped memo of host-side DAG answers that build-wheels' targets share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from hatch_airflow_go.build import twinmemo
from hatch_airflow_go.format.manifest import parse_embedded
from tests.vectors import WORKED_MANIFEST

MANIFEST = parse_embedded(WORKED_MANIFEST, path=Path("worked"))
HOST_ENV = {"GOOS": "linux", "GOARCH": "amd64", "CGO_ENABLED": "0"}


def key(
    *,
    go_version: str = "go1.26.8",
    package: str = "./cmd/etl",
    flags: Sequence[str] = ("-trimpath",),
    env: Mapping[str, str] = HOST_ENV,
) -> str:
    return twinmemo.twin_key(
        go=Path("/usr/local/go/bin/go"),
        go_version=go_version,
        module_dir=Path("/src/go"),
        package=package,
        build_flags=flags,
        env=env,
    )


def test_outside_a_run_nothing_is_remembered() -> None:
    twinmemo.remember(key(), MANIFEST)
    assert twinmemo.recall(key()) is None


def test_inside_a_run_an_answer_is_reused_and_forgotten_after() -> None:
    with twinmemo.shared_introspection():
        assert twinmemo.recall(key()) is None
        twinmemo.remember(key(), MANIFEST)
        assert twinmemo.recall(key()) is MANIFEST
        with twinmemo.shared_introspection():  # a nested block joins the run
            assert twinmemo.recall(key()) is MANIFEST
        assert twinmemo.recall(key()) is MANIFEST
    assert twinmemo.recall(key()) is None
    with twinmemo.shared_introspection():
        assert twinmemo.recall(key()) is None  # a new run starts empty


def test_the_key_changes_with_whatever_changes_the_host_binary() -> None:
    base = key()
    assert key() == base
    assert key(env=dict(reversed(list(HOST_ENV.items())))) == base  # order is no difference
    others = {
        key(go_version="go1.26.9"),
        key(package="./cmd/reports"),
        key(flags=("-trimpath", "-tags=prod")),
        key(env={**HOST_ENV, "CGO_ENABLED": "1"}),
        key(env={**HOST_ENV, "GOFLAGS": "-mod=mod"}),
    }
    assert base not in others
    assert len(others) == 5
