"""benchmarks/ftpfn_quality.py: real curves become FT-PFN contexts; scores are computed as documented."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

from hpobench.methods._curve_prediction import CurvePrediction
from hpobench.methods._ftpfn import FTPFN

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "ftpfn_quality.py"


def _script() -> object:
    spec = importlib.util.spec_from_file_location("ftpfn_quality", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["ftpfn_quality"] = module
    spec.loader.exec_module(module)
    return module


class _Oracle(FTPFN):
    """Predicts a point mass at a known value for every query (to check the scoring)."""

    def __init__(self, value: float) -> None:
        super().__init__(net=FTPFN.random(seed=0).net, source="oracle")
        self.value = value

    def predict(self, **kw: np.ndarray) -> CurvePrediction:  # type: ignore[override]
        probs = np.zeros((len(kw["ids_test"]), 1000))
        probs[:, min(int(self.value * 1000), 999)] = 1.0
        return CurvePrediction(probs=probs, borders=np.linspace(0, 1, 1001))


def test_tasks_and_scores(data_dir: Path, tmp_path: Path) -> None:
    q = _script()
    tasks = [*q.taskset_tasks(data_dir, 1), *q.own_tasks("lcbench_own", 1), *q.own_tasks("fcnet_own", 1)]
    assert [t[0].split("/")[0] for t in tasks] == ["taskset", "lcbench_own", "fcnet_own"]
    for _, hps, ys in tasks:
        assert hps.shape[0] == ys.shape[0] > 100
        assert 1 <= hps.shape[1] <= 10
        assert hps.min() >= 0.0
        assert hps.max() <= 1.0
        assert ys.min() >= 0.0
        assert ys.max() <= 1.0
    # constant curves: the last value is exact; a point mass on the bucket of the constant is off < 1e-3
    name, hps, _ = tasks[1]
    flat = (name, hps, np.full((len(hps), 10), 0.4005))
    r = q.evaluate(_Oracle(0.4005), flat, fraction=0.3, curves=5, reps=2, seed=0)
    assert r["mae_last"] == 0.0
    assert r["mae"] < 1e-3
    assert r["ll"] == pytest.approx(np.log(1000.0))
    assert r["n_context"] == 15

    out = tmp_path / "q.json"
    args = ["--random", "0", "--data-dir", str(data_dir), "--tasks-per-family", "1", "--fractions", "0.5"]
    assert q.main([*args, "--reps", "1", "--curves", "3", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["weights"] == "random weights (seed 0; tests only)"
    assert len(report["results"]) == 3
    assert all(np.isfinite(r["ll"]) for r in report["results"])
