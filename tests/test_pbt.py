"""Population-based training: compliance, exploit/explore rules, continuation through the runner."""

from __future__ import annotations

import json
from pathlib import Path

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.method import Capabilities
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Task, Trial
from hpobench.data import registry
from hpobench.execution.planning import plan_study
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.methods.pbt import PBT
from hpobench.testing import check_method

OBJ = (Objective(name="loss", direction=Direction.MINIMIZE),)


def task(*, continuation: bool = True) -> Task:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.UniformFloatHyperparameter("lr", 1e-4, 1.0, log=True),
            CS.UniformIntegerHyperparameter("width", 8, 512),
            CS.OrdinalHyperparameter("batch", [16, 32, 64]),
            CS.CategoricalHyperparameter("act", ["relu", "tanh"]),
        ]
    )
    fid = Fidelity(name="epoch", low=1, high=21, integer=True)
    return Task(name="test/pbt", space=space, objectives=OBJ, fidelity=fid, continuation=continuation)


def tell(method: PBT, trial: Trial, loss: float) -> None:
    method.tell(Evaluation(trial=trial, values={"loss": loss}, cost=1.0))


def ask(method: PBT) -> Trial:
    trial = method.ask()
    assert trial is not None
    return trial


def test_pbt_declares_and_checks_that_it_needs_continuation() -> None:
    caps = PBT.capabilities
    assert isinstance(caps, Capabilities)
    assert caps.requires_continuation
    assert caps.requires_fidelity
    assert caps.incompatibility(task(continuation=False)) is not None
    with pytest.raises(ValueError, match="continuation"):
        PBT(task(continuation=False), seed=0)
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse("synthetic/branin")],
        methods=["pbt"],
        seeds=[0],
        budget=Budget.parse("2x"),
    )
    assert len(plan.runs) == 1
    assert not plan.skipped


def test_pbt_passes_the_method_checks_on_a_synthetic_task() -> None:
    benchmark = registry.load_benchmark("synthetic/branin")
    check_method(PBT, benchmark.task, benchmark=benchmark, kwargs={"population_size": 4})


def test_steps_continue_the_members_own_checkpoint_and_the_bottom_exploits_the_top() -> None:
    pbt = PBT(task(), seed=0, population_size=4, step=5, quantile=0.25, resample_probability=0.0)
    first = [ask(pbt) for _ in range(4)]
    assert pbt.ask() is None  # every member is in flight
    assert [t.fidelity for t in first] == [6] * 4
    assert all(t.resume_from is None for t in first)
    for i, t in enumerate(first):
        tell(pbt, t, float(i))  # member 0 best, member 3 worst
    own = pbt.ask()
    assert own is not None
    assert own.resume_from == first[0].checkpoint
    assert own.fidelity == 11
    assert dict(own.config) == dict(first[0].config)
    for _ in range(2):
        nxt = pbt.ask()
        assert nxt is not None
        assert nxt.resume_from in {first[1].checkpoint, first[2].checkpoint}
    worst = pbt.ask()  # member 3 ranks last: copies member 0's state and perturbs its hyperparameters
    assert worst is not None
    assert worst.resume_from == first[0].checkpoint
    assert "exploit=0" in worst.tag
    parent, child = dict(first[0].config), dict(worst.config)
    assert child["act"] == parent["act"]
    assert child["lr"] == pytest.approx(parent["lr"] * 0.8) or child["lr"] == pytest.approx(
        parent["lr"] * 1.2
    )
    assert abs(child["width"] - parent["width"]) <= round(parent["width"] * 0.2) + 1
    order = [16, 32, 64]
    assert abs(order.index(child["batch"]) - order.index(parent["batch"])) <= 1


def test_members_retire_at_the_maximal_fidelity_and_their_slot_restarts() -> None:
    pbt = PBT(task(), seed=1, population_size=2, step=10)
    fidelities = []
    for _ in range(12):
        trial = pbt.ask()
        assert trial is not None
        fidelities.append(trial.fidelity)
        tell(pbt, trial, 1.0)
    assert fidelities[:6] == [11, 11, 21, 21, 11, 11]  # 1 + 10, then capped at 21, then new members


def test_pbt_runs_with_continuation_and_pays_only_the_steps(tmp_path: Path) -> None:
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse("synthetic/hartmann3"),
        method="pbt",
        seed=0,
        budget=Budget.parse("6x"),
        workers=4,
    )
    outcome = execute_run(spec)
    assert not outcome.failed, outcome.provenance.get("error")
    frame = outcome.frame
    new = frame["tag"].str.endswith(",new")
    assert frame.loc[~new, "continued"].all()
    assert not frame.loc[new, "continued"].any()
    assert frame["tag"].str.contains("exploit").any()
    step = frame["fidelity"] - frame["resumed_fidelity"].fillna(1.0)
    assert np.allclose(step, 9.9)  # a tenth of [1, 100] per step
    # continued steps count only their 9.9 fidelity units, new members all of theirs (10.9)
    assert frame["fidelity_spent"].iloc[-1] == pytest.approx((len(frame) * 9.9 + new.sum()) / 100)
    again = execute_run(spec).frame
    assert frame.equals(again)
    assert json.loads(frame["config"].iloc[0]).keys() == {"x0", "x1", "x2"}


@pytest.mark.data
def test_pbt_on_a_tabular_learning_curve_task(data_dir: Path) -> None:
    name = "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128"
    benchmark = registry.load_benchmark(BenchmarkSpec.parse(name), data_dir=data_dir)
    assert benchmark.task.continuation
    check_method(PBT, benchmark.task, benchmark=benchmark, n_steps=30)
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse(name), method="pbt", seed=0, budget=Budget.parse("3x"), workers=8
    )
    frame = execute_run(spec, data_dir=data_dir).frame
    assert frame["continued"].sum() > len(frame) / 2
    # a continued step costs its 5 curve points (4 s each); a new member trains points 1..6
    assert np.allclose(frame["cost"], np.where(frame["continued"], 20.0, 24.0))
