"""The pure-Python go.mod reader against the go command itself, and the bundle-module rules."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hatch_airflow_go.errors import GoModError
from hatch_airflow_go.golang.gomod import (
    LOCAL_REPLACE_VERSION,
    PACKER_TOOL,
    SDK_MODULE,
    Finding,
    GoModSyntaxError,
    canonical_version,
    check_gomod,
    go_version_key,
    min_go_version,
    parse_gomod,
    read_gomod,
)
from hatch_airflow_go.golang.gomodfix import check_and_fix, fix_gomod
from hatch_airflow_go.golang.toolchain import find_go

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
    found = re.search(r"go\.mod:(\d+)", result.stderr)
    assert found, result.stderr
    go_line = int(found.group(1))
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


def test_go_version_key_reads_the_whole_text() -> None:
    for text in ("1.24abc", "1.24.", "1.24 ", "1.24.1.2"):
        with pytest.raises(ValueError, match="not a Go version"):
            go_version_key(text)
    # The go.mod grammar allows any lower-case suffix with a number; it orders as the
    # version without it (go itself reads `tool` lines under `go 1.24foo1`).
    assert go_version_key("1.24foo1") == go_version_key("1.24")
    assert go_version_key("go1.25rc2") < go_version_key("1.25.0")


@pytest.mark.parametrize("text", ["1.24", "1.25.3", "1.26rc1", "1.30beta2", "2.0", "1.24.0rc1"])
def test_min_go_version_accepts_go_line_versions(text: str) -> None:
    assert min_go_version(text) == text


@pytest.mark.parametrize(
    "text", ["1.24abc", "latest", "", "1", "1.24foo1", "01.24", "1.024", "go1.24", "1.24 "]
)
def test_min_go_version_refuses_anything_else(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"is not a Go version like 1\.24"):
        min_go_version(text)


# --------------------------------------------------------------------------- check_gomod

GOOD_BUNDLE_MODULE = f"""module example.com/dags

go 1.24

require {SDK_MODULE} v0.1.0

tool {PACKER_TOOL}
"""


def test_clean_bundle_module_has_no_findings() -> None:
    assert check_gomod(parse_gomod(GOOD_BUNDLE_MODULE)) == []


def test_required_and_replaced_sdk_is_provided() -> None:
    text = GOOD_BUNDLE_MODULE + f"\nreplace {SDK_MODULE} => ../sdk\n"
    assert check_gomod(parse_gomod(text)) == []


REPLACED_ONLY = f"module m\n\ngo 1.24\n\nreplace {SDK_MODULE} => ../go-sdk\n\ntool {PACKER_TOOL}\n"


def test_replace_without_require_is_a_finding_fixable_offline() -> None:
    findings = check_gomod(parse_gomod(REPLACED_ONLY, path="dags/go.mod"))
    require = f"-require={SDK_MODULE}@{LOCAL_REPLACE_VERSION}"
    assert findings == [
        Finding(
            Path("dags/go.mod"),
            f"{SDK_MODULE} is replaced but not required: go ignores a replace for a module "
            "the go.mod does not require",
            f"go mod edit {require} go.mod",
            True,
            (require,),
        )
    ]


def test_versioned_replace_without_require_asks_for_that_version() -> None:
    text = REPLACED_ONLY.replace(f"{SDK_MODULE} =>", f"{SDK_MODULE} v0.3.1 =>")
    [finding] = check_gomod(parse_gomod(text))
    assert finding.edit == (f"-require={SDK_MODULE}@v0.3.1",)
    # A replace of every version wins over a versioned one: the placeholder version meets it.
    both = text + f"replace {SDK_MODULE} => ../other\n"
    [finding] = check_gomod(parse_gomod(both))
    assert finding.edit == (f"-require={SDK_MODULE}@{LOCAL_REPLACE_VERSION}",)


def go_env() -> dict[str, str]:
    """go run offline against local directories only (nothing may be downloaded)."""
    return {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "", "GOPROXY": "off",
            "GOWORK": "off"}  # fmt: skip


def test_fix_of_replace_without_require_makes_go_use_the_replacement(
    go: str, tmp_path: Path
) -> None:
    sdk = tmp_path / "go-sdk"
    (sdk / "cmd" / "airflow-go-pack").mkdir(parents=True)
    (sdk / "go.mod").write_text(f"module {SDK_MODULE}\n\ngo 1.24\n")
    (sdk / "cmd" / "airflow-go-pack" / "main.go").write_text(
        'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("local packer") }\n'
    )
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "go.mod").write_text(REPLACED_ONLY)
    env = go_env()

    def go_cmd(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([go, *args], cwd=dags, env=env, capture_output=True, text=True)

    # The finding is real: go does not know the module, and the packer does not run.
    assert "not a known dependency" in go_cmd("list", "-m", SDK_MODULE).stderr
    assert "replaced but not required" in go_cmd("tool", "airflow-go-pack").stderr

    mod = read_gomod(dags / "go.mod")
    assert fix_gomod(mod, check_gomod(mod), find_go(explicit=go)) == []
    edited = json.loads(go_cmd("mod", "edit", "-json").stdout)
    assert edited["Require"] == [{"Path": SDK_MODULE, "Version": LOCAL_REPLACE_VERSION}]
    listed = go_cmd("list", "-m", "-json", SDK_MODULE)
    assert listed.returncode == 0, listed.stderr
    assert Path(json.loads(listed.stdout)["Replace"]["Dir"]) == sdk
    ran = go_cmd("tool", "airflow-go-pack")
    assert (ran.returncode, ran.stdout) == (0, "local packer\n"), ran.stderr
    assert check_gomod(read_gomod(dags / "go.mod")) == []


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


# --------------------------------------------------------------------------- check_and_fix


def test_check_and_fix_reports_every_file_on_its_own(tmp_path: Path) -> None:
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "go.mod").write_text(GOOD_BUNDLE_MODULE)
    broken = tmp_path / "broken.mod"
    broken.write_text("module m\n\ngo 1.24\nrequire (\n")
    bare = tmp_path / "bare.mod"
    bare.write_text("module m\n\ngo 1.24\n")
    missing = tmp_path / "nowhere" / "go.mod"
    # A directory stands for its go.mod.
    results = check_and_fix([tmp_path / "clean", broken, missing, bare])
    assert [r.path for r in results] == [tmp_path / "clean" / "go.mod", broken, missing, bare]
    assert [r.clean for r in results] == [True, False, False, False]
    assert all(r.error is None for r in results)
    [syntax] = results[1].findings
    assert syntax.finding.problem.startswith("line 5: syntax error (unterminated block")
    assert not syntax.finding.fixable_offline
    [unreadable] = results[2].findings
    assert unreadable.finding.problem.startswith("cannot read the file")
    assert [(c.finding.fix, c.fixed, c.by_hand) for c in results[3].findings] == [
        (f"go mod edit -tool={PACKER_TOOL} bare.mod", False, None),
        (f"go get -tool {PACKER_TOOL}@latest", False, None),
    ]


def test_check_and_fix_asks_once_per_tool(tmp_path: Path) -> None:
    path = tmp_path / "go.mod"
    path.write_text("module m\n\ngo 1.24\n")
    [result] = check_and_fix([path], required_tools=(PACKER_TOOL, PACKER_TOOL))
    assert len(result.findings) == 2


def test_check_and_fix_repairs_offline_and_says_what_is_left(go: str, tmp_path: Path) -> None:
    replaced = tmp_path / "replaced" / "go.mod"
    replaced.parent.mkdir()
    replaced.write_text(f"module m\n\ngo 1.22\n\nreplace {SDK_MODULE} => ../go-sdk\n")
    bare = tmp_path / "bare" / "go.mod"
    bare.parent.mkdir()
    bare.write_text("module m\n\ngo 1.24\n")
    results = check_and_fix([replaced, bare], fix=True, go=go)
    assert [r.error for r in results] == [None, None]
    assert [(c.fixed, c.by_hand) for c in results[0].findings] == [(True, None)] * 3
    assert [(c.fixed, c.by_hand) for c in results[1].findings] == [
        (True, None),
        (False, f"(cd {bare.parent} && go get -tool {PACKER_TOOL}@latest)"),
    ]
    assert check_gomod(read_gomod(replaced)) == []
    fixed = read_gomod(replaced)
    assert (fixed.go, fixed.tools) == ("1.24", [PACKER_TOOL])
    assert fixed.require(SDK_MODULE) is not None


def test_check_and_fix_without_a_usable_go_keeps_going(tmp_path: Path) -> None:
    paths = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        paths.append(tmp_path / name / "go.mod")
        paths[-1].write_text("module m\n\ngo 1.22\n")
    clean = tmp_path / "clean.mod"
    clean.write_text(GOOD_BUNDLE_MODULE)
    results = check_and_fix([*paths, clean], fix=True, go=str(tmp_path / "no-such-go"))
    for result in results[:2]:
        assert result.error is not None
        assert "the go setting (--go) names" in result.error.problem
        assert len(result.findings) == 3
        assert not any(c.fixed or c.by_hand for c in result.findings)
        assert result.path.read_text() == "module m\n\ngo 1.22\n"
    # A clean file needs no Go, so the unusable setting does not touch it.
    assert results[2].clean
