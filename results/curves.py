"""Anytime curves: each run's incumbent regret read on a grid, summarised with confidence intervals.

A run's incumbent regret is a step function of the x-axis (evaluations, fidelity spent or
simulated time). :func:`step_matrix` reads all runs on a grid in one vectorised pass (a single
``searchsorted`` over the concatenated runs); :func:`anytime_curves` summarises each benchmark x
method over seeds: mean with a percentile-bootstrap interval, and median with a distribution-free
order-statistic interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from hpobench.results.regret import XAxis

__all__ = [
    "StepMatrix",
    "anytime_curves",
    "bootstrap_mean_ci",
    "make_grid",
    "median_ci",
    "step_matrix",
]

BOOTSTRAP_SEED = 20240601
"""Fixed seed of every bootstrap: the report is deterministic."""


@dataclass(frozen=True, kw_only=True)
class StepMatrix:
    """Every run's step function read on its benchmark's grid.

    Attributes:
        runs: One row per run (run_id, benchmark, method, seed), in the row order of ``values``.
        grid: ``(n_runs, points)`` x-values at which each run is read (its benchmark's grid).
        values: ``(n_runs, points)`` the run's value at each grid point; NaN before its first
            evaluation or first ok evaluation; beyond its last x, its final value (or NaN, see
            ``carry_forward``).
            Column ``j`` is the same fraction of the grid on every benchmark.
    """

    runs: pd.DataFrame
    grid: np.ndarray
    values: np.ndarray


def make_grid(xs: np.ndarray, axis: XAxis, points: int) -> np.ndarray:
    """A grid of ``points`` log-spaced x-values covering ``xs`` (integers for evaluations).

    Returns exactly ``points`` values (repeated integers allowed for short evaluation ranges) so
    that grids of different benchmarks line up by position.
    """
    finite = xs[np.isfinite(xs)]
    hi = float(finite.max()) if finite.size else 1.0
    if axis is XAxis.EVALS:
        return np.round(np.geomspace(1, max(hi, 1.0), points))
    positive = finite[finite > 0]
    lo = float(positive.min()) if positive.size else hi
    if not hi > lo > 0:
        return np.full(points, hi)
    return np.geomspace(lo, hi, points)


def step_matrix(
    with_regret: pd.DataFrame,
    *,
    axis: XAxis = XAxis.EVALS,
    column: str = "normalized_regret",
    points: int = 100,
    shared_grid: bool | None = None,
    carry_forward: bool = True,
) -> StepMatrix:
    """Read every run's step function of ``axis`` on a grid, vectorised over all runs.

    Args:
        with_regret: Output of :func:`hpobench.results.regret.add_regret` (grouped by run, in
            evaluation order, so ``axis`` is non-decreasing within each run).
        axis: The x-axis.
        column: The value column.
        points: Grid points.
        shared_grid: One grid for all benchmarks (default: yes for evaluations and fidelity
            budget, which mean the same on every task; no for simulated time).
        carry_forward: Beyond a run's last x, keep its final value (its incumbent stays its
            answer); if False, NaN there (runs that stop early then drop out of averages).
    """
    df = with_regret
    shared = axis is not XAxis.TIME if shared_grid is None else shared_grid
    codes, run_ids = pd.factorize(df["run_id"], sort=False)
    x = df[axis.column].to_numpy(dtype=float)
    y = df[column].to_numpy(dtype=float)
    n_runs = len(run_ids)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, int)
    if len(starts) != n_runs:
        raise ValueError("step_matrix needs the evaluations grouped by run (use add_regret)")
    ends = np.r_[starts[1:], len(codes)] - 1
    meta = df.iloc[starts][["run_id", "benchmark", "method", "seed"]].reset_index(drop=True)
    benches = meta["benchmark"].to_numpy()
    grids = np.empty((n_runs, points))
    if shared:
        grids[:] = make_grid(x, axis, points)
    else:
        bench_codes, bench_names = pd.factorize(df["benchmark"], sort=False)
        for b, name in enumerate(bench_names):
            grids[benches == name] = make_grid(x[bench_codes == b], axis, points)
    # exact integer keys: (run, rank of x among all x and grid values)
    x_clean = np.where(np.isfinite(x), x, -np.inf)
    levels = np.unique(np.concatenate([x_clean, grids.ravel()]))
    m = len(levels) + 1
    data_key = codes.astype(np.int64) * m + np.searchsorted(levels, x_clean)
    query_key = np.arange(n_runs, dtype=np.int64)[:, None] * m + np.searchsorted(levels, grids)
    idx = np.searchsorted(data_key, query_key, side="right") - 1
    inside = idx >= starts[:, None]
    if not carry_forward:
        inside &= grids <= x[ends][:, None] * (1 + 1e-9)
    values = np.where(inside, y[np.clip(idx, 0, None)], np.nan)
    return StepMatrix(runs=meta, grid=grids, values=values)


def _row_quantiles(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Linear-interpolation quantiles of each row, NaN ignored (vectorised ``np.nanquantile``).

    Returns:
        ``(len(q), n_rows)``.
    """
    values = np.ascontiguousarray(values)
    if np.isfinite(values).all():  # fast path: partition around the few order statistics needed
        pos = q * (values.shape[1] - 1)
        below = np.floor(pos).astype(int)
        above = np.minimum(below + 1, values.shape[1] - 1)
        part = np.partition(values, np.unique(np.r_[below, above]), axis=1)
        return np.asarray((part[:, below] + (pos - below)[None, :] * (part[:, above] - part[:, below])).T)
    ordered = np.sort(values, axis=1)  # NaN sort last
    n = np.sum(np.isfinite(values), axis=1)
    pos = q[:, None] * np.maximum(n - 1, 0)[None, :]
    below = np.floor(pos).astype(int)
    above = np.minimum(below + 1, np.maximum(n - 1, 0)[None, :])
    rows = np.arange(values.shape[0])[None, :]
    lo, hi = ordered[rows, below], ordered[rows, above]
    out = lo + (pos - below) * (hi - lo)
    return np.asarray(np.where(n[None, :] > 0, out, np.nan), dtype=float)


_BOOTSTRAP_CELLS = 1 << 22
"""Resample means computed at once by :func:`bootstrap_mean_ci` (32 MiB of float64)."""


def bootstrap_mean_ci(
    values: np.ndarray, *, level: float = 0.95, resamples: int = 1000, seed: int = BOOTSTRAP_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile-bootstrap interval of the mean of each column of ``values`` (NaN ignored).

    Vectorised: resampling weights are multinomial counts, so the column means of every resample
    are one matrix product, and the percentiles one partition, per block of columns (at most
    :data:`_BOOTSTRAP_CELLS` means at once, so memory does not grow with the number of columns;
    each column's interval does not depend on the blocks). Deterministic for a given ``seed``
    (all columns share the same resamples).

    Args:
        values: ``(n, p)`` samples in rows; NaN entries are left out of each column.
        level: Nominal coverage.
        resamples: Bootstrap resamples.
        seed: Seed of the resampling generator.

    Returns:
        Lower and upper bounds, each of shape ``(p,)`` (NaN where a column has no value).
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    n, p = values.shape
    rng = np.random.default_rng(seed)
    counts_t = rng.multinomial(n, np.full(n, 1.0 / n), size=resamples).T.astype(float)  # (n, B)
    alpha = (1 - level) / 2
    q = np.array([alpha, 1 - alpha])
    lo, hi = np.empty(p), np.empty(p)
    # columns in blocks, so the (columns, B) resample means stay small whatever the study's size
    step = max(1, _BOOTSTRAP_CELLS // max(resamples, 1))
    for start in range(0, p, step):
        block = values[:, start : start + step]
        finite = np.isfinite(block)
        if finite.all():
            means = (block.T @ counts_t) / n  # (columns, B), resamples contiguous
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                means = (np.where(finite, block, 0.0).T @ counts_t) / (finite.T.astype(float) @ counts_t)
        lo[start : start + step], hi[start : start + step] = _row_quantiles(means, q)
    return lo, hi


def median_ci(values: np.ndarray, *, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Distribution-free interval of the median of each column (order statistics; NaN ignored).

    Uses the binomial(n, 1/2) quantiles to pick the order statistics, so its coverage is at least
    about ``level`` for any continuous distribution; with few samples it is the sample range.
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    ordered = np.sort(values, axis=0)  # NaN sort last
    n = np.sum(np.isfinite(values), axis=0)
    alpha = (1 - level) / 2
    lo_rank = np.maximum(stats.binom.ppf(alpha, n, 0.5).astype(int) - 1, 0)
    hi_rank = np.minimum(n - lo_rank - 1, np.maximum(n - 1, 0))
    cols = np.arange(values.shape[1])
    lo = np.where(n > 0, ordered[lo_rank, cols], np.nan)
    hi = np.where(n > 0, ordered[hi_rank, cols], np.nan)
    return lo, hi


def anytime_curves(
    with_regret: pd.DataFrame,
    *,
    axis: XAxis = XAxis.EVALS,
    column: str = "normalized_regret",
    points: int = 100,
    level: float = 0.95,
    resamples: int = 500,
    matrix: StepMatrix | None = None,
) -> pd.DataFrame:
    """Anytime regret per benchmark x method over seeds, with confidence intervals.

    Grid points are shared by all methods of a benchmark; ``n`` says how many runs contribute.

    Args:
        with_regret: Output of :func:`hpobench.results.regret.add_regret`.
        axis: The x-axis.
        column: The value column.
        points: Grid points (when ``matrix`` is not given).
        level: Nominal coverage of the intervals.
        resamples: Bootstrap resamples per grid point (500: the percentile error is small next
            to the interval's width, at half the cost of 1000).
        matrix: A precomputed :func:`step_matrix` of ``with_regret`` (then ``axis``, ``column``
            and ``points`` are ignored).

    Returns:
        Columns benchmark, method, x, mean, se, lo, hi (bootstrap interval of the mean), median,
        median_lo, median_hi, n; grid points without any run are dropped.
    """
    sm = matrix or step_matrix(with_regret, axis=axis, column=column, points=points)
    columns = ["benchmark", "method", "x", "mean", "se", "lo", "hi", "median", "median_lo", "median_hi", "n"]
    groups = sm.runs.groupby(["benchmark", "method"], sort=True, observed=True).indices
    if not groups:
        return pd.DataFrame(columns=columns)
    points = sm.values.shape[1]
    keys: list[Any] = list(groups)
    stats_: dict[str, np.ndarray] = {c: np.empty((len(keys), points)) for c in columns[3:]}
    # one bootstrap per group size: the groups' matrices side by side, one matrix product
    by_size: dict[int, list[int]] = {}
    for g, key in enumerate(keys):
        by_size.setdefault(len(groups[key]), []).append(g)
    for gs in by_size.values():
        mats = np.hstack([sm.values[groups[keys[g]]] for g in gs])
        n = np.sum(np.isfinite(mats), axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN grid points are dropped below
            mean = np.nanmean(mats, axis=0)
            median = np.nanmedian(mats, axis=0)
            sd = np.nanstd(mats, axis=0, ddof=1) if mats.shape[0] > 1 else np.zeros_like(mean)
        se = np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), 0.0)
        lo, hi = bootstrap_mean_ci(mats, level=level, resamples=resamples)
        mlo, mhi = median_ci(mats, level=level)
        for name, arr in zip(columns[3:], (mean, se, lo, hi, median, mlo, mhi, n), strict=True):
            stats_[name][gs] = arr.reshape(len(gs), points)
    grid = np.vstack([sm.grid[groups[k][0]] for k in keys])
    keep = (stats_["n"] > 0) & np.c_[np.ones(len(keys), bool), grid[:, 1:] != grid[:, :-1]]
    rows = np.repeat(np.arange(len(keys)), keep.sum(axis=1))
    out = pd.DataFrame(
        {
            "benchmark": np.asarray([k[0] for k in keys], dtype=object)[rows],
            "method": np.asarray([k[1] for k in keys], dtype=object)[rows],
            "x": grid[keep],
            **{c: stats_[c][keep] for c in columns[3:]},
        }
    )
    out["n"] = out["n"].astype(int)
    return out
