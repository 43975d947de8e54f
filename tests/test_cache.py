"""The bundle build cache (hatch_airflow_go/build/cache.py) with real Go builds.

Privacy (a cache another user owns or may write is not used), the whole-file proof on a
hit, keys that do not depend on where the tree is, the size limit with LRU eviction, and
the ``hatch-airflow-go cache`` command. We run as root here, so another user's cache is
simulated with ``os.chown`` to uid 65534.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hatch_airflow_go import log
from hatch_airflow_go.build import cache
from hatch_airflow_go.build.config import Settings
from hatch_airflow_go.build.pipeline import pack_bundle, pack_bundles
from hatch_airflow_go.format import footer
from tests.conftest import run_cli
from tests.test_pipeline import STANDIN, age_tree, spec_for, write_module

NOBODY = 65534


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "mod")


@pytest.fixture
def messages() -> Iterator[list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    log.set_sink(lambda level, message: seen.append((level, message)))
    try:
        yield seen
    finally:
        log.set_sink(None)


def warnings_of(seen: list[tuple[str, str]]) -> list[str]:
    return [message for level, message in seen if level == "warning"]


def entries(root: Path) -> list[Path]:
    return sorted(path.parent for path in root.rglob("record.json"))


def chown_tree(root: Path, uid: int) -> None:
    for path in [root, *root.rglob("*")]:
        os.lchown(path, uid, uid)


# -- privacy ---------------------------------------------------------------------------------


def test_new_cache_folders_are_private(module: Path, tmp_path: Path) -> None:
    root = tmp_path / "home" / "cache"
    pack_bundle(spec_for(module, tmp_path / "out"), cache_dir=root)
    (entry,) = entries(root)
    for folder in (root, entry.parent, entry):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")
def test_cache_planted_by_another_user_is_not_used(
    module: Path, tmp_path: Path, messages: list[tuple[str, str]]
) -> None:
    root = tmp_path / "hatch-airflow-go-0"
    spec = spec_for(module, tmp_path / "out")
    first = pack_bundle(spec, cache_dir=root)
    chown_tree(root, NOBODY)  # as if another user had made the folder and its entry
    messages.clear()
    again = pack_bundle(spec, cache_dir=root)
    assert not again.cached
    assert again.binary_sha256 == first.binary_sha256
    (warning,) = warnings_of(messages)
    assert str(root) in warning
    assert f"owned by uid {NOBODY}" in warning
    assert "AIRFLOW_GO_CACHE_DIR" in warning


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")
def test_entry_owned_by_another_user_in_our_cache_is_a_miss(module: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    pack_bundle(spec, cache_dir=root)
    (entry,) = entries(root)
    chown_tree(entry, NOBODY)
    assert not pack_bundle(spec, cache_dir=root).cached


def test_group_writable_cache_is_not_used_and_the_warning_says_chmod(
    module: Path, tmp_path: Path, messages: list[tuple[str, str]]
) -> None:
    root = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    pack_bundle(spec, cache_dir=root)
    root.chmod(0o777)
    messages.clear()
    assert not pack_bundle(spec, cache_dir=root).cached
    (warning,) = warnings_of(messages)
    assert f"chmod 700 {root}" in warning
    assert "mode 0777" in warning


def test_an_unsafe_cache_is_warned_about_once_for_several_bundles(
    module: Path, tmp_path: Path, messages: list[tuple[str, str]]
) -> None:
    root = tmp_path / "cache"
    root.mkdir(mode=0o700)
    root.chmod(0o770)
    specs = [spec_for(module, tmp_path / "out", name=name) for name in ("one", "two")]
    built = pack_bundles(specs, cache_dir=root)
    assert [bundle.cached for bundle in built] == [False, False]
    assert len(warnings_of(messages)) == 1
    assert not entries(root)  # nothing stored in it either


# -- a hit proves the whole file ---------------------------------------------------------------


@pytest.mark.parametrize("region", ["source", "manifest"])
def test_a_flipped_byte_outside_the_binary_is_a_miss(
    module: Path, tmp_path: Path, region: str, messages: list[tuple[str, str]]
) -> None:
    root = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    first = pack_bundle(spec, cache_dir=root)
    (entry,) = entries(root)
    info = footer.read_bundle(entry / "bundle")
    offset = info.source_start if region == "source" else info.metadata_start + 10
    data = bytearray((entry / "bundle").read_bytes())
    data[offset] ^= 0x01
    (entry / "bundle").write_bytes(bytes(data))
    again = pack_bundle(spec, cache_dir=root)
    assert not again.cached
    assert again.path.read_bytes() == first.path.read_bytes()
    assert any("sha256 differs" in message for level, message in messages if level == "debug")
    # The miss rebuilt the entry: the next build hits again.
    assert pack_bundle(spec, cache_dir=root).cached


def test_an_edited_record_never_reports_fake_dag_ids(module: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    pack_bundle(spec, cache_dir=root)
    (entry,) = entries(root)
    record = json.loads((entry / "record.json").read_text())
    record["dag_ids"] = ["planted"]
    (entry / "record.json").write_text(json.dumps(record))
    again = pack_bundle(spec, cache_dir=root)
    assert not again.cached
    assert again.dag_ids == ("etl", "audit")


def test_an_entry_over_the_size_bound_is_refused_unread(
    module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    pack_bundle(spec, cache_dir=root)
    monkeypatch.setattr(cache, "MAX_ENTRY_BYTES", 1000)
    assert not pack_bundle(spec, cache_dir=root).cached


# -- keys independent of where the tree is -----------------------------------------------------


def project_with_inner_sdk(root: Path) -> Path:
    """A project whose Go module (go/) replaces the SDK with a copy inside the project
    (sdk/): a local module outside the Go module that moves with the tree."""
    shutil.copytree(STANDIN, root / "sdk")
    module = write_module(root / "go", standin=Path("../sdk"))
    age_tree(root)
    return module


@pytest.mark.parametrize("cgo", [False, True])
def test_the_same_project_at_two_locations_shares_one_entry_and_its_bytes(
    tmp_path: Path, cgo: bool
) -> None:
    if cgo and shutil.which("gcc") is None:
        pytest.skip("no C compiler (gcc) on PATH: a cgo build needs one")
    root = tmp_path / "cache"
    one = project_with_inner_sdk(tmp_path / "a" / "checkout")
    two = project_with_inner_sdk(tmp_path / "b" / "elsewhere" / "copy")

    def cache_dir(module: Path) -> Path:
        settings = Settings(module_dir=module, cache_root=str(root))
        found = settings.cache_dir()
        assert found is not None
        return found

    first = pack_bundle(spec_for(one, tmp_path / "out1", cgo=cgo), cache_dir=cache_dir(one))
    second = pack_bundle(spec_for(two, tmp_path / "out2", cgo=cgo), cache_dir=cache_dir(two))
    assert not first.cached
    assert second.cached
    assert len(entries(root)) == 1
    # -trimpath: the bundle built at the second location has exactly the cached bytes.
    fresh = pack_bundle(spec_for(two, tmp_path / "out3", cgo=cgo))
    assert fresh.path.read_bytes() == second.path.read_bytes() == first.path.read_bytes()


def test_without_trimpath_the_location_is_part_of_the_key(tmp_path: Path) -> None:
    root = tmp_path / "cache"
    one = write_module(tmp_path / "a")  # the SDK replaced from one folder outside both
    two = write_module(tmp_path / "b")
    flags = ("-buildvcs=false",)
    first = pack_bundle(spec_for(one, tmp_path / "o1", build_flags=flags), cache_dir=root)
    second = pack_bundle(spec_for(two, tmp_path / "o2", build_flags=flags), cache_dir=root)
    assert not second.cached  # the binary embeds its folder: the bytes differ
    assert first.binary_sha256 != second.binary_sha256


def test_the_stat_index_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "INDEX_LIMIT", 2)
    root = tmp_path / "cache"
    for number in range(4):
        module = write_module(tmp_path / f"m{number}")
        age_tree(module)
        pack_bundle(spec_for(module, tmp_path / f"o{number}"), cache_dir=root)
    assert len(list((root / "index").glob("*.json"))) == 2


# -- size limit, least recently used first -----------------------------------------------------


def test_store_evicts_the_least_recently_used_down_to_the_limit(
    module: Path, tmp_path: Path
) -> None:
    root = tmp_path / "cache"

    def build(name: str, limit: int) -> bool:
        spec = spec_for(module, tmp_path / "out", name=name)
        return pack_bundle(spec, cache_dir=root, cache_size=limit).cached

    build("a", 1 << 40)
    size = cache.total_size(cache.list_entries(root))
    limit = int(size * 2.5)  # room for two entries
    build("b", limit)
    for age, name in ((1_000_000, "a"), (1_000_100, "b")):  # a is the older of the two
        (key,) = records_named(root, name)
        os.utime(root / "entries" / key, (age, age))
    assert build("a", limit)  # a hit: a is now the most recently used
    build("c", limit)  # over the limit: b goes, not a
    assert sorted(bundle_names(root)) == ["a", "c"]


def records_named(root: Path, name: str) -> set[str]:
    return {entry.key for entry in cache.list_entries(root) if entry.bundle == name}


def bundle_names(root: Path) -> list[str]:
    return [entry.bundle for entry in cache.list_entries(root)]


def test_an_entry_this_run_uses_is_never_evicted(module: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    for name in ("old", "used"):
        pack_bundle(spec_for(module, tmp_path / "out", name=name), cache_dir=root)
    (used,) = records_named(root, "used")
    size = cache.total_size(cache.list_entries(root)) // 2
    run = cache.BundleCache.open(root, limit=int(size * 1.5))
    assert run is not None
    hit = run.fetch(used, tmp_path / "copy")
    assert hit is not None
    os.utime(root / "entries" / used, (1_000_000, 1_000_000))  # the oldest now
    fresh = pack_bundle(spec_for(module, tmp_path / "fresh", name="new"))
    run.store("f" * 64, fresh.path, {"bundle": "new", "dag_ids": [], "project": ""})
    assert sorted(bundle_names(root)) == ["new", "used"]  # "old" went, in-use "used" stayed


def test_cache_size_from_the_environment(
    module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    monkeypatch.setenv("AIRFLOW_GO_CACHE_SIZE", "1KiB")
    pack_bundle(spec_for(module, tmp_path / "out"), cache_dir=root)
    assert not entries(root)  # a bundle bigger than the whole limit is not kept


def test_a_reader_that_loses_the_race_to_an_eviction_just_misses(
    module: Path, tmp_path: Path
) -> None:
    root = tmp_path / "cache"
    spec = spec_for(module, tmp_path / "out")
    pack_bundle(spec, cache_dir=root)
    (entry,) = entries(root)
    run = cache.BundleCache.open(root)
    assert run is not None
    assert cache.prune(root, 0)  # another run evicts everything
    assert run.fetch(entry.name, tmp_path / "copy") is None
    assert not (tmp_path / "copy").exists()


# -- the cache command -------------------------------------------------------------------------


def test_cache_command_info_list_prune_and_clear(
    module: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    monkeypatch.setenv("AIRFLOW_GO_CACHE_DIR", str(root))
    for project, name in (("Acme_DAGs", "etl"), ("other", "etl"), ("other", "more")):
        spec = spec_for(
            module, tmp_path / project, name=name, project=cache.normalize_project(project)
        )
        pack_bundle(spec, cache_dir=root)
    info = run_cli("cache", "--json")
    assert info.returncode == 0, info.stderr
    report = json.loads(info.stdout)
    assert report["folder"] == str(root)
    assert report["entries"] == 3
    assert report["limit"] == 2 << 30
    assert report["size"] == cache.total_size(cache.list_entries(root))
    listed = run_cli("cache", "list", "--json")
    assert sorted((e["project"], e["bundle"]) for e in json.loads(listed.stdout)) == [
        ("acme-dags", "etl"),
        ("other", "etl"),
        ("other", "more"),
    ]
    cleared = run_cli("cache", "clear", "--project", "acme_dags")
    assert cleared.returncode == 0, cleared.stderr
    assert sorted(bundle_names(root)) == ["etl", "more"]
    pruned = run_cli("cache", "prune", "--max-size", "1")
    assert pruned.returncode == 0, pruned.stderr
    assert "removed 2 entries" in pruned.stdout
    assert not entries(root)


def test_cache_command_refuses_a_cache_that_is_not_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "cache"
    root.mkdir()
    root.chmod(0o777)
    monkeypatch.setenv("AIRFLOW_GO_CACHE_DIR", str(root))
    result = run_cli("cache", "clear")
    assert result.returncode == 1
    assert f"chmod 700 {root}" in result.stderr
    assert "Traceback" not in result.stderr


def test_cache_command_says_which_bad_size(tmp_path: Path) -> None:
    result = run_cli("cache", "prune", "--max-size", "lots")
    assert result.returncode == 2
    assert "'lots' is not a size" in result.stderr


def test_concurrent_stores_and_reads_of_one_key_never_serve_a_broken_entry(
    module: Path, tmp_path: Path
) -> None:
    import threading

    root = tmp_path / "cache"
    built = pack_bundle(spec_for(module, tmp_path / "out"))
    expected = built.path.read_bytes()
    key = "e" * 64
    record = {"bundle": "etl", "dag_ids": ["etl", "audit"], "project": "", "warnings": []}
    failures: list[str] = []

    def writer() -> None:
        run = cache.BundleCache.open(root)
        assert run is not None
        for _ in range(5):
            run.store(key, built.path, record)

    def reader(number: int) -> None:
        run = cache.BundleCache.open(root)
        assert run is not None
        for attempt in range(10):
            dest = tmp_path / f"read-{number}-{attempt}"
            hit = run.fetch(key, dest)
            if hit is not None and dest.read_bytes() != expected:
                failures.append(str(dest))

    threads = [threading.Thread(target=writer) for _ in range(3)]
    threads += [threading.Thread(target=reader, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [path.name for path in (root / "entries").iterdir()] == [key]  # no staging left
    run = cache.BundleCache.open(root)
    assert run is not None
    assert run.fetch(key, tmp_path / "final") is not None


def test_a_store_removes_the_old_per_module_folders(module: Path, tmp_path: Path) -> None:
    root = tmp_path / "cache"
    legacy = root / "projects" / "2b1504684bf8921a" / "7e"
    legacy.mkdir(parents=True)
    (legacy / "bundle").write_bytes(b"old")
    pack_bundle(spec_for(module, tmp_path / "out"), cache_dir=root)
    assert not (root / "projects").exists()
    assert len(entries(root)) == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another uid needs root")
def test_without_home_a_planted_tmp_cache_is_refused_by_pack(module: Path, tmp_path: Path) -> None:
    # The reported attack: no HOME, so the cache is $TMPDIR/hatch-airflow-go-<uid>, which
    # another user can create first. Go's own caches are pointed at the usual warm ones.
    go_env = subprocess.run(
        ["go", "env", "GOCACHE", "GOMODCACHE", "GOPATH"], capture_output=True, text=True, check=True
    ).stdout.split()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("HOME", "XDG_CACHE_HOME") and not key.startswith("AIRFLOW_GO_")
    }
    env.update(TMPDIR=str(tmp_path / "tmp"), GOCACHE=go_env[0], GOMODCACHE=go_env[1])
    env["GOPATH"] = go_env[2]
    (tmp_path / "tmp").mkdir()
    planted = tmp_path / "tmp" / f"hatch-airflow-go-{os.geteuid()}"
    argv = [sys.executable, "-m", "hatch_airflow_go", "pack", "./cmd/etl", "--json"]

    def pack(out: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*argv, "--output", str(tmp_path / out)],
            cwd=module, env=env, capture_output=True, text=True,
        )  # fmt: skip

    first = pack("one")
    assert first.returncode == 0, first.stderr
    assert entries(planted)  # the first run made (and used) the folder
    chown_tree(planted, NOBODY)
    second = pack("two")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["cached"] is False
    assert f"the bundle cache {planted} is not private" in second.stderr
    assert f"owned by uid {NOBODY}" in second.stderr


def _homeless_env(tmp_path: Path) -> dict[str, str]:
    """An environment without HOME, GOCACHE or GOPATH: go's caches fall back to our folder in
    TMPDIR, which another user could have created first."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("HOME", "XDG_CACHE_HOME", "GOCACHE", "GOPATH", "GOMODCACHE")
        and not key.startswith("AIRFLOW_GO_")
    }
    (tmp_path / "tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "tmp")
    return env


@pytest.mark.parametrize("how", ["another owner", "group-writable"])
def test_without_home_go_never_builds_with_a_fallback_cache_others_can_write(
    module: Path, tmp_path: Path, how: str
) -> None:
    if how == "another owner" and os.geteuid() != 0:
        pytest.skip("chown to another uid needs root")
    env = _homeless_env(tmp_path)
    planted = tmp_path / "tmp" / f"hatch-airflow-go-{os.geteuid()}"
    (planted / "go-build").mkdir(parents=True)
    if how == "another owner":
        chown_tree(planted, NOBODY)
        expected = f"owned by uid {NOBODY}"
    else:
        planted.chmod(0o777)
        expected = "group or others may write it (mode 0777)"
    result = subprocess.run(
        [sys.executable, "-m", "hatch_airflow_go", "pack", "./cmd/etl", "-o", str(tmp_path / "b")],
        cwd=module, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"default to {planted} here (HOME is not set)" in result.stderr
    assert expected in result.stderr
    assert "set HOME, or set GOCACHE and GOPATH to folders of your own" in result.stderr
    assert not (tmp_path / "b").exists()
    assert sorted(p.name for p in (planted / "go-build").iterdir()) == []  # go never ran in it


def test_without_home_the_go_fallback_cache_is_made_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from hatch_airflow_go.golang import toolchain

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    defaults = toolchain._cache_defaults({"PATH": os.environ["PATH"]})
    root = tmp_path / f"hatch-airflow-go-{os.geteuid()}"
    assert defaults == {"GOCACHE": str(root / "go-build"), "GOPATH": str(root / "gopath")}
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
