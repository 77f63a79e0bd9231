"""ASHA, DEHB, IDHB, the one-epoch top-K baseline, the Optuna/dehb adapters and the candidate check."""

from __future__ import annotations

import importlib.util
import math
import pickle
from collections import Counter
from dataclasses import replace

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.method import Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Status, Task, Trial
from hpobench.methods._brackets import hpbandster_brackets
from hpobench.methods.asha import ASHA, PromotionRung
from hpobench.methods.dehb import DEHB, binomial_crossover, fix_bounds, rand1_mutation
from hpobench.methods.idhb import IDHB
from hpobench.methods.one_epoch_topk import OneEpochTopK
from hpobench.methods.random_search import RandomSearch
from hpobench.testing.methods import method_checks

OBJ = (Objective(name="loss", direction=Direction.MINIMIZE),)


def x_task(high: int = 9) -> Task:
    space = CS.ConfigurationSpace()
    space.add(CS.UniformFloatHyperparameter("x", 0.0, 1.0))
    fid = Fidelity(name="epoch", low=1, high=high, integer=True)
    return Task(name="test/x", space=space, objectives=OBJ, fidelity=fid)


def mixed_task(fidelity: Fidelity | None = None) -> Task:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.UniformFloatHyperparameter("lr", 1e-5, 1e-1, log=True),
            CS.UniformIntegerHyperparameter("units", 16, 512, log=True),
            CS.CategoricalHyperparameter("act", ["relu", "tanh"]),
            CS.OrdinalHyperparameter("batch", [16, 32, 64]),
            CS.Constant("c", "fixed"),
        ]
    )
    return Task(name="test/mixed", space=space, objectives=OBJ, fidelity=fidelity)


def ev(trial: Trial, value: float, status: Status = Status.OK) -> Evaluation:
    return Evaluation(trial=trial, values={"loss": value}, cost=1.0, status=status)


def run(method: Method, n: int, f: object = None) -> list[Trial]:
    """Sequential ask/tell with loss = x (or a given function of the trial)."""
    out = []
    for _ in range(n):
        trial = method.ask()
        assert trial is not None
        out.append(trial)
        loss = f(trial) if callable(f) else float(trial.config.get("x", 0.0))
        method.tell(ev(trial, loss))
    return out


# --- ASHA -----------------------------------------------------------------------------------------


def test_asha_rungs_are_geometric_up_to_the_maximal_fidelity() -> None:
    assert ASHA(x_task(), seed=0).rung_fidelities == (1.0, 3.0, 9.0)
    assert ASHA(x_task(81), seed=0, eta=3).rung_fidelities == (1.0, 3.0, 9.0, 27.0, 81.0)


def test_asha_promotes_the_best_of_the_top_fraction_once_then_samples_new() -> None:
    asha = ASHA(x_task(), seed=0)
    first = [asha.ask() for _ in range(3)]
    assert all(t.fidelity == 1.0 and t.tag == "rung=0" for t in first)
    for t, loss in zip(first, [0.5, 0.1, 0.9], strict=True):
        asha.tell(ev(t, loss))
    promoted = asha.ask()
    assert promoted.fidelity == 3.0
    assert promoted.tag == "rung=1"
    assert dict(promoted.config) == dict(first[1].config)
    nxt = asha.ask()  # floor(3 / 3) = 1 promotion allowed, already used
    assert nxt.fidelity == 1.0
    assert dict(nxt.config) not in [dict(t.config) for t in first]


def test_asha_is_asynchronous_and_never_promotes_failures() -> None:
    asha = ASHA(x_task(), seed=0)
    in_flight = [asha.ask() for _ in range(20)]  # never waits
    assert all(isinstance(t, Trial) and t.fidelity == 1.0 for t in in_flight)
    for t in in_flight:
        asha.tell(ev(t, math.nan, Status.FAILED))
    assert asha.ask().fidelity == 1.0


def test_asha_promotes_from_the_top_rung_first() -> None:
    asha = ASHA(x_task(), seed=1)
    trials = run(asha, 60)
    fids = [t.fidelity for t in trials]
    assert fids.count(9.0) >= 1
    assert fids.count(3.0) >= fids.count(9.0)


# --- DEHB -----------------------------------------------------------------------------------------


def test_de_operators_keep_vectors_in_the_unit_cube() -> None:
    rng = np.random.default_rng(0)
    pool = rng.random((10, 4))
    for _ in range(200):
        mutant = fix_bounds(rand1_mutation(pool, 0.5, rng), rng)
        assert np.all((mutant >= 0) & (mutant <= 1))
        child = binomial_crossover(pool[0], mutant, 0.5, rng)
        assert np.all((child >= 0) & (child <= 1))
        assert all(c in (a, b) for a, b, c in zip(pool[0], mutant, child, strict=True))
    # crossover takes at least one coordinate from the mutant even with probability 0
    child = binomial_crossover(np.zeros(4), np.ones(4), 0.0, rng)
    assert child.sum() == 1.0
    assert rand1_mutation(pool[:2], 0.5, rng).shape == (4,)  # tiny pools give a random vector


def test_dehb_follows_the_packages_brackets_and_proposes_valid_configs() -> None:
    task = mixed_task(Fidelity(name="epoch", low=1, high=27, integer=True))
    dehb = DEHB(task, seed=0)
    brackets = hpbandster_brackets(eta=3, r_min=1, r_max=27, integer=True)
    assert [[r.n_configs for r in b.rungs] for b in brackets] == [[27, 9, 3, 1], [9, 3, 1], [6, 2], [4]]
    assert dehb.pop_sizes == (27, 9, 6, 4)  # the largest rung of any bracket at each level
    expected = Counter(
        (f"round=0,bracket={b.s},rung={i}", r.fidelity) for b in brackets for i, r in enumerate(b.rungs)
        for _ in range(r.n_configs)
    )  # fmt: skip
    trials = run(dehb, sum(expected.values()), f=lambda t: float(np.log(t.config["lr"])))
    assert Counter((t.tag, t.fidelity) for t in trials) == expected
    codec = SpaceCodec(task.space)
    assert all(codec.is_valid(t.config) for t in trials)


def test_dehb_is_synchronous_within_a_rung() -> None:
    dehb = DEHB(x_task(), seed=0)
    first = []
    while (t := dehb.ask()) is not None:
        first.append(t)
    assert len(first) == 9
    assert {t.fidelity for t in first} == {1.0}


def test_dehb_rejects_bad_de_parameters() -> None:
    with pytest.raises(ValueError, match="mutation_factor"):
        DEHB(x_task(), seed=0, mutation_factor=0)
    with pytest.raises(ValueError, match="crossover_prob"):
        DEHB(x_task(), seed=0, crossover_prob=1.5)


# --- IDHB -----------------------------------------------------------------------------------------


def test_idhb_grows_the_maximal_fidelity_by_eta_up_to_the_cap() -> None:
    idhb = IDHB(x_task(81), seed=0)
    assert [idhb.max_fidelity_of(t) for t in range(6)] == [3.0, 9.0, 27.0, 81.0, 81.0, 81.0]
    trials = run(idhb, 400)
    top: dict[int, float] = {}
    for t in trials:
        it = int(t.tag.split(",")[0].removeprefix("iteration="))
        top[it] = max(top.get(it, 0.0), float(t.fidelity or 0.0))
    assert [top[i] for i in range(4)] == [3.0, 9.0, 27.0, 81.0]


@pytest.mark.parametrize("variant", ["preserving", "discarding"])
def test_idhb_reuses_evaluations_instead_of_repeating_them(variant: str) -> None:
    trials = run(IDHB(x_task(81), seed=0, variant=variant), 300)
    keys = [(round(t.config["x"], 12), t.fidelity) for t in trials]
    assert len(keys) == len(set(keys))


def test_idhb_rejects_an_unknown_variant() -> None:
    with pytest.raises(ValueError, match="variant"):
        IDHB(x_task(), seed=0, variant="greedy")


# --- one-epoch top-K ------------------------------------------------------------------------------


def test_one_epoch_topk_trains_n_at_min_fidelity_then_the_best_k_at_max() -> None:
    m = OneEpochTopK(x_task(), seed=0, n_configs=5, k=2)
    phase1 = [m.ask() for _ in range(5)]
    assert all(t is not None and t.fidelity == 1.0 for t in phase1)
    assert m.ask() is None  # waits for all phase-1 results
    losses = [0.4, 0.2, math.nan, 0.1, 0.3]
    for t, loss in zip(phase1, losses, strict=True):
        m.tell(ev(t, loss, Status.FAILED if math.isnan(loss) else Status.OK))  # type: ignore[arg-type]
    phase2 = [m.ask(), m.ask()]
    assert all(t is not None and t.fidelity == 9.0 for t in phase2)
    assert [dict(t.config) for t in phase2 if t] == [dict(phase1[3].config), dict(phase1[1].config)]
    assert m.ask() is None
    for t in phase2:
        assert t is not None
        m.tell(ev(t, 0.0))
    nxt = m.ask()
    assert nxt is not None
    assert nxt.fidelity == 1.0
    assert nxt.tag == "round=1,phase=1"


def test_one_epoch_topk_validates_k() -> None:
    with pytest.raises(ValueError, match="k must"):
        OneEpochTopK(x_task(), seed=0, n_configs=3, k=4)


# --- candidate-set check --------------------------------------------------------------------------


def test_candidate_check_flags_more_distinct_proposals_than_candidates() -> None:
    space = CS.ConfigurationSpace()
    space.add([CS.OrdinalHyperparameter("a", [1, 2, 3]), CS.CategoricalHyperparameter("b", ["u", "v"])])
    task = Task(name="test/grid", space=space, objectives=OBJ, candidates=6)
    checks = dict(method_checks(RandomSearch, task, n_steps=30))
    checks["check_candidates"]()
    wrong = replace(task, candidates=2)  # the space has 6 grid points but claims 2 candidates
    with pytest.raises(AssertionError, match="distinct configurations"):
        dict(method_checks(RandomSearch, wrong, n_steps=30))["check_candidates"]()


# --- adapters -------------------------------------------------------------------------------------

needs_optuna = pytest.mark.skipif(importlib.util.find_spec("optuna") is None, reason="optuna not installed")
needs_dehb = pytest.mark.skipif(importlib.util.find_spec("dehb") is None, reason="dehb not installed")


@needs_optuna
@pytest.mark.parametrize("sampler", ["TPESampler", "RandomSampler"])
def test_optuna_adapter_round_trips_a_mixed_space(sampler: str) -> None:
    from hpobench.methods.optuna_adapter import OptunaSampler

    task = mixed_task()
    m = OptunaSampler(
        task,
        seed=3,
        sampler=sampler,
        sampler_kwargs={"n_startup_trials": 5} if sampler == "TPESampler" else None,
    )
    codec = SpaceCodec(task.space)
    trials = run(m, 12, f=lambda t: float(np.log(t.config["lr"])))
    assert all(codec.is_valid(t.config) and t.fidelity is None for t in trials)
    failed = m.ask()
    m.tell(ev(failed, math.nan, Status.FAILED))
    states = [t.state.name for t in m._study.trials]
    assert states.count("FAIL") == 1
    assert states.count("COMPLETE") == 12
    clone = pickle.loads(pickle.dumps(m))
    assert dict(clone.ask().config) == dict(m.ask().config)


@needs_optuna
def test_optuna_adapter_allows_only_optuna_sampler_names() -> None:
    from hpobench.methods.optuna_adapter import OptunaSampler

    with pytest.raises(ValueError, match="sampler must be one of"):
        OptunaSampler(mixed_task(), seed=0, sampler="os.system")


@needs_dehb
def test_dehb_package_adapter_proposes_valid_fidelities() -> None:
    from hpobench.methods.dehb_adapter import DEHBPackage

    task = x_task(27)
    trials = run(DEHBPackage(task, seed=0), 40)
    assert {t.fidelity for t in trials} <= {1.0, 3.0, 9.0, 27.0}
    assert all(0.0 <= t.config["x"] <= 1.0 for t in trials)


@pytest.mark.parametrize("eta", [2, 3, 4.5])
def test_promotion_rung_answers_as_sorting_every_result_would(eta: float) -> None:
    """ASHA's and CQR-BO-MF's rungs: ties broken by a unique id that arrives in no particular order."""
    rng = np.random.default_rng(4)
    rung = PromotionRung(eta)
    results: dict[int, float] = {}
    promoted: set[int] = set()
    answers = []
    for cid in rng.permutation(400).tolist():
        loss = math.inf if rng.random() < 0.1 else float(rng.integers(0, 25))  # ties and failures
        rung.add(loss, cid, cid)
        results[cid] = loss
        if rng.random() < 0.6:
            top = sorted(results, key=lambda c: (results[c], c))[: math.floor(len(results) / eta + 1e-9)]
            expected = next((c for c in top if c not in promoted and math.isfinite(results[c])), None)
            assert rung.promote() == expected
            if expected is not None:
                promoted.add(expected)
            answers.append(expected)
    assert sum(a is not None for a in answers) > 20  # the query promoted often enough to mean something
