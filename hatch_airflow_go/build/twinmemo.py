"""One host-side introspection per bundle across several targets' builds.

A cross build cannot run its binary, so the pipeline builds a host-arch twin of the same
package and flags only to ask it for its DAGs. Building one wheel per target in one run
(``hatch-airflow-go build-wheels``) would build that same twin once per target, and the
host target's own binary is that twin already. Inside :func:`shared_introspection` the
pipeline remembers each answer under :func:`twin_key` (what determines the host binary's
bytes) and reuses it; outside it nothing is remembered, so a single build is unchanged.

The memo lives for one run only: within it the Go sources are taken as fixed, as in any
single build (an edit made while a run is under way shows in the next run). Bundles of one
target build on several threads, so access is locked; the keys of two bundles differ.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Optional

from hatch_airflow_go.format.manifest import Manifest

_lock = threading.Lock()
# None: no shared run is active (remember() keeps nothing).
_answers: list[Optional[dict[str, Manifest]]] = [None]


def twin_key(
    *,
    go: Path,
    go_version: str,
    module_dir: Path,
    package: str,
    build_flags: Sequence[str],
    env: Mapping[str, str],
) -> str:
    """What decides a host binary's bytes, hence its answer: the Go, the package, the flags
    and the whole environment of its ``go build`` (GOOS/GOARCH, CGO_ENABLED, GOFLAGS...)."""
    material = {
        "go": [str(go), go_version],
        "module": str(module_dir),
        "package": package,
        "flags": list(build_flags),
        "env": sorted(env.items()),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def recall(key: str) -> Optional[Manifest]:
    """The answer a host binary with this key gave earlier in the active run, or None."""
    with _lock:
        answers = _answers[0]
        return None if answers is None else answers.get(key)


def remember(key: str, manifest: Manifest) -> None:
    """Keep a host binary's answer for the rest of the active run (no run: nothing kept)."""
    with _lock:
        answers = _answers[0]
        if answers is not None:
            answers[key] = manifest


@contextlib.contextmanager
def shared_introspection() -> Iterator[None]:
    """Share host-side answers between the builds inside the block (a nested block joins
    the outer one's run)."""
    with _lock:
        outer = _answers[0]
        _answers[0] = {} if outer is None else outer
    try:
        yield
    finally:
        with _lock:
            _answers[0] = outer
