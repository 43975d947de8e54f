"""The manifest's JSON schema (``airflow-metadata.schema.json``), checked without jsonschema.

The schema is small and fixed: draft 2020-12, eight validation keywords (``type``,
``required``, ``properties``, ``additionalProperties``, ``pattern``, ``minLength``,
``minProperties``, ``items``). This module implements exactly those, the way jsonschema
(``Draft202012Validator``, 4.21 or later) does: the same verdicts, the same messages, the
same paths (even jsonschema's leaving a null key out of a path) and the same order of errors.
Importing jsonschema costs 70-85 ms, a third of a small bundle's ``verify``, so the command
line no longer does; jsonschema stays a test dependency, and ``tests/test_schemacheck.py``
checks this module against it over generated manifests and the test corpus.

A schema using anything else (another keyword, another type, ``additionalProperties:
false``, ``items: false``) is refused when it is loaded, so the schema file cannot outgrow
this checker unnoticed.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

SCHEMA_FILE = "airflow-metadata.schema.json"
ANNOTATIONS = frozenset({"$schema", "$id", "title", "description"})
"""Keywords that only describe: jsonschema reports nothing for them."""
KEYWORDS = frozenset(
    {
        "type",
        "required",
        "properties",
        "additionalProperties",
        "pattern",
        "minLength",
        "minProperties",
        "items",
    }
)
"""The validation keywords implemented here."""
# jsonschema's draft 2020-12 type checker for the types implemented: plain isinstance.
_TYPES: dict[str, type] = {"object": dict, "array": list, "string": str}


class SchemaError:
    """One way an instance breaks the schema, as jsonschema's ``ValidationError`` has it:
    ``message``, the ``instance`` it is about and its ``absolute_path`` from the root.
    (A plain class: a dataclass costs about 0.5 ms of start-up to create.)"""

    __slots__ = ("absolute_path", "instance", "message")

    def __init__(self, message: str, instance: Any, absolute_path: tuple[Any, ...]) -> None:
        self.message = message
        self.instance = instance
        self.absolute_path = absolute_path

    def __repr__(self) -> str:
        return f"SchemaError({self.message!r}, path={self.absolute_path!r})"


class UnsupportedSchema(ValueError):
    """The schema uses something this checker does not implement."""


def _refuse(where: tuple[Any, ...], problem: str) -> UnsupportedSchema:
    at = "/".join(str(part) for part in where) or "(root)"
    return UnsupportedSchema(
        f"{SCHEMA_FILE} at {at}: {problem}; hatch_airflow_go.format.schemacheck implements "
        f"only {', '.join(sorted(KEYWORDS))}"
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def check_schema(schema: Any, where: tuple[Any, ...] = ()) -> None:
    """Raise UnsupportedSchema unless ``schema`` uses only what :func:`iter_errors` does."""
    if not isinstance(schema, dict):
        raise _refuse(where, f"a schema must be an object, not {schema!r}")
    for keyword, value in schema.items():
        here = (*where, keyword)
        if keyword in ANNOTATIONS:
            continue
        if keyword not in KEYWORDS:
            raise _refuse(here, f"the keyword {keyword!r} is not implemented")
        if keyword == "type":
            names = value if isinstance(value, list) else [value]
            if not names or any(name not in _TYPES for name in names):
                raise _refuse(here, f"type {value!r} is not implemented")
        elif keyword == "required":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise _refuse(here, "required must be a list of names")
        elif keyword == "properties":
            if not isinstance(value, dict):
                raise _refuse(here, "properties must be an object")
            for name, subschema in value.items():
                check_schema(subschema, (*here, name))
        elif keyword == "additionalProperties":
            if value is not True:
                check_schema(value, here)
        elif keyword == "items":
            check_schema(value, here)
        elif keyword == "pattern":
            if not isinstance(value, str):
                raise _refuse(here, "pattern must be a string")
            try:
                re.compile(value)
            except re.error as exc:
                raise _refuse(here, f"pattern {value!r} does not compile: {exc}") from None
        elif not _is_count(value):  # minLength, minProperties
            raise _refuse(here, f"{keyword} must be a non-negative integer")


@lru_cache(maxsize=1)
def manifest_schema() -> Mapping[str, Any]:
    """The shipped manifest schema, parsed and checked (once per process)."""
    with open(os.path.join(os.path.dirname(__file__), SCHEMA_FILE), encoding="utf-8") as handle:
        schema = json.load(handle)
    check_schema(schema)
    result: Mapping[str, Any] = schema
    return result


def iter_errors(
    instance: Any, schema: Mapping[str, Any], path: tuple[Any, ...] = ()
) -> Iterator[SchemaError]:
    """Every way ``instance`` breaks ``schema``, in the order jsonschema reports them: the
    schema's keywords in their order, depth first (``schema`` is one :func:`check_schema`
    accepts)."""
    for keyword, value in schema.items():
        if keyword == "type":
            names = value if isinstance(value, list) else [value]
            if not any(isinstance(instance, _TYPES[name]) for name in names):
                shown = ", ".join(repr(name) for name in names)
                yield SchemaError(f"{instance!r} is not of type {shown}", instance, path)
        elif keyword == "required":
            if isinstance(instance, dict):
                for name in value:
                    if name not in instance:
                        yield SchemaError(f"{name!r} is a required property", instance, path)
        elif keyword == "properties":
            if isinstance(instance, dict):
                for name, subschema in value.items():
                    if name in instance:
                        yield from iter_errors(instance[name], subschema, (*path, name))
        elif keyword == "additionalProperties":
            if isinstance(instance, dict) and isinstance(value, dict):
                # A set built from a generator, as jsonschema builds it: the same iteration
                # order in the same process (string hashes are per process).
                extras = set(_additional(instance, schema))
                for extra in extras:
                    # jsonschema leaves a None key (YAML's `~:` or `null:`) out of the path.
                    where = path if extra is None else (*path, extra)
                    yield from iter_errors(instance[extra], value, where)
        elif keyword == "pattern":
            if isinstance(instance, str) and not re.search(value, instance):
                yield SchemaError(f"{instance!r} does not match {value!r}", instance, path)
        elif keyword == "minLength":
            if isinstance(instance, str) and len(instance) < value:
                said = "should be non-empty" if value == 1 else "is too short"
                yield SchemaError(f"{instance!r} {said}", instance, path)
        elif keyword == "minProperties":
            if isinstance(instance, dict) and len(instance) < value:
                said = "should be non-empty" if value == 1 else "does not have enough properties"
                yield SchemaError(f"{instance!r} {said}", instance, path)
        elif keyword == "items" and isinstance(instance, list):
            for index in range(len(instance)):
                yield from iter_errors(instance[index], value, (*path, index))


def _additional(instance: dict[Any, Any], schema: Mapping[str, Any]) -> Iterator[Any]:
    properties = schema.get("properties", {})
    for name in instance:
        if name not in properties:
            yield name
