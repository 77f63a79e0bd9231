"""One block definition across ranks, CD diagram and paired tests; smallest attainable p-values.

Cross-checked against scipy and autorank on the same block tables.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_data import synthesise
from scipy import stats

from hpobench.contracts.power import holm_min_adjusted, wilcoxon_min_pvalue
from hpobench.results.curves import step_matrix
from hpobench.results.ranks import final_ranks, ranks_over_time
from hpobench.results.regret import XAxis
from hpobench.results.report import write_report
from hpobench.results.stats import Blocks, block_table, friedman, holm, nemenyi, wilcoxon_holm


def winner_frame(*, tasks: int = 6, seeds: int = 10, methods: int = 4, seed: int = 0) -> pd.DataFrame:
    """Final regrets where ``bohb`` beats every other method on every (task, seed)."""
    rng = np.random.default_rng(seed)
    names = ["bohb", *(f"m{i}" for i in range(1, methods - 1)), "random_search"]
    rows = []
    for t in range(tasks):
        for s in range(seeds):
            base = rng.uniform(0.1, 1.0, size=methods)
            base[0] = base[1:].min() * rng.uniform(0.2, 0.9)  # bohb: always lowest
            rows += [
                {"benchmark": f"t{t}", "seed": s, "method": m, "normalized_regret": float(v)}
                for m, v in zip(names, base, strict=True)
            ]
    return pd.DataFrame(rows)


# --- smallest attainable p-values --------------------------------------------------------------


@pytest.mark.parametrize("n", [4, 6, 7, 10])
def test_wilcoxon_floor_is_two_to_the_minus_n_without_ties(n: int) -> None:
    d = np.arange(1.0, n + 1)  # distinct magnitudes, no zero: scipy's exact distribution
    assert wilcoxon_min_pvalue(d * np.where(np.arange(n) % 2, -1, 1)) == pytest.approx(2.0 / 2**n)
    assert wilcoxon_min_pvalue(d, alternative="greater") == pytest.approx(1.0 / 2**n)
    assert wilcoxon_min_pvalue(d, alternative="less") == pytest.approx(1.0 / 2**n)
    # the floor is attained by the all-one-sign outcome, with the same scipy call
    assert stats.wilcoxon(d).pvalue == pytest.approx(wilcoxon_min_pvalue(d))


def test_wilcoxon_floor_counts_zeros_and_ties_as_scipy_does() -> None:
    d = np.array([0.0, 0.0, 1.0, 1.0, 2.0, -3.0, 3.0, 0.5])
    floor = wilcoxon_min_pvalue(d)
    assert floor == pytest.approx(stats.wilcoxon(np.abs(d)).pvalue)
    assert floor > 2.0 / 2**8  # the zeros are dropped: fewer pairs, a higher floor
    assert wilcoxon_min_pvalue(np.zeros(5)) == 1.0
    with pytest.raises(ValueError, match="NaN"):
        wilcoxon_min_pvalue([1.0, np.nan])
    inf = np.array([np.inf, 1.0, 2.0, 3.0, 4.0, 5.0])  # ranked like any largest value, as by scipy
    assert wilcoxon_min_pvalue(inf) == pytest.approx(stats.wilcoxon(inf).pvalue)
    with pytest.raises(ValueError, match="alternative"):
        wilcoxon_min_pvalue([1.0], alternative="two")  # type: ignore[arg-type]


def test_holm_floor_is_m_times_the_floor_and_matches_a_brute_force_search() -> None:
    np.testing.assert_allclose(holm_min_adjusted(np.full(6, 2 / 64)), 6 * 2 / 64)
    # the case that makes a per-test m * p bound wrong: test 1 reaches 0.04 < 3 * 0.02
    np.testing.assert_allclose(holm_min_adjusted([0.01, 0.02, 0.5]), [0.03, 0.04, 0.5])
    rng = np.random.default_rng(4)
    for _ in range(20):
        floors = rng.choice([0.004, 0.01, 0.02, 0.03, 0.2], size=4)
        grid = sorted({*floors.tolist(), 1.0})
        best = np.ones(4)
        for ps in itertools.product(grid, repeat=4):
            p = np.array(ps)
            if (p >= floors).all():
                best = np.minimum(best, holm(p))
        np.testing.assert_allclose(holm_min_adjusted(floors), best)


def test_friedman_floor_and_largest_rank_gap() -> None:
    n, k = 6, 4
    aligned = pd.DataFrame(np.tile(np.arange(k, dtype=float), (n, 1)), columns=list("abcd"))
    res = friedman(aligned)
    assert res.min_pvalue == pytest.approx(stats.chi2.sf(n * (k - 1), k - 1))
    assert res.pvalue == pytest.approx(res.min_pvalue)  # the same order in every block attains it
    assert res.max_rank_difference == k - 1
    assert res.can_reach_alpha
    assert res.can_separate
    extreme = nemenyi(res).loc["a", "d"]  # a always best, d always worst: the largest gap
    assert res.min_nemenyi_pvalue == pytest.approx(extreme, rel=1e-12)
    tied = aligned.assign(b=aligned["a"])  # a and b always tie: the extremes shrink
    assert friedman(tied).max_rank_difference == pytest.approx(k - 1.5)
    assert friedman(tied).min_pvalue == pytest.approx(friedman(tied).pvalue)  # attained here too
    small = friedman(aligned.iloc[:2, :3])
    assert not small.can_separate  # CD on 2 blocks exceeds the largest possible gap of 2


# --- one block definition -------------------------------------------------------------------


def test_six_tasks_ten_seeds_one_winner_is_significant_by_default_and_flagged_by_task() -> None:
    final = winner_frame()
    default = wilcoxon_holm(block_table(final))
    bohb = default[(default["a"] == "bohb") | (default["b"] == "bohb")]
    assert (bohb["n"] == 60).all()
    assert bohb["significant"].all()
    assert (bohb["better"] == "bohb").all()
    assert default["can_reach_alpha"].all()
    by_task = wilcoxon_holm(block_table(final, blocks=Blocks.TASK))
    assert (by_task["n"] == 6).all()
    assert not by_task["significant"].any()
    np.testing.assert_allclose(by_task["min_p"], 2 / 64)  # 6 tasks, two-sided, no ties
    np.testing.assert_allclose(by_task["min_p_holm"], 6 * 2 / 64)  # 6 pairs: 0.1875 > 0.05
    assert not by_task["can_reach_alpha"].any()


@pytest.mark.parametrize("blocks", list(Blocks))
def test_rank_row_equals_the_friedman_ranks_on_the_same_blocks(blocks: Blocks) -> None:
    final = winner_frame(seed=1)
    ranks = final_ranks(final, blocks=blocks)
    cd = friedman(block_table(final, blocks=blocks)).average_ranks
    pd.testing.assert_series_equal(ranks.sort_index(), cd.sort_index(), check_names=False)


def test_block_table_rejects_an_unknown_definition() -> None:
    with pytest.raises(ValueError, match="blocks must be one of"):
        block_table(winner_frame(), blocks="seed")


def test_ranks_over_time_by_task_rank_the_seed_means() -> None:
    from test_report import random_study

    df, _ = random_study()
    sm = step_matrix(df, axis=XAxis.EVALS, points=12)
    ours = ranks_over_time(sm, blocks=Blocks.TASK).set_index(["method", "position"])["rank"]
    long = sm.runs.loc[np.repeat(np.arange(len(sm.runs)), 12)].reset_index(drop=True)
    long["position"] = np.tile(np.arange(12), len(sm.runs))
    long["value"] = sm.values.ravel()
    means = long.groupby(["benchmark", "method", "position"], as_index=False)["value"].mean()
    means["rank"] = means.groupby(["benchmark", "position"])["value"].rank(method="average")
    expected = means.groupby(["method", "position"])["rank"].mean()
    pd.testing.assert_series_equal(ours.sort_index(), expected.sort_index(), check_names=False)


# --- cross-checks against scipy and autorank --------------------------------------------------


@pytest.mark.parametrize("blocks", list(Blocks))
def test_tests_equal_scipy_on_the_block_table(blocks: Blocks) -> None:
    t = block_table(winner_frame(seed=2), blocks=blocks)
    ours = friedman(t)
    ref = stats.friedmanchisquare(*t.T.to_numpy())
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    for row in wilcoxon_holm(t).itertuples():
        w = stats.wilcoxon(t[row.a], t[row.b])
        assert row.pvalue == pytest.approx(w.pvalue, rel=1e-12)
        assert row.min_p == pytest.approx(stats.wilcoxon(np.abs(t[row.a] - t[row.b])).pvalue, rel=1e-12)


@pytest.mark.parametrize("blocks", list(Blocks))
def test_friedman_nemenyi_and_wilcoxon_equal_autorank(blocks: Blocks) -> None:
    from autorank import autorank  # in the test extra: a missing install fails here, not skips

    t = block_table(winner_frame(seed=3), blocks=blocks).reset_index(drop=True)
    t.columns = [str(c) for c in t.columns]
    ours = friedman(t)
    theirs = autorank(t, alpha=0.05, order="ascending", force_mode="nonparametric")
    assert theirs.omnibus == "friedman"
    assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-10)
    assert ours.critical_difference == pytest.approx(theirs.cd, rel=1e-4)  # statsmodels' qsturng
    meanrank = theirs.rankdf["meanrank"].astype(float).sort_index()
    pd.testing.assert_series_equal(ours.average_ranks.sort_index(), meanrank, check_names=False)
    pair = t[["bohb", "random_search"]]
    two = autorank(pair, alpha=0.05, order="ascending", force_mode="nonparametric")
    assert two.omnibus == "wilcoxon"  # one-sided in the observed direction: half our two-sided p
    row = wilcoxon_holm(pair).iloc[0]
    assert row.pvalue == pytest.approx(min(1.0, 2 * two.pvalue), rel=1e-10)


# --- the report -----------------------------------------------------------------------------


def _rank_row(markdown: str) -> dict[str, float]:
    lines = markdown.splitlines()
    header = next(line for line in lines if line.startswith("| benchmark |"))
    row = next(line for line in lines if line.startswith("| average rank |"))
    names = [c.strip() for c in header.strip("|").split("|")][1:]
    values = [float(c.strip().strip("*")) for c in row.strip("|").split("|")[1:]]
    return dict(zip(names, values, strict=True))


def _friedman_ranks(markdown: str) -> dict[str, float]:
    part = markdown[markdown.index("| method | average rank |") :].split("\n\n")[0]
    rows = [line.strip("|").split("|") for line in part.splitlines()[2:]]
    return {a.strip(): float(b) for a, b in rows}


@pytest.mark.parametrize("blocks", ["task-seed", "task"])
def test_report_states_one_block_definition_and_the_attainable_p(tmp_path: Path, blocks: str) -> None:
    synthesise(tmp_path, methods=3, tasks=6, seeds=10, evals=12)
    report = write_report(tmp_path, formats=["md", "html"], blocks=blocks)
    md = report.markdown
    assert re.search(r"smallest attainable [0-9.e-]+", md)
    assert "| min p | min p (Holm) | can reach α |" in md
    rank_row, cd = _rank_row(md), _friedman_ranks(md)
    assert rank_row == pytest.approx({m: round(r, 2) for m, r in cd.items()}, abs=0.006)
    wil = pd.read_csv(tmp_path / "report" / "wilcoxon.csv")
    html = (tmp_path / "report" / "report.html").read_text()
    if blocks == "task-seed":
        assert "one block per (task, seed) pair" in md
        assert "60 blocks" in md
        assert (wil["n"] == 60).all()
        best = wil[(wil["a"] == "m2") & (wil["b"] == "random_search")].iloc[0]
        assert best["significant"]  # wins on every task: significant with (task, seed) blocks
        assert not any("cannot reach" in n for n in report.notes)
    else:
        assert "one block per task" in md
        assert (wil["n"] == 6).all()
        assert not wil["can_reach_alpha"].any()
        assert any("3 of 3 pairwise Wilcoxon tests cannot reach α = 0.05" in n for n in report.notes)
        assert "cannot reach α = 0.05" in html
    assert "Statistical tests: critical-difference diagram" in html
    assert "Blocks: one block per" in html


def test_cli_report_takes_the_block_definition(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from hpobench.cli import main

    synthesise(tmp_path, methods=3, tasks=2, seeds=3, evals=10)
    assert main(["report", str(tmp_path), "--format", "md", "--blocks", "task"]) == 0
    assert "report.md" in capsys.readouterr().out
    out = (tmp_path / "report" / "report.md").read_text()
    assert "one block per task" in out
    assert "average rank over task blocks (seeds averaged)" in out
    with pytest.raises(ValueError, match="blocks must be one of"):
        write_report(tmp_path, formats=["md"], blocks="seeds")


# --- hpobench regress: per-task p-values ----------------------------------------------------


def _scores(method: str, shift: dict[str, float], seeds: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for t, delta in shift.items():
        for s in range(seeds):
            noise = rng.uniform(0.0, 0.02) if delta else 0.0
            value = 0.1 + 0.01 * s + delta + noise
            rows.append({"benchmark": t, "seed": s, "method": method, "normalized_regret": value})
    return pd.DataFrame(rows)


def test_regress_prints_per_task_p_values_equal_to_scipy() -> None:
    from hpobench.evaluation.regress import RegressionResult, format_result, task_tests
    from hpobench.testing.assertions import paired_comparison

    shift = {"a/worse": 0.05, "b/same": 0.0, "c/mixed": 0.001}
    reference = _scores("ref", dict.fromkeys(shift, 0.0), seeds=10)
    candidate = _scores("new", shift, seeds=10)
    tests = task_tests(candidate, reference).set_index("benchmark")
    for bench in shift:
        d = (
            candidate[candidate["benchmark"] == bench]["normalized_regret"].to_numpy()
            - reference[reference["benchmark"] == bench]["normalized_regret"].to_numpy()
        )
        nonzero = d[d != 0]
        expected = stats.wilcoxon(nonzero, alternative="greater").pvalue if len(nonzero) else 1.0
        assert tests.at[bench, "pvalue"] == pytest.approx(expected, rel=1e-12)
        assert tests.at[bench, "n"] == 10
    assert tests.at["a/worse", "min_pvalue"] == pytest.approx(1 / 2**10)
    result = RegressionResult(
        method="new",
        against="ref",
        suite="x",
        alpha=0.05,
        comparison=paired_comparison(candidate, reference),
        task_tests=task_tests(candidate, reference),
    )
    text = format_result(result)
    line = next(row for row in text.splitlines() if row.startswith("a/worse"))
    assert line.split()[-2:] == [f"{tests.at['a/worse', 'pvalue']:.3g}", f"{1 / 2**10:.3g}"]
    assert "smallest attainable p = " in text
    # 4 seeds: a one-sided test on one task cannot go below 1/16 > 0.05, and says so
    few = RegressionResult(
        method="new",
        against="ref",
        suite="x",
        alpha=0.05,
        comparison=paired_comparison(candidate[candidate["seed"] < 4], reference[reference["seed"] < 4]),
        task_tests=task_tests(candidate[candidate["seed"] < 4], reference[reference["seed"] < 4]),
    )
    line = next(row for row in format_result(few).splitlines() if row.startswith("a/worse"))
    assert line.endswith(f"{1 / 16:.3g}!")
    same = next(row for row in format_result(few).splitlines() if row.startswith("b/same"))
    assert not same.endswith("!")  # every pair tied: nothing to detect, no power flag


def test_cli_regress_prints_a_p_value_per_task(
    regress_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hpobench import cli
    from hpobench.evaluation import suites

    args = ["regress", "test_lazy_random_search", "--against", "random_search", "--suite", "smoke"]
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    assert re.search(r"\bp +min p$", out.splitlines()[1])
    for task in suites.SUITES["smoke"].benchmarks:
        line = next(row for row in out.splitlines() if row.startswith(task))
        fields = line.split()
        worse, better = (int(v) for v in fields[-5:-3])
        p, floor = (float(v.rstrip("!")) for v in fields[-2:])
        assert worse > 0
        assert better == 0  # it is never better (see test_regress)
        assert p == pytest.approx(floor, rel=5e-3)  # every differing pair is worse: the floor
        assert floor == pytest.approx(1 / 2**worse, rel=5e-3)  # one-sided, tied pairs dropped
        assert fields[-1].endswith("!") == (floor >= 0.05)


def test_report_says_when_tests_use_only_the_complete_blocks(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=3, tasks=2, seeds=3, evals=10)
    for suffix in ("parquet", "json"):
        (tmp_path / "runs" / f"t1.m2.s1.{suffix}").unlink()  # one (task, seed) block lacks m2
    report = write_report(tmp_path, formats=["md"])
    assert any(
        "1 of 6 (task, seed) blocks lack a method: the tests use the 5 complete ones" in n
        for n in report.notes
    )
    assert "6 blocks (5 of them complete)" in report.markdown
    assert "over 5 (task, seed) blocks" in report.markdown
