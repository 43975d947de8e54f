"""The bundle manifest (``airflow-metadata.yaml``): model, readers, checks and the V1 renderer.

Readers accept every shape a bundle or a bundle binary can produce: the released V1 manifest,
the legacy V0 one, the unreleased ``sources``-index and ``digests`` experiments, and what the
three generations of SDK binaries print when asked to describe themselves. Text is parsed with
``yaml.safe_load``'s machinery, as Airflow's own reader does; ids are taken from the scalars'
own text so that ``123:`` still names the DAG ``"123"`` the SDK registered.

The writer never copies what a binary printed: :func:`render_v1` re-renders the model with
the same bytes upstream's packer (gopkg.in/yaml.v3) writes, and then reads its own output back
to prove Airflow will see exactly the ids that went in.
"""

from __future__ import annotations

import json
import os
import reprlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Optional, Union

import yaml

from hatch_airflow_go.errors import ManifestError, PathLike
from hatch_airflow_go.format import deadline, schemacheck
from hatch_airflow_go.regularfile import NotRegularFile, read_regular

SUPPORTED_SCHEMA_VERSION = "2026-06-16"
"""The only ``sdk.supervisor_schema_version`` the released reader (task-sdk 1.3.x) accepts."""

SHAPES = (
    "v1",
    "v0",
    "sources-index",
    "digests",
    "airflow-metadata",
    "dump-bundle-spec",
    "unknown",
)
MAX_ID_LENGTH = 250

# Bounds on reading (README, "Reliability"). A manifest is written by a packer, and real ones
# are a few kilobytes. PyYAML's pure-Python parser, the one Airflow's reader uses, reads a
# hostile-but-valid MiB (350,000 one-line keys) in about 5 s, so 1 MiB keeps any read to
# seconds while leaving room for some 25,000 task ids.
MAX_MANIFEST_BYTES = 1024 * 1024
"""Manifests (and introspection answers, metadata files) larger than this are not parsed."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences read (the V1 manifest nests 4 deep)."""
MAX_ALIAS_EXPANSION = 100_000
"""What aliases may add, counted as nodes plus scalar characters of what they point to."""
MAX_MESSAGE_CHARS = 300
"""Longest problem text of one finding; values inside it are cut to MAX_VALUE_CHARS."""
MAX_VALUE_CHARS = 60
MAX_PROBLEMS = 20
"""Schema problems listed per manifest; the rest are counted in one last line."""

_STR_TAG = "tag:yaml.org,2002:str"
_NULL_TAG = "tag:yaml.org,2002:null"
_SET_TAG = "tag:yaml.org,2002:set"
_VALUE_TAG = "tag:yaml.org,2002:value"
_RESOLVER = yaml.resolver.Resolver()
_INTROSPECTION_FLAGS = {
    "--airflow-metadata": ("yaml", "airflow-metadata"),
    "--airflow-metadata --format yaml": ("yaml", "airflow-metadata"),
    "--airflow-metadata --format json": ("json", "airflow-metadata"),
    "--dump-bundle-spec": ("json", "dump-bundle-spec"),
}
_REPACK_FIX = "repack the bundle (hatch-airflow-go pack, or go tool airflow-go-pack)"
_SDK_FIX = (
    "upgrade the Airflow Go SDK the bundle is built with, or pass a pre-captured --metadata file"
)

# A parsed document before it becomes a Manifest: mappings keyed by the keys' own text,
# scalars as their text, YAML/JSON nulls as None.
_Tree = Union[dict[str, Any], list[Any], str, None]


@dataclass(frozen=True)
class SdkInfo:
    """The ``sdk`` block: which language SDK built the bundle, and its wire-schema version."""

    language: str
    version: str
    supervisor_schema_version: Optional[str] = None


@dataclass(frozen=True)
class Manifest:
    """A bundle's description: its SDK and its DAGs (dag_id -> task ids, in registration order).

    ``shape`` names the form it was read from; ``raw`` is what ``yaml.safe_load`` (or
    ``json.loads``) produced from that text, which is what Airflow's reader sees.
    """

    sdk: SdkInfo
    dags: dict[str, list[str]]
    source: Optional[str] = None
    metadata_version: str = "1.0"
    shape: str = "v1"
    raw: Mapping[str, Any] = field(default_factory=dict)

    def with_source(self, source_name: str) -> Manifest:
        """The same manifest naming ``source_name`` (a base name) as its source file."""
        return replace(self, source=source_name)

    def document(self) -> dict[str, Any]:
        """The V1 document this model describes, as plain Python data."""
        sdk: dict[str, Any] = {"language": self.sdk.language, "version": self.sdk.version}
        if self.sdk.supervisor_schema_version is not None:
            sdk["supervisor_schema_version"] = self.sdk.supervisor_schema_version
        doc: dict[str, Any] = {"airflow_bundle_metadata_version": self.metadata_version, "sdk": sdk}
        if self.source is not None:
            doc["source"] = self.source
        doc["dags"] = {dag_id: {"tasks": list(tasks)} for dag_id, tasks in self.dags.items()}
        return doc


@dataclass(frozen=True)
class Rendered:
    """A rendered manifest's bytes and what the renderer wants the user to know."""

    data: bytes
    warnings: list[str]


# --------------------------------------------------------------------------------------------
# Reading


def _decode(data: bytes, path: Optional[PathLike], what: str, fix: str) -> str:
    _check_size(data, path, what, fix)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            f"{what} is not valid UTF-8 (byte offset {exc.start}: {exc.reason})",
            path=path,
            fix=fix,
        ) from None


class _LimitError(yaml.YAMLError):
    """A document beyond one of the reading bounds (size, depth, alias expansion)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class _BigInt(int):
    """An integer too long to print in decimal (Python refuses beyond 4,300 digits)."""

    def __repr__(self) -> str:
        return f"<a {self.bit_length():,}-bit integer>"

    __str__ = __repr__


_REPR = reprlib.Repr()
_REPR.maxstring = MAX_VALUE_CHARS
_REPR.maxother = MAX_VALUE_CHARS
_REPR.maxlong = MAX_VALUE_CHARS
_REPR.maxlevel = 3


def short_repr(value: object) -> str:
    """``repr`` cut to a readable length; safe on recursive data and on huge integers."""
    try:
        return _REPR.repr(value)
    except ValueError:  # an int with too many digits for str(), inside something else
        return f"<a {type(value).__name__}>"


def _clip(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _tag_name(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (set, frozenset)):
        return "a set (YAML !!set)"
    return "a scalar"


class _BoundedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` (what Airflow's ``yaml.safe_load`` uses) with bounds on the work.

    Nesting deeper than MAX_DEPTH and aliases that would expand beyond MAX_ALIAS_EXPANSION
    stop the composition at once; a constructor's plain Python error (``!!int "abc"``
    raises ValueError inside PyYAML) becomes a YAML error at the node that caused it.
    Everything inside the bounds loads exactly as ``yaml.safe_load`` loads it.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0
        self._weights: dict[int, int] = {}

    def compose_node(self, parent: Optional[yaml.Node], index: int) -> Optional[yaml.Node]:
        late = deadline.overdue()  # the caller's time limit (introspection's timeout)
        if late is not None:
            raise _LimitError(late)
        if self.check_event(yaml.AliasEvent):
            node = super().compose_node(parent, index)
            # A node still being composed (a cycle) has no weight yet: it adds itself once.
            self._expanded += self._weights.get(id(node), 1)
            if self._expanded > MAX_ALIAS_EXPANSION:
                raise _LimitError(
                    f"its aliases expand to more than {MAX_ALIAS_EXPANSION:,} nodes and "
                    "characters (an alias bomb); hatch-airflow-go does not expand it, although "
                    "Airflow's reader would load it"
                )
            return node
        collection = self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent)
        if collection:
            self._depth += 1
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _LimitError(
                    f"nested deeper than {MAX_DEPTH} levels (line {mark.line + 1}, column "
                    f"{mark.column + 1}); hatch-airflow-go reads at most {MAX_DEPTH}"
                )
        try:
            node = super().compose_node(parent, index)
        finally:
            if collection:
                self._depth -= 1
        if node is not None:
            self._weights[id(node)] = self._weight(node)
        return node

    def _weight(self, node: yaml.Node) -> int:
        if isinstance(node, yaml.ScalarNode):
            return 1 + len(node.value)
        if isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            children = list(node.value)
        return 1 + sum(self._weights.get(id(child), 1) for child in children)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # PyYAML's constructors raise plain errors on bad values
            shown = short_repr(node.value) if isinstance(node, yaml.ScalarNode) else "this node"
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{shown} cannot be read as {_tag_name(node.tag)} "
                f"({type(exc).__name__}: {_clip(str(exc), 60)}; Airflow's released reader "
                "raises it too, instead of skipping the bundle)",
                node.start_mark,
            ) from None

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        value = super().construct_yaml_int(node)
        # Past ~14,000 bits str() raises: keep such a value printable (hex literals get there).
        return _BigInt(value) if value.bit_length() > 14_000 else value


_BoundedLoader.add_constructor("tag:yaml.org,2002:int", _BoundedLoader.construct_yaml_int)


def _yaml_error(
    exc: yaml.YAMLError, path: Optional[PathLike], what: str, fix: str
) -> ManifestError:
    if isinstance(exc, _LimitError):
        return ManifestError(_clip(f"{what}: {exc.problem}"), path=path, fix=fix)
    if isinstance(exc, yaml.reader.ReaderError):
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        problem = f"character offset {exc.position}: U+{char:04X} is not allowed in YAML"
    elif isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        problem = f"line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    else:
        problem = str(exc)
    return ManifestError(_clip(f"{what} is not valid YAML ({problem})"), path=path, fix=fix)


def _internal_yaml_error(
    exc: Exception, loader: yaml.SafeLoader, path: Optional[PathLike], what: str, fix: str
) -> ManifestError:
    """PyYAML's scanner failing with a plain Python error (``"\\U00110000"``: ValueError)."""
    mark = loader.get_mark()
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    if isinstance(exc, ValueError) and "chr()" in str(exc):
        problem = f"{where}: an escape names a code point beyond Unicode (above U+10FFFF)"
    else:
        problem = f"{where}: PyYAML fails on it ({type(exc).__name__}: {_clip(str(exc), 80)})"
    return ManifestError(
        _clip(
            f"{what} is not valid YAML ({problem}; Airflow's released reader raises "
            f"{type(exc).__name__} on it too, instead of skipping the bundle)"
        ),
        path=path,
        fix=fix,
    )


def _check_size(data: bytes, path: Optional[PathLike], what: str, fix: str) -> None:
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(
            f"{what} is {len(data):,} bytes, larger than the {MAX_MANIFEST_BYTES:,}-byte limit "
            "hatch-airflow-go reads (a real manifest is a few kilobytes)",
            path=path,
            fix=fix,
        )


def _node_tree(node: yaml.Node, memo: dict[int, _Tree], depth: int = 0) -> _Tree:
    """Turn a composed node into a tree of texts; aliases are shared, cycles become None.

    A ``!!set`` is a list of its members' texts: ``yaml.safe_load`` makes it a Python set,
    which Airflow's reader does not take for a mapping.
    """
    key = id(node)
    if key in memo:
        return memo[key]
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else str(node.value)
    if depth > 16:
        return None
    memo[key] = None  # a cycle back to this node reads as null
    result: _Tree
    if isinstance(node, yaml.SequenceNode):
        result = [_node_tree(item, memo, depth + 1) for item in node.value]
    elif isinstance(node, yaml.MappingNode) and node.tag == _SET_TAG:
        result = [_node_tree(key_node, memo, depth + 1) for key_node, _ in node.value]
    elif isinstance(node, yaml.MappingNode):
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                mapping[str(key_node.value)] = _node_tree(value_node, memo, depth + 1)
        result = mapping
    else:  # pragma: no cover - PyYAML composes only the three node kinds
        result = None
    memo[key] = result
    return result


def _load_yaml(
    text: str, path: Optional[PathLike], what: str, fix: str, *, must_construct: bool
) -> tuple[_Tree, Any]:
    """Parse YAML once: the tree of the scalars' texts, and what ``yaml.safe_load`` returns.

    With ``must_construct`` false, a document that composes but cannot be constructed (an
    unquoted ``=`` for instance) still yields its tree; ``raw`` is then the tree itself.
    The reading is bounded (MAX_MANIFEST_BYTES, MAX_DEPTH, MAX_ALIAS_EXPANSION) and every
    failure is one ManifestError.
    """
    try:
        # The reader checks every character when it is created, so that is inside the try too.
        loader = _BoundedLoader(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, what, fix) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        tree = _node_tree(node, {})
        try:
            # The constructor flattens merge keys in place, so build the tree first.
            raw = loader.construct_document(node)
        except yaml.YAMLError:
            if must_construct:
                raise
            raw = tree
        return tree, raw
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, path, what, fix) from None
    except Exception as exc:  # PyYAML's scanner raises plain errors on a few inputs
        raise _internal_yaml_error(exc, loader, path, what, fix) from None
    finally:
        loader.dispose()


def _json_tree(value: Any, depth: int = 0) -> _Tree:
    if depth > MAX_DEPTH:
        raise _LimitError(f"nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        return {str(k): _json_tree(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_tree(v, depth + 1) for v in value]
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def _load_json(text: str, path: Optional[PathLike], what: str, fix: str) -> tuple[_Tree, Any]:
    try:
        raw = json.loads(text)
        return _json_tree(raw), raw
    except json.JSONDecodeError as exc:
        raise ManifestError(
            f"{what} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            path=path,
            fix=fix,
        ) from None
    except (_LimitError, RecursionError):
        raise ManifestError(
            f"{what}: nested deeper than {MAX_DEPTH} levels; hatch-airflow-go reads at most "
            f"{MAX_DEPTH}",
            path=path,
            fix=fix,
        ) from None
    except ValueError as exc:  # an integer with too many digits for Python to convert
        raise ManifestError(
            _clip(f"{what} holds a value Python cannot read ({exc})"), path=path, fix=fix
        ) from None


def _detect_shape(tree: Mapping[str, Any]) -> str:
    if "digests" in tree and "dags" not in tree:
        return "digests"
    if "sources" in tree and "source" not in tree:
        return "sources-index"
    if "airflow_bundle_metadata_version" in tree:
        return "v1" if "source" in tree else "airflow-metadata"
    if "format_version" in tree:
        return "v0" if "source" in tree else "dump-bundle-spec"
    return "unknown"


def _is_bundle_metadata_only(tree: Mapping[str, Any]) -> bool:
    return "name" in tree and set(tree) <= {"name", "version"}


def _no_dags_error(path: Optional[PathLike], what: str) -> ManifestError:
    return ManifestError(
        f"binary exposes no dags: {what} carries only the oldest SDK's --bundle-metadata "
        "answer (name and version)",
        path=path,
        fix=_SDK_FIX,
    )


def _text_or_empty(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _build(
    tree: _Tree,
    raw: Any,
    *,
    shape: Optional[str],
    strict: bool,
    path: Optional[PathLike],
    what: str,
    fix: str,
) -> Manifest:
    """Make a Manifest from a parsed tree; ``strict`` turns every structural gap into an error."""

    def fail(problem: str) -> ManifestError:
        return ManifestError(_clip(f"{what}: {problem}"), path=path, fix=fix)

    # What is a mapping is what Airflow's reader takes for one: safe_load gives a dict.
    if not isinstance(tree, dict) or not isinstance(raw, dict):
        raise fail(f"expected a mapping at the top level, found {_kind(raw)}")
    if _is_bundle_metadata_only(tree):
        raise _no_dags_error(path, what)
    detected = _detect_shape(tree)
    if strict and detected == "unknown":
        raise fail(
            "neither airflow_bundle_metadata_version nor format_version is present; "
            "this is not a bundle manifest"
        )

    sdk_tree = tree.get("sdk")
    if not isinstance(sdk_tree, dict):
        if strict:
            raise fail("no `sdk` mapping")
        sdk_tree = {}
    language, version = sdk_tree.get("language"), sdk_tree.get("version")
    if strict and not (isinstance(language, str) and language):
        raise fail("sdk.language is missing or not a string")
    if strict and not isinstance(version, str):
        raise fail("sdk.version is missing or not a string")
    schema_version = sdk_tree.get("supervisor_schema_version")
    sdk = SdkInfo(
        language=_text_or_empty(language),
        version=_text_or_empty(version),
        supervisor_schema_version=schema_version if isinstance(schema_version, str) else None,
    )

    dags_tree = tree.get("dags")
    dags: dict[str, list[str]] = {}
    if dags_tree is None and strict:
        if detected == "digests":
            raise fail("it uses the unreleased `digests` shape, which lists no dags")
        raise fail("no `dags` mapping")
    if isinstance(dags_tree, dict):
        for dag_id, entry in dags_tree.items():
            tasks_tree = entry.get("tasks") if isinstance(entry, dict) else None
            if strict and not isinstance(entry, dict):
                raise fail(f"dag {_short(dag_id)} is not a mapping with a `tasks` list")
            if tasks_tree is None:
                dags[dag_id] = []
            elif isinstance(tasks_tree, list):
                if strict and not all(isinstance(task, str) for task in tasks_tree):
                    raise fail(f"dag {_short(dag_id)}: every task id must be a string")
                dags[dag_id] = [task for task in tasks_tree if isinstance(task, str)]
            elif strict:
                raise fail(f"dag {_short(dag_id)}: `tasks` is not a list")
            else:
                dags[dag_id] = []
    elif dags_tree is not None and strict:
        raise fail("`dags` is not a mapping")

    source = tree.get("source")
    metadata_version = tree.get("airflow_bundle_metadata_version", tree.get("format_version"))
    return Manifest(
        sdk=sdk,
        dags=dags,
        source=source if isinstance(source, str) else None,
        metadata_version=metadata_version if isinstance(metadata_version, str) else "",
        shape=shape or detected,
        raw=raw if isinstance(raw, dict) else {},
    )


def parse_embedded(data: bytes, *, path: Optional[PathLike] = None) -> Manifest:
    """Read the manifest stored in a bundle, whatever its shape.

    Syntax and encoding errors raise ManifestError; a well-formed document with missing or
    odd fields is returned as far as it goes (see :func:`schema_problems` and
    :func:`reader_problems` for what is wrong with it).
    """
    what = "the bundle's manifest"
    text = _decode(data, path, what, _REPACK_FIX)
    tree, raw = _load_yaml(text, path, what, _REPACK_FIX, must_construct=True)
    return _build(tree, raw, shape=None, strict=False, path=path, what=what, fix=_REPACK_FIX)


def parse_introspection(text: bytes, *, flag: str, path: Optional[PathLike] = None) -> Manifest:
    """Read what a bundle binary printed for ``flag`` (the exact flag string used).

    ``--airflow-metadata`` prints YAML, ``--airflow-metadata --format json`` and
    ``--dump-bundle-spec`` print JSON. ``--bundle-metadata`` lists no dags, so its answer alone
    is an error. The result has ``source=None``.
    """
    normalized = " ".join(flag.split())
    what = f"the output of `{normalized}`"
    if normalized == "--bundle-metadata":
        raise _no_dags_error(path, what)
    if normalized not in _INTROSPECTION_FLAGS:
        raise ManifestError(
            f"unknown introspection flag {flag!r}",
            path=path,
            fix="use --airflow-metadata [--format json] or --dump-bundle-spec",
        )
    kind, shape = _INTROSPECTION_FLAGS[normalized]
    decoded = _decode(text, path, what, _SDK_FIX)
    if not decoded.strip():
        raise ManifestError(f"{what} is empty", path=path, fix=_SDK_FIX)
    if kind == "json":
        tree, raw = _load_json(decoded, path, what, _SDK_FIX)
    else:
        tree, raw = _load_yaml(decoded, path, what, _SDK_FIX, must_construct=False)
    manifest = _build(tree, raw, shape=shape, strict=True, path=path, what=what, fix=_SDK_FIX)
    return replace(manifest, source=None)


def _read_small_file(path: PathLike, fix: str) -> bytes:
    """A regular file's bytes, at most MAX_MANIFEST_BYTES + 1 of them (a device, FIFO or
    directory is refused before anything is read, and the open never blocks)."""
    try:
        return read_regular(path, MAX_MANIFEST_BYTES + 1)
    except NotRegularFile as exc:
        raise ManifestError(
            f"the metadata file is {'a directory' if exc.is_dir else 'not a regular file'}",
            path=path,
            fix="pass a regular file holding the captured metadata (not a device or FIFO)",
        ) from None
    except OSError as exc:
        raise ManifestError(
            f"cannot read the metadata file: {exc.strerror or exc}", path=path, fix=fix
        ) from None


def load_metadata_file(path: PathLike) -> Manifest:
    """Read a pre-captured metadata file (any manifest or introspection form, YAML or JSON)."""
    what = "the metadata file"
    fix = "capture it again with `<bundle binary> --airflow-metadata --format json > FILE`"
    text = _decode(_read_small_file(path, fix), path, what, fix)
    if not text.strip():
        raise ManifestError("the metadata file is empty", path=path, fix=fix)
    if os.fspath(path).endswith(".json") or text.lstrip("\ufeff \t\r\n").startswith("{"):
        tree, raw = _load_json(text.lstrip("\ufeff"), path, what, fix)
    else:
        tree, raw = _load_yaml(text, path, what, fix, must_construct=False)
    return _build(tree, raw, shape=None, strict=True, path=path, what=what, fix=fix)


def merge_bundle_metadata(
    manifest: Manifest, text: bytes, *, path: Optional[PathLike] = None
) -> Manifest:
    """Fill a missing ``sdk.version`` from a ``--bundle-metadata`` answer (name, version)."""
    what = "the output of `--bundle-metadata`"
    tree, _raw = _load_json(_decode(text, path, what, _SDK_FIX), path, what, _SDK_FIX)
    if not isinstance(tree, dict) or not isinstance(tree.get("version"), str):
        raise ManifestError(f"{what} has no version string", path=path, fix=_SDK_FIX)
    if manifest.sdk.version:
        return manifest
    return replace(manifest, sdk=replace(manifest.sdk, version=tree["version"]))


# --------------------------------------------------------------------------------------------
# Checks


_EMBEDDED_SHAPES = frozenset({"v1", "v0", "sources-index", "digests", "unknown"})


def _instance(manifest: Manifest) -> Mapping[str, Any]:
    """What a check looks at: a bundle's parsed text as the reader sees it, else the model.

    A binary's own output is never stored as it is (it is re-rendered), so for those shapes
    and for models built in code the checks look at the V1 document the model renders to.
    """
    if manifest.raw and manifest.shape in _EMBEDDED_SHAPES:
        return manifest.raw
    return manifest.document()


def _schema_message(error: schemacheck.SchemaError) -> str:
    """The schema's message (jsonschema's words) with the offending value cut to a readable
    length."""
    message = error.message
    try:
        full = repr(error.instance)
    except ValueError:  # pragma: no cover - big integers are _BigInt, whose repr is short
        full = ""
    if full and len(full) > MAX_VALUE_CHARS and full in message:
        message = message.replace(full, short_repr(error.instance))
    return message


def schema_problems(manifest: Manifest) -> list[str]:
    """Where the manifest breaks the JSON schema of the V1 manifest (empty when valid).

    At most MAX_PROBLEMS problems are listed, each at most MAX_MESSAGE_CHARS long; a last
    line counts the others.
    """
    problems: list[str] = []
    total = 0
    for error in schemacheck.iter_errors(_instance(manifest), schemacheck.manifest_schema()):
        total += 1
        if len(problems) < 50 * MAX_PROBLEMS:  # enough to sort; the rest are only counted
            where = ".".join(_clip(str(part), 40) for part in error.absolute_path)
            problems.append(_clip(f"{where or '(top level)'}: {_schema_message(error)}"))
    problems.sort()
    if total > MAX_PROBLEMS:
        more = total - MAX_PROBLEMS
        problems = [*problems[:MAX_PROBLEMS], f"... and {more} more schema problems like these"]
    return problems


def _id_problems(value: str) -> list[str]:
    problems = []
    if not value:
        problems.append("is empty")
    if len(value) > MAX_ID_LENGTH:
        problems.append(f"is {len(value)} characters long (at most {MAX_ID_LENGTH})")
    bad = sorted({char for char in value if not (char.isalnum() or char in "_.-")})
    if bad:
        shown = ", ".join(repr(char) for char in bad[:8]) + (", ..." if len(bad) > 8 else "")
        problems.append(f"contains {shown} (only letters, digits, '_', '.' and '-' are allowed)")
    if ".." in value:
        problems.append("contains '..' (refused unless the server sets allow_double_dot_in_ids)")
    return problems


def _short(value: str, limit: int = 60) -> str:
    return repr(value if len(value) <= limit else value[:limit] + "...")


def id_warnings(manifest: Manifest) -> list[str]:
    """Ids the Airflow server would refuse (upstream's packer only warns), one message per id."""
    warnings = []
    for dag_id, tasks in manifest.dags.items():
        problems = _id_problems(dag_id)
        if problems:
            warnings.append(f"dag id {_short(dag_id)} " + "; ".join(problems))
        for task_id in tasks:
            problems = _id_problems(task_id)
            if problems:
                warnings.append(
                    f"task id {_short(task_id)} of dag {_short(dag_id)} " + "; ".join(problems)
                )
    return warnings


def reader_problems(manifest: Manifest) -> list[str]:
    """Why the released Airflow reader (task-sdk 1.3.x) would skip this bundle or miss a DAG."""
    doc = _instance(manifest)
    problems = []
    sdk = doc.get("sdk")
    if not isinstance(sdk, Mapping):
        problems.append("no `sdk` mapping: the reader rejects the bundle")
    else:
        version = sdk.get("supervisor_schema_version")
        if version is None:
            problems.append(
                "sdk.supervisor_schema_version is missing: the reader rejects the bundle "
                f"(it needs the string {SUPPORTED_SCHEMA_VERSION!r})"
            )
        elif isinstance(version, date):
            problems.append(
                f"sdk.supervisor_schema_version is an unquoted date ({version.isoformat()}): "
                "YAML reads it as a date, not a string, and the reader rejects the bundle"
            )
        elif not isinstance(version, str):
            problems.append(
                f"sdk.supervisor_schema_version is a {type(version).__name__}, not a string: "
                "the reader rejects the bundle"
            )
        elif version != SUPPORTED_SCHEMA_VERSION:
            problems.append(
                f"sdk.supervisor_schema_version is {_short(version)}: the released reader accepts "
                f"only {SUPPORTED_SCHEMA_VERSION!r}"
            )
    dags = doc.get("dags")
    if not isinstance(dags, Mapping):
        problems.append("no `dags` mapping: the reader finds no DAG in this bundle")
    else:
        if not dags:
            problems.append("`dags` is empty: the reader finds no DAG in this bundle")
        for key in dags:
            if not isinstance(key, str):
                problems.append(
                    f"dag id {short_repr(key)} reads back as {type(key).__name__}, not a string: "
                    "the reader can never find this DAG"
                )
    return problems


# --------------------------------------------------------------------------------------------
# Rendering


def _plain_reads_as(key: str) -> Optional[str]:
    """The non-string type yaml.safe_load gives ``key`` when written plain, or None."""
    tag: str = _RESOLVER.resolve(yaml.ScalarNode, key, (True, False))  # type: ignore[no-untyped-call]
    # A plain `=` resolves to the `value` tag, but safe_load turns such a key back into str.
    return None if tag in (_STR_TAG, _VALUE_TAG) else tag.rsplit(":", 1)[-1]


def _written_plain(key: str) -> bool:
    # The renderer is imported where it is used: reading a manifest (verify, scan) never is.
    from hatch_airflow_go.format import yamlrender

    return yamlrender.key_style(key, simple=yamlrender.is_simple_key(key)) == yamlrender.PLAIN


def _check_text(manifest: Manifest) -> None:
    texts = [manifest.sdk.language, manifest.sdk.version, manifest.metadata_version]
    texts += [manifest.sdk.supervisor_schema_version or "", manifest.source or ""]
    for dag_id, tasks in manifest.dags.items():
        texts.append(dag_id)
        texts.extend(tasks)
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ManifestError(
                f"id or value {text!r} holds a lone surrogate and cannot be written as UTF-8",
                fix="register DAG and task ids that are valid Unicode text",
            ) from None


def _render(manifest: Manifest, ids: Sequence[str], forced: Mapping[str, str]) -> str:
    from hatch_airflow_go.format import yamlrender

    sdk = [("language", manifest.sdk.language), ("version", manifest.sdk.version)]
    if manifest.sdk.supervisor_schema_version is not None:
        sdk.append(("supervisor_schema_version", manifest.sdk.supervisor_schema_version))
    return yamlrender.render_document(
        metadata_version=manifest.metadata_version,
        sdk=sdk,
        source=manifest.source,
        entries=[
            yamlrender.Entry(dag_id, manifest.dags[dag_id], forced.get(dag_id)) for dag_id in ids
        ],
    )


@dataclass(frozen=True)
class _ReadBack:
    """How a rendered manifest reads back through yaml.safe_load."""

    parse_error: Optional[str] = None  # the document does not load at all
    fixed_error: Optional[str] = None  # version, sdk or source come back different
    lost: tuple[str, ...] = ()  # dag ids that do not come back with the same tasks

    @property
    def ok(self) -> bool:
        return self.parse_error is None and self.fixed_error is None and not self.lost


def _read_back(text: str, manifest: Manifest, ids: Sequence[str]) -> _ReadBack:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        return _ReadBack(parse_error=f"yaml.safe_load cannot read it: {message}", lost=tuple(ids))
    if not isinstance(data, dict):
        return _ReadBack(fixed_error="it does not read back as a mapping", lost=tuple(ids))
    expected = manifest.document()
    for key in ("airflow_bundle_metadata_version", "sdk", "source"):
        if data.get(key) != expected.get(key):
            return _ReadBack(fixed_error=f"`{key}` reads back as {data.get(key)!r}")
    dags = data.get("dags")
    if not isinstance(dags, dict):
        return _ReadBack(lost=tuple(ids))
    return _ReadBack(
        lost=tuple(
            dag_id for dag_id in ids if dags.get(dag_id) != {"tasks": list(manifest.dags[dag_id])}
        )
    )


def _fails_alone(manifest: Manifest, dag_id: str) -> bool:
    """Whether this one dag id, rendered upstream's way on its own, fails to read back."""
    single = replace(manifest, dags={dag_id: manifest.dags[dag_id]})
    return not _read_back(_render(single, [dag_id], {}), single, [dag_id]).ok


def _bug(problem: str) -> ManifestError:
    return ManifestError(
        f"rendered manifest does not read back as written: {problem}",
        fix="report this as a bug in hatch-airflow-go, with the DAG and task ids",
    )


def _check_rendered_size(text: str, dags: int) -> None:
    """Refuse a manifest our own readers would refuse (and reading it back would be slow)."""
    size = len(text.encode("utf-8"))
    if size > MAX_MANIFEST_BYTES:
        raise ManifestError(
            f"the manifest of these {dags:,} dags renders to {size:,} bytes, over the "
            f"{MAX_MANIFEST_BYTES:,}-byte limit of hatch-airflow-go's readers (verify, inspect, "
            "scan and the verify-bundles hook would refuse the bundle)",
            fix="split the DAGs over several bundles, one Go main package each",
        )


def render_v1(manifest: Manifest, *, exact_upstream: bool = False) -> Rendered:
    """Render the V1 manifest with the bytes upstream's packer (yaml.v3, indent 2) writes.

    dag ids are sorted byte-wise, tasks keep their order. A dag id that yaml.safe_load would
    read back as something other than the same string (``123``, ``true``, ``null``, ``<<``,
    ...) is double-quoted, with a warning, unless ``exact_upstream`` asks for upstream's bytes
    even then; the warning then names the DAGs Airflow will not find. The output is always
    read back; a mismatch that is not explained by ``exact_upstream`` raises ManifestError.
    """
    from hatch_airflow_go.format import yamlrender

    _check_text(manifest)
    # Code point order is UTF-8 byte order, which is what Go's sort.Strings compares.
    ids = sorted(manifest.dags)
    culprits: dict[str, str] = {}
    for dag_id in ids:
        if _written_plain(dag_id):
            reads_as = _plain_reads_as(dag_id)
            if reads_as is not None:
                culprits[dag_id] = f"reads back as YAML {reads_as}, not a string"

    warnings: list[str] = []
    forced: dict[str, str] = {}
    if not exact_upstream:
        forced = {dag_id: yamlrender.DOUBLE_QUOTED for dag_id in culprits}
    text = _render(manifest, ids, forced)
    _check_rendered_size(text, len(ids))
    check = _read_back(text, manifest, ids)
    if check.fixed_error is not None:
        raise _bug(check.fixed_error)

    if not check.ok:
        # Beyond the resolver's types, find each id that does not survive on its own.
        for dag_id in ids if check.parse_error else check.lost:
            if dag_id not in culprits and _fails_alone(manifest, dag_id):
                culprits[dag_id] = "does not read back unchanged when written plain"
        if not exact_upstream:
            forced = {dag_id: yamlrender.DOUBLE_QUOTED for dag_id in culprits}
            text = _render(manifest, ids, forced)
            _check_rendered_size(text, len(ids))
            check = _read_back(text, manifest, ids)
            if not check.ok:
                raise _bug(check.parse_error or check.fixed_error or _names(check.lost))

    if not exact_upstream:
        warnings.extend(
            f"dag id {_short(dag_id)} {why}, so Airflow could not find it: written "
            "double-quoted (upstream's packer writes it plain)"
            for dag_id, why in culprits.items()
        )
    elif not check.ok:
        if not culprits:
            raise _bug(check.parse_error or _names(check.lost))
        causes = "; ".join(f"{_short(dag_id)} {why}" for dag_id, why in culprits.items())
        if check.parse_error:
            warnings.append(
                f"Airflow will find none of this bundle's DAGs: {check.parse_error}. Upstream's "
                f"exact rendering writes these dag ids plain: {causes}; render without "
                "exact_upstream to quote them"
            )
        else:
            warnings.append(
                f"Airflow will not find these DAGs: {_names(check.lost)}. Upstream's exact "
                f"rendering writes their ids plain: {causes}; render without exact_upstream "
                "to quote them"
            )
    return Rendered(data=text.encode("utf-8"), warnings=warnings)


def _names(ids: Sequence[str]) -> str:
    return ", ".join(_short(dag_id) for dag_id in ids)
