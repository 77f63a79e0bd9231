"""Evaluation protocols (held-out seeds, transfer) and the paper-claim files in protocols/."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from hpobench.budget import Budget
from hpobench.claims import Claim, Comparison, ComputeLimit, Relation, check_claim
from hpobench.protocols import SeedSplitBenchmark, held_out_seeds, held_out_seeds_frame, transfer
from hpobench.registry import load_benchmark
from hpobench.types import Trial

PROTOCOLS = Path(__file__).resolve().parents[1] / "protocols"


def load_protocol(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"protocol_{name}", PROTOCOLS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Spy(SeedSplitBenchmark):
    """Records every seed the wrapped benchmark is asked with."""

    def __init__(self, benchmark, *, seeds):  # type: ignore[no-untyped-def]
        super().__init__(benchmark, seeds=seeds)
        self.seen: set[int] = set()

    def evaluate(self, trials, *, seed):  # type: ignore[no-untyped-def]
        self.seen.add(self.seeds[seed % len(self.seeds)])
        return super().evaluate(trials, seed=seed)


@pytest.mark.data
def test_seed_split_only_answers_from_its_seeds(data_dir: Path) -> None:
    bench = load_benchmark("fcnet/protein_structure", data_dir=data_dir)
    view = _Spy(bench, seeds=(0, 1))
    config = bench.codec.sample(np.random.default_rng(0), 1)[0]
    values = {view.evaluate([Trial(config=config)], seed=s)[0].values["valid_mse"] for s in range(20)}
    assert view.seen == {0, 1}
    expected = {bench.evaluate([Trial(config=config)], seed=s)[0].values["valid_mse"] for s in (0, 1)}
    assert values == expected


@pytest.mark.data
def test_held_out_seeds_reevaluates_the_incumbent_on_unseen_seeds(data_dir: Path) -> None:
    result = held_out_seeds(
        benchmark="fcnet/protein_structure",
        method="random_search",
        seed=3,
        budget=Budget.parse("40"),
        tuning_seeds=(0, 1),
        test_seeds=(2, 3),
        data_dir=data_dir,
    )
    bench = load_benchmark("fcnet/protein_structure", data_dir=data_dir)
    direct = [bench.evaluate([Trial(config=result.incumbent)], seed=s)[0].values["valid_mse"] for s in (2, 3)]
    assert result.test_values == pytest.approx(direct)
    assert result.test_value == pytest.approx(np.mean(direct))
    assert result.evaluations == 40
    with pytest.raises(ValueError, match="disjoint"):
        held_out_seeds(
            benchmark="synthetic/branin",
            method="random_search",
            seed=0,
            budget=Budget.parse("5"),
            tuning_seeds=(0, 1),
            test_seeds=(1, 2),
        )


@pytest.mark.data
def test_tuning_scores_are_optimistic_on_a_noisy_table(data_dir: Path) -> None:
    # selecting the best of many noisy observations flatters it: the winner's curse
    frame = held_out_seeds_frame(
        benchmarks=["fcnet/protein_structure"],
        methods=["random_search"],
        seeds=range(8),
        budget=Budget.parse("50"),
        tuning_seeds=(0, 1),
        test_seeds=(2, 3),
        data_dir=data_dir,
    )
    assert len(frame) == 8
    assert frame["optimism"].mean() > 0


@pytest.mark.data
def test_transfer_between_fcnet_tasks(data_dir: Path) -> None:
    result = transfer(
        source="fcnet/protein_structure",
        target="fcnet/naval_propulsion",
        method="random_search",
        seed=0,
        budget=Budget.parse("30"),
        data_dir=data_dir,
    )
    target = load_benchmark("fcnet/naval_propulsion", data_dir=data_dir)
    ref = target.optimum()
    value = float(target.reference_values([result.incumbent])[0, 0])
    expected = (value - ref.best["valid_mse"]) / (ref.worst["valid_mse"] - ref.best["valid_mse"])
    assert result.transfer_regret == pytest.approx(expected)
    assert result.transfer_gap == pytest.approx(result.transfer_regret - result.in_task_regret)
    assert result.source_regret >= 0
    assert result.in_task_regret >= 0


@pytest.mark.data
def test_transfer_refuses_different_spaces(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="different search spaces"):
        transfer(
            source="synthetic/branin",
            target="fcnet/naval_propulsion",
            method="random_search",
            seed=0,
            budget=Budget.parse("5"),
            data_dir=data_dir,
        )


def test_check_claim_reports_held_and_not_held() -> None:
    claim = Claim(
        name="t",
        paper="p",
        statement="Hyperband beats random search; random search beats Hyperband",
        benchmarks=("synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6"),
        budgets={"hyperband": "30x", "random_search": "30x"},
        comparisons=(
            Comparison(method="hyperband", relation=Relation.BEATS, baseline="random_search"),
            Comparison(method="random_search", relation=Relation.BEATS, baseline="hyperband"),
        ),
        compute_limits=(ComputeLimit(method="hyperband", baseline="random_search", max_ratio=1.1),),
        seeds=tuple(range(6)),
    )
    result = check_claim(claim)
    assert [ok for _, _, ok in result.tests] == [True, False]
    assert not result.held
    report = result.report()
    assert "HELD: hyperband beats random_search" in report
    assert "NOT HELD: random_search beats hyperband" in report
    assert "the claim did NOT hold" in report
    assert "compute of hyperband is" in report


def test_protocol_files_import_and_describe_their_claim() -> None:
    for name in ("hyperband_vs_random", "dehb_fcnet", "one_epoch_taskset"):
        module = load_protocol(name)
        assert module.__doc__
        assert "Claim checked" in module.__doc__
        claim = module.make_claim(None if name != "one_epoch_taskset" else Path("."))
        assert claim.comparisons
        assert claim.benchmarks


def test_hyperband_protocol_holds_on_the_synthetic_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    module = load_protocol("hyperband_vs_random")
    assert module.main(module.make_claim, ["--seeds", "6"]) == 0
    out = capsys.readouterr().out
    assert "HELD: hyperband beats random_search" in out
    assert "the claim HELD" in out


@pytest.mark.data
def test_dehb_protocol_says_where_it_ran(data_dir: Path) -> None:
    module = load_protocol("dehb_fcnet")
    claim = module.make_claim(data_dir)
    if any(b.startswith("fcnet/") for b in claim.benchmarks):
        assert claim.note == ""
    else:
        assert "no epoch fidelity" in claim.note
        assert claim.benchmarks == (
            "fcnet_own/naval_propulsion",
            "fcnet_own/parkinsons_telemonitoring",
            "fcnet_own/protein_structure",
        )
    assert module.make_claim(None).benchmarks[0].startswith("fcnet_own/")
