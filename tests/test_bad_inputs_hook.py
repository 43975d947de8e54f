"""The bad-input catalogue through the real build hook: ``python -m build --wheel``.

Each case takes a copy of the ``single`` fixture project, spoils one thing (a hook setting,
the go.mod, a symlink) and builds it as a user would. The build must fail with exit status
non-zero, exactly one ``[airflow_go] error:`` line that names the setting or file and says
how to fix it, no traceback, no wheel, and nothing of ours left in the build's TMPDIR (the
hook's work folder, go's scratch folders).

The hook takes no manifest file (it always asks the built binary), so the manifest cases of
the catalogue (bad YAML, billion laughs, ``!!set`` roots) are the CLI's and the readers', in
``tests/test_hostile_manifest.py`` and ``tests/test_hostile_cli.py``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile_inputs import make_fifo
from tests.plugin_support import build, build_env, copy_project

HOOK_TABLE = "[tool.hatch.build.targets.wheel.hooks.airflow_go]\n"
BUNDLE_LINE = 'package = "./cmd/hello"\n'
ERROR_MARK = "[airflow_go] error:"


@dataclass(frozen=True)
class Case:
    """One spoiled project: hook options and bundle keys (TOML lines), and what else to do."""

    id: str
    says: tuple[str, ...]  # fragments the one error line must hold
    options: str = ""
    bundle: str = ""
    arrange: Callable[[Path], object] = lambda project: None


def _replace_go_mod(make: Callable[[Path], object]) -> Callable[[Path], None]:
    def arrange(project: Path) -> None:
        (project / "go.mod").unlink()
        make(project / "go.mod")

    return arrange


def _symlink_source_to_passwd(project: Path) -> None:
    (project / "cmd" / "hello" / "dags.go").symlink_to("/etc/passwd")


CASES = [
    Case(
        "install-dir-windows-drive",
        ("option `install-dir` must be a relative path inside the wheel, not 'C:/x'", "(fix: "),
        options='install-dir = "C:/x"\n',
    ),
    Case(
        "install-dir-nul",
        ("option `install-dir`", "a control character (NUL, newline, tab)"),
        options='install-dir = "pkg/a\\u0000b"\n',
    ),
    Case(
        "name-newline",
        ("name` must be a plain file name, not 'a\\nb'", "a control character"),
        bundle='name = "a\\nb"\n',
    ),
    Case(
        "name-nul",
        ("name` must be a plain file name, not 'a\\x00b'", "a control character"),
        bundle='name = "a\\u0000b"\n',
    ),
    Case(
        "source-outside-the-project",
        ("source` names '../../../../etc/passwd'", "/etc/passwd", "would embed that file"),
        bundle='source = "../../../../etc/passwd"\n',
    ),
    Case(
        "source-symlink-out-of-the-project",
        ("source` names 'cmd/hello/dags.go', which resolves to /etc/passwd", "(fix: "),
        bundle='source = "cmd/hello/dags.go"\n',
        arrange=_symlink_source_to_passwd,
    ),
    Case(
        "source-is-a-fifo",
        ("dags.go: bundle ./cmd/hello: the source file is not a regular file (a FIFO", "(fix: "),
        bundle='source = "cmd/hello/dags.go"\n',
        arrange=lambda project: make_fifo(project / "cmd" / "hello" / "dags.go"),
    ),
    Case(
        "fifo-go-file-in-the-package",
        (
            "extra.go: bundle ./cmd/hello: is a FIFO, socket or device, which go would block",
            "(fix: ",
        ),
        arrange=lambda project: make_fifo(project / "cmd" / "hello" / "extra.go"),
    ),
    Case(
        "package-outside-the-module",
        ("package` names '../x'", "outside the Go module", "(fix: "),
        bundle='package = "../x"\n',
    ),
    Case(
        "module-dir-outside-without-opt-in",
        ("option `module-dir` names '..'", "outside the project root", "allow-outside-project"),
        options='module-dir = ".."\n',
    ),
    Case(
        "go-mod-is-a-directory",
        ("go.mod: is a directory, not a go.mod file", "(fix: "),
        arrange=_replace_go_mod(lambda path: path.mkdir()),
    ),
    Case(
        "go-mod-is-a-fifo",
        ("go.mod: not a regular file", "(fix: "),
        arrange=_replace_go_mod(make_fifo),
    ),
    Case(
        "go-mod-is-dev-zero",
        ("go.mod: not a regular file", "(fix: "),
        arrange=_replace_go_mod(lambda path: path.symlink_to("/dev/zero")),
    ),
]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture project, copied once (its SDK replace made absolute)."""
    return copy_project("single", tmp_path_factory.mktemp("template") / "single")


def spoil(template: Path, dest: Path, case: Case) -> Path:
    project = Path(shutil.copytree(template, dest))
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    assert HOOK_TABLE in text
    assert BUNDLE_LINE in text
    bundle = case.bundle if case.bundle.startswith("package") else BUNDLE_LINE + case.bundle
    text = text.replace(BUNDLE_LINE, bundle).replace(HOOK_TABLE, HOOK_TABLE + case.options)
    pyproject.write_text(text, encoding="utf-8")
    case.arrange(project)
    return project


def ours(tmpdir: Path) -> list[str]:
    return sorted(
        name for name in os.listdir(tmpdir) if name.startswith(("hatch-airflow-go-", "go-build"))
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hook_build_fails_with_one_message(tmp_path: Path, template: Path, case: Case) -> None:
    project = spoil(template, tmp_path / "project", case)
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = build_env({"TMPDIR": str(tmpdir), "AIRFLOW_GO_CACHE_DIR": str(tmp_path / "cache")})
    result = build(project, outdir=tmp_path / "dist", env=env)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if ERROR_MARK in line]
    assert len(errors) == 1, output
    for fragment in case.says:
        assert fragment in errors[0], errors[0]
    assert list((tmp_path / "dist").glob("*.whl")) == []
    assert ours(tmpdir) == [], output


def test_unreadable_go_mod(tmp_path: Path, template: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode (go-mod-is-a-directory stands in)")
    case = Case("unreadable", ("go.mod", "Permission denied"))
    project = spoil(template, tmp_path / "project", case)
    (project / "go.mod").chmod(0)
    result = build(project, outdir=tmp_path / "dist")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    errors = [line for line in output.splitlines() if ERROR_MARK in line]
    assert len(errors) == 1, output
    assert "Permission denied" in errors[0]
