"""ifBO (FT-PFN, random horizon and threshold): compliance, continuation, weights, acquisition."""

from __future__ import annotations

import numpy as np
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import IncompatibleError
from hpobench.data import registry
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.testing import check_method

pytest.importorskip("torch")

from hpobench.methods.ifbo import IfBO, horizon_threshold

SMALL = {"checkpoint": "random", "n_candidates": 16}


def test_ifbo_passes_the_compliance_suite_with_random_weights() -> None:
    benchmark = registry.load_benchmark("synthetic/hartmann3")
    check_method(IfBO, benchmark.task, benchmark=benchmark, n_steps=30, kwargs=SMALL)


def test_ifbo_is_registered_and_refuses_a_task_without_fidelity() -> None:
    from test_freeze_thaw import task

    assert registry.load_method("ifbo") is IfBO
    with pytest.raises(IncompatibleError, match="fidelity"):
        IfBO(task(continuation=False, fidelity=False), seed=0, checkpoint="random")


def test_ifbo_names_missing_weights() -> None:
    from test_freeze_thaw import task

    with pytest.raises(FileNotFoundError, match="no-such-file"):
        IfBO(task(continuation=True), seed=0, checkpoint="/nonexistent/no-such-file.pt")


def test_ifbo_run_continues_checkpoints_and_is_deterministic() -> None:
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse("synthetic/hartmann3"),
        method="ifbo",
        seed=0,
        budget=Budget.parse("40"),
        workers=4,
        method_kwargs=SMALL,
    )
    outcome = execute_run(spec)
    assert not outcome.failed, outcome.provenance.get("error")
    frame = outcome.frame
    assert frame["continued"].any()
    assert (frame["continued"] == ~frame["tag"].str.endswith("step=0")).all()
    assert frame.equals(execute_run(spec).frame)
    assert "random weights" in " ".join(outcome.provenance["method_report"]["warnings"])


def test_horizon_and_threshold_follow_the_paper() -> None:
    rng = np.random.default_rng(0)
    draws = [horizon_threshold(rng, n_steps=50, best=0.8) for _ in range(2000)]
    horizons = np.array([h for h, _ in draws])
    thresholds = np.array([t for _, t in draws])
    assert horizons.min() == 1
    assert horizons.max() == 50
    gaps = np.log10((thresholds - 0.8) / 0.2)
    assert gaps.min() >= -4
    assert gaps.max() <= -1
    assert abs(gaps.mean() + 2.5) < 0.1
