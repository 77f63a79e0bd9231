"""The Optuna adapter: ordinals as integers for relative samplers, seeded QMC, recorded fallbacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np
import pytest

from hpobench.cli.run import _provenance_warnings
from hpobench.contracts.benchmark import Benchmark, BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.method import Method, MethodReport
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Direction, Evaluation, Objective, Status, Task, Trial
from hpobench.data import registry
from hpobench.execution import runner
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec

optuna = pytest.importorskip("optuna")
pytest.importorskip("cmaes")

from hpobench.methods.optuna_adapter import OptunaSampler, optuna_distributions  # noqa: E402

RELATIVE = ("CmaEsSampler", "QMCSampler", "NSGAIISampler", "GPSampler")
STARTUP = {"CmaEsSampler": {"n_startup_trials": 2}, "GPSampler": {"n_startup_trials": 4}}


def _drive(method: OptunaSampler, benchmark: Benchmark, n: int) -> list[Trial]:
    """Sequential ask/tell of ``n`` trials on ``benchmark``."""
    trials = []
    for _ in range(n):
        trial = method.ask()
        trials.append(trial)
        method.tell(benchmark.evaluate([trial], seed=0)[0])
    return trials


@pytest.fixture(scope="module")
def fcnet(data_dir: Path) -> Benchmark:
    return registry.load_benchmark("fcnet/protein_structure", data_dir=data_dir)


@pytest.mark.data
def test_fcnet_grids_are_integer_indices(fcnet: Benchmark) -> None:
    space = optuna_distributions(fcnet.task.space)
    dists = space.distributions
    assert set(dists) == set(fcnet.task.space.keys())  # 6 ordinals, 3 two-valued categoricals
    assert all(isinstance(d, optuna.distributions.IntDistribution) for d in dists.values())
    assert dists["n_units_1"].high == 5
    assert dists["activation_fn_1"].high == 1
    hp = fcnet.task.space["init_lr"]
    for index, value in enumerate(hp.sequence):
        assert space.config({**dict.fromkeys(dists, 0), "init_lr": index})["init_lr"] == value


@pytest.mark.data
@pytest.mark.parametrize("sampler", RELATIVE)
def test_relative_samplers_model_every_fcnet_parameter(fcnet: Benchmark, sampler: str) -> None:
    """No parameter falls back to independent sampling (on main: all 9 under CMA-ES)."""
    method = OptunaSampler(fcnet.task, seed=3, sampler=sampler, sampler_kwargs=STARTUP.get(sampler))
    trials = _drive(method, fcnet, 10)
    assert all(fcnet.codec.is_valid(t.config) for t in trials)
    report = method.report()
    assert report.counts["independent_sampling"] == 0
    assert report.warnings == ()
    study = method._study
    relative = method._sampler.infer_relative_search_space(study, study.trials[-1])
    assert set(relative) == set(fcnet.task.space.keys())


@pytest.mark.parametrize("sampler", RELATIVE)
def test_relative_samplers_on_a_continuous_task(sampler: str) -> None:
    bench = registry.load_benchmark("synthetic/hartmann6")
    method = OptunaSampler(bench.task, seed=0, sampler=sampler, sampler_kwargs=STARTUP.get(sampler))
    trials = _drive(method, bench, 10)
    assert all(bench.codec.is_valid(t.config) for t in trials)
    assert method.report().counts["independent_sampling"] == 0


def _three_way_task() -> Task:
    space = CS.ConfigurationSpace()
    space.add(
        [
            CS.UniformFloatHyperparameter("x", -1.0, 1.0),
            CS.UniformFloatHyperparameter("y", -1.0, 1.0),
            CS.CategoricalHyperparameter("opt", ["adam", "sgd", "rmsprop"]),
        ]
    )
    return Task(
        name="test/three_way", space=space, objectives=(Objective(name="loss", direction=Direction.MINIMIZE),)
    )


def test_a_fallback_is_counted_and_reported() -> None:
    """CMA-ES cannot model a three-valued categorical: each later trial samples it independently."""
    task = _three_way_task()
    method = OptunaSampler(task, seed=1, sampler="CmaEsSampler", sampler_kwargs={"n_startup_trials": 2})
    codec = SpaceCodec(task.space)
    for _ in range(8):
        trial = method.ask()
        assert codec.is_valid(trial.config)
        loss = trial.config["x"] ** 2 + trial.config["y"] ** 2
        method.tell(Evaluation(trial=trial, values={"loss": loss}, cost=1.0, status=Status.OK))
    report = method.report()
    assert report.counts == {"independent_sampling": 6, "independent_sampling[opt]": 6}
    (warning,) = report.warnings
    assert "CmaEsSampler" in warning
    assert "1 of 3 parameters: opt" in warning


def test_qmc_seeds_give_different_runs_and_the_same_seed_repeats() -> None:
    bench = registry.load_benchmark("synthetic/branin")

    def sequence(seed: int) -> list[tuple[float, ...]]:
        method = OptunaSampler(bench.task, seed=seed, sampler="QMCSampler")
        # the first trial is drawn by Optuna's independent sampler; the QMC points follow
        return [tuple(sorted(t.config.items())) for t in _drive(method, bench, 6)[1:]]  # type: ignore[misc]

    runs = [sequence(seed) for seed in range(5)]
    assert len({tuple(r) for r in runs}) == 5
    assert sequence(2) == runs[2]
    with pytest.raises(ValueError, match="scramble=True"):
        OptunaSampler(bench.task, seed=0, sampler="QMCSampler", sampler_kwargs={"scramble": False})


class _Warns(Method):
    """A method that reports a warning (stands in for an adapter whose library fell back)."""

    def __init__(self, task: Task, *, seed: int) -> None:
        super().__init__(task, seed=seed)
        self._rng = np.random.default_rng(seed)
        self._asked = 0

    def ask(self) -> Trial:
        self._asked += 1
        return Trial(config=SpaceCodec(self.task.space).sample(self._rng, 1)[0])

    def tell(self, evaluation: Evaluation) -> None:
        pass

    def report(self) -> MethodReport:
        return MethodReport(warnings=("fell back",), counts={"asked": self._asked})


def test_the_runner_records_the_report_and_the_cli_prints_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(runner, "load_method", lambda name: _Warns)
    spec = RunSpec(
        benchmark=BenchmarkSpec(family="synthetic", task="branin"),
        method="warns",
        seed=0,
        budget=Budget.parse("7"),
    )
    outcome = execute_run(spec)
    assert outcome.provenance["status"] == "ok"
    assert outcome.provenance["method_report"] == {"warnings": ["fell back"], "counts": {"asked": 7}}
    runs = tmp_path / "runs"
    runs.mkdir()
    record: dict[str, Any] = {"run_id": "a", "method_report": outcome.provenance["method_report"]}
    (runs / "a.json").write_text(json.dumps(record))
    (runs / "b.json").write_text(json.dumps({"run_id": "b"}))
    assert _provenance_warnings(tmp_path, ["a", "b", "missing"], threads=1) == ["WARNING a: fell back"]


def test_cmaes_comes_with_the_optuna_and_test_extras() -> None:
    """Without ``cmaes``, every ``CmaEsSampler`` run fails at its first relative sample."""
    import tomllib

    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    extras = pyproject["project"]["optional-dependencies"]
    for extra in ("optuna", "test"):
        assert any(req.split(">")[0].split("=")[0].strip() == "cmaes" for req in extras[extra]), extra
