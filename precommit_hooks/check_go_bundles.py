"""Pre-commit hook ``check-go-bundles``: the bundles configured in pyproject.toml still pack.

The hook reads the same ``airflow_go`` settings as the hatch build hook, builds, introspects
and packs every configured bundle into a temporary directory outside the repository, and
verifies each result. Ids Airflow's server refuses fail the hook unless the table sets
``allow-airflow-rejects = true``; ``strict = true`` (or ``--strict``) fails on every warning.
Nothing is written into the repository: build outputs go to the
temporary directory, and the pipeline's cache (which makes an unchanged repository cost a
fraction of a second) lives in the user's cache directory.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from hatch_airflow_go import log
from hatch_airflow_go.build import pipeline
from hatch_airflow_go.build.config import load_settings
from hatch_airflow_go.errors import ConfigError
from hatch_airflow_go.format.verify import DOWNGRADE_SETTING, is_rejected_id, verify_bundle
from precommit_hooks._common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    argv_list,
    guarded,
    print_finding,
)

DEFAULT_PYPROJECT = "pyproject.toml"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="check-go-bundles",
        description=(
            "Build, introspect, pack and verify the Airflow Go bundles configured in "
            "pyproject.toml, in a temporary directory; nothing is written to the repository."
        ),
    )
    # pre-commit passes no file names (pass_filenames: false); accept them anyway so a
    # user's `pass_filenames: true` does not turn into a usage error.
    parser.add_argument("filenames", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument(
        "--pyproject",
        default=DEFAULT_PYPROJECT,
        metavar="PATH",
        help=f"the project whose bundles are checked (default ./{DEFAULT_PYPROJECT})",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail on warnings too, e.g. dags without tasks (as `strict = true` does; ids "
        "Airflow rejects fail anyway unless `allow-airflow-rejects = true`)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="rebuild every bundle instead of reusing the build cache",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="echo every go command")
    return parser


def _where(spec_package: str, module_dir: Path) -> str:
    """A repository-relative name for a bundle's package, for finding lines."""
    target = module_dir / spec_package
    try:
        return os.path.relpath(target)
    except ValueError:  # another drive on Windows
        return str(target)


def _check(args: argparse.Namespace) -> int:
    pyproject = Path(args.pyproject)
    if not pyproject.is_file():
        raise ConfigError(
            "no such file: check-go-bundles reads its bundles from it",
            path=pyproject,
            fix="run the hook from the project root or pass --pyproject PATH in the hook's args",
        )
    settings = load_settings(pyproject, os.environ)
    if settings.skip:
        log.info(f"{pyproject}: bundle building is switched off (skip = true); nothing checked")
        return EXIT_CLEAN
    root = pyproject.resolve().parent
    cache_dir = None if args.no_cache else settings.cache_dir()
    status = EXIT_CLEAN
    with tempfile.TemporaryDirectory(prefix="check-go-bundles-") as out:
        specs = settings.bundle_specs(root, Path(out))
        built = pipeline.pack_bundles(specs, cache_dir=cache_dir, cache_size=settings.cache_size)
        strict = args.strict or settings.strict
        allow = settings.allow_airflow_rejects
        for spec, bundle in zip(specs, built):
            where = _where(spec.package, spec.module_dir)
            report = verify_bundle(
                bundle.path,
                strict=strict,
                allow_airflow_rejects=allow,
                downgrade=DOWNGRADE_SETTING,
            )
            # The pipeline and verify both apply the id rules: say each thing once (unless
            # allowed, verify already reported the refused ids as errors).
            findings = [w for w in bundle.warnings if allow or not is_rejected_id(w)]
            warnings = list(dict.fromkeys([*findings, *report.warnings]))
            for problem in report.errors:
                print_finding(where, f"bundle {bundle.name!r}: {problem}")
            for warning in warnings:
                print_finding(where, f"bundle {bundle.name!r}: warning: {warning}")
            if not report.ok or (strict and warnings):
                status = EXIT_FINDINGS
            else:
                log.info(f"{where}: {bundle.summary()}")
    return status


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv_list(argv))
    if args.verbose:
        log.set_verbose(True)
    return guarded(lambda: _check(args))


if __name__ == "__main__":
    raise SystemExit(main())
