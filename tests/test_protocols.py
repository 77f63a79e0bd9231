"""Evaluation protocols (held-out seeds, transfer) and the paper-claim files in protocols/."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import IncompatibleError
from hpobench.contracts.types import Trial
from hpobench.data.registry import load_benchmark
from hpobench.evaluation.claims import (
    Claim,
    Comparison,
    ComputeLimit,
    Relation,
    check_claim,
    evaluate_comparison,
    require_first_fidelity,
)
from hpobench.evaluation.protocols import held_out_seeds, held_out_seeds_frame, transfer
from hpobench.evaluation.seed_split import SeedSplitBenchmark

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
    assert [t.held for t in result.tests] == [True, False]
    assert not result.held
    report = result.report()
    assert "HELD: hyperband beats random_search" in report
    assert "NOT HELD: random_search beats hyperband" in report
    assert "the claim did NOT hold" in report
    assert "compute of hyperband is" in report


def test_protocol_files_import_and_describe_their_claim() -> None:
    for name in ("hyperband_vs_random", "dehb_fcnet", "one_epoch", "mo_asha_lcbench"):
        module = load_protocol(name)
        assert module.__doc__
        assert "Claim checked" in module.__doc__
        claim = module.make_claim(None if name != "one_epoch" else Path("."))
        assert claim.comparisons
        assert claim.benchmarks
    assert not (PROTOCOLS / "one_epoch_taskset.py").exists()


def _scores(a: list[float], b: list[float]) -> pd.DataFrame:
    """A score frame of methods ``a`` and ``b`` on one task, seed i pairing a[i] with b[i]."""
    rows = [
        {"benchmark": "t/x", "seed": i, "method": m, "normalized_regret": v}
        for m, values in (("a", a), ("b", b))
        for i, v in enumerate(values)
    ]
    return pd.DataFrame(rows)


def test_not_worse_fails_on_a_large_difference_that_is_not_significant() -> None:
    # four pairs cannot make a one-sided Wilcoxon test significant (smallest p = 1/16), so "not
    # significantly worse" would hold although "a" is worse by 0.3 in every pair
    scores = _scores([0.4, 0.5, 0.6, 0.7], [0.1, 0.2, 0.3, 0.4])
    comparison = Comparison(method="a", relation=Relation.NOT_WORSE, baseline="b", margin=0.05)
    result = evaluate_comparison(comparison, scores, alpha=0.05)
    assert not result.held
    assert result.p_upper == pytest.approx(1.0)
    assert result.effect.mean_difference == pytest.approx(0.3)
    assert result.describe().startswith("NOT HELD: a not worse than b (margin 0.05)")


def test_not_worse_and_equivalent_hold_within_the_margin() -> None:
    rng = np.random.default_rng(0)
    b = rng.uniform(0.1, 0.5, size=12)
    close = _scores(list(b + rng.uniform(-0.01, 0.01, size=12)), list(b))
    better = _scores(list(b - 0.2), list(b))
    for relation, frame, held in (
        (Relation.NOT_WORSE, close, True),
        (Relation.EQUIVALENT, close, True),
        (Relation.NOT_WORSE, better, True),  # far better is not worse ...
        (Relation.EQUIVALENT, better, False),  # ... but not equivalent
    ):
        comparison = Comparison(method="a", relation=relation, baseline="b", margin=0.05)
        result = evaluate_comparison(comparison, frame, alpha=0.05)
        assert result.held is held, (relation, result.describe())
        assert result.p_upper is not None
        assert result.p_lower is not None
    # the decision is TOST's upper test for NOT_WORSE and the larger p-value for EQUIVALENT
    result = evaluate_comparison(
        Comparison(method="a", relation=Relation.EQUIVALENT, baseline="b", margin=0.05), better, alpha=0.05
    )
    assert result.pvalue == max(result.p_upper or 0.0, result.p_lower or 0.0) > 0.05


def test_tost_p_values_equal_scipy_wilcoxon_on_the_shifted_differences() -> None:
    from scipy import stats

    rng = np.random.default_rng(3)
    b = rng.uniform(0.1, 0.5, size=15)
    a = b + rng.normal(0.01, 0.03, size=15)
    comparison = Comparison(method="a", relation=Relation.NOT_WORSE, baseline="b", margin=0.02)
    result = evaluate_comparison(comparison, _scores(list(a), list(b)), alpha=0.05)
    d = a - b
    assert result.p_upper == pytest.approx(stats.wilcoxon(d - 0.02, alternative="less").pvalue)
    assert result.p_lower == pytest.approx(stats.wilcoxon(d + 0.02, alternative="greater").pvalue)
    assert result.pvalue == result.p_upper


def test_not_worse_needs_a_stated_margin() -> None:
    for relation in (Relation.NOT_WORSE, Relation.EQUIVALENT):
        with pytest.raises(ValueError, match="margin"):
            Comparison(method="a", relation=relation, baseline="b")
    with pytest.raises(ValueError, match="margin"):
        Comparison(method="a", relation=Relation.BEATS, baseline="b", margin=-0.1)
    with pytest.raises(ValueError, match="incumbent"):
        Claim(name="t", paper="p", statement="s", benchmarks=(), budgets={}, comparisons=(), incumbent="last")


def test_one_epoch_protocol_uses_real_epochs_and_an_equivalence_margin() -> None:
    claim = load_protocol("one_epoch").make_claim(Path("."))
    assert claim.first_fidelity == "epoch"
    assert claim.incumbent == "max_fidelity"
    assert not any(b.startswith("taskset/") for b in claim.benchmarks)
    assert all(c.relation is Relation.NOT_WORSE and c.margin > 0 for c in claim.comparisons)
    require_first_fidelity(claim.benchmarks, unit="epoch", data_dir=None)  # own tables: no download


@pytest.mark.data
def test_one_epoch_protocol_refuses_a_task_whose_first_fidelity_is_not_an_epoch(data_dir: Path) -> None:
    module = load_protocol("one_epoch")
    taskset = "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128"
    claim = module.make_claim(data_dir, benchmarks=("fcnet_own/naval_propulsion", taskset))
    with pytest.raises(IncompatibleError, match=r"lowest fidelity is step = 1 .*not one epoch"):
        check_claim(claim, data_dir=data_dir, seeds=[0])
    with pytest.raises(IncompatibleError, match="has no fidelity"):
        require_first_fidelity(("fcnet/naval_propulsion",), unit="epoch", data_dir=data_dir)


def test_hyperband_and_dehb_protocols_score_the_incumbent_at_the_maximal_fidelity() -> None:
    for name in ("hyperband_vs_random", "dehb_fcnet"):
        assert load_protocol(name).make_claim(None).incumbent == "max_fidelity"


def test_one_epoch_yahpo_variant_trains_to_the_first_trained_epoch() -> None:
    module = load_protocol("one_epoch")
    claim = module.make_yahpo_claim(Path("."))
    assert all(b.startswith("yahpo/lcbench-") for b in claim.benchmarks)
    assert claim.method_kwargs["one_epoch_topk"]["min_fidelity"] == module.YAHPO_FIRST_EPOCH == 2
    assert claim.first_fidelity is None
    assert "before training" in claim.note
    assert claim.incumbent == "max_fidelity"


def test_protocol_command_line_refuses_an_unknown_variant(capsys: pytest.CaptureFixture[str]) -> None:
    module = load_protocol("one_epoch")
    with pytest.raises(SystemExit):
        module.main(
            module.make_claim, ["--variant", "taskset"], variants={"yahpo_lcbench": module.make_yahpo_claim}
        )
    assert "invalid choice" in capsys.readouterr().err


def test_incumbent_rule_ignores_low_fidelity_bests(tmp_path: Path) -> None:
    from hpobench.results.load import load_results

    # DEHB's low-fidelity mutants often observe the best value of a run on these tasks
    claim = replace(
        load_protocol("dehb_fcnet").make_claim(None),
        benchmarks=("synthetic/hartmann3", "synthetic/hartmann6"),
        budgets={"dehb": "10x"},
        comparisons=(),
    )
    result = check_claim(claim, seeds=range(10), out=tmp_path)
    loaded = load_results(tmp_path)
    evaluations = loaded.evaluations[loaded.evaluations["status"] == "ok"]
    high = loaded.runs.set_index("run_id")["fidelity_high"]
    scores = result.scores.set_index("run_id")
    differs = 0
    for run_id, frame in evaluations.groupby("run_id"):
        at_max = frame[frame["fidelity"] >= high[run_id]]
        chosen = at_max.loc[at_max["value"].idxmin()]  # the synthetic tasks minimise
        row = scores.loc[run_id]
        assert row["regret"] == pytest.approx(chosen["value_max"] - row["ref_best"])
        differs += frame.loc[frame["value"].idxmin(), "value_max"] != chosen["value_max"]
    assert differs > 0  # some run's best value at any fidelity is a low-fidelity one


def test_protocol_command_line_can_score_with_the_other_incumbent_rule(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_protocol("hyperband_vs_random")
    assert module.main(module.make_claim, ["--seeds", "2", "--incumbent", "any_fidelity"]) in (0, 1)
    assert "incumbent: any fidelity" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        module.main(module.make_claim, ["--incumbent", "last"])


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


def test_mo_asha_protocol_scores_fully_trained_configurations_on_yahpo_mo_lcbench() -> None:
    claim = load_protocol("mo_asha_lcbench").make_claim(None)
    assert claim.incumbent == "max_fidelity"
    assert all(b.startswith("yahpo_mo/lcbench-") for b in claim.benchmarks)
    assert {"yahpo_mo/lcbench-167152", "yahpo_mo/lcbench-167185", "yahpo_mo/lcbench-189873"} <= set(
        claim.benchmarks
    )
    assert set(claim.budgets) == {"mo_asha", "random_search"}


def test_mo_asha_protocol_starts_at_the_first_trained_epoch_and_keeps_the_defaults_as_a_variant() -> None:
    module = load_protocol("mo_asha_lcbench")
    claim, epoch1 = module.make_claim(None), module.make_epoch1_claim(None)
    assert claim.method_kwargs == {"mo_asha": {"min_fidelity": 2}}
    assert not epoch1.method_kwargs
    assert replace(claim, method_kwargs={}) == epoch1
    runs = claim.plan(seeds=[0]).runs
    assert len(runs) == 2 * len(claim.benchmarks)
    for run in runs:
        assert dict(run.method_kwargs) == ({"min_fidelity": 2} if run.method == "mo_asha" else {})


def test_freeze_thaw_protocol_claims_every_candidate_on_both_families() -> None:
    module = load_protocol("freeze_thaw_lcbench")
    assert "Claim checked" in module.__doc__
    tasks = (*module.LCBENCH_OWN[:1], *module.YAHPO_LCBENCH[:1])
    claim = module.make_claim(tasks, budget="20x", seeds=10, max_steps=10)
    assert claim.seeds == tuple(range(10))
    candidates = {c.method for c in claim.comparisons}
    assert candidates == {"dyhpo", "dpl", "ifbo"}  # the FT-PFN weights ship with the package
    assert {c.baseline for c in claim.comparisons} == {"random_search", "hyperband", "asha"}
    assert all(claim.method_kwargs[m] == {"max_steps": 10} for m in (*candidates, "freeze_thaw"))
    assert "no continuation" in claim.note
    others = (("random_search", 0.5), ("hyperband", 0.4), ("asha", 0.3), ("freeze_thaw", 0.2))
    rows = [
        {"benchmark": b, "seed": s, "method": m, "method_name": m, "anytime_regret": v}
        for b in tasks
        for s in range(10)
        for m, v in (("dyhpo", 0.1), ("dpl", 0.1), ("ifbo", 0.1 if b.startswith("lc") else 0.9), *others)
    ]
    scores = pd.DataFrame(rows)
    scores["normalized_regret"] = scores["anytime_regret"]
    scores["anytime_regret"] += 1e-3 * scores["seed"]  # no ties among the paired differences
    scores["method_seconds"] = 1.0
    scores["fidelity_spent"] = 20.0
    families = {"lcbench_own": tasks[:1], "yahpo_lcbench": tasks[1:]}
    own = module.evaluate(replace(claim, benchmarks=tasks[:1]), scores)
    assert own.held
    assert not module.evaluate(claim, scores).held  # ifbo loses on YAHPO
    text = module.report(module.evaluate(claim, scores), scores, families=families)
    assert "== lcbench_own only (1 tasks x 10 seeds): HELD" in text
    assert "== yahpo_lcbench only (1 tasks x 10 seeds): did NOT hold" in text
    assert "ifbo: NOT HELD against all baselines" in text
    assert "method_seconds" in text
