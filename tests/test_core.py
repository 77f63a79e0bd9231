from __future__ import annotations

import dataclasses
import pickle

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.budget import Budget, BudgetKind
from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.seeding import derive_seed, stable_int
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Status, Task, Trial


@pytest.mark.parametrize(
    ("text", "kind", "amount"),
    [
        ("100", BudgetKind.EVALUATIONS, 100),
        ("100evals", BudgetKind.EVALUATIONS, 100),
        ("20x", BudgetKind.FIDELITY, 20),
        ("2.5x", BudgetKind.FIDELITY, 2.5),
        ("3600s", BudgetKind.SECONDS, 3600),
        ("90m", BudgetKind.SECONDS, 5400),
        ("2h", BudgetKind.SECONDS, 7200),
    ],
)
def test_budget_parse(text: str, kind: BudgetKind, amount: float) -> None:
    budget = Budget.parse(text)
    assert (budget.kind, budget.amount) == (kind, amount)
    assert Budget.parse(str(budget)) == budget


@pytest.mark.parametrize("text", ["", "lots", "-5", "0", "2.5evals", "10y"])
def test_budget_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="budget"):
        Budget.parse(text)


def test_derived_seeds_are_stable_and_distinct() -> None:
    # pinned values: these must never change, or stored studies stop resuming identically
    assert stable_int("synthetic/branin") == 701916793
    assert derive_seed(0, "method", "synthetic/branin") == 7021094747863725485
    seeds = {derive_seed(s, k) for s in range(10) for k in ("method", "benchmark")}
    assert len(seeds) == 20
    with pytest.raises(TypeError):
        stable_int(1.5)  # type: ignore[arg-type]


def test_values_are_frozen() -> None:
    trial = Trial(config={"x": 1.0}, fidelity=2.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        trial.fidelity = 3.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        trial.config["x"] = 2.0  # type: ignore[index]
    evaluation = Evaluation(trial=trial, values={"loss": 1.0}, cost=1.0)
    with pytest.raises(TypeError):
        evaluation.values["loss"] = 0.0  # type: ignore[index]
    with pytest.raises(ValueError, match="0 < low <= high"):
        Fidelity(name="epoch", low=5, high=1)


def test_fast_evaluation_constructor_equals_the_dataclass_one() -> None:
    # benchmarks build millions of evaluations through the private fast constructor
    trial = Trial(config={"x": 1.0})
    values, extras = {"loss": 0.5}, {"test": 0.7}
    fast = Evaluation._owned(trial, values, 2.0, Status.FAILED, extras)
    assert type(fast) is Evaluation
    assert fast == Evaluation(trial=trial, values=values, cost=2.0, status=Status.FAILED, extras=extras)
    assert fast.trial is trial
    assert dict(fast.extras) == extras
    assert Evaluation._owned(trial, {"loss": 0.5}, 1.0).extras == {}
    for name in ("cost", "values", "trial", "status", "extras", "other"):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(fast, name, 0)
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(fast, name)
    with pytest.raises(TypeError):
        fast.values["loss"] = 0.0  # type: ignore[index]
    assert not hasattr(fast, "__dict__")
    assert pickle.loads(pickle.dumps(fast)) == fast
    assert dataclasses.replace(fast, cost=3.0).cost == 3.0


def space() -> CS.ConfigurationSpace:
    s = CS.ConfigurationSpace(seed=0)
    s.add(CS.UniformFloatHyperparameter("lr", 1e-4, 1e-1, log=True))
    s.add(CS.UniformIntegerHyperparameter("units", 16, 512, log=True))
    s.add(CS.UniformIntegerHyperparameter("layers", 1, 4))
    s.add(CS.CategoricalHyperparameter("act", ["relu", "tanh"], weights=[0.9, 0.1]))
    s.add(CS.OrdinalHyperparameter("batch", [8, 16, 32]))
    s.add(CS.Constant("opt", "adam"))
    return s


def test_codec_samples_valid_configs_deterministically() -> None:
    codec = SpaceCodec(space())
    a = codec.sample(np.random.default_rng(1), 2000)
    b = codec.sample(np.random.default_rng(1), 2000)
    assert a == b
    for config in a[:200]:
        codec.validate(config)
        CS.Configuration(codec.space, values=config)  # ConfigSpace agrees
    assert all(type(c["units"]) is int and type(c["act"]) is str for c in a)
    relu = np.mean([c["act"] == "relu" for c in a])
    assert 0.85 < relu < 0.95  # categorical weights are honoured
    log_lr = np.log10([c["lr"] for c in a])
    assert abs(np.mean(log_lr) - (-2.5)) < 0.1  # log-uniform


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"lr": 1.0}, "value 1.0 is not allowed for hyperparameter 'lr'"),
        ({"units": 8}, "value 8 is not allowed for hyperparameter 'units'"),
        ({"layers": 1.5}, "value 1.5 is not allowed for hyperparameter 'layers'"),
        ({"act": "gelu"}, "value 'gelu' is not allowed for hyperparameter 'act'"),
        ({"batch": 12}, "value 12 is not allowed for hyperparameter 'batch'"),
        ({"extra": 1}, "unknown hyperparameter(s) ['extra']"),
    ],
)
def test_codec_names_the_offending_hyperparameter(config: dict[str, object], message: str) -> None:
    codec = SpaceCodec(space())
    valid = codec.sample(np.random.default_rng(0), 1)[0]
    with pytest.raises(InvalidConfigError) as info:
        codec.validate({**valid, **config})
    assert message in str(info.value)
    missing = dict(valid)
    del missing["lr"]
    with pytest.raises(InvalidConfigError, match="'lr' is missing"):
        codec.validate(missing)


def test_codec_handles_conditional_spaces_with_configspace() -> None:
    s = CS.ConfigurationSpace()
    opt = CS.CategoricalHyperparameter("opt", ["sgd", "adam"])
    momentum = CS.UniformFloatHyperparameter("momentum", 0.0, 0.99)
    s.add([opt, momentum])
    s.add(CS.EqualsCondition(momentum, opt, "sgd"))
    codec = SpaceCodec(s)
    configs = codec.sample(np.random.default_rng(3), 50)
    assert configs == codec.sample(np.random.default_rng(3), 50)
    for c in configs:
        codec.validate(c)
        assert ("momentum" in c) == (c["opt"] == "sgd")
    with pytest.raises(InvalidConfigError):
        codec.validate({"opt": "adam", "momentum": 0.5})


def test_task_properties() -> None:
    task = Task(
        name="fam/t",
        space=space(),
        objectives=(Objective(name="acc", direction=Direction.MAXIMIZE),),
        fidelity=Fidelity(name="epoch", low=1, high=10, integer=True),
    )
    assert task.family == "fam"
    assert task.multi_fidelity
    assert not task.multi_objective
    assert task.objective.direction.sign == -1.0
    assert task.fidelity is not None
    assert task.fidelity.contains(3)
    assert not task.fidelity.contains(3.5)
