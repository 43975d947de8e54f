"""The one exception family of hatch-airflow-go.

Every error a user can meet is an :class:`AirflowGoError`. Its text names the file it is
about, the problem, and the fix where one is known, in the one-line form that pre-commit
users know: ``path: problem (fix: ...)``. Long tool output (what ``go build`` printed, a
bundle's stderr) goes in ``detail`` and is printed below that line.
"""

from __future__ import annotations

import os
from typing import Optional, Union

PathLike = Union[str, "os.PathLike[str]"]

# Paths longer than this are shown as their head, "...", their tail and their length: a
# 100 KB command-line argument must not become a 100 KB message.
SHOWN_PATH_CHARS = 300
_HEAD, _TAIL = 160, 100


def shorten(path: str) -> str:
    """``path`` as it is, or its two ends and its length when it is longer than ~300."""
    if len(path) <= SHOWN_PATH_CHARS:
        return path
    return f"{path[:_HEAD]}...{path[-_TAIL:]} ({len(path):,} characters)"


class AirflowGoError(Exception):
    """Base class: something the user must act on."""

    exit_code = 1

    def __init__(
        self,
        problem: str,
        *,
        path: Optional[PathLike] = None,
        fix: Optional[str] = None,
        detail: Optional[str] = None,
    ) -> None:
        self.problem = problem
        self.path = os.fspath(path) if path is not None else None
        self.fix = fix
        self.detail = detail
        super().__init__(self.summary())

    def summary(self) -> str:
        """The one-line form: ``path: problem (fix: ...)``."""
        text = self.problem if self.path is None else f"{shorten(self.path)}: {self.problem}"
        if self.fix:
            text += f" (fix: {self.fix})"
        return text

    def __str__(self) -> str:
        if self.detail:
            return f"{self.summary()}\n{self.detail.rstrip()}"
        return self.summary()


class UsageError(AirflowGoError):
    """The command line itself is wrong (exit code 2, like argparse)."""

    exit_code = 2


class BundleError(AirflowGoError):
    """A file is not a valid bundle (bad trailer, hash mismatch, bad regions)."""


class NotABundleError(BundleError):
    """A file carries no bundle trailer at all."""


class ManifestError(AirflowGoError):
    """A manifest cannot be parsed, validated or rendered."""


class PackError(AirflowGoError):
    """Packing refused or failed (bad output path, zero dags, oversized region)."""


class ConfigError(AirflowGoError):
    """The hatch hook or a pre-commit hook is configured wrongly."""


class ToolchainError(AirflowGoError):
    """No usable Go toolchain, or a go command failed."""


class GoModError(AirflowGoError):
    """A go.mod file is unreadable or breaks the rules for bundle modules."""


class BuildError(AirflowGoError):
    """``go build`` or ``go list`` failed for a bundle."""


class IntrospectionError(AirflowGoError):
    """A built binary could not describe its DAGs."""


class SmokeTestError(AirflowGoError):
    """A bundle failed the coordinator-protocol smoke test."""
