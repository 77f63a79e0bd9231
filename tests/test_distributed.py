"""Distributed study fan-out: a real local cluster gives byte-identical results to local processes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError
from hpobench.execution.planning import StudyPlan, plan_study
from hpobench.execution.store import RUNS_DIR
from hpobench.execution.study import Backend, run_study

TIMINGS = ("timing", "wall_seconds", "threads")  # entries that depend on the machine, not the run


def small_plan() -> StudyPlan:
    return plan_study(
        benchmarks=[BenchmarkSpec.parse("synthetic/hartmann3")],
        methods=["random_search", "asha", "pbt"],
        seeds=[0, 1],
        budget=Budget.parse("4x"),
        workers=3,
    )


def run_files(out: Path) -> dict[str, Any]:
    """Parquet bytes and provenance records (without wall-clock entries and the record's digest
    of itself, which covers them) of every run, and the bytes of the combined table."""
    files: dict[str, Any] = {}
    for path in sorted((out / RUNS_DIR).iterdir()):
        if path.suffix == ".parquet":
            files[path.name] = path.read_bytes()
        elif path.suffix == ".json":
            record = json.loads(path.read_text())
            files[path.name] = {k: v for k, v in record.items() if k not in TIMINGS}
            # the record's digest of itself covers the timings too
            files[path.name]["table"] = {k: v for k, v in record["table"].items() if k != "record"}
    files["combined"] = (out / "combined" / "evaluations.parquet").read_bytes()
    return files


@pytest.fixture(scope="module")
def local_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("local")
    summary = run_study(small_plan(), out=out, jobs=1, progress=False)
    assert summary.executed == 6
    assert not summary.failed
    return run_files(out)


def test_dask_cluster_gives_byte_identical_results(tmp_path: Path, local_results: dict[str, Any]) -> None:
    distributed = pytest.importorskip(
        "distributed", reason="needs the dask extra: pip install 'hpobench[dask]'"
    )
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        summary = run_study(
            small_plan(), out=tmp_path, backend="dask", scheduler=cluster.scheduler_address, progress=False
        )
        # the runs really ran in the cluster's worker processes, not here
        with distributed.Client(cluster.scheduler_address) as client:
            assert len(client.scheduler_info()["workers"]) == 2
            logs = client.run(lambda: __import__("sys").modules.get("hpobench.execution.runner") is not None)
        assert all(logs.values()), "every worker process imported the runner"
    assert summary.executed == 6
    assert not summary.failed
    remote = run_files(tmp_path)
    assert remote.keys() == local_results.keys()
    for name, content in local_results.items():
        assert remote[name] == content, f"{name} differs between the dask and the local backend"


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="Ray is not installed (extra: ray)")
def test_ray_gives_byte_identical_results(
    tmp_path: Path, local_results: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ray

    # Ray workers put the driver's working directory first on sys.path: from the repository root
    # that is the source folder hpobench/, which lacks the mapped plugin packages of the install
    monkeypatch.chdir(tmp_path)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = run_study(small_plan(), out=tmp_path, backend=Backend.RAY, jobs=2, progress=False)
    finally:
        ray.shutdown()
    assert summary.executed == 6
    assert not summary.failed
    assert run_files(tmp_path) == local_results


def test_backend_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cluster backend"):
        run_study(small_plan(), out=tmp_path, scheduler="tcp://127.0.0.1:1", progress=False)
    with pytest.raises(ValueError, match="spark"):
        run_study(small_plan(), out=tmp_path, backend="spark", progress=False)
    if importlib.util.find_spec("distributed") is not None:
        with pytest.raises(HpobenchError, match="Client"):
            run_study(small_plan(), out=tmp_path, backend="dask", progress=False)
