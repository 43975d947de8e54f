"""The pure-Python go.mod reader against the go command itself, and the bundle-module rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hatch_airflow_go.errors import GoModError
from hatch_airflow_go.gomod import (
    PACKER_TOOL,
    SDK_MODULE,
    GoModSyntaxError,
    canonical_version,
    check_gomod,
    fix_gomod,
    go_version_key,
    parse_gomod,
    read_gomod,
)
from hatch_airflow_go.toolchain import find_go

CORPUS = Path(__file__).parent / "gomod_corpus"
GOOD = sorted(p for p in CORPUS.glob("*.mod") if not p.name.startswith("bad_"))
BAD = sorted(CORPUS.glob("bad_*.mod"))


def go_mod_edit_json(go: str, source: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run `go mod edit -json` on a copy of ``source`` named go.mod."""
    work = tmp_path / source.stem
    work.mkdir()
    shutil.copyfile(source, work / "go.mod")
    env = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": ""}
    return subprocess.run(
        [go, "mod", "edit", "-json", "go.mod"], cwd=work, env=env, capture_output=True, text=True
    )


def test_corpus_is_large_enough() -> None:
    assert len(GOOD) >= 30
    assert len(BAD) >= 10


@pytest.mark.parametrize("source", GOOD, ids=[p.stem for p in GOOD])
def test_reader_matches_go_mod_edit_json(go: str, source: Path, tmp_path: Path) -> None:
    result = go_mod_edit_json(go, source, tmp_path)
    assert result.returncode == 0, result.stderr
    assert read_gomod(source).edit_json() == json.loads(result.stdout)


@pytest.mark.parametrize("source", BAD, ids=[p.stem for p in BAD])
def test_reader_rejects_what_go_rejects_on_the_same_line(
    go: str, source: Path, tmp_path: Path
) -> None:
    result = go_mod_edit_json(go, source, tmp_path)
    assert result.returncode != 0
    go_line = int(re.search(r"go\.mod:(\d+)", result.stderr).group(1))  # type: ignore[union-attr]
    with pytest.raises(GoModSyntaxError) as caught:
        read_gomod(source)
    assert caught.value.line == go_line
    assert str(source) in str(caught.value)
    assert isinstance(caught.value, GoModError)


def test_fields_of_a_typical_bundle_module() -> None:
    mod = read_gomod(CORPUS / "06_replace_local.mod")
    assert mod.module == "example.com/monorepo/dags"
    assert mod.go == "1.24"
    assert mod.tools == [PACKER_TOOL]
    assert mod.require(SDK_MODULE) is not None
    replacement = mod.replacement(SDK_MODULE)
    assert replacement is not None
    assert replacement.is_local
    assert replacement.new.path == "../../go-sdk"
    assert mod.tool_lines[PACKER_TOOL] == 9


def test_indirect_deprecation_and_rationale() -> None:
    mod = read_gomod(CORPUS / "18_indirect_variants.mod")
    assert [r.path for r in mod.requires if r.indirect] == [
        "example.com/a",
        "example.com/b",
        "example.com/c",
        "example.com/g",
    ]
    assert read_gomod(CORPUS / "16_deprecated_paragraph.mod").deprecated == (
        "the DAGs moved to example.com/etl2.\nPlease update your imports."
    )
    assert read_gomod(CORPUS / "17_deprecated_detached.mod").deprecated is None
    rationales = [r.rationale for r in read_gomod(CORPUS / "11_retract_ranges.mod").retracts]
    assert rationales == ["Published accidentally.", "Broke the scheduler.", "Bad tag.", ""]


def test_crlf_and_quoted_escapes() -> None:
    assert read_gomod(CORPUS / "08_crlf.mod").requires[0].indirect
    mod = read_gomod(CORPUS / "35_quoted_escapes.mod")
    assert mod.module == "example.com/escaped"
    assert mod.replaces[0].new.path == "./dir with spaces/été"


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "go.mod"
    path.write_text("module m\n\ngo 1.24\ntool (\n  a b\n)\n")
    with pytest.raises(GoModSyntaxError) as caught:
        read_gomod(path)
    assert caught.value.line == 5
    assert f"{path}:5: tool: tool directive expects exactly one argument" in str(caught.value)


def test_unreadable_file_is_a_gomod_error(tmp_path: Path) -> None:
    with pytest.raises(GoModError, match="cannot read the file"):
        read_gomod(tmp_path / "missing" / "go.mod")


@pytest.mark.parametrize(
    ("version", "canonical"),
    [
        ("v1", "v1.0.0"),
        ("v1.2", "v1.2.0"),
        ("v1.2.3-rc.1+meta", "v1.2.3-rc.1"),
        ("v2.0.0+incompatible", "v2.0.0+incompatible"),
        ("v1.2-pre", ""),
        ("v01.2.3", ""),
        ("1.2.3", ""),
        ("v1.2.3-01", ""),
    ],
)
def test_canonical_version(version: str, canonical: str) -> None:
    assert canonical_version(version) == canonical


def test_go_version_order() -> None:
    order = ["1.21", "1.21rc1", "1.21rc2", "1.21.0", "1.21.3", "1.22", "1.24.0"]
    keys = [go_version_key(v) for v in order]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    with pytest.raises(ValueError, match="not a Go version"):
        go_version_key("banana")


# --------------------------------------------------------------------------- check_gomod

GOOD_BUNDLE_MODULE = f"""module example.com/dags

go 1.24

require {SDK_MODULE} v0.1.0

tool {PACKER_TOOL}
"""


def test_clean_bundle_module_has_no_findings() -> None:
    assert check_gomod(parse_gomod(GOOD_BUNDLE_MODULE)) == []


def test_replaced_sdk_counts_as_provided() -> None:
    text = f"module m\n\ngo 1.24\n\nreplace {SDK_MODULE} => ../sdk\n\ntool {PACKER_TOOL}\n"
    assert check_gomod(parse_gomod(text)) == []


def test_missing_everything() -> None:
    findings = check_gomod(parse_gomod("module m\n\ngo 1.22\n", path="sub/go.mod"))
    assert [(f.fix, f.fixable_offline) for f in findings] == [
        ("go mod edit -go=1.24 go.mod", True),
        (f"go mod edit -tool={PACKER_TOOL} go.mod", True),
        (f"go get -tool {PACKER_TOOL}@latest", False),
    ]
    assert all(f.path == Path("sub/go.mod") for f in findings)
    assert findings[0].line().startswith("sub/go.mod: the go directive must be at least 1.24")


def test_no_go_line_is_a_finding() -> None:
    text = GOOD_BUNDLE_MODULE.replace("go 1.24\n", "")
    findings = check_gomod(parse_gomod(text))
    assert [f.fix for f in findings] == ["go mod edit -go=1.24 go.mod"]
    assert "no go line" in findings[0].problem


def test_min_go_option_and_floor() -> None:
    mod = parse_gomod(GOOD_BUNDLE_MODULE)
    assert [f.fix for f in check_gomod(mod, min_go="1.25")] == ["go mod edit -go=1.25 go.mod"]
    # Lower than 1.24 cannot be asked for: Go 1.23 cannot read tool lines.
    old = parse_gomod(GOOD_BUNDLE_MODULE.replace("go 1.24", "go 1.23"))
    assert [f.fix for f in check_gomod(old, min_go="1.21")] == ["go mod edit -go=1.24 go.mod"]


def test_other_required_tools() -> None:
    mod = parse_gomod(GOOD_BUNDLE_MODULE)
    stringer = "golang.org/x/tools/cmd/stringer"
    findings = check_gomod(mod, required_tools=(PACKER_TOOL, stringer))
    assert [f.fix for f in findings] == [
        f"go mod edit -tool={stringer} go.mod",
        f"go get -tool {stringer}@latest",
    ]


def test_tools_of_the_module_itself_need_no_require() -> None:
    text = "module example.com/m\n\ngo 1.24\n\ntool example.com/m/cmd/gen\n"
    assert check_gomod(parse_gomod(text), required_tools=("example.com/m/cmd/gen",)) == []


def test_require_tools_false_only_checks_present_tools() -> None:
    assert check_gomod(parse_gomod("module m\n\ngo 1.21\n"), require_tools=False) == []
    with_tool = parse_gomod(f"module m\n\ngo 1.23\n\ntool {PACKER_TOOL}\n")
    fixes = [f.fix for f in check_gomod(with_tool, require_tools=False)]
    assert fixes == ["go mod edit -go=1.24 go.mod", f"go get -tool {PACKER_TOOL}@latest"]


# --------------------------------------------------------------------------- fix_gomod


def test_fix_gomod_edits_with_real_go_and_returns_network_commands(tmp_path: Path) -> None:
    path = tmp_path / "go.mod"
    path.write_text("module example.com/dags\n\ngo 1.22\n\nrequire golang.org/x/mod v0.20.0\n")
    mod = read_gomod(path)
    findings = check_gomod(mod)
    remaining = fix_gomod(mod, findings, find_go(module_dir=tmp_path))
    assert remaining == [f"(cd {tmp_path} && go get -tool {PACKER_TOOL}@latest)"]
    fixed = read_gomod(path)
    assert fixed.go == "1.24"
    assert fixed.tools == [PACKER_TOOL]
    assert fixed.require("golang.org/x/mod") is not None
    assert [f.fixable_offline for f in check_gomod(fixed)] == [False]


def test_fix_gomod_needs_a_file() -> None:
    mod = parse_gomod("module m\n")
    with pytest.raises(GoModError, match="not read from a file"):
        fix_gomod(mod, check_gomod(mod), find_go())
