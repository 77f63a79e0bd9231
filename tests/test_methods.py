from __future__ import annotations

import math
from collections import Counter
from typing import Any

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Status, Task, Trial
from hpobench.methods._brackets import hyperband_brackets
from hpobench.methods.hyperband import Hyperband
from hpobench.methods.random_search import RandomSearch
from hpobench.methods.successive_halving import SuccessiveHalving
from hpobench.testing.methods import _SPAWNED, check_method, method_checks

EPOCHS = Fidelity(name="epoch", low=1, high=81, integer=True)


def _objectives(direction: Direction = Direction.MINIMIZE) -> tuple[Objective, ...]:
    return (Objective(name="loss", direction=direction),)


def continuous_task(fidelity: Fidelity | None = EPOCHS, direction: Direction = Direction.MINIMIZE) -> Task:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.UniformFloatHyperparameter("x", 0.0, 1.0),
            CS.UniformFloatHyperparameter("lr", 1e-5, 1e-1, log=True),
            CS.UniformIntegerHyperparameter("units", 16, 512, log=True),
            CS.CategoricalHyperparameter("act", ["relu", "tanh"]),
        ]
    )
    return Task(name="test/continuous", space=space, objectives=_objectives(direction), fidelity=fidelity)


def grid_task() -> Task:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.OrdinalHyperparameter("batch", [16, 32, 64]),
            CS.OrdinalHyperparameter("lr", [0.001, 0.01, 0.1]),
            CS.CategoricalHyperparameter("opt", ["adam", "sgd"]),
        ]
    )
    return Task(
        name="test/grid",
        space=space,
        objectives=_objectives(),
        fidelity=Fidelity(name="epoch", low=1, high=27, integer=True),
        candidates=18,
    )


def x_task(direction: Direction = Direction.MINIMIZE) -> Task:
    """One float in [0, 1] and epochs 1..9: SH runs 9@1, 3@3, 1@9."""
    space = CS.ConfigurationSpace()
    space.add(CS.UniformFloatHyperparameter("x", 0.0, 1.0))
    fid = Fidelity(name="epoch", low=1, high=9, integer=True)
    return Task(name="test/x", space=space, objectives=_objectives(direction), fidelity=fid)


def evaluation(trial: Trial, value: float, status: Status = Status.OK) -> Evaluation:
    return Evaluation(trial=trial, values={"loss": value}, cost=1.0, status=status)


def ask_rung(method: Method) -> list[Trial]:
    trials = []
    while (trial := method.ask()) is not None:
        trials.append(trial)
    return trials


# --- Hyperband schedule -------------------------------------------------------------------------

LI_ET_AL_R81_ETA3 = {
    4: [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)],
    3: [(34, 3), (11, 9), (3, 27), (1, 81)],
    2: [(15, 9), (5, 27), (1, 81)],
    1: [(8, 27), (2, 81)],
    0: [(5, 81)],
}


def test_hyperband_schedule_matches_li_et_al_table() -> None:
    brackets = Hyperband(continuous_task(), seed=0).brackets
    assert [b.s for b in brackets] == [4, 3, 2, 1, 0]
    table = {b.s: [(r.n_configs, r.fidelity) for r in b.rungs] for b in brackets}
    assert table == LI_ET_AL_R81_ETA3


def test_hyperband_asks_follow_the_schedule_and_cycle() -> None:
    method = Hyperband(continuous_task(), seed=0)
    counts: Counter[tuple[str, float | None]] = Counter()
    n_cycle = sum(r.n_configs for b in method.brackets for r in b.rungs)
    for _ in range(n_cycle):
        trial = method.ask()
        assert trial is not None
        counts[trial.tag, trial.fidelity] += 1
        method.tell(evaluation(trial, float(trial.config["x"])))
    expected = {
        (f"round=0,bracket={s},rung={i}", float(r)): n
        for s, rungs in LI_ET_AL_R81_ETA3.items()
        for i, (n, r) in enumerate(rungs)
    }
    assert dict(counts) == expected
    nxt = method.ask()
    assert nxt is not None
    assert nxt.tag == "round=1,bracket=4,rung=0"
    assert nxt.fidelity == 1.0


def test_schedule_rounds_integer_fidelities_and_ends_at_max() -> None:
    brackets = hyperband_brackets(eta=3, r_min=1, r_max=100, integer=True)
    assert [r.fidelity for r in brackets[0].rungs] == [1.0, 4.0, 11.0, 33.0, 100.0]
    brackets = hyperband_brackets(eta=3, r_min=0.1, r_max=1.0, integer=False)
    fids = [r.fidelity for r in brackets[0].rungs]
    assert fids == pytest.approx([1 / 9, 1 / 3, 1.0])
    assert fids[-1] == 1.0


def test_min_and_max_fidelity_restrict_the_schedule() -> None:
    method = Hyperband(continuous_task(), seed=0, min_fidelity=9, max_fidelity=27)
    assert [[(r.n_configs, r.fidelity) for r in b.rungs] for b in method.brackets] == [
        [(3, 9.0), (1, 27.0)],
        [(2, 27.0)],
    ]


# --- successive halving -------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [Direction.MINIMIZE, Direction.MAXIMIZE])
def test_successive_halving_promotes_the_best(direction: Direction) -> None:
    method = SuccessiveHalving(x_task(direction), seed=1)
    rung0 = ask_rung(method)
    assert len(rung0) == 9
    assert {t.fidelity for t in rung0} == {1.0}
    assert method.ask() is None  # the rung waits for its results
    xs = [float(t.config["x"]) for t in rung0]
    for t in reversed(rung0):  # out of order
        method.tell(evaluation(t, float(t.config["x"])))
    rung1 = ask_rung(method)
    best_first = sorted(xs, reverse=direction is Direction.MAXIMIZE)
    assert [t.config["x"] for t in rung1] == best_first[:3]
    assert {(t.fidelity, t.tag) for t in rung1} == {(3.0, "round=0,bracket=2,rung=1")}
    for t in rung1:
        method.tell(evaluation(t, float(t.config["x"])))
    (last,) = ask_rung(method)
    assert last.config["x"] == best_first[0]
    assert last.fidelity == 9.0


def test_failed_evaluations_are_not_promoted_over_ok_ones() -> None:
    method = SuccessiveHalving(x_task(), seed=2)
    rung0 = ask_rung(method)
    order = sorted(range(9), key=lambda i: rung0[i].config["x"])
    failed = set(order[:4])  # the four best configurations fail
    for i, t in enumerate(rung0):
        if i in failed:
            method.tell(evaluation(t, math.nan, Status.FAILED))
        elif i == order[4]:
            method.tell(evaluation(t, math.nan))  # NaN with status OK counts as a failure too
        else:
            method.tell(evaluation(t, float(t.config["x"])))
    promoted = [t.config["x"] for t in ask_rung(method)]
    assert promoted == [rung0[i].config["x"] for i in order[5:8]]


def test_all_failed_rung_still_promotes_in_sampling_order() -> None:
    method = SuccessiveHalving(x_task(), seed=3)
    rung0 = ask_rung(method)
    for t in rung0:
        method.tell(evaluation(t, math.nan, Status.FAILED))
    assert [t.config for t in ask_rung(method)] == [t.config for t in rung0[:3]]


def test_successive_halving_repeats_with_fresh_configurations() -> None:
    method = SuccessiveHalving(x_task(), seed=4)
    seen = []
    for _ in range(13):
        trial = method.ask()
        assert trial is not None
        seen.append(trial)
        method.tell(evaluation(trial, float(trial.config["x"])))
    nxt = method.ask()
    assert nxt is not None
    assert nxt.tag == "round=1,bracket=2,rung=0"
    assert nxt.config not in [t.config for t in seen]


def test_n_configs_sets_the_first_rung() -> None:
    method = SuccessiveHalving(x_task(), seed=0, n_configs=5)
    assert [r.n_configs for r in method.brackets[0].rungs] == [5, 1, 1]


def test_tell_for_unknown_or_repeated_trial_raises() -> None:
    for method in (
        SuccessiveHalving(x_task(), seed=0),
        Hyperband(x_task(), seed=0),
        RandomSearch(x_task(), seed=0),
    ):
        trial = method.ask()
        assert trial is not None
        with pytest.raises(ValueError, match="did not ask"):
            method.tell(evaluation(Trial(config={"x": 0.5}, fidelity=1.0), 0.5))
        method.tell(evaluation(trial, 0.5))
        with pytest.raises(ValueError, match="did not ask"):
            method.tell(evaluation(trial, 0.5))


def test_tell_accepts_a_copy_of_the_trial() -> None:
    method = SuccessiveHalving(x_task(), seed=0)
    trial = method.ask()
    assert trial is not None
    copy = Trial(config=dict(trial.config), fidelity=trial.fidelity, tag=trial.tag)
    method.tell(evaluation(copy, 0.1))


# --- random search ------------------------------------------------------------------------------


def _configs(method: Method, n: int) -> list[dict[str, Any]]:
    out = []
    for _ in range(n):
        trial = method.ask()
        assert trial is not None
        assert trial.fidelity is None
        out.append(dict(trial.config))
        method.tell(evaluation(trial, 0.0))
    return out


def test_random_search_is_deterministic_and_seeded() -> None:
    task = continuous_task()
    a = _configs(RandomSearch(task, seed=7), 600)
    assert a == _configs(RandomSearch(task, seed=7), 600)
    assert a != _configs(RandomSearch(task, seed=8), 600)
    codec = SpaceCodec(task.space)
    assert all(codec.is_valid(c) for c in a)


def test_random_search_samples_grid_values() -> None:
    task = grid_task()
    configs = _configs(RandomSearch(task, seed=0, chunk_size=16), 200)
    assert {c["batch"] for c in configs} == {16, 32, 64}
    assert {c["lr"] for c in configs} == {0.001, 0.01, 0.1}
    assert {c["opt"] for c in configs} == {"adam", "sgd"}


def test_params_record_the_given_hyperparameters() -> None:
    assert Hyperband(continuous_task(), seed=0, eta=2).params() == {
        "eta": 2,
        "min_fidelity": None,
        "max_fidelity": None,
    }
    assert SuccessiveHalving(continuous_task(), seed=0, n_configs=10).params()["n_configs"] == 10
    assert RandomSearch(continuous_task(), seed=0).params() == {"chunk_size": 256}


# --- bad hyperparameters ------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [SuccessiveHalving, Hyperband])
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"eta": 1}, "eta"),
        ({"eta": 1.5}, "eta"),
        ({"eta": True}, "eta"),
        ({"eta": math.nan}, "eta"),
        ({"eta": "3"}, "eta"),
        ({"min_fidelity": 0.5}, "min_fidelity"),
        ({"min_fidelity": 2.5}, "min_fidelity"),
        ({"max_fidelity": 82}, "max_fidelity"),
        ({"min_fidelity": 27, "max_fidelity": 9}, "must not exceed"),
    ],
)
def test_bad_bracket_hyperparameters_raise(cls: type[Method], kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cls(continuous_task(), seed=0, **kwargs)


@pytest.mark.parametrize("n_configs", [0, -3, 2.5, True])
def test_bad_n_configs_raise(n_configs: Any) -> None:
    with pytest.raises(ValueError, match="n_configs"):
        SuccessiveHalving(continuous_task(), seed=0, n_configs=n_configs)


@pytest.mark.parametrize("chunk_size", [0, 1.5, None])
def test_bad_chunk_size_raises(chunk_size: Any) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        RandomSearch(continuous_task(), seed=0, chunk_size=chunk_size)


@pytest.mark.parametrize("cls", [SuccessiveHalving, Hyperband])
def test_bracket_methods_need_a_fidelity(cls: type[Method]) -> None:
    assert cls.capabilities.incompatibility(continuous_task(fidelity=None)) is not None
    with pytest.raises(ValueError, match="no fidelity"):
        cls(continuous_task(fidelity=None), seed=0)


# --- compliance ---------------------------------------------------------------------------------

# check_method on one task per method (each run spawns a process); every other pairing runs the
# in-process checks, one test per check.
FULL: list[tuple[type[Method], Task, dict[str, Any]]] = [
    (RandomSearch, continuous_task(fidelity=None), {"chunk_size": 7}),
    (SuccessiveHalving, continuous_task(), {"eta": 3, "n_configs": 20}),
    (Hyperband, grid_task(), {}),
]
MORE: list[tuple[type[Method], Task, dict[str, Any]]] = [
    (RandomSearch, continuous_task(), {}),
    (RandomSearch, grid_task(), {}),
    (SuccessiveHalving, grid_task(), {}),
    (SuccessiveHalving, x_task(Direction.MAXIMIZE), {"eta": 2.5}),
    (Hyperband, continuous_task(direction=Direction.MAXIMIZE), {"eta": 2, "min_fidelity": 3}),
    (Hyperband, x_task(), {}),
]


@pytest.mark.parametrize(("cls", "task", "kwargs"), FULL, ids=[f"{c.__name__}-{t.name}" for c, t, _ in FULL])
def test_check_method_passes(cls: type[Method], task: Task, kwargs: dict[str, Any]) -> None:
    check_method(cls, task, kwargs=kwargs, n_steps=60)


@pytest.mark.parametrize(
    "check",
    [
        pytest.param(check, id=f"{cls.__name__}-{task.name}-{i}-{name}")
        for i, (cls, task, kwargs) in enumerate(MORE)
        for name, check in method_checks(cls, task, kwargs=kwargs, n_steps=40)
        if name != "check_deterministic_in_spawned_process"
    ],
)
def test_method_checks(check: Any) -> None:
    check()


# --- the compliance suite catches broken methods ------------------------------------------------


class GlobalRandom(Method):
    capabilities = Capabilities(asynchronous=True)

    def __init__(self, task: Task, *, seed: int, scale: float = 1.0) -> None:
        super().__init__(task, seed=seed)
        self.scale = scale

    def ask(self) -> Trial:
        # deliberately broken: draws from the global state
        return Trial(config={"x": float(np.random.uniform(0, self.scale))})  # noqa: NPY002

    def tell(self, evaluation: Evaluation) -> None:
        pass


class RenamesParams(GlobalRandom):
    def __init__(self, task: Task, *, seed: int, scale: float = 1.0) -> None:
        Method.__init__(self, task, seed=seed)
        self._scale = scale
        self.scale_ = scale


class OutOfSpace(GlobalRandom):
    def ask(self) -> Trial:
        return Trial(config={"x": 2.0 * self.scale})


class Stalls(GlobalRandom):
    def ask(self) -> Trial | None:  # type: ignore[override]
        return None


class SaltedHash(GlobalRandom):
    def ask(self) -> Trial:  # deliberately broken: Python salts hash() per process
        return Trial(config={"x": self.scale * (hash("hpobench") % 10**9) / 10**9})


def _run_check(cls: type[Method], wanted: str, **kwargs: Any) -> None:
    checks = dict(method_checks(cls, x_task(), n_steps=10, **kwargs))
    checks[wanted]()


@pytest.mark.parametrize(
    ("cls", "check", "match"),
    [
        (GlobalRandom, "check_deterministic", "seed=0 differ"),
        (GlobalRandom, "check_no_global_rng", "global random state"),
        (RenamesParams, "check_init_params", "attribute of the same name"),
        (OutOfSpace, "check_proposals_valid", "outside the space"),
        (Stalls, "check_proposals_valid", "stall"),
        (SaltedHash, "check_deterministic_in_spawned_process", "differs in a fresh process"),
    ],
)
def test_compliance_suite_catches_violations(cls: type[Method], check: str, match: str) -> None:
    with pytest.raises(AssertionError, match=match):
        _run_check(cls, check)


def test_the_spawned_process_kept_for_later_checks_still_salts_hash_differently() -> None:
    pools = []
    for _ in range(2):  # the second check runs in the process the first one kept
        with pytest.raises(AssertionError, match="differs in a fresh process"):
            _run_check(SaltedHash, "check_deterministic_in_spawned_process")
        pools.append(_SPAWNED["pool"])
    assert pools[0] is pools[1]


def test_check_method_refuses_incompatible_task() -> None:
    with pytest.raises(ValueError, match="no fidelity"):
        check_method(Hyperband, continuous_task(fidelity=None))
