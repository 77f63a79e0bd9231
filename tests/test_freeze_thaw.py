"""Freeze-thaw methods (freeze_thaw baseline, DPL, DyHPO): compliance, continuation, models."""

from __future__ import annotations

from typing import Any

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import IncompatibleError
from hpobench.contracts.method import Method
from hpobench.contracts.types import Direction, Evaluation, Fidelity, Objective, Task, Trial
from hpobench.data import registry
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.methods._freeze_thaw import fidelity_steps, normalise_losses
from hpobench.methods.freeze_thaw import FreezeThaw, extrapolate_power_law
from hpobench.testing import check_method

torch = pytest.importorskip("torch")

from hpobench.methods._torch_curves import DeepKernelGP, PowerLawEnsemble  # noqa: E402
from hpobench.methods.dpl import DPL  # noqa: E402
from hpobench.methods.dyhpo import DyHPO  # noqa: E402

SMALL: dict[str, dict[str, Any]] = {
    "freeze_thaw": {},
    "dpl": {"width": 16, "n_epochs": 20, "refit_epochs": 2, "n_candidates": 16},
    "dyhpo": {"n_steps": 20, "refit_steps": 2, "n_candidates": 16},
}
CLASSES: dict[str, type[Method]] = {"freeze_thaw": FreezeThaw, "dpl": DPL, "dyhpo": DyHPO}


def task(*, continuation: bool, fidelity: bool = True) -> Task:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.UniformFloatHyperparameter("lr", 1e-4, 1.0, log=True),
            CS.UniformIntegerHyperparameter("width", 8, 512),
            CS.CategoricalHyperparameter("act", ["relu", "tanh"]),
        ]
    )
    fid = Fidelity(name="epoch", low=1, high=10, integer=True) if fidelity else None
    obj = (Objective(name="acc", direction=Direction.MAXIMIZE),)
    return Task(name="test/ft", space=space, objectives=obj, fidelity=fid, continuation=continuation)


def fake_value(trial: Trial) -> float:
    """A maximised accuracy that rises with the epoch like a power law."""
    c = trial.config
    quality = 1.0 - abs(np.log10(float(c["lr"])) + 2) / 4 + (0.05 if c["act"] == "relu" else 0.0)
    assert trial.fidelity is not None
    return float(quality - 0.3 * float(trial.fidelity) ** -0.7)


@pytest.mark.parametrize("name", list(CLASSES))
def test_method_passes_the_compliance_suite(name: str) -> None:
    benchmark = registry.load_benchmark("synthetic/hartmann3")
    check_method(CLASSES[name], benchmark.task, benchmark=benchmark, n_steps=30, kwargs=SMALL[name])


@pytest.mark.parametrize("name", list(CLASSES))
def test_method_is_registered_and_refuses_a_task_without_fidelity(name: str) -> None:
    assert registry.load_method(name) is CLASSES[name]
    flat = task(continuation=False, fidelity=False)
    assert CLASSES[name].capabilities.incompatibility(flat) is not None
    with pytest.raises(IncompatibleError, match="fidelity"):
        CLASSES[name](flat, seed=0)


@pytest.mark.parametrize("name", list(CLASSES))
@pytest.mark.parametrize("continuation", [True, False])
def test_steps_continue_checkpoints_or_restart(name: str, continuation: bool) -> None:
    method = CLASSES[name](task(continuation=continuation), seed=1, n_initial=3, **SMALL[name])
    last: dict[str, float] = {}
    advanced = 0
    for _ in range(40):
        trials = [method.ask() for _ in range(3)]  # three workers: in-flight configs are excluded
        tags = [t.tag.split(",")[0] for t in trials]
        assert len(set(tags)) == 3
        for trial in trials:
            assert trial is not None
            key = trial.tag.split(",")[0]
            if key in last:
                advanced += 1
                step = method.fidelities.index(float(trial.fidelity))  # type: ignore[arg-type]
                assert method.fidelities[step - 1] == last[key]  # one step at a time
                if continuation:
                    assert trial.resume_from == trial.checkpoint == f"{method._prefix}-{key[7:]}"
                else:
                    assert trial.resume_from is None
                    assert trial.checkpoint is None
            else:
                assert trial.fidelity == 1
                assert trial.resume_from is None
            last[key] = float(trial.fidelity)  # type: ignore[arg-type]
            method.tell(Evaluation(trial=trial, values={"acc": fake_value(trial)}, cost=1.0))
    assert advanced > 40  # the methods continue curves, not only start new ones


@pytest.mark.parametrize("name", list(CLASSES))
def test_more_workers_than_initial_starts_ask_before_any_result(name: str) -> None:
    method = CLASSES[name](task(continuation=True), seed=0, n_initial=2, **SMALL[name])
    trials = [method.ask() for _ in range(8)]
    assert len({t.tag for t in trials}) == 8
    assert all(t.fidelity == 1 for t in trials)
    for trial in trials:
        method.tell(Evaluation(trial=trial, values={"acc": fake_value(trial)}, cost=1.0))
    assert method.ask().fidelity in (1, 2)  # the model is used from the first results on


@pytest.mark.parametrize("name", list(CLASSES))
def test_runs_use_continuation_through_the_runner_and_are_deterministic(name: str) -> None:
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse("synthetic/hartmann3"),
        method=name,
        seed=0,
        budget=Budget.parse("60"),
        workers=4,
        method_kwargs=SMALL[name],
    )
    outcome = execute_run(spec)
    assert not outcome.failed, outcome.provenance.get("error")
    frame = outcome.frame
    assert frame["continued"].any()
    assert (frame["continued"] == ~frame["tag"].str.endswith("step=0")).all()
    assert frame.equals(execute_run(spec).frame)


def test_fidelity_steps_and_normalisation() -> None:
    assert fidelity_steps(low=1, high=5, integer=True, max_steps=50) == (1, 2, 3, 4, 5)
    steps = fidelity_steps(low=1, high=200, integer=True, max_steps=50)
    assert (steps[0], steps[-1]) == (1, 200)
    assert len(steps) <= 51
    assert np.all(np.diff(steps) > 0)
    assert fidelity_steps(low=0.1, high=1.0, integer=False, max_steps=50) == pytest.approx(
        tuple(0.1 * k for k in range(1, 11))
    )
    assert normalise_losses(np.array([2.0, 1.0, np.inf, 3.0])).tolist() == [0.5, 1.0, 0.0, 0.0]


def power_law_curves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Configurations x in [0,1]^2 and curves y(t) = a(x) - b(x) (t^-0.7 - 1) on 20 budgets."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, 2))
    t = np.arange(1, 21) / 20
    a = 0.5 + 0.4 * x[:, 0]
    b = 0.02 + 0.04 * x[:, 1]
    y = a[:, None] - b[:, None] * (t[None, :] ** -0.7 - 1)
    return x, t, y


def test_power_law_extrapolation_beats_the_last_value() -> None:
    _, t, y = power_law_curves(20, 0)
    fits = np.array([extrapolate_power_law(t[:6], curve[:6]) for curve in y])
    assert np.abs(fits - y[:, -1]).mean() < 0.1 * np.abs(y[:, 5] - y[:, -1]).mean()


def test_dpl_extrapolation_beats_the_last_value() -> None:
    x, t, y = power_law_curves(40, 1)
    full, part = slice(0, 30), slice(30, 40)
    xs = np.vstack([np.repeat(x[full], 20, axis=0), np.repeat(x[part], 6, axis=0)])
    ts = np.concatenate([np.tile(t, 30), np.tile(t[:6], 10)])
    ys = np.concatenate([y[full].ravel(), y[part, :6].ravel()])
    gen = torch.Generator().manual_seed(0)
    net = PowerLawEnsemble(dim=2, members=5, width=32, layers=2, generator=gen)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.fit(xs, ts, ys, epochs=150, batch_size=64, optimizer=opt, generator=gen)
    mean, std = net.predict(x[part], 1.0)
    assert np.all(std >= 0)
    error = np.abs(mean - y[part, -1]).mean()
    assert error < 0.5 * np.abs(y[part, 5] - y[part, -1]).mean()


def test_dyhpo_next_step_prediction_beats_the_last_value() -> None:
    # DyHPO's setting: some configurations were trained to the full budget, others stopped after
    # 8 of 20 steps; the GP predicts the stopped ones' next step. Over initialisations 0-7 the
    # error was 0.13-0.41 of the last value's (torch 2.13 CPU): the claim holds for each of 3.
    x, t, y = power_law_curves(30, 2)
    seen = [20] * 20 + [8] * 10
    rows = [(i, k) for i in range(30) for k in range(seen[i])]
    xs = np.array([x[i] for i, _ in rows])
    ts = np.array([t[k] for _, k in rows])
    curves = np.zeros((len(rows), 19))
    for r, (i, k) in enumerate(rows):
        curves[r, :k] = y[i, :k]
    ys = np.array([y[i, k] for i, k in rows])
    stopped = np.arange(20, 30)
    cq = np.zeros((10, 19))
    cq[:, :8] = y[stopped, :8]
    for seed in range(3):
        gen = torch.Generator().manual_seed(seed)
        gp = DeepKernelGP(dim=2, curve_length=19, out=8, generator=gen)
        gp.fit(xs, ts, curves, ys, steps=150, optimizer=torch.optim.Adam(gp.parameters(), lr=1e-2))
        mean, std = gp.predict(xs, ts, curves, ys, x[stopped], np.full(10, t[8]), cq)
        assert np.all(std > 0)
        error = np.abs(mean - y[stopped, 8]).mean()
        assert error < 0.5 * np.abs(y[stopped, 7] - y[stopped, 8]).mean(), seed
