"""The hand-written schema check gives jsonschema's verdicts, messages, paths and order.

``hatch_airflow_go.format.schemacheck`` replaces jsonschema at run time (importing jsonschema
was a third of a small bundle's ``verify``). Here jsonschema's ``Draft202012Validator`` is
the reference: for every instance, both must report the same errors (message, path and the
instance the error is about) in the same order, and ``schema_problems`` must print what it
printed when it used jsonschema. Instances come from hypothesis (documents near the schema,
with any YAML value anywhere, and mutated manifest texts) and from the test corpus (the
yaml.v3 golden manifests, the hostile ones, the worked example).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hatch_airflow_go.errors import ManifestError
from hatch_airflow_go.format import manifest as manifest_module
from hatch_airflow_go.format import schemacheck
from hatch_airflow_go.format.manifest import (
    MAX_PROBLEMS,
    Manifest,
    SdkInfo,
    parse_embedded,
    schema_problems,
)
from tests.hostile_inputs import READABLE
from tests.vectors import WORKED_MANIFEST

GOLDEN = Path(__file__).parent / "golden" / "manifests"
SCHEMA = schemacheck.manifest_schema()
REFERENCE = jsonschema.Draft202012Validator(SCHEMA)
SETTINGS = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def reference_errors(instance: Any) -> list[tuple[tuple[Any, ...], str, int]]:
    return [
        (tuple(error.absolute_path), error.message, id(error.instance))
        for error in REFERENCE.iter_errors(instance)
    ]


def our_errors(instance: Any) -> list[tuple[tuple[Any, ...], str, int]]:
    return [
        (error.absolute_path, error.message, id(error.instance))
        for error in schemacheck.iter_errors(instance, SCHEMA)
    ]


def reference_problems(manifest: Manifest) -> list[str]:
    """``schema_problems`` as it was written on jsonschema (the code this module replaced)."""
    clip = manifest_module._clip
    problems: list[str] = []
    total = 0
    for error in REFERENCE.iter_errors(manifest_module._instance(manifest)):
        total += 1
        if len(problems) < 50 * MAX_PROBLEMS:
            where = ".".join(clip(str(part), 40) for part in error.absolute_path)
            same = schemacheck.SchemaError(error.message, error.instance, ())
            message = manifest_module._schema_message(same)  # only message and instance count
            problems.append(clip(f"{where or '(top level)'}: {message}"))
    problems.sort()
    if total > MAX_PROBLEMS:
        more = total - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"... and {more} more schema problems like these"]
    return problems


def assert_same(instance: Any) -> None:
    assert our_errors(instance) == reference_errors(instance)


def valid_document() -> dict[str, Any]:
    return {
        "airflow_bundle_metadata_version": "1.0",
        "sdk": {"language": "go", "version": "v0.1.0", "supervisor_schema_version": "2026-06-16"},
        "source": "main.go",
        "dags": {"simple_dag": {"tasks": ["extract", "transform", "load"]}},
    }


# --- the schema file ---------------------------------------------------------------------


def test_the_shipped_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    "schema",
    [
        {"enum": ["a"]},
        {"type": "integer"},
        {"type": []},
        {"patternProperties": {"x": {}}},
        {"additionalProperties": False},
        {"properties": {"a": {"items": False}}},
        {"pattern": "("},
        {"minLength": -1},
        {"minProperties": True},
        {"required": "a"},
        {"properties": {"a": {"$ref": "#"}}},
    ],
)
def test_a_schema_beyond_the_implemented_keywords_is_refused(schema: dict[str, Any]) -> None:
    with pytest.raises(schemacheck.UnsupportedSchema, match="implements only"):
        schemacheck.check_schema(schema)


# --- the corpus --------------------------------------------------------------------------


def corpus() -> dict[str, bytes]:
    texts = {f"golden/{path.name}": path.read_bytes() for path in sorted(GOLDEN.glob("*.yaml"))}
    texts.update({f"readable/{name}": text for name, text in READABLE.items()})
    texts["worked"] = WORKED_MANIFEST
    return texts


@pytest.mark.parametrize("name", sorted(corpus()))
def test_corpus_manifests_get_jsonschemas_errors_and_messages(name: str) -> None:
    manifest = parse_embedded(corpus()[name])
    assert_same(manifest_module._instance(manifest))
    assert schema_problems(manifest) == reference_problems(manifest)


def test_the_corpus_holds_both_verdicts() -> None:
    verdicts = {bool(schema_problems(parse_embedded(text))) for text in corpus().values()}
    assert verdicts == {True, False}


# --- examples that pin the subtle parts ---------------------------------------------------


@pytest.mark.parametrize(
    "instance",
    [
        valid_document(),
        {},
        [],
        None,
        "text",
        # `$` also matches before a final newline in Python's re, as jsonschema uses it.
        {**valid_document(), "airflow_bundle_metadata_version": "1.0\n"},
        {**valid_document(), "airflow_bundle_metadata_version": "1.0\n\n"},
        {**valid_document(), "dags": {}},
        {**valid_document(), "dags": {1: {"tasks": [""]}, None: [], False: {"tasks": "x"}}},
        {**valid_document(), "sdk": {"supervisor_schema_version": datetime.date(2026, 6, 16)}},
        {**valid_document(), "source": b"main.go"},
        {**valid_document(), "dags": {f"d{i}": {"tasks": [i, ""]} for i in range(300)}},
        {**valid_document(), "source": "x" * 5000},
        {**valid_document(), "sdk": {"language": "é", "version": "", "x": 1}},
    ],
)
def test_pinned_examples(instance: Any) -> None:
    assert_same(instance)


def test_data_that_refers_to_itself() -> None:
    document = valid_document()
    document["sdk"] = document
    document["dags"]["simple_dag"]["tasks"].append(document["dags"])
    assert_same(document)


def test_many_dags_are_reported_in_jsonschemas_order() -> None:
    # jsonschema walks `dags` as a set of its keys; order matters once problems are cut.
    dags = {f"dag-{i}": {"tasks": "not a list"} for i in range(2000)}
    document = {**valid_document(), "dags": dags}
    assert_same(document)
    model = Manifest(sdk=SdkInfo("go", "v1"), dags={}, shape="v1", raw=document)
    assert schema_problems(model) == reference_problems(model)


# --- generated documents ------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**70, max_value=10**80),
    st.floats(allow_nan=True),
    st.dates(),
    st.binary(max_size=8),
    st.text(max_size=12),
    st.sampled_from(["", "1.0", "1.0.0", "1.0\n", "go", "Go", "2026-06-16", "2026-6-16", "v1"]),
)
KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["tasks", "language", "version", "supervisor_schema_version", "dags"]),
    st.integers(),
    st.none(),
    st.booleans(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=12,
)
MISSING = object()


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``strategy`` (a field's usual values), else any value, or no field at all."""
    return st.integers(0, 19).flatmap(
        lambda roll: strategy if roll < 18 else VALUES if roll < 19 else st.just(MISSING)
    )


def usual(value: str, *odd: str) -> st.SearchStrategy[str]:
    """Mostly ``value``, sometimes one of the ``odd`` values."""
    return st.integers(0, 9).flatmap(
        lambda roll: st.just(value) if roll < 7 else st.sampled_from(odd)
    )


def put(mapping: dict[Any, Any], key: str, value: Any) -> None:
    if value is not MISSING:
        mapping[key] = value


TASKS = st.lists(maybe(st.text(min_size=1, max_size=6)), max_size=5).map(
    lambda tasks: [task for task in tasks if task is not MISSING]
)
DAG = st.builds(
    lambda tasks, extra: {**({} if tasks is MISSING else {"tasks": tasks}), **extra},
    maybe(TASKS),
    st.dictionaries(KEYS, VALUES, max_size=2),
)
DAGS = st.dictionaries(KEYS, maybe(DAG), min_size=1, max_size=6).map(
    lambda dags: {key: dag for key, dag in dags.items() if dag is not MISSING}
)


@st.composite
def documents(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 9)) == 0:
        return draw(VALUES)
    sdk: Any = {}
    put(sdk, "language", draw(maybe(usual("go", "Go", "c++.x_y-z", "", "1go"))))
    put(sdk, "version", draw(maybe(usual("v0.1.0", "", "(devel)"))))
    put(sdk, "supervisor_schema_version", draw(maybe(usual("2026-06-16", "x", "2026-6-16"))))
    if draw(st.booleans()):
        sdk.update(draw(st.dictionaries(KEYS, VALUES, max_size=2)))
    document: dict[Any, Any] = {}
    put(
        document,
        "airflow_bundle_metadata_version",
        draw(maybe(usual("1.0", "1", "1.0.0", "1.0\n"))),
    )
    put(document, "sdk", draw(maybe(st.just(sdk))))
    put(document, "source", draw(maybe(usual("main.go", ""))))
    put(document, "dags", draw(maybe(DAGS)))
    if draw(st.booleans()):
        document.update(draw(st.dictionaries(KEYS, VALUES, max_size=2)))
    return document


@SETTINGS
@given(documents())
def test_generated_documents_get_jsonschemas_errors(document: Any) -> None:
    assert_same(document)
    if isinstance(document, dict) and document:
        model = Manifest(sdk=SdkInfo("go", "v1"), dags={}, shape="v1", raw=document)
        assert schema_problems(model) == reference_problems(model)


# --- mutated manifest texts --------------------------------------------------------------

LINES = WORKED_MANIFEST.decode().splitlines(keepends=True)
SNIPPETS = [
    "",
    "~",
    "[]",
    "{}",
    "123",
    "2026-06-16",
    "''",
    '"1.0\\n"',
    "!!binary aGk=",
    "!!set {a, b}",
    "[1, 2]",
    "{tasks: x}",
    "&a [*a]",
    "yes",
    ".inf",
]


@st.composite
def manifest_texts(draw: st.DrawFn) -> bytes:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        snippet = draw(st.sampled_from(SNIPPETS))
        if draw(st.booleans()) and ":" in line:
            head = line.split(":", 1)[0]
            lines[index] = f"{head}: {snippet}\n"
        elif re.match(r"\s*- ", line):
            lines[index] = line.split("-", 1)[0] + f"- {snippet}\n"
        else:
            del lines[index]
        if not lines:
            break
    return "".join(lines).encode()


@SETTINGS
@given(manifest_texts())
def test_mutated_manifests_get_jsonschemas_errors_and_messages(text: bytes) -> None:
    try:
        manifest = parse_embedded(text)
    except ManifestError:
        return
    assert_same(manifest_module._instance(manifest))
    assert schema_problems(manifest) == reference_problems(manifest)
