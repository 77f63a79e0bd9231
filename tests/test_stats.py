from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hpobench.results.curves import bootstrap_mean_ci, median_ci
from hpobench.results.stats import block_table, cd_cliques, friedman, holm, nemenyi, wilcoxon_holm


def table(seed: int = 0, blocks: int = 12, methods: int = 5, ties: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(blocks, methods)) + np.arange(methods) * 0.6
    if ties:
        data = np.round(data)  # many ties within blocks
    return pd.DataFrame(data, columns=[f"m{i}" for i in range(methods)])


@pytest.mark.parametrize("ties", [False, True])
def test_friedman_equals_scipy(ties: bool) -> None:
    t = table(ties=ties)
    ours = friedman(t)
    ref = stats.friedmanchisquare(*t.T.to_numpy())
    assert ours.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.pvalue == pytest.approx(ref.pvalue, rel=1e-10)
    assert ours.n_blocks == 12


def test_friedman_on_block_table_from_runs_equals_scipy() -> None:
    rng = np.random.default_rng(3)
    final = pd.DataFrame(
        [
            {"benchmark": f"b{b}", "method": f"m{m}", "seed": s, "normalized_regret": rng.random() / (m + 1)}
            for b in range(6)
            for m in range(4)
            for s in range(3)
        ]
    )
    for blocks in ("task", "task-seed"):
        t = block_table(final, blocks=blocks)
        ref = stats.friedmanchisquare(*t.T.to_numpy())
        assert friedman(t).statistic == pytest.approx(ref.statistic)
        assert friedman(t).pvalue == pytest.approx(ref.pvalue)
    assert len(block_table(final, blocks="task-seed")) == 18


def test_friedman_average_ranks_match_pandas_and_cd_matches_demsar() -> None:
    t = table()
    res = friedman(t)
    expected = t.rank(axis=1).mean(axis=0).sort_values()
    pd.testing.assert_series_equal(res.average_ranks, expected, check_names=False)
    # Demšar (2006), table 5: q_0.05 = 2.728 for k = 5
    assert res.critical_difference == pytest.approx(2.728 * np.sqrt(5 * 6 / (6 * 12)), rel=1e-3)


def test_nemenyi_is_significant_exactly_beyond_the_critical_difference() -> None:
    res = friedman(table(blocks=40))
    p = nemenyi(res)
    r = res.average_ranks
    diff = np.abs(r.to_numpy()[:, None] - r.to_numpy()[None, :])
    assert ((p.to_numpy() < 0.05) == (diff > res.critical_difference)).all()
    for clique in cd_cliques(res):
        ranks = r[list(clique)]
        assert ranks.max() - ranks.min() <= res.critical_difference


def test_friedman_needs_three_methods() -> None:
    with pytest.raises(ValueError, match=">= 3 methods"):
        friedman(table(methods=2))


def test_wilcoxon_equals_scipy_and_holm_is_applied() -> None:
    t = table(blocks=15, methods=4)
    out = wilcoxon_holm(t)
    assert len(out) == 6
    for row in out.itertuples():
        ref = stats.wilcoxon(t[row.a], t[row.b])
        assert row.statistic == pytest.approx(ref.statistic)
        assert row.pvalue == pytest.approx(ref.pvalue)
    np.testing.assert_allclose(out["p_holm"], holm(out["pvalue"].to_numpy()))
    assert (out["p_holm"] >= out["pvalue"]).all()


def test_holm_on_a_worked_example() -> None:
    # sorted p: 0.01, 0.02, 0.03, 0.04 -> 0.04, 0.06, 0.06, 0.06 (monotone step-down)
    np.testing.assert_allclose(holm(np.array([0.03, 0.01, 0.04, 0.02])), [0.06, 0.04, 0.06, 0.06])
    np.testing.assert_allclose(holm(np.array([0.5, 0.9])), [1.0, 1.0])


def test_bootstrap_interval_covers_the_known_mean_at_nominal_rate() -> None:
    rng = np.random.default_rng(7)
    samples = rng.normal(loc=3.0, scale=2.0, size=(30, 2000))  # 2000 independent experiments
    lo, hi = bootstrap_mean_ci(samples, level=0.9)
    coverage = np.mean((lo <= 3.0) & (hi >= 3.0))
    assert 0.86 <= coverage <= 0.94  # percentile bootstrap, n = 30: close to nominal 0.9
    again = bootstrap_mean_ci(samples, level=0.9)
    np.testing.assert_array_equal(lo, again[0])  # fixed seed: deterministic


def test_bootstrap_ignores_nan_and_median_interval_covers() -> None:
    rng = np.random.default_rng(8)
    samples = rng.exponential(size=(25, 2000))
    samples[0, :5] = np.nan
    lo, hi = bootstrap_mean_ci(samples)
    assert np.isfinite(lo).all()
    assert (lo <= hi).all()
    mlo, mhi = median_ci(samples)
    coverage = np.mean((mlo <= np.log(2)) & (np.log(2) <= mhi))
    assert coverage >= 0.93
