"""Ranks of methods: per (task, seed) at every grid point, averaged over tasks and seeds.

Methods are ranked within each *block* (one task and one seed: the runs of all methods with
that seed on that task), 1 = lowest regret, ties get the average rank, and a method without a
value in a block is left out of that block's ranking. Ranks are then averaged over blocks.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from hpobench.results.curves import StepMatrix

__all__ = ["block_ranks", "final_ranks", "ranks_over_time"]


def block_ranks(table: pd.DataFrame) -> pd.DataFrame:
    """Rank the columns (methods) of each row (block), 1 = lowest, ties averaged, NaN left out."""
    ranked = stats.rankdata(table.to_numpy(dtype=float), axis=1, method="average", nan_policy="omit")
    return pd.DataFrame(ranked, index=table.index, columns=table.columns)


def final_ranks(final: pd.DataFrame, *, column: str = "normalized_regret") -> pd.Series:
    """Average rank of each method over (benchmark, seed) blocks of final regret.

    Args:
        final: One row per run with benchmark, method, seed and ``column``
            (:func:`hpobench.results.regret.final_regret`).
        column: The value to rank.
    """
    table = final.pivot_table(index=["benchmark", "seed"], columns="method", values=column, dropna=False)
    return block_ranks(table).mean(axis=0).rename("average rank")


def ranks_over_time(sm: StepMatrix) -> pd.DataFrame:
    """Average rank of each method at every grid position, over (benchmark, seed) blocks.

    Args:
        sm: The runs' step functions (:func:`hpobench.results.curves.step_matrix`); grid column
            ``j`` is matched across benchmarks by position.

    Returns:
        Columns method, position (grid index), x (the grid value of the first benchmark; the
        same on all benchmarks for shared grids), rank, n (blocks contributing).
    """
    runs = sm.runs
    block, _ = pd.factorize(pd.MultiIndex.from_frame(runs[["benchmark", "seed"]]))
    method, methods = pd.factorize(runs["method"], sort=True)
    cube = np.full((block.max() + 1 if len(block) else 0, len(methods), sm.values.shape[1]), np.nan)
    cube[block, method] = sm.values
    ranked = stats.rankdata(cube, axis=1, method="average", nan_policy="omit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # positions without any value stay NaN
        mean = np.nanmean(ranked, axis=0)
    n = np.sum(np.isfinite(ranked), axis=0)
    x = sm.grid[0] if len(sm.grid) else np.zeros(0)
    points = sm.values.shape[1]
    return pd.DataFrame(
        {
            "method": np.repeat(np.asarray(methods, dtype=object), points),
            "position": np.tile(np.arange(points), len(methods)),
            "x": np.tile(x, len(methods)),
            "rank": mean.ravel(),
            "n": n.ravel(),
        }
    )
