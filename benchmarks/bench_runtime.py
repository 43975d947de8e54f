"""Running a bundle's task: our supervisor against task-sdk's released one, side by side.

The example's `etl` bundle is packed once; then, alternating, best of N, in this process:
- the smoke test (`smoke_test`: StartupDetails for a task the bundle lacks, `removed` back);
- our supervisor running the real task `extract` (a variable lookup and an XCom push);
- task-sdk 1.3.2's `ExecutableCoordinator.execute_task` running the same task with an
  in-memory execution API (skipped, saying so, where task-sdk is not installed);
- the baseline: starting the bundle with `--airflow-metadata` (process start-up alone).

    .venv/bin/python benchmarks/bench_runtime.py [--rounds 7]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def best(action: Callable[[], object], rounds: int) -> float:
    action()  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    # Imported here, after the checkout is on sys.path, so the script runs from anywhere.
    from hatch_airflow_go.build.pipeline import BundleSpec, pack_bundle
    from hatch_airflow_go.runtime.execution_api import ExecutionState
    from hatch_airflow_go.runtime.smoke import smoke_test
    from hatch_airflow_go.runtime.startup import TaskTarget, startup_details
    from hatch_airflow_go.runtime.supervisor import supervise

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="bench-runtime-"))
    module = REPO / "examples" / "monorepo" / "go"
    bundle = pack_bundle(BundleSpec(package="./cmd/etl", module_dir=module, output_dir=out)).path
    target = TaskTarget(dag_id="acme_nightly_etl", task_id="extract")

    def ours() -> None:
        startup = startup_details(target, dag_rel_path="main.go", bundle_name=bundle.name)
        run = supervise(bundle, startup, state=ExecutionState())
        assert run.state == "success", run.problems

    def smoke() -> None:
        assert smoke_test(bundle).ok

    def baseline() -> None:
        subprocess.run([str(bundle), "--airflow-metadata"], check=True, capture_output=True)

    rows = [
        ("bundle start-up alone (--airflow-metadata)", best(baseline, args.rounds)),
        ("smoke test (ours)", best(smoke, args.rounds)),
        ("run task `extract` (our supervisor)", best(ours, args.rounds)),
    ]
    try:
        from hatch_airflow_go.runtime.released import run_released

        def released() -> None:
            run = run_released(bundle, target, ExecutionState(), logs_to_stdout=False)
            assert run.state == "success", run

        rows.append(("run task `extract` (task-sdk ExecutableCoordinator)", best(released, 3)))
    except Exception as error:  # task-sdk absent or broken: say so, measure the rest
        print(f"task-sdk's supervisor not measured: {error}")
    base = rows[0][1]
    for name, seconds in rows:
        print(f"{name:55s} {seconds * 1000:8.1f} ms  {seconds / base:5.1f}x start-up")
    if len(rows) == 4:
        print(f"our supervisor / released supervisor: {rows[2][1] / rows[3][1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
