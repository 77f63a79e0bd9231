"""The simulator's fast paths answer exactly as the plain code paths they replace.

Candidate snapping with its memo, the runner's column-wise config JSON, the simulation's column
view and its garbage-collector pause (see ``benchmarks/bench_simulator.py`` for the speed).
"""

from __future__ import annotations

import gc
import json
import math
import pickle
import time
from types import MappingProxyType
from typing import Any

import numpy as np
import pytest

from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.types import Direction, Fidelity, Objective, Trial
from hpobench.execution.runner import _config_json, _configs_json
from hpobench.execution.simulator import Simulation
from hpobench.methods.asha import ASHA
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.testing.benchmarks import check_benchmark


def _bench(
    n: int = 60, seed: int = 0, cls: type[CandidateBenchmark] = CandidateBenchmark
) -> CandidateBenchmark:
    rng = np.random.default_rng(seed)
    candidates = {
        "lr": 10 ** rng.uniform(-5, -1, n),
        "momentum": rng.uniform(0.1, 0.99, n),
        "width": np.full(n, 3.0),
    }
    table = rng.uniform(0.1, 2.0, size=(n, 2, 4, 2))
    table[::7, :, 2:, 0] = np.nan  # some diverged runs
    steps = [1.0, 2.0, 3.0, 4.0]
    return cls(
        name="test/candidates",
        candidates=candidates,
        log=frozenset({"lr"}),
        table=table,
        metrics=("loss", "other"),
        objectives=(Objective(name="loss", direction=Direction.MINIMIZE),),
        fidelity=Fidelity(name="step", low=1, high=4, integer=True),
        fidelity_values=steps,
        cost=np.array(steps) * 10.0,
    )


def test_snapping_with_memo_equals_the_plain_nearest_search_in_every_path() -> None:
    bench = _bench()
    configs = bench.codec.sample(np.random.default_rng(1), 300)
    plain = bench._nearest(np.array([[c[n] for n in bench._names] for c in configs], dtype=float))
    one_by_one = [bench.config_index([c])[0] for c in configs]
    again = [bench.config_index([c])[0] for c in configs]  # now answered by the memo
    batch = bench.config_index(configs)
    assert one_by_one == again == batch.tolist() == plain.tolist()
    evaluations = [bench.evaluate([Trial(config=c, fidelity=4)], seed=0)[0] for c in configs]
    means = bench.reference_means()[:, 0]
    assert np.array_equal(bench.reference_values(configs)[:, 0], means[batch], equal_nan=True)
    looked_up = bench.lookup(batch, 0, 3)[:, 0]
    told = np.array([e.values["loss"] for e in evaluations])
    assert np.array_equal(told, np.where(np.isfinite(looked_up), looked_up, np.nan), equal_nan=True)
    # integers are valid floats: the validated slow path gives the same candidate
    row = {"lr": 0.01, "momentum": 0.5, "width": 3}
    assert bench.config_index([row])[0] == bench.config_index([{**row, "width": 3.0}])[0]


@pytest.mark.parametrize(
    "bad",
    [
        {"lr": 0.5, "momentum": 0.5, "width": 3.0},  # lr above the box
        {"lr": 1e-3, "momentum": math.nan, "width": 3.0},
        {"lr": 1e-3, "momentum": 0.5, "width": 3.5},  # not the constant
        {"lr": 1e-3, "momentum": True, "width": 3.0},
        {"lr": 1e-3, "momentum": "0.5", "width": 3.0},
        {"lr": 1e-3, "momentum": 0.5},
        {"lr": 1e-3, "momentum": 0.5, "width": 3.0, "extra": 1.0},
    ],
)
def test_invalid_configurations_raise_in_single_and_batch_lookups(bad: dict[str, object]) -> None:
    bench = _bench()
    good = bench.candidate_configs()[:12]
    with pytest.raises(InvalidConfigError):
        bench.config_index([bad])
    with pytest.raises(InvalidConfigError):
        bench.config_index([*good, bad])


def test_column_wise_config_json_equals_the_json_encoder() -> None:
    configs: list[dict[str, Any]] = [
        {"b": 1.5, "a": -0.0},
        {"b": 1.5, "a": 0.0},
        {"a": 0.1, "b": 2.0},
        {"a": 0.1, "b": 2.0},
        {"x{}": 1.0, 'y"': 2e-300},
        {"a": 1, "b": 2.0},
        {"a": math.nan, "b": 1.0},
        {"é": 3.0},
        {"c": "text", "d": None, "e": True},
        {"a": np.float64(0.25), "b": 1.5},
        {},
    ]
    expected = [json.dumps(dict(c), sort_keys=True, separators=(",", ":"), default=float) for c in configs]
    assert _configs_json(configs) == expected == [_config_json(c) for c in configs]


def _asha_run(
    bench: CandidateBenchmark, *, seconds: str, workers: int, seed: int, noise_seed: int
) -> Simulation:
    """A finished simulation of ASHA (eta 2) on ``bench``."""
    sim = Simulation(
        benchmark=bench,
        method=ASHA(bench.task, seed=seed, eta=2),
        budget=Budget.parse(seconds),
        workers=workers,
        noise_seed=noise_seed,
        max_evaluations=10_000,
    )
    sim.run()
    return sim


def test_columns_and_checkpoints_match_the_completed_values_and_gc_thresholds_come_back() -> None:
    bench = _bench()
    thresholds = gc.get_threshold()
    sim = _asha_run(bench, seconds="2000s", workers=4, seed=0, noise_seed=0)
    assert gc.get_threshold() == thresholds
    columns, done = sim.columns(), sim.completed
    assert len(done) == len(columns.trials) == sim.started > 20
    assert [c.trial for c in done] == columns.trials
    assert [c.evaluation for c in done] == columns.evaluations
    assert columns.start.tolist() == [c.start for c in done]
    assert columns.end.tolist() == [c.end for c in done]
    assert columns.worker.tolist() == [c.worker for c in done]
    resumed = [math.nan if c.resumed_fidelity is None else c.resumed_fidelity for c in done]
    assert np.array_equal(columns.resumed_fidelity, resumed, equal_nan=True)
    assert any(c.continued for c in done)
    saved = sim.checkpoints
    assert len(saved) == len(set(saved)) > 0
    last = {c.trial.checkpoint: c for c in done if c.trial.checkpoint and c.evaluation.status.value == "ok"}
    for name, completed in last.items():
        assert saved[name].config == completed.trial.config
        assert saved[name].fidelity == completed.fidelity


class _FailingReferences(CandidateBenchmark):
    """Raises on its second call of ``evaluated_reference_values`` (a broken plugin's stand-in)."""

    calls = 0

    def evaluated_reference_values(self, configs: Any) -> np.ndarray:
        type(self).calls += 1
        if type(self).calls == 2:
            raise RuntimeError("reference lookup broke")
        return super().evaluated_reference_values(configs)


def test_reference_values_asked_in_chunks_during_a_run_equal_one_call_at_the_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hpobench.execution.simulator._REFERENCE_CHUNK", 64)
    bench = _bench()
    sim = _asha_run(bench, seconds="4000s", workers=5, seed=1, noise_seed=2)
    n = sim.started
    assert n > 4 * 64
    assert len(sim._references) >= 4
    configs = [c.trial.config for c in sim.completed]
    once = _bench().evaluated_reference_values(configs)  # a fresh instance: no memo
    assert np.array_equal(sim.reference_values(), once, equal_nan=True)
    assert sim.reference_values().shape == (n, 1)
    # a benchmark that raises for a chunk is asked again at the end, for everything, and raises there
    failing = _bench(cls=_FailingReferences)
    # the chunk's error does not stop the run
    sim = _asha_run(failing, seconds="4000s", workers=5, seed=1, noise_seed=2)
    assert not sim._references
    assert np.array_equal(sim.reference_values(), once, equal_nan=True)  # third call: all at once
    assert _FailingReferences.calls == 3


class _SlowReferences(CandidateBenchmark):
    """Takes at least 20 ms for each call of ``evaluated_reference_values``."""

    def evaluated_reference_values(self, configs: Any) -> np.ndarray:
        time.sleep(0.02)
        return super().evaluated_reference_values(configs)


def test_reference_values_asked_for_during_the_loop_count_as_the_benchmarks_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hpobench.execution.simulator._REFERENCE_CHUNK", 64)
    bench = _bench(cls=_SlowReferences)
    sim = _asha_run(bench, seconds="4000s", workers=5, seed=1, noise_seed=2)
    chunks = len(sim._references)
    assert chunks >= 4
    assert sim.benchmark_seconds >= 0.02 * chunks
    assert sim.run_seconds >= sim.benchmark_seconds + sim.method_seconds


def test_shared_trials_equal_constructed_ones_and_asha_pickles_with_its_views() -> None:
    config = {"lr": 0.01, "momentum": 0.5, "width": 3.0}
    shared = Trial._shared(MappingProxyType(config), 2.0, "rung=1", "asha-0", "asha-0")
    made = Trial(config=config, fidelity=2.0, tag="rung=1", checkpoint="asha-0", resume_from="asha-0")
    assert shared == made
    assert repr(shared) == repr(made)
    assert pickle.loads(pickle.dumps(shared)) == made
    bench = _bench()
    method = ASHA(bench.task, seed=0, eta=2)
    asked = [method.ask() for _ in range(5)]
    assert all(type(t.config) is MappingProxyType for t in asked)
    clone = pickle.loads(pickle.dumps(method))
    assert [clone.ask() for _ in range(3)] == [method.ask() for _ in range(3)]


class _BatchDependentReferences(CandidateBenchmark):
    """Claims chunked references, but answers batches of fewer than 16 configurations otherwise."""

    def evaluated_reference_values(self, configs: Any) -> np.ndarray:
        return super().evaluated_reference_values(configs) + (1.0 if len(configs) < 16 else 0.0)


def test_the_compliance_check_holds_chunked_references_to_their_claim() -> None:
    check_benchmark(_bench())  # table lookups: chunks equal one call
    with pytest.raises(AssertionError, match="chunked_references is set"):
        check_benchmark(_bench(cls=_BatchDependentReferences))
