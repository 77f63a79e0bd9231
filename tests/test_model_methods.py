"""Behavioural tests of the model-based methods and their shared numeric encoding."""

from __future__ import annotations

import math
from typing import Any

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.method import Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Direction, Evaluation, Objective, Status, Task, Trial
from hpobench.data import registry
from hpobench.methods._brackets import hpbandster_brackets
from hpobench.methods._cqr import conformal_quantiles, kernel_quantiles, quantile_levels
from hpobench.methods._encoding import Encoding
from hpobench.methods.asha import ASHA
from hpobench.methods.bohb import BOHB
from hpobench.methods.cqr_bo import CQRBO
from hpobench.methods.cqr_bo_mf import CQRBOMF
from hpobench.methods.gp_bo import GPBO
from hpobench.methods.random_search import RandomSearch
from hpobench.methods.regularized_evolution import RegularizedEvolution
from hpobench.methods.tpe import TPE


def mixed_space() -> CS.ConfigurationSpace:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.UniformFloatHyperparameter("x", -2.0, 3.0),
            CS.UniformFloatHyperparameter("lr", 1e-5, 1e-1, log=True),
            CS.UniformIntegerHyperparameter("units", 1, 512, log=True),
            CS.UniformIntegerHyperparameter("layers", 1, 4),
            CS.OrdinalHyperparameter("batch", [8, 16, 32, 64]),
            CS.CategoricalHyperparameter("act", ["relu", "tanh", "elu"]),
            CS.Constant("const", "yes"),
        ]
    )
    return space


def task_of(space: CS.ConfigurationSpace, direction: Direction = Direction.MINIMIZE) -> Task:
    return Task(name="test/mixed", space=space, objectives=(Objective(name="loss", direction=direction),))


# --- encoding -------------------------------------------------------------------------------------


def test_encoding_round_trips_sampled_configurations() -> None:
    space = mixed_space()
    enc = Encoding(space)
    assert set(enc.numeric_names) == {"x", "lr", "units", "layers", "batch"}
    assert enc.categorical_names == ("act",)
    levels = dict(zip(enc.numeric_names, enc.n_levels.tolist(), strict=True))
    assert levels == {"x": 0, "lr": 0, "units": 512, "layers": 4, "batch": 4}
    configs = SpaceCodec(space).sample(np.random.default_rng(0), 200)
    xn, xc = enc.encode(configs)
    assert xn.min() >= 0.0
    assert xn.max() <= 1.0
    for before, after in zip(configs, enc.decode(xn, xc), strict=True):
        assert after.keys() == before.keys()
        for key, value in before.items():
            if isinstance(value, float):
                assert after[key] == pytest.approx(value, rel=1e-9)
            else:
                assert after[key] == value
                assert type(after[key]) is type(value)


def test_encoding_decodes_any_vector_to_a_valid_configuration_and_snaps_idempotently() -> None:
    space = mixed_space()
    enc, codec = Encoding(space), SpaceCodec(space)
    rng = np.random.default_rng(1)
    xn = rng.uniform(-0.5, 1.5, (300, enc.n_numeric))  # outside the cube too
    xc = rng.integers(-1, 5, (300, enc.n_categorical))
    for config in enc.decode(xn, xc):
        codec.validate(config)
    sn, sc = enc.snap(xn, xc)
    sn2, sc2 = enc.snap(sn, sc)
    np.testing.assert_allclose(sn, sn2)
    np.testing.assert_array_equal(sc, sc2)


def test_encoding_decodes_a_batch_as_its_rows_with_grid_cells_and_clipped_choices() -> None:
    space = mixed_space()
    enc = Encoding(space)
    rng = np.random.default_rng(2)
    xn = rng.uniform(-0.5, 1.5, (60, enc.n_numeric))
    xc = rng.integers(-2, 6, (60, enc.n_categorical))
    j = enc.numeric_names.index("batch")
    xn[:4, j] = [1.0, 0.25, -0.0, 0.7499999999999999]  # closed last cell, a cell edge, -0.0, below an edge
    batch = enc.decode(xn, xc)
    assert batch == [enc.decode(xn[i], xc[i])[0] for i in range(len(xn))]
    assert [list(config) for config in batch] == [["const", *enc.numeric_names, "act"]] * len(xn)
    unit = {name: np.clip(xn[:, k], 0.0, 1.0).tolist() for k, name in enumerate(enc.numeric_names)}
    for row, config in enumerate(batch):
        u = unit["batch"][row]
        assert config["batch"] == [8, 16, 32, 64][min(math.floor(u * 4), 3)]
        assert config["x"] == min(max(-2.0 + unit["x"][row] * 5.0, -2.0), 3.0)  # bit for bit
        assert config["layers"] == min(max(round(0.5 + unit["layers"][row] * 4.0), 1), 4)
        assert config["act"] == ["relu", "tanh", "elu"][min(max(int(xc[row, 0]), 0), 2)]
        assert type(config["batch"]) is int
    assert [config["batch"] for config in batch[:4]] == [64, 16, 8, 32]


def test_encoding_of_a_grid_space_hits_every_grid_value_and_one_hot_round_trips() -> None:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.OrdinalHyperparameter("lr", [0.0005, 0.001, 0.005]),
            CS.CategoricalHyperparameter("opt", ["adam", "sgd"]),
        ]
    )
    enc = Encoding(space)
    grid = [{"lr": lr, "opt": opt} for lr in (0.0005, 0.001, 0.005) for opt in ("adam", "sgd")]
    xn, xc = enc.encode(grid)
    np.testing.assert_allclose(sorted(set(xn[:, 0].tolist())), [1 / 6, 3 / 6, 5 / 6])
    assert enc.decode(xn, xc) == grid
    unit = enc.to_unit(xn, xc)
    assert unit.shape == (6, enc.onehot_dim) == (6, 3)
    back_n, back_c = enc.from_unit(unit)
    np.testing.assert_array_equal(back_c, xc)
    np.testing.assert_allclose(back_n, xn)


def test_encoding_refuses_conditional_spaces() -> None:
    space = CS.ConfigurationSpace()
    a = CS.CategoricalHyperparameter("a", ["x", "y"])
    b = CS.UniformFloatHyperparameter("b", 0.0, 1.0)
    space.add([a, b, CS.EqualsCondition(b, a, "x")])
    with pytest.raises(ValueError, match="conditional"):
        Encoding(space)


# --- optimisation quality (deterministic seeds; medians over 5 seeds) ----------------------------


def final_regret(method: Method, benchmark: Benchmark, n: int) -> float:
    best = math.inf
    for _ in range(n):
        trial = method.ask()
        assert trial is not None
        evaluation = benchmark.evaluate([trial], seed=0)[0]
        method.tell(evaluation)
        best = min(best, evaluation.values["value"])
    return best - benchmark.optimum().best["value"]


@pytest.mark.parametrize("task", ["synthetic/branin", "synthetic/hartmann3"])
@pytest.mark.parametrize(
    ("cls", "n"), [(TPE, 60), (GPBO, 25), (CQRBO, 50)], ids=lambda x: getattr(x, "__name__", str(x))
)
def test_model_methods_beat_random_search_at_equal_evaluations(cls: type[Method], n: int, task: str) -> None:
    benchmark = registry.load_benchmark(task)
    ours = [final_regret(cls(benchmark.task, seed=s), benchmark, n) for s in range(5)]
    rs = [final_regret(RandomSearch(benchmark.task, seed=s), benchmark, n) for s in range(5)]
    assert np.median(ours) < 0.5 * np.median(rs), (ours, rs)


@pytest.mark.parametrize("task", ["synthetic/branin", "synthetic/hartmann3"])
def test_regularized_evolution_beats_random_search_at_a_larger_budget(task: str) -> None:
    benchmark = registry.load_benchmark(task)
    kwargs: dict[str, Any] = {"population_size": 20, "sample_size": 5}
    ours = [
        final_regret(RegularizedEvolution(benchmark.task, seed=s, **kwargs), benchmark, 200) for s in range(5)
    ]
    rs = [final_regret(RandomSearch(benchmark.task, seed=s), benchmark, 200) for s in range(5)]
    assert np.median(ours) < np.median(rs), (ours, rs)


@pytest.mark.parametrize("cls", [TPE, GPBO, CQRBO, RegularizedEvolution])
def test_maximisation_is_minimisation_of_the_negated_value(cls: type[Method]) -> None:
    space = mixed_space()
    trajectories = []
    kwargs: dict[str, Any] = {"n_startup_trials": 5}
    if cls is RegularizedEvolution:
        kwargs = {"population_size": 5, "sample_size": 2}
    for direction in (Direction.MINIMIZE, Direction.MAXIMIZE):
        method = cls(task_of(space, direction), seed=3, **kwargs)
        steps = []
        for _ in range(15):
            trial = method.ask()
            loss = (trial.config["x"] - 1.0) ** 2 + math.log10(trial.config["lr"]) ** 2 / 10
            method.tell(Evaluation(trial=trial, values={"loss": direction.sign * loss}, cost=1.0))
            steps.append(dict(trial.config))
        trajectories.append(steps)
    assert trajectories[0] == trajectories[1]


def test_tpe_ranks_failures_behind_every_success() -> None:
    method = TPE(task_of(mixed_space()), seed=0, n_startup_trials=8, gamma=0.5)
    for i in range(8):
        trial = method.ask()
        if i % 2:
            method.tell(Evaluation(trial=trial, values={"loss": math.nan}, cost=1.0, status=Status.FAILED))
        else:
            method.tell(Evaluation(trial=trial, values={"loss": float(i)}, cost=1.0))
    below, above = method.split()
    assert sorted(below.tolist()) == [0, 2, 4, 6]
    assert sorted(above.tolist()) == [1, 3, 5, 7]
    assert method.ask().tag == "model"


# --- BOHB -----------------------------------------------------------------------------------------


def run_bracket_method(method: Method, benchmark: Benchmark, n: int) -> list[Trial]:
    trials = []
    for _ in range(n):
        trial = method.ask()
        assert trial is not None  # one worker: synchronous brackets never wait
        method.tell(benchmark.evaluate([trial], seed=0)[0])
        trials.append(trial)
    return trials


def test_bohb_uses_the_model_of_the_largest_fidelity_with_enough_observations() -> None:
    benchmark = registry.load_benchmark("synthetic/hartmann3")
    method = BOHB(benchmark.task, seed=0)
    assert method.model_fidelity is None
    first = method.brackets[0].rungs[0].n_configs  # 81 configurations at the lowest fidelity
    run_bracket_method(method, benchmark, first)
    assert method.model_fidelity == method.brackets[0].rungs[0].fidelity  # only rung 0 is observed
    assert method.n_model_configs == 0  # the first bracket was sampled before any result
    run_bracket_method(method, benchmark, 400)
    assert method.n_model_configs > 0
    assert method.model_fidelity is not None
    assert method.model_fidelity > method.brackets[0].rungs[0].fidelity


def test_bohb_with_random_fraction_one_keeps_hpbandsters_schedule_without_model_proposals() -> None:
    benchmark = registry.load_benchmark("synthetic/hartmann3")
    bohb = BOHB(benchmark.task, seed=0, random_fraction=1.0)
    fid = benchmark.task.fidelity
    assert fid is not None
    assert bohb.brackets == hpbandster_brackets(eta=3, r_min=fid.low, r_max=fid.high, integer=False)
    expected = [
        (r.fidelity, f"round=0,bracket={b.s},rung={i}")
        for b in bohb.brackets for i, r in enumerate(b.rungs) for _ in range(r.n_configs)
    ]  # fmt: skip
    ours = run_bracket_method(bohb, benchmark, len(expected))
    assert [(t.fidelity, t.tag) for t in ours] == expected
    assert bohb.n_model_configs == 0


# --- regularized evolution ------------------------------------------------------------------------


def tell(method: Method, trial: Trial, loss: float) -> None:
    method.tell(Evaluation(trial=trial, values={"loss": loss}, cost=1.0))


def test_regularized_evolution_mutates_one_hyperparameter_and_ages_out_the_oldest() -> None:
    method = RegularizedEvolution(task_of(mixed_space()), seed=0, population_size=4, sample_size=4)
    initial = [method.ask() for _ in range(4)]
    assert {t.tag for t in initial} == {"random"}
    for i, trial in enumerate(initial):
        tell(method, trial, loss=float(i))  # the oldest member is the best one
    assert [loss for _, loss in method.population] == [0.0, 1.0, 2.0, 3.0]
    child = method.ask()
    assert child.tag == "mutation"
    # with sample_size == population_size the parent is the best member: initial[0]
    parent = dict(initial[0].config)
    changed = [k for k in parent if parent[k] != child.config[k]]
    assert len(changed) == 1
    assert changed[0] != "const"
    tell(method, child, loss=10.0)
    # aging: the best member was the oldest and is gone, whatever its loss
    assert [loss for _, loss in method.population] == [1.0, 2.0, 3.0, 10.0]


def test_regularized_evolution_keeps_asking_random_configurations_while_all_are_in_flight() -> None:
    method = RegularizedEvolution(task_of(mixed_space()), seed=0, population_size=2, sample_size=1)
    trials = [method.ask() for _ in range(5)]
    assert [t.tag for t in trials] == ["random"] * 5
    tell(method, trials[0], 1.0)
    assert method.ask().tag == "mutation"


# --- CQR ------------------------------------------------------------------------------------------


def test_kernel_quantiles_are_monotone_and_revert_to_the_marginal_far_from_data() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((61, 2)) * 0.3  # data in a corner; 61 points keep levels off CDF steps
    y = x.sum(1) + 0.1 * rng.standard_normal(61)
    levels = quantile_levels(5)
    q = kernel_quantiles(
        x, y, np.array([[0.1, 0.1], [5.0, 5.0]]), levels, kernel_width=0.25, prior_weight=1.0
    )
    assert np.all(np.diff(q, axis=1) >= 0)
    np.testing.assert_allclose(q[1], np.quantile(y, levels, method="inverted_cdf"))
    corrected = conformal_quantiles(
        x, y, x[:5], levels, rng, calibration_fraction=0.3, kernel_width=0.25, prior_weight=1.0
    )
    assert corrected.shape == (5, 5)
    assert np.all(corrected[:, -1] >= corrected[:, 0])


def test_cqr_mf_promotes_asynchronously_and_fits_on_the_highest_rung_with_enough_data() -> None:
    benchmark = registry.load_benchmark("synthetic/hartmann3")
    method = CQRBOMF(benchmark.task, seed=0, min_points_in_model=5)
    assert method.fidelities[-1] == benchmark.task.fidelity.high  # type: ignore[union-attr]
    assert method.model_rung() is None
    trials = run_bracket_method(method, benchmark, 250)
    rungs = [int(t.tag.split("=")[1]) for t in trials]
    assert max(rungs) == len(method.fidelities) - 1  # something reached the maximal fidelity
    assert method.n_model_configs > 0
    assert method.model_rung() == max(k for k in range(len(method.fidelities)) if rungs.count(k) >= 5)


def test_cqr_mf_rungs_are_ashas_r_min_times_eta_powers() -> None:
    """Rung 0 is r_min and rung k is r_min * eta**k, as in ASHA (not Hyperband's rounding from the top)."""
    task = registry.load_benchmark("synthetic/hartmann3").task
    method = CQRBOMF(task, seed=0)
    assert method.fidelities == ASHA(task, seed=0).rung_fidelities == (1.0, 3.0, 9.0, 27.0, 100.0)


def test_gp_likelihood_builds_the_symmetric_inverse_from_its_lower_triangle_bit_for_bit() -> None:
    """``_Likelihood`` mirrors dpotri's lower triangle with ``inv + inv.T``; that is exact only
    while the upper triangle it gets is zero (numpy's cholesky zeroes it, dpotri leaves it)."""
    import scipy.linalg as sla

    from hpobench.methods import _gp

    rng = np.random.default_rng(11)
    for n, dim in ((3, 1), (40, 4), (120, 7)):
        x = rng.uniform(size=(n, dim))
        y = rng.normal(size=n)
        theta = _gp.default_theta(dim) + rng.normal(0.0, 0.3, dim + 2)
        ls, sv, noise = np.exp(theta[:dim]), math.exp(theta[dim]), math.exp(theta[dim + 1])
        base = _gp.matern52(x, x, ls, sv)
        chol = _gp._cholesky(base, noise)
        inv, info = sla.lapack.dpotri(chol, lower=1)
        assert info == 0
        assert not np.triu(chol, 1).any()
        assert not np.triu(inv, 1).any()
        # the gradient as written before (np.tril twice), from the same pieces
        alpha = sla.cho_solve((chol, True), y, check_finite=False)
        k_inv = np.tril(inv)
        k_inv += np.tril(inv, -1).T
        w = np.outer(alpha, alpha)
        w -= k_inv
        _, grad = _gp._Likelihood(x, y)(theta)
        assert grad[dim + 1] == -0.5 * noise * float(np.trace(w))
        assert grad[dim] == -0.5 * float((w * base).sum())
