"""Your own benchmark from a Python function (``hpobench.function_benchmark``): studies, costs, refusals.

The function trains scikit-learn's MLP on the digits data (``tests/sklearn_curves.py``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

import hpobench
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError
from hpobench.contracts.types import Trial
from hpobench.data import registry
from hpobench.execution.planning import plan_study
from hpobench.execution.study import run_study
from hpobench.testing import check_benchmark

sys.path.insert(0, str(Path(__file__).parent))

SPACE = {"learning_rate_init": (0.001, 0.03), "alpha": (0.0001, 0.01), "width": (8, 32)}


def test_function_benchmark_study_is_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn_curves import train_mlp

    bench = hpobench.function_benchmark(
        train_mlp,
        SPACE,
        objectives="valid_error",
        fidelity=("epoch", 1, 4),
        cost="seconds",
        reference=(0.0, 0.9),  # no error below 0; chance level of 10 classes
        data_dir=tmp_path,
    )
    assert bench.task.name == "function/train_mlp"
    (ev,) = bench.evaluate(
        [Trial(config={"learning_rate_init": 0.01, "alpha": 0.001, "width": 16}, fidelity=2)], seed=0
    )
    assert 0 <= ev.values["valid_error"] <= 1
    assert ev.cost == pytest.approx(0.02)
    assert "train_loss" in ev.extras
    check_benchmark(bench)
    specs = registry.expand_benchmarks(["function"], data_dir=tmp_path)
    plan = plan_study(
        benchmarks=specs, methods=["random_search"], seeds=[0, 1], budget=Budget.parse("3"), data_dir=tmp_path
    )
    tables = []
    for out in (tmp_path / "a", tmp_path / "b"):
        summary = run_study(plan, out=out, jobs=2, data_dir=tmp_path, progress=False)
        assert summary.still_failed == ()
        tables.append(sorted((p.name, p.read_bytes()) for p in (out / "runs").glob("*.parquet")))
    assert tables[0] == tables[1]
    record = json.loads(next((tmp_path / "a" / "runs").glob("*.json")).read_text())
    assert record["reference"] == {"best": 0.0, "worst": 0.9, "source": "given by the user"}
    distributed = pytest.importorskip("distributed")
    # a cluster's workers import the function too: its module must be on their path
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    with distributed.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None
    ) as c:
        out = tmp_path / "dask"
        summary = run_study(
            plan, out=out, backend="dask", scheduler=c.scheduler_address, data_dir=tmp_path, progress=False
        )
    assert summary.still_failed == ()
    assert sorted((p.name, p.read_bytes()) for p in (out / "runs").glob("*.parquet")) == tables[0]
    assert len(tables[0]) == 2


def test_function_benchmark_measures_wall_clock_without_a_cost_key() -> None:
    from sklearn_curves import train_mlp

    bench = hpobench.function_benchmark(
        train_mlp, SPACE, objectives={"valid_error": "minimize"}, fidelity=("epoch", 1, 4)
    )
    (ev,) = bench.evaluate(
        [Trial(config={"learning_rate_init": 0.01, "alpha": 0.001, "width": 16}, fidelity=1)], seed=0
    )
    assert ev.cost > 0
    assert ev.cost != pytest.approx(0.01)


def test_function_defined_in_main_or_a_lambda_is_refused_for_studies(tmp_path: Path) -> None:
    def local(config: dict, *, seed: int) -> dict[str, float]:
        return {"y": 0.0}

    with pytest.raises(HpobenchError, match="cannot reach the study's worker processes"):
        hpobench.function_benchmark(local, SPACE, objectives="y", data_dir=tmp_path)
    assert not (tmp_path / "tables").exists()  # nothing half-registered
    script = tmp_path / "script.py"
    script.write_text(
        "import hpobench\n"
        "def f(config, *, seed):\n    return {'y': 0.0}\n"
        f"hpobench.function_benchmark(f, {{'x': (0.0, 1.0)}}, objectives='y', data_dir={str(tmp_path)!r})\n"
    )
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert "not in __main__" in run.stderr or "__main__ or a notebook cell" in run.stderr
    # in-process use needs no import path
    assert hpobench.function_benchmark(local, SPACE, objectives="y").evaluate(
        [Trial(config={"learning_rate_init": 0.01, "alpha": 0.001, "width": 16})], seed=0
    )[0].values == {"y": 0.0}
