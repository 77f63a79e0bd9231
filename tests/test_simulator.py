from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hpobench.benchmark import BenchmarkSpec
from hpobench.budget import Budget
from hpobench.runner import RunSpec, execute_run

HARTMANN3 = BenchmarkSpec(family="synthetic", task="hartmann3")


def run(method: str, workers: int, budget: str = "200", seed: int = 0) -> pd.DataFrame:
    spec = RunSpec(
        benchmark=HARTMANN3, method=method, seed=seed, budget=Budget.parse(budget), workers=workers
    )
    outcome = execute_run(spec)
    assert not outcome.failed, outcome.provenance.get("error")
    return outcome.frame


def max_overlap(frame: pd.DataFrame) -> int:
    events = sorted(
        [(s, 1) for s in frame["start"]] + [(e, -1) for e in frame["time"]], key=lambda t: (t[0], t[1])
    )
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    return peak


@pytest.mark.parametrize("method", ["random_search", "hyperband"])
@pytest.mark.parametrize("workers", [1, 4])
def test_workers_never_run_more_than_n_trials_at_once(method: str, workers: int) -> None:
    frame = run(method, workers)
    np.testing.assert_allclose(frame["time"], frame["start"] + frame["cost"])
    assert frame["time"].is_monotonic_increasing  # rows in completion order
    assert max_overlap(frame) <= workers
    assert set(frame["worker"]) <= set(range(workers))
    for _, per_worker in frame.groupby("worker"):
        ordered = per_worker.sort_values("start")
        assert (ordered["start"].to_numpy()[1:] >= ordered["time"].to_numpy()[:-1] - 1e-9).all()


def test_asynchronous_method_keeps_all_workers_busy() -> None:
    frame = run("random_search", 8)
    assert max_overlap(frame) == 8
    one = run("random_search", 1)
    # the same trials (same seeds) finish about 8 times sooner in simulated time
    assert sorted(frame["config"]) == sorted(one["config"])
    assert one["time"].max() / frame["time"].max() > 6


def test_synchronous_method_waits_at_rung_barriers() -> None:
    frame = run("hyperband", 4, budget="10x")
    # a rung's promotions start only after every trial of the rung has finished
    for tag, rung in frame.groupby("tag"):
        parts = dict(p.split("=") for p in str(tag).split(","))
        if int(parts["rung"]) == 0:
            continue
        previous = ",".join(f"{k}={int(v) - 1 if k == 'rung' else v}" for k, v in parts.items())
        before = frame[frame["tag"] == previous]
        assert rung["start"].min() >= before["time"].max() - 1e-9


def test_simulation_is_deterministic_and_single_worker_is_sequential() -> None:
    a, b = run("hyperband", 3), run("hyperband", 3)
    assert a.equals(b)
    one = run("hyperband", 1)
    np.testing.assert_allclose(one["start"].to_numpy()[1:], one["time"].to_numpy()[:-1])


def test_time_budget_stops_starting_and_drains_in_flight_trials() -> None:
    frame = run("random_search", 4, budget="3600s")
    started_late = frame["start"] >= 3600
    assert not started_late.any()
    assert frame["time"].max() >= 3600
