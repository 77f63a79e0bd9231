from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError, UnknownNameError
from hpobench.contracts.types import Evaluation, Reference, Status, Trial
from hpobench.surrogates.synthetic import FAMILY, FIDELITY, SyntheticBenchmark
from hpobench.testing.benchmarks import check_benchmark

MINIMISERS: dict[str, list[tuple[float, ...]]] = {
    "branin": [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)],
    "hartmann3": [(0.114614, 0.555649, 0.852547)],
    "hartmann6": [(0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)],
}
OPTIMA = {"branin": 0.397887357729738, "hartmann3": -3.86278214782076, "hartmann6": -3.32236801141551}
NAMES = sorted(MINIMISERS)


def _config(x: tuple[float, ...]) -> dict[str, float]:
    return {f"x{i}": v for i, v in enumerate(x)}


def _value(bench: SyntheticBenchmark, x: tuple[float, ...], fidelity: float | None = None) -> float:
    return bench.evaluate([Trial(config=_config(x), fidelity=fidelity)], seed=0)[0].values["value"]


@pytest.mark.parametrize("name", NAMES)
def test_optimum_attained_at_known_minimisers(name: str) -> None:
    bench = SyntheticBenchmark(name)
    best = bench.optimum().best["value"]
    assert best == pytest.approx(OPTIMA[name], abs=1e-14)
    for x in MINIMISERS[name]:
        # the published minimisers are rounded to ~6 digits, hence the tolerance
        assert _value(bench, x) == pytest.approx(best, abs=1e-9)
        assert _value(bench, x, FIDELITY.high) == _value(bench, x)
        assert bench.reference_values([_config(x)])[0, 0] >= best


def test_branin_optimum_is_exact() -> None:
    bench = SyntheticBenchmark("branin")
    assert _value(bench, (math.pi, 2.275)) == pytest.approx(5 / (4 * math.pi), rel=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_fidelity_bias_vanishes_only_at_max_fidelity(name: str) -> None:
    bench = SyntheticBenchmark(name)
    x = bench.codec.sample(np.random.default_rng(1), 32)
    high = np.array([e.values["value"] for e in bench.evaluate([Trial(config=c) for c in x], seed=0)])
    np.testing.assert_array_equal(high, bench.reference_values(x)[:, 0])
    for fidelity in (1.0, 50.0, 99.0):
        low = np.array(
            [
                e.values["value"]
                for e in bench.evaluate([Trial(config=c, fidelity=fidelity) for c in x], seed=0)
            ]
        )
        assert np.all(low != high), f"no bias at fidelity {fidelity}"
    # the bias shrinks towards the maximal fidelity
    opt = _config(MINIMISERS[name][0])
    gaps = [
        abs(_value(bench, tuple(opt.values()), f) - _value(bench, tuple(opt.values()))) for f in (1, 34, 67)
    ]
    assert gaps[0] > gaps[1] > gaps[2] > 0


@pytest.mark.parametrize("name", NAMES)
def test_cost_increases_with_fidelity(name: str) -> None:
    bench = SyntheticBenchmark(name)
    config = bench.codec.sample(np.random.default_rng(2), 1)[0]
    fidelities = [1.0, 2.5, 10.0, 50.0, 99.0, 100.0]
    costs = [e.cost for e in bench.evaluate([Trial(config=config, fidelity=f) for f in fidelities], seed=0)]
    assert all(c > 0 for c in costs)
    assert all(b > a for a, b in itertools.pairwise(costs))
    assert costs[0] == pytest.approx(0.05 * costs[-1])


@pytest.mark.parametrize("name", NAMES)
def test_check_benchmark_passes(name: str) -> None:
    check_benchmark(SyntheticBenchmark(name))
    check_benchmark(SyntheticBenchmark(name, noise_std=0.1), seed=3)


def test_noise_is_deterministic_and_seeded() -> None:
    bench = SyntheticBenchmark("hartmann3", noise_std=0.5)
    clean = SyntheticBenchmark("hartmann3")
    configs = bench.codec.sample(np.random.default_rng(0), 20)
    trials = [Trial(config=c, fidelity=f) for c, f in zip(configs, np.linspace(1, 100, 20), strict=True)]

    def values(b: SyntheticBenchmark, seed: int, ts: list[Trial]) -> np.ndarray:
        return np.array([e.values["value"] for e in b.evaluate(ts, seed=seed)])

    a, b = values(bench, 7, trials), values(bench, 7, trials)
    np.testing.assert_array_equal(a, b)
    singles = np.array([values(bench, 7, [t])[0] for t in trials])
    np.testing.assert_array_equal(a, singles)
    assert np.all(values(bench, 8, trials) != a)
    noise = a - values(clean, 7, trials)
    assert np.all(noise != 0)
    assert 0.1 < np.std(noise) < 1.5
    # equal values of different Python types give the same noise; fidelity None == max fidelity
    cfg = dict.fromkeys(configs[0], 0)  # ints
    assert values(bench, 1, [Trial(config=cfg)]) == values(
        bench, 1, [Trial(config=dict.fromkeys(cfg, 0.0), fidelity=100)]
    )
    # noise never reaches the reference values
    np.testing.assert_array_equal(bench.reference_values(configs), clean.reference_values(configs))
    # the noise-free benchmark ignores the seed
    np.testing.assert_array_equal(values(clean, 1, trials), values(clean, 2, trials))


def test_noise_is_stable_across_processes() -> None:
    # A golden value: SeedSequence over blake2b digests of the float bytes, never Python's hash().
    bench = SyntheticBenchmark("branin", noise_std=1.0)
    got = bench.evaluate([Trial(config={"x0": 1.0, "x1": 2.0}, fidelity=50.0)], seed=5)[0].values["value"]
    clean = SyntheticBenchmark("branin").evaluate(
        [Trial(config={"x0": 1.0, "x1": 2.0}, fidelity=50.0)], seed=5
    )
    assert got != clean[0].values["value"]
    assert got == pytest.approx(GOLDEN_NOISY_BRANIN, abs=1e-12)


GOLDEN_NOISY_BRANIN = 22.694242158923373  # same under every PYTHONHASHSEED


def test_family() -> None:
    infos = FAMILY.tasks()
    assert [i.name for i in infos] == ["synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6"]
    assert all(i.multi_fidelity and not i.needs_data for i in infos)
    assert all(i.tags == frozenset({"synthetic", "multi-fidelity"}) for i in infos)
    bench = FAMILY.load("hartmann6", data_dir=None)
    assert bench.task.name == "synthetic/hartmann6"
    assert bench.task.fidelity == FIDELITY
    with pytest.raises(UnknownNameError, match="synthetic/nope"):
        FAMILY.load("nope", data_dir=None)


def test_worst_is_the_median_over_a_sobol_sample() -> None:
    ref = SyntheticBenchmark("branin").optimum()
    grid = np.stack(np.meshgrid(np.linspace(-5, 10, 301), np.linspace(0, 15, 301)), -1).reshape(-1, 2)
    x0, x1 = grid[:, 0], grid[:, 1]
    branin = (
        (x1 - 5.1 / (4 * np.pi**2) * x0**2 + 5 / np.pi * x0 - 6) ** 2
        + 10 * (1 - 1 / (8 * np.pi)) * np.cos(x0)
        + 10
    )
    # the Sobol median agrees with the median over a dense grid of the domain (max is about 308)
    assert ref.worst["value"] == pytest.approx(np.median(branin), rel=0.05)
    assert "median" in ref.source
    assert "Sobol" in ref.source
    assert SyntheticBenchmark("branin").optimum().worst == ref.worst


def test_invalid_inputs() -> None:
    bench = SyntheticBenchmark("branin")
    with pytest.raises(InvalidConfigError):
        bench.evaluate([Trial(config={"x0": 11.0, "x1": 0.0})], seed=0)
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config={"x0": 1.0, "x1": 0.0}, fidelity=0.5)], seed=0)
    with pytest.raises(ValueError, match="noise_std"):
        SyntheticBenchmark("branin", noise_std=-1.0)


def test_status_is_ok() -> None:
    bench = SyntheticBenchmark("hartmann6")
    configs = bench.codec.sample(np.random.default_rng(0), 8)
    assert all(e.status is Status.OK for e in bench.evaluate([Trial(config=c) for c in configs], seed=0))


class _BatchDependent(SyntheticBenchmark):
    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        out = super().evaluate(trials, seed=seed)
        return [replace(e, cost=e.cost + len(trials)) for e in out]


class _CopiesTrial(SyntheticBenchmark):
    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        return [replace(e, trial=replace(e.trial)) for e in super().evaluate(trials, seed=seed)]


class _NoValidation(SyntheticBenchmark):
    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        return [Evaluation(trial=t, values={"value": 0.0}, cost=1.0) for t in trials]


class _OptimisticOptimum(SyntheticBenchmark):
    def optimum(self) -> Reference:
        return Reference(best={"value": 1e9}, worst={"value": 2e9}, source="wrong")


@pytest.mark.parametrize(
    ("cls", "match"),
    [
        (_BatchDependent, "concatenation of single-trial batches"),
        (_CopiesTrial, "very trial object"),
        (_NoValidation, "must raise InvalidConfigError"),
        (_OptimisticOptimum, "beat optimum"),
    ],
)
def test_check_benchmark_catches_violations(cls: type[SyntheticBenchmark], match: str) -> None:
    with pytest.raises(AssertionError, match=match):
        check_benchmark(cls("branin"))
