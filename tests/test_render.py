"""The V1 renderer: upstream's exact bytes (spec §2.2, §2.3, yaml.v3 goldens) and our fixes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml

from hatch_airflow_go.errors import ManifestError
from hatch_airflow_go.format.manifest import Manifest, SdkInfo, parse_embedded, render_v1
from tests.vectors import WORKED_MANIFEST

from .conftest import REPO

GOLDEN = REPO / "tests" / "golden"
GOLDEN_PROGRAM = GOLDEN / "yamlv3"
CASES: list[dict[str, Any]] = json.loads((GOLDEN / "cases.json").read_text(encoding="utf-8"))[
    "cases"
]

SPEC_EXAMPLE = WORKED_MANIFEST
HEADER = (
    'airflow_bundle_metadata_version: "1.0"\nsdk:\n  language: "go"\n  version: "v0.1.0"\n'
    '  supervisor_schema_version: "2026-06-16"\nsource: "main.go"\n'
)


def manifest(dags: dict[str, list[str]], **changes: Any) -> Manifest:
    sdk = SdkInfo("go", "v0.1.0", "2026-06-16")
    return Manifest(sdk=changes.pop("sdk", sdk), dags=dags, source=changes.pop("source", "main.go"))


def case_manifest(case: dict[str, Any]) -> Manifest:
    """The Manifest a golden case describes, with the Go program's defaults."""
    sdk = {"language": "go", "version": "v0.1.0", "supervisor_schema_version": "2026-06-16"}
    sdk.update(case.get("sdk", {}))
    return Manifest(
        sdk=SdkInfo(sdk["language"], sdk["version"], sdk["supervisor_schema_version"]),
        dags={dag_id: list(tasks) for dag_id, tasks in case["dags"]},
        source=case.get("source", "main.go"),
        metadata_version=case.get("metadata_version", "1.0"),
    )


def dags_section(data: bytes) -> str:
    text = data.decode("utf-8")
    return text[text.index("dags:") :]


# --- spec §2.3 ------------------------------------------------------------------------------


def test_spec_example_bytes() -> None:
    rendered = render_v1(
        manifest(
            {
                "simple_dag": ["extract", "transform", "load"],
                "concurrent_xcom_dag": ["pull_xcoms_concurrently"],
            }
        )
    )
    assert rendered.data == SPEC_EXAMPLE
    assert len(rendered.data) == 293
    assert (
        hashlib.sha256(rendered.data).hexdigest()
        == "0bcebef3e8d0328e2b8cb58fd7647055db564ca82dca22cdb5952749e1dddd51"
    )
    assert rendered.warnings == []


# --- yaml.v3 goldens ------------------------------------------------------------------------


def test_golden_cases_cover_the_brief() -> None:
    names = {case["name"] for case in CASES}
    assert len(CASES) >= 40
    assert len(names) == len(CASES)
    assert {path.stem for path in (GOLDEN / "manifests").glob("*.yaml")} == names


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_exact_render_matches_yaml_v3_golden(case: dict[str, Any]) -> None:
    expected = (GOLDEN / "manifests" / f"{case['name']}.yaml").read_bytes()
    assert render_v1(case_manifest(case), exact_upstream=True).data == expected


def _go_env() -> dict[str, str]:
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=mod"}


def _run_golden_program(go: str, args: list[str], stdin: Optional[bytes] = None) -> bytes:
    download = subprocess.run(
        [go, "mod", "download", "gopkg.in/yaml.v3"],
        cwd=GOLDEN_PROGRAM,
        env=_go_env(),
        capture_output=True,
        text=True,
    )
    if download.returncode != 0:
        pytest.skip(
            "the Go module proxy cannot serve gopkg.in/yaml.v3 here, so the real encoder "
            f"cannot run: {download.stderr.strip()}"
        )
    result = subprocess.run(
        [go, "run", ".", *args],
        cwd=GOLDEN_PROGRAM,
        env=_go_env(),
        input=stdin,
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout


def test_committed_goldens_are_what_yaml_v3_writes_now(go: str, tmp_path: Path) -> None:
    out = tmp_path / "manifests"
    _run_golden_program(go, ["-cases", str(GOLDEN / "cases.json"), "-out", str(out)])
    fresh = {path.name: path.read_bytes() for path in out.glob("*.yaml")}
    committed = {path.name: path.read_bytes() for path in (GOLDEN / "manifests").glob("*.yaml")}
    assert fresh == committed


_ALPHABET = list(
    "aZ09 _-.:#?'\"\\\t\n\r\x00\x07\x1b\x7f\x85\xa0é中\u2028\u2029\ufeff\ufffe😀{}[],&*!|>%@`~=<+yn"
)


def _random_text(rng: random.Random) -> str:
    length = rng.choice([0, 1, 2, 3, 5, 9, 130])
    return "".join(rng.choice(_ALPHABET) for _ in range(length))


def test_random_manifests_match_yaml_v3(go: str) -> None:
    """Differential check: 400 random manifests of awkward characters, ours vs the encoder."""
    rng = random.Random(20260616)
    cases = []
    for index in range(400):
        dags = {
            _random_text(rng): [_random_text(rng) for _ in range(rng.choice([0, 1, 2]))]
            for _ in range(rng.choice([0, 1, 3]))
        }
        cases.append(
            {
                "name": f"r{index}",
                "sdk": {"version": _random_text(rng)},
                "source": _random_text(rng),
                "dags": [[dag_id, tasks] for dag_id, tasks in dags.items()],
            }
        )
    encoded = _run_golden_program(go, ["-stdin"], stdin=json.dumps(cases).encode())
    expected = json.loads(encoded)
    mismatches = [
        case["name"]
        for case in cases
        if render_v1(case_manifest(case), exact_upstream=True).data
        != expected[case["name"]].encode("utf-8")
    ]
    assert mismatches == []


# --- rendering facts of spec §2.2 -----------------------------------------------------------


def test_document_layout() -> None:
    data = render_v1(manifest({"b": ["x"], "a": []})).data
    text = data.decode()
    assert not text.startswith("---")
    assert "\r" not in text
    assert text.endswith('"x"\n')
    assert not text.endswith("\n\n")
    assert text == HEADER + 'dags:\n  a:\n    tasks: []\n  b:\n    tasks:\n      - "x"\n'


def test_empty_dags_render_as_flow_mapping() -> None:
    assert render_v1(manifest({})).data.decode() == HEADER + "dags: {}\n"


def test_missing_optional_fields_are_left_out() -> None:
    data = render_v1(manifest({"d": ["t"]}, sdk=SdkInfo("go", "v1"), source=None)).data
    text = data.decode()
    assert "supervisor_schema_version" not in text
    assert "source:" not in text


def test_dag_ids_sorted_bytewise_and_tasks_keep_order() -> None:
    ids = ["b", "a", "B", "é", "中", "😀", "\uffef", "_"]
    text = dags_section(render_v1(manifest({i: ["z", "a"] for i in ids})).data)
    keys = [
        line.strip().rstrip(":")
        for line in text.splitlines()
        if line.startswith("  ") and not line.startswith("   ")
    ]
    assert keys == ["B", "_", "a", "b", "é", "中", "\uffef", '"\\U0001F600"']
    assert text.count('      - "z"\n      - "a"\n') == len(ids)


@pytest.mark.parametrize(
    ("char", "escaped"),
    [
        ('"', '\\"'),
        ("\\", "\\\\"),
        ("\t", "\\t"),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\x00", "\\0"),
        ("\x1b", "\\e"),
        ("\x85", "\\N"),
        ("\u2028", "\\L"),
        ("\u2029", "\\P"),
        ("\x7f", "\\x7F"),
        ("\x01", "\\x01"),
        ("\x1f", "\\x1F"),
        ("\x07", "\\a"),
        ("\x08", "\\b"),
        ("\x0b", "\\v"),
        ("\x0c", "\\f"),
        ("\x9b", "\\x9B"),
        ("\ufeff", "\\uFEFF"),
        ("\ufffe", "\\uFFFE"),
        ("\U0001f680", "\\U0001F680"),
        ("\U0010ffff", "\\U0010FFFF"),
        ("é", "é"),
        ("中", "中"),
        ("\xa0", "\xa0"),
        ("\ue000", "\ue000"),
    ],
)
def test_double_quoted_escapes(char: str, escaped: str) -> None:
    text = render_v1(manifest({"d": [f"a{char}b"]})).data.decode()
    assert f'      - "a{escaped}b"\n' in text


def test_value_starting_with_bom_is_escaped_throughout() -> None:
    # yaml.v3 looks for the BOM at the start of the value for every character.
    text = render_v1(manifest({"d": ["\ufeffa b\xa0é"]})).data.decode()
    assert '      - "\\uFEFF\\x61\\x20\\x62\\_\\xE9"\n' in text


@pytest.mark.parametrize(
    "dag_id", ["123", "1.5", "true", "null", "yes", "~", "0x1F", ".inf", "1:20"]
)
def test_exact_upstream_writes_typed_ids_plain(dag_id: str) -> None:
    rendered = render_v1(manifest({dag_id: ["t"]}), exact_upstream=True)
    assert dags_section(rendered.data).startswith(f"dags:\n  {dag_id}:\n    tasks:\n")
    assert len(rendered.warnings) == 1
    assert "Airflow will not find these DAGs" in rendered.warnings[0]
    assert repr(dag_id) in rendered.warnings[0]
    assert dag_id not in yaml.safe_load(rendered.data)["dags"]


@pytest.mark.parametrize(
    ("dag_id", "key"),
    [
        ("", "''"),
        (" lead", "' lead'"),
        ("a: b", "'a: b'"),
        ("#x", "'#x'"),
        ("- x", "'- x'"),
        ("it's", "it's"),
        ("'q'", "'''q'''"),
        ("a\tb", '"a\\tb"'),
        ("a:b", "a:b"),
        ("a #b", "'a #b'"),
    ],
)
def test_keys_that_cannot_be_plain(dag_id: str, key: str) -> None:
    rendered = render_v1(manifest({dag_id: ["t"]}))
    assert dags_section(rendered.data).startswith(f"dags:\n  {key}:\n")
    assert rendered.warnings == []
    assert list(yaml.safe_load(rendered.data)["dags"]) == [dag_id]


def test_long_key_is_a_complex_key() -> None:
    short, long = "k" * 128, "k" * 129
    text = dags_section(render_v1(manifest({short: ["t"], long: ["u"]})).data)
    assert f"\n  {short}:\n    tasks:\n" in text
    assert f'\n  ? {long}\n  : tasks:\n      - "u"\n' in text


def test_key_with_line_break_is_a_literal_complex_key() -> None:
    text = dags_section(render_v1(manifest({"one\ntwo": ["t"]})).data)
    assert text == 'dags:\n  ? |-\n    one\n    two\n  : tasks:\n      - "t"\n'


# --- our deliberate difference: ids that would not read back -------------------------------


@pytest.mark.parametrize(
    "dag_id",
    [
        "123",
        "1.5",
        "true",
        "null",
        "yes",
        "~",
        "0x1F",
        ".inf",
        "2026-01-01",
        "<<",
        "Off",
        "1:20",
        ".NaN",
    ],
)
def test_typed_ids_are_quoted_with_a_warning(dag_id: str) -> None:
    rendered = render_v1(manifest({dag_id: ["t"], "plain_dag": ["t"]}))
    section = dags_section(rendered.data)
    assert f'\n  "{dag_id}":\n    tasks:\n' in section
    assert "\n  plain_dag:\n" in section
    assert len(rendered.warnings) == 1
    assert repr(dag_id) in rendered.warnings[0]
    assert "double-quoted" in rendered.warnings[0]
    assert yaml.safe_load(rendered.data)["dags"] == {
        dag_id: {"tasks": ["t"]},
        "plain_dag": {"tasks": ["t"]},
    }


@pytest.mark.parametrize("dag_id", ["1e3", "0o17", "y", "n", "1_000x"])
def test_yaml_12_only_numbers_stay_plain(dag_id: str) -> None:
    # PyYAML follows YAML 1.1: `1e3` (no dot) and `0o17` are strings there, so no quoting.
    rendered = render_v1(manifest({dag_id: ["t"]}))
    assert f"\n  {dag_id}:\n" in rendered.data.decode()
    assert rendered.warnings == []
    assert list(yaml.safe_load(rendered.data)["dags"]) == [dag_id]


def test_equals_sign_key_is_left_plain() -> None:
    # `=` resolves to the YAML `value` tag, but safe_load turns such a mapping key into a str.
    rendered = render_v1(manifest({"=": ["t"]}))
    assert "\n  =:\n" in rendered.data.decode()
    assert rendered.warnings == []
    assert yaml.safe_load(rendered.data)["dags"] == {"=": {"tasks": ["t"]}}


def test_key_lost_by_literal_form_is_quoted() -> None:
    # Upstream writes a lone line feed as the block key `? |2+`, which reads back empty.
    exact = render_v1(manifest({"\n": ["t"]}), exact_upstream=True)
    assert "? |2+\n" in exact.data.decode()
    assert "Airflow will not find these DAGs: '\\n'" in exact.warnings[0]
    fixed = render_v1(manifest({"\n": ["t"]}))
    assert '  ? "\\n"\n  : tasks:\n' in fixed.data.decode()
    assert yaml.safe_load(fixed.data)["dags"] == {"\n": {"tasks": ["t"]}}
    assert "'\\n'" in fixed.warnings[0]


def test_merge_key_in_exact_mode_names_the_lost_dag() -> None:
    rendered = render_v1(manifest({"<<": ["t"], "ok": ["u"]}), exact_upstream=True)
    assert "\n  <<:\n" in rendered.data.decode()
    assert "Airflow will not find these DAGs: '<<'" in rendered.warnings[0]
    assert "merge" in rendered.warnings[0]


def test_exact_and_default_agree_when_nothing_needs_quoting() -> None:
    dags = {"a: b": ["x"], "k" * 200: ["y"], "multi\nline": []}
    assert render_v1(manifest(dags)).data == render_v1(manifest(dags), exact_upstream=True).data


def test_rendered_manifest_parses_back() -> None:
    dags = {"123": ["1", "true"], "a b": [], "é\u2028x": ["\U0001f680"]}
    parsed = parse_embedded(render_v1(manifest(dags)).data)
    assert parsed.dags == {key: dags[key] for key in sorted(dags)}
    assert parsed.shape == "v1"


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(ManifestError, match="lone surrogate"):
        render_v1(manifest({"bad\ud800": ["t"]}))


def test_a_manifest_over_the_reading_bound_is_refused_before_it_is_read_back() -> None:
    """20,000 dags of four tasks fit an 809 KB introspection answer but render to 1.45 MB:
    our readers refuse such a bundle, and reading it back alone took 6 s."""
    import time

    from hatch_airflow_go.format.manifest import MAX_MANIFEST_BYTES

    dags = {f"d{i}": ["t0", "t1", "t2", "t3"] for i in range(20_000)}
    manifest = Manifest(sdk=SdkInfo("go", "v0.1.0", "2026-06-16"), dags=dags, source="main.go")
    started = time.monotonic()
    with pytest.raises(ManifestError) as caught:
        render_v1(manifest)
    assert time.monotonic() - started < 2.0
    assert "the manifest of these 20,000 dags renders to 1,449," in caught.value.problem
    assert f"over the {MAX_MANIFEST_BYTES:,}-byte limit" in caught.value.problem
    assert caught.value.fix == "split the DAGs over several bundles, one Go main package each"
    fewer = Manifest(sdk=manifest.sdk, dags=dict(list(dags.items())[:100]), source="main.go")
    assert len(render_v1(fewer).data) < MAX_MANIFEST_BYTES
