"""Evaluation protocols from the literature, as reusable functions.

* :func:`held_out_seeds` — *separate tuning and test seeds* (Eimer, Lindauer & Raileanu,
  "Hyperparameters in Reinforcement Learning and How To Tune Them", ICML 2023): the method tunes
  on a set of benchmark seeds (repeated training runs of a table, noise realisations of a
  function) and its incumbent is re-evaluated on test seeds it never saw. The gap between the
  tuning score and the test score is the optimism of reporting the tuning score.
* :func:`transfer` — *tune on one task, evaluate on another* (Mundt et al., "Hyperparameters in
  continual learning: a reality check", 2023): the incumbent found on a source task is evaluated
  on a target task with the same search space, next to the method's own result on the target.

Both return frozen records; :func:`held_out_seeds_frame` and :func:`transfer_frame` fan many of
them out with joblib and return one row per run.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from hpobench.contracts.benchmark import Benchmark, BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import IncompatibleError, InvalidConfigError
from hpobench.contracts.types import Config, Reference, Status, Trial
from hpobench.data.registry import load_benchmark, load_method
from hpobench.evaluation.seed_split import SeedSplitBenchmark
from hpobench.execution.runner import MAX_EVALUATIONS, execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.simulator import Simulation

__all__ = [
    "HeldOutSeedsResult",
    "TransferResult",
    "held_out_seeds",
    "held_out_seeds_frame",
    "transfer",
    "transfer_frame",
]


def _normalised(value: float, reference: Reference, objective: str, sign: float) -> float:
    best, worst = reference.best[objective], reference.worst[objective]
    scale = sign * (worst - best)
    return sign * (value - best) / scale if scale > 0 else math.nan


def _incumbent(configs: Sequence[Config], losses: np.ndarray) -> int:
    """Index of the best (lowest loss) finite entry; earliest on ties."""
    finite = np.where(np.isfinite(losses), losses, np.inf)
    if not len(configs) or not np.isfinite(finite).any():
        raise IncompatibleError("the run produced no successful evaluation, so it has no incumbent")
    return int(np.argmin(finite))


@dataclass(frozen=True, kw_only=True)
class HeldOutSeedsResult:
    """One run of the held-out-seeds protocol (values of the task's primary objective).

    Attributes:
        benchmark: Task name.
        method: Method name.
        seed: Run seed.
        tuning_seeds: Benchmark seeds the method saw.
        test_seeds: Benchmark seeds of the re-evaluation.
        incumbent: The configuration the method would report.
        tuning_value: The incumbent's observed value during tuning (the optimistic score).
        test_values: Its value at the maximal fidelity on each test seed.
        test_value: Mean of ``test_values`` (the honest score).
        tuning_regret: ``tuning_value`` as normalised regret.
        test_regret: ``test_value`` as normalised regret.
        evaluations: Evaluations of the run.
    """

    benchmark: str
    method: str
    seed: int
    tuning_seeds: tuple[int, ...]
    test_seeds: tuple[int, ...]
    incumbent: Config
    tuning_value: float
    test_values: tuple[float, ...]
    test_value: float
    tuning_regret: float
    test_regret: float
    evaluations: int

    @property
    def optimism(self) -> float:
        """``test_regret - tuning_regret``: how much the tuning score flatters the incumbent."""
        return self.test_regret - self.tuning_regret


def _benchmark(spec: BenchmarkSpec | str, data_dir: str | os.PathLike[str] | None) -> tuple[str, Benchmark]:
    name = spec if isinstance(spec, str) else spec.name
    return name, load_benchmark(name, data_dir=data_dir)


def held_out_seeds(
    *,
    benchmark: BenchmarkSpec | str,
    method: str,
    seed: int,
    budget: Budget,
    tuning_seeds: Sequence[int],
    test_seeds: Sequence[int],
    method_kwargs: Mapping[str, Any] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> HeldOutSeedsResult:
    """Tune on ``tuning_seeds`` of the benchmark, then re-evaluate the incumbent on ``test_seeds``.

    The method runs as in a study (same derived method and noise seeds, simulated time), but
    against a :class:`SeedSplitBenchmark` restricted to ``tuning_seeds``. Its incumbent is the
    evaluation with the best observed value (at any fidelity), as in regret computation.

    Args:
        benchmark: Task (``family/task`` or spec).
        method: Registered method name.
        seed: Run seed.
        budget: Tuning budget.
        tuning_seeds: Benchmark seeds of tuning.
        test_seeds: Benchmark seeds of the re-evaluation; disjoint from ``tuning_seeds``.
        method_kwargs: Keyword arguments of the method.
        data_dir: Benchmark data directory.

    Raises:
        ValueError: Overlapping or empty seed sets.
        IncompatibleError: The method cannot run on the task, or found nothing.
    """
    tuning, test = tuple(tuning_seeds), tuple(test_seeds)
    if not tuning or not test:
        raise ValueError("tuning_seeds and test_seeds must both be non-empty")
    overlap = sorted(set(tuning) & set(test))
    if overlap:
        raise ValueError(f"tuning and test seeds must be disjoint; both hold {overlap}")
    name, inner = _benchmark(benchmark, data_dir)
    view = SeedSplitBenchmark(inner, seeds=tuning)
    cls = load_method(method)
    reason = cls.capabilities.incompatibility(inner.task)
    if reason is not None:
        raise IncompatibleError(f"{method} cannot run on {name}: {reason}")
    spec = RunSpec(benchmark=BenchmarkSpec.parse(name), method=method, seed=seed, budget=budget)
    sim = Simulation(
        benchmark=view,
        method=cls(inner.task, seed=spec.method_seed, **dict(method_kwargs or {})),
        budget=budget,
        workers=1,
        noise_seed=spec.noise_seed,
        max_evaluations=MAX_EVALUATIONS,
    )
    sim.run()
    objective = inner.task.objective
    sign = objective.direction.sign
    done = [c for c in sim.completed if c.evaluation.status is Status.OK]
    losses = np.array([sign * c.evaluation.values[objective.name] for c in done], dtype=float)
    best = done[_incumbent([c.trial.config for c in done], losses)]
    config = dict(best.trial.config)
    test_values = tuple(
        float(inner.evaluate([Trial(config=config)], seed=s)[0].values[objective.name]) for s in test
    )
    tuning_value = float(best.evaluation.values[objective.name])
    test_value = float(np.mean(test_values))
    reference = inner.optimum()
    return HeldOutSeedsResult(
        benchmark=name,
        method=method,
        seed=seed,
        tuning_seeds=tuning,
        test_seeds=test,
        incumbent=config,
        tuning_value=tuning_value,
        test_values=test_values,
        test_value=test_value,
        tuning_regret=_normalised(tuning_value, reference, objective.name, sign),
        test_regret=_normalised(test_value, reference, objective.name, sign),
        evaluations=len(sim.completed),
    )


@dataclass(frozen=True, kw_only=True)
class TransferResult:
    """One run of the transfer protocol (normalised regrets at the maximal fidelity, noise-free).

    Attributes:
        source: Task the method tuned on.
        target: Task the incumbent is evaluated on.
        method: Method name.
        seed: Run seed.
        incumbent: The configuration found on ``source``.
        source_regret: Its normalised regret on ``source``.
        transfer_regret: Its normalised regret on ``target``.
        in_task_regret: Normalised regret of the same method tuned on ``target`` itself (same
            seed and budget): what transfer is measured against.
    """

    source: str
    target: str
    method: str
    seed: int
    incumbent: Config
    source_regret: float
    transfer_regret: float
    in_task_regret: float

    @property
    def transfer_gap(self) -> float:
        """``transfer_regret - in_task_regret`` (positive: tuning on the target itself was better)."""
        return self.transfer_regret - self.in_task_regret


def _run_incumbent(
    name: str,
    method: str,
    seed: int,
    budget: Budget,
    kwargs: Mapping[str, Any],
    data_dir: str | os.PathLike[str] | None,
) -> tuple[Config, Benchmark]:
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse(name), method=method, seed=seed, budget=budget, method_kwargs=kwargs
    )
    outcome = execute_run(spec, data_dir=None if data_dir is None else Path(data_dir))
    if outcome.failed:
        raise IncompatibleError(f"the run of {method} on {name} failed: {outcome.provenance.get('error')}")
    frame = outcome.frame
    ok = frame["status"] == "ok"
    sign = -1.0 if outcome.provenance["task"]["direction"] == "maximize" else 1.0
    losses = np.where(ok, sign * frame["value"].to_numpy(dtype=float), np.nan)
    configs = [json.loads(c) for c in frame["config"]]
    return configs[_incumbent(configs, losses)], load_benchmark(name, data_dir=data_dir)


def _regret_of(benchmark: Benchmark, config: Config) -> float:
    objective = benchmark.task.objective
    value = float(benchmark.reference_values([config])[0, 0])
    return _normalised(value, benchmark.optimum(), objective.name, objective.direction.sign)


def transfer(
    *,
    source: BenchmarkSpec | str,
    target: BenchmarkSpec | str,
    method: str,
    seed: int,
    budget: Budget,
    method_kwargs: Mapping[str, Any] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> TransferResult:
    """Tune ``method`` on ``source``, evaluate its incumbent on ``target``, and tune on ``target``.

    Args:
        source: Task to tune on.
        target: Task to evaluate on; its space must accept the source's configurations.
        method: Registered method name.
        seed: Run seed (the same for both runs).
        budget: Budget of both runs.
        method_kwargs: Keyword arguments of the method.
        data_dir: Benchmark data directory.

    Raises:
        ValueError: The source incumbent is not a configuration of the target's space.
        IncompatibleError: A run failed or found nothing.
    """
    src = source if isinstance(source, str) else source.name
    tgt = target if isinstance(target, str) else target.name
    kwargs = dict(method_kwargs or {})
    config, src_bench = _run_incumbent(src, method, seed, budget, kwargs, data_dir)
    own, tgt_bench = _run_incumbent(tgt, method, seed, budget, kwargs, data_dir)
    try:
        transfer_regret = _regret_of(tgt_bench, config)
    except InvalidConfigError as exc:
        raise ValueError(f"{src} and {tgt} have different search spaces: {exc}") from exc
    return TransferResult(
        source=src,
        target=tgt,
        method=method,
        seed=seed,
        incumbent=config,
        source_regret=_regret_of(src_bench, config),
        transfer_regret=transfer_regret,
        in_task_regret=_regret_of(tgt_bench, own),
    )


def _parallel(calls: list[Any], jobs: int) -> list[Any]:
    if jobs == 1 or len(calls) <= 1:
        return [f(*a, **k) for f, a, k in calls]
    return list(Parallel(n_jobs=jobs)(calls))


def _frame(results: Sequence[Any], columns: Sequence[str]) -> pd.DataFrame:
    """One row per result with the attributes ``columns`` (results hold more than a frame shows)."""
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in results])


def held_out_seeds_frame(
    *,
    benchmarks: Sequence[str],
    methods: Sequence[str],
    seeds: Sequence[int],
    budget: Budget,
    tuning_seeds: Sequence[int],
    test_seeds: Sequence[int],
    data_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
) -> pd.DataFrame:
    """:func:`held_out_seeds` for every task x method x seed (joblib), one row per run.

    Columns: benchmark, method, seed, tuning_regret, test_regret, optimism, evaluations.
    """
    calls = [
        delayed(held_out_seeds)(
            benchmark=b,
            method=m,
            seed=s,
            budget=budget,
            tuning_seeds=tuning_seeds,
            test_seeds=test_seeds,
            data_dir=data_dir,
        )
        for b in benchmarks
        for m in methods
        for s in seeds
    ]
    columns = ("benchmark", "method", "seed", "tuning_regret", "test_regret", "optimism", "evaluations")
    return _frame(_parallel(calls, jobs), columns)


def transfer_frame(
    *,
    pairs: Sequence[tuple[str, str]],
    methods: Sequence[str],
    seeds: Sequence[int],
    budget: Budget,
    data_dir: str | os.PathLike[str] | None = None,
    jobs: int = 1,
) -> pd.DataFrame:
    """:func:`transfer` for every (source, target) pair x method x seed, one row per run.

    Columns: source, target, method, seed, source_regret, transfer_regret, in_task_regret,
    transfer_gap.
    """
    calls = [
        delayed(transfer)(source=a, target=b, method=m, seed=s, budget=budget, data_dir=data_dir)
        for a, b in pairs
        for m in methods
        for s in seeds
    ]
    columns = (
        "source",
        "target",
        "method",
        "seed",
        "source_regret",
        "transfer_regret",
        "in_task_regret",
        "transfer_gap",
    )
    return _frame(_parallel(calls, jobs), columns)
