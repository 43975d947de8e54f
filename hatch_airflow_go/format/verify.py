"""Bundle-level checks: the container (footer.py) and its manifest (manifest.py) together.

``verify_bundle`` answers "would Airflow's released reader use this file, and is anything
about it suspicious?" without ever raising for a bad file: every problem becomes a line in
the report. ``scan`` walks folders the way Airflow's executable coordinator does and says
what it would find there, and why it would skip what it skips.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hatch_airflow_go.errors import AirflowGoError, PathLike
from hatch_airflow_go.format import footer
from hatch_airflow_go.format.footer import BundleInfo
from hatch_airflow_go.format.manifest import (
    MAX_PROBLEMS,
    Manifest,
    id_warnings,
    parse_embedded,
    reader_problems,
    schema_problems,
)

FIX_MANIFEST = "repack with `hatch-airflow-go pack`, which writes a V1 manifest Airflow reads"
NOT_EXECUTABLE = "not executable: Airflow will not find it (fix: chmod +x the bundle)"

ALLOW_REJECTS_FLAG = "--allow-airflow-rejects"
"""The command-line flag (and, as ``allow-airflow-rejects``, the hook setting) that turns the
problems Airflow rejects (ids its server refuses, a missing executable bit) into warnings."""
DOWNGRADE_FLAG = f"pass {ALLOW_REJECTS_FLAG}"
DOWNGRADE_SETTING = "set allow-airflow-rejects = true in the airflow_go hook table"


def not_executable_error(downgrade: str = DOWNGRADE_FLAG) -> str:
    """The failure for a bundle without an x bit: Airflow's scanner skips such files."""
    return (
        "not executable: Airflow's scanner skips it (fix: chmod +x the bundle, and in git "
        f"`git update-index --chmod=+x <file>`; or {downgrade} to only warn)"
    )


def is_rejected_id(finding: str) -> bool:
    """Whether a finding is one of ``id_warnings``' lines (an id the server refuses)."""
    return finding.startswith(("dag id ", "task id "))


def rejected_id_error(finding: str, downgrade: str = DOWNGRADE_FLAG) -> str:
    """An ``id_warnings`` line worded as the failure it is: the id, the rule, the fix."""
    return (
        f"{finding}: Airflow's server refuses it (fix: rename it to letters, digits, '_', '.' "
        f"and '-', at most 250 characters, no '..'; or {downgrade} to only warn)"
    )


def describe(error: AirflowGoError) -> str:
    """An error's one-line text without its path (the caller prints the path once)."""
    text = error.problem
    if error.fix:
        text += f" (fix: {error.fix})"
    return text


def judge_findings(
    findings: Sequence[str],
    *,
    allow_airflow_rejects: bool,
    strict: bool,
    downgrade: str = DOWNGRADE_FLAG,
    strict_name: str = "--strict",
) -> tuple[list[str], list[str]]:
    """(errors, warnings) of a packer's warnings: ids the server refuses fail unless
    ``allow_airflow_rejects``, and with ``strict`` every remaining warning fails too."""
    errors: list[str] = []
    warnings: list[str] = []
    for finding in findings:
        if is_rejected_id(finding) and not allow_airflow_rejects:
            errors.append(rejected_id_error(finding, downgrade))
        elif strict:
            errors.append(f"{finding} (fails because of {strict_name}; fix: resolve it)")
        else:
            warnings.append(finding)
    return errors, warnings


def _short(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:60] + "...")


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


@dataclass
class VerifyReport:
    """Everything ``verify_bundle`` learnt about one file."""

    path: Path
    ok: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    shape: Optional[str] = None
    dags: dict[str, list[str]] = field(default_factory=dict)
    info: Optional[BundleInfo] = None
    manifest: Optional[Manifest] = None
    executable: Optional[bool] = None

    @property
    def sdk(self) -> Optional[str]:
        """``language/version`` of the SDK that built the bundle, when the manifest says."""
        if self.manifest is None:
            return None
        return f"{self.manifest.sdk.language}/{self.manifest.sdk.version}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the shape ``verify --json`` prints)."""
        return {
            "path": str(self.path),
            "ok": self.ok,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "shape": self.shape,
            "dags": {dag: list(tasks) for dag, tasks in self.dags.items()},
            "sdk": self.sdk,
            "executable": self.executable,
            "binary_sha256": self.info.binary_sha256_hex if self.info else None,
            "binary_size": self.info.binary_size if self.info else None,
        }


def _empty_task_lists(manifest: Manifest) -> list[str]:
    """DAGs whose ``tasks`` is an empty list (a wrong type is a schema problem instead)."""
    dags = manifest.raw.get("dags")
    if not isinstance(dags, dict):
        return []
    return [
        str(dag_id)
        for dag_id, entry in dags.items()
        if isinstance(entry, dict) and entry.get("tasks") == []
    ]


def _capped(items: list[str], what: str) -> list[str]:
    """At most MAX_PROBLEMS items, then one line that counts the rest."""
    if len(items) <= MAX_PROBLEMS:
        return items
    return [*items[:MAX_PROBLEMS], f"... and {len(items) - MAX_PROBLEMS} more {what} like these"]


def _manifest_findings(
    manifest: Manifest, *, allow_airflow_rejects: bool = False, downgrade: str = DOWNGRADE_FLAG
) -> tuple[list[str], list[str]]:
    """(errors, warnings) of an embedded manifest that parsed; each kind at most
    MAX_PROBLEMS lines (and one that counts the rest), however many ids are wrong.
    Ids the server refuses are errors unless ``allow_airflow_rejects``."""
    errors = [f"manifest: {problem} (fix: {FIX_MANIFEST})" for problem in schema_problems(manifest)]
    readers = [f"{problem} (fix: {FIX_MANIFEST})" for problem in reader_problems(manifest)]
    errors.extend(_capped(readers, "reader problems"))
    ids = id_warnings(manifest)
    if allow_airflow_rejects:
        # Worded exactly as the pipeline words them, so callers showing both can de-duplicate.
        warnings = _capped(ids, "id warnings")
    else:
        rejected = [rejected_id_error(finding, downgrade) for finding in ids]
        errors.extend(_capped(rejected, "ids Airflow's server refuses"))
        warnings = []
    empty = [f"dag {_short(dag_id)} has no tasks" for dag_id in _empty_task_lists(manifest)]
    warnings.extend(_capped(empty, "dags without tasks"))
    return errors, warnings


def verify_bundle(
    path: PathLike,
    *,
    strict: bool = False,
    allow_airflow_rejects: bool = False,
    downgrade: str = DOWNGRADE_FLAG,
) -> VerifyReport:
    """Check one file completely; never raises for a bad file.

    What Airflow rejects (ids its server refuses, a file without the x bit its scanner
    skips) is an error unless ``allow_airflow_rejects`` makes it a warning; ``downgrade``
    names the flag or setting that does so, for the fix text. ``strict`` turns every
    warning into a failure (``ok`` is then false).
    """
    report = VerifyReport(path=Path(path), ok=False)
    try:
        report.info = footer.read_bundle(report.path)
        source, manifest_bytes = footer.read_regions(report.info)
    except AirflowGoError as error:
        report.errors.append(describe(error))
        return report
    try:
        # The same test Airflow's walk applies (for root, any x bit counts).
        report.executable = os.access(report.path, os.X_OK)
    except OSError:
        report.executable = None
    if report.executable is False:
        if allow_airflow_rejects:
            report.warnings.append(NOT_EXECUTABLE)
        else:
            report.errors.append(not_executable_error(downgrade))
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as error:
        report.warnings.append(
            f"the source region is not UTF-8 (byte {error.start}): it should be the DAG's .go file"
        )
    try:
        manifest = parse_embedded(manifest_bytes, path=report.path)
    except AirflowGoError as error:
        report.errors.append(describe(error))
        return report
    report.manifest = manifest
    report.shape = manifest.shape
    report.dags = {dag: list(tasks) for dag, tasks in manifest.dags.items()}
    errors, warnings = _manifest_findings(
        manifest, allow_airflow_rejects=allow_airflow_rejects, downgrade=downgrade
    )
    report.errors.extend(errors)
    report.warnings.extend(warnings)
    report.errors = _unique(report.errors)
    report.warnings = _unique(report.warnings)
    report.ok = not report.errors and not (strict and report.warnings)
    return report


@dataclass
class ScanEntry:
    """One file with the bundle magic that a scan met: found, or rejected with reasons."""

    path: Path
    found: bool  # Airflow's coordinator would consider this bundle for its DAGs
    executable: bool
    dag_ids: list[str] = field(default_factory=list)
    sdk: Optional[str] = None
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "found": self.found,
            "executable": self.executable,
            "dag_ids": list(self.dag_ids),
            "sdk": self.sdk,
            "problems": list(self.problems),
            "warnings": list(self.warnings),
        }


@dataclass
class ScanReport:
    """What a scan of some folders found, the way Airflow's scanner would see them."""

    roots: list[Path]
    files_seen: int = 0
    bundles: list[ScanEntry] = field(default_factory=list)  # verified bundles (any x bit)
    rejected: list[ScanEntry] = field(default_factory=list)  # magic present, but unusable
    duplicates: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """No rejected file, no bundle Airflow would miss, no DAG in two bundles."""
        return (
            not self.rejected and all(entry.found for entry in self.bundles) and not self.duplicates
        )

    def duplicate_problems(self) -> list[str]:
        """One line per dag id that two or more bundles claim: the files, the id, the fix."""
        lines = []
        for dag_id, paths in self.duplicates.items():
            where = ", ".join(str(p) for p in paths)
            lines.append(
                f"{paths[0]}: dag {dag_id!r} is claimed by {len(paths)} bundles ({where}); "
                "Airflow runs whichever it walks first (fix: keep each dag id in one bundle: "
                "rename the dag, or uninstall the project that ships the other bundle)"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "roots": [str(root) for root in self.roots],
            "files_seen": self.files_seen,
            "ok": self.ok,
            "bundles": [entry.to_json() for entry in self.bundles],
            "rejected": [entry.to_json() for entry in self.rejected],
            "duplicate_dag_ids": {
                dag: [str(p) for p in paths] for dag, paths in self.duplicates.items()
            },
            "problems": self.duplicate_problems(),
        }


def _walk(roots: Sequence[Path]) -> Iterator[str]:
    """The path of every regular file under ``roots``, following links as Airflow does.

    Directories are remembered by (device, inode) so a symlink loop ends the descent
    instead of recursing forever. Paths stay strings here: a scan meets thousands of
    files and only the few bundles among them become ``Path`` objects.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str, Optional[os.stat_result]]] = [(str(r), None) for r in reversed(roots)]
    while stack:
        item, st = stack.pop()
        if st is None:
            try:
                st = os.stat(item)
            except OSError:
                continue
        if stat.S_ISDIR(st.st_mode):
            key = (st.st_dev, st.st_ino)
            if key in seen:
                continue
            seen.add(key)
            children: list[tuple[str, Optional[os.stat_result]]] = []
            try:
                with os.scandir(item) as entries:
                    for entry in entries:
                        try:
                            children.append((entry.path, entry.stat()))
                        except OSError:
                            continue  # a dangling link: nothing there to find
            except OSError:
                continue
            children.sort(key=lambda child: child[0])
            stack.extend(reversed(children))
        elif stat.S_ISREG(st.st_mode):
            yield item


def scan(dirs: Sequence[PathLike]) -> ScanReport:
    """Walk ``dirs`` recursively and report every file that carries the bundle magic.

    Files without the magic are counted and otherwise ignored, as Airflow ignores them.
    """
    roots = [Path(d) for d in dirs]
    for root in roots:
        try:
            os.stat(root)
        except FileNotFoundError:
            raise AirflowGoError(
                "no such directory",
                path=root,
                fix="pass the folder Airflow's executables_root names",
            ) from None
        except (OSError, ValueError) as error:
            problem = error.strerror if isinstance(error, OSError) else None
            raise AirflowGoError(
                f"cannot read the folder: {problem or error}",
                path=root,
                fix="pass the folder Airflow's executables_root names",
            ) from None
    report = ScanReport(roots=roots)
    owners: dict[str, list[Path]] = {}
    for name in _walk(roots):
        report.files_seen += 1
        if not footer.is_bundle(name):
            continue
        path = Path(name)
        executable = os.access(path, os.X_OK)
        # A scan reports the x bit itself (found/problems): verify only the contents here.
        checked = verify_bundle(path, allow_airflow_rejects=True)
        entry = ScanEntry(
            path=path,
            found=checked.ok and executable,
            executable=executable,
            dag_ids=list(checked.dags),
            sdk=checked.sdk,
            problems=list(checked.errors),
            warnings=[w for w in checked.warnings if w != NOT_EXECUTABLE],
        )
        if checked.ok:
            if not executable:
                entry.problems.append(NOT_EXECUTABLE)
            else:
                for dag_id in entry.dag_ids:
                    owners.setdefault(dag_id, []).append(path)
            report.bundles.append(entry)
        else:
            report.rejected.append(entry)
    report.duplicates = {dag: paths for dag, paths in owners.items() if len(paths) > 1}
    return report
