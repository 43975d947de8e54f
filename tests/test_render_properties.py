"""Properties of the V1 renderer for arbitrary ids: any Unicode text, controls, astral chars."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hatch_airflow_go.format.manifest import Manifest, SdkInfo, parse_embedded, render_v1

# Any code point except lone surrogates (which no UTF-8 manifest can hold); weight the
# characters YAML treats specially so that short examples hit them often.
_SPECIAL = st.sampled_from(
    [
        *" \t\n\r\x00\x07\x1b\x7f\x85\xa0\u2028\u2029\ufeff\ufffe:#-?'\"\\{}[],&*!|>%@`~=<.",
        *["\U0001f680", "é", "中", "yes", "null", "1.5", "123", "0x1F", "---", "<<"],
    ]
)
_TEXT = st.lists(st.one_of(st.characters(exclude_categories=["Cs"]), _SPECIAL), max_size=12).map(
    "".join
) | st.text(min_size=120, max_size=140)
_DAGS = st.dictionaries(_TEXT, st.lists(_TEXT, max_size=4), max_size=5)


def _manifest(dags: dict[str, list[str]], version: str = "v0.1.0") -> Manifest:
    return Manifest(sdk=SdkInfo("go", version, "2026-06-16"), dags=dags, source="main.go")


@settings(max_examples=200, deadline=None)
@given(_DAGS, _TEXT)
def test_render_reads_back_to_the_same_ids(dags: dict[str, list[str]], version: str) -> None:
    rendered = render_v1(_manifest(dags, version))
    loaded = yaml.safe_load(rendered.data.decode("utf-8"))
    assert loaded["dags"] == {dag_id: {"tasks": tasks} for dag_id, tasks in dags.items()}
    assert loaded["sdk"]["version"] == version
    assert list(loaded["dags"]) == sorted(dags)


@settings(max_examples=200, deadline=None)
@given(_DAGS)
def test_render_is_stable(dags: dict[str, list[str]]) -> None:
    first = render_v1(_manifest(dags)).data
    parsed = parse_embedded(first)
    assert parsed.dags == {dag_id: dags[dag_id] for dag_id in sorted(dags)}
    assert render_v1(parsed).data == first


@settings(max_examples=200, deadline=None)
@given(_DAGS)
def test_exact_mode_differs_only_where_it_warns(dags: dict[str, list[str]]) -> None:
    exact = render_v1(_manifest(dags), exact_upstream=True)
    default = render_v1(_manifest(dags))
    if exact.data == default.data:
        assert exact.warnings == []
        assert default.warnings == []
    else:
        assert len(exact.warnings) == 1
        assert exact.warnings[0].startswith("Airflow will")
        assert default.warnings
