"""Ranks of methods within blocks, at every grid point and at the final budget, averaged over blocks.

Methods are ranked within each *block*, 1 = lowest regret, ties get the average rank, and a method
without a value in a block is left out of that block's ranking. Ranks are then averaged over
blocks. A block is what :class:`hpobench.results.stats.Blocks` says, the same definition as the
critical-difference diagram and the pairwise tests: by default one task and one seed (the runs of
all methods with that seed on that task); with ``Blocks.TASK``, one task with each method's values
averaged over its seeds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from hpobench.results.curves import StepMatrix
from hpobench.results.stats import Blocks, as_blocks, block_table

__all__ = ["block_ranks", "final_ranks", "ranks_over_time"]


def block_ranks(table: pd.DataFrame) -> pd.DataFrame:
    """Rank the columns (methods) of each row (block), 1 = lowest, ties averaged, NaN left out."""
    ranked = stats.rankdata(table.to_numpy(dtype=float), axis=1, method="average", nan_policy="omit")
    return pd.DataFrame(ranked, index=table.index, columns=table.columns)


def final_ranks(
    final: pd.DataFrame, *, column: str = "normalized_regret", blocks: Blocks | str = Blocks.TASK_SEED
) -> pd.Series:
    """Average rank of each method over the blocks of final regret.

    Args:
        final: One row per run with benchmark, method, seed and ``column``
            (:func:`hpobench.results.regret.final_regret`).
        column: The value to rank.
        blocks: The block definition (:class:`hpobench.results.stats.Blocks`), the one the
            report's tests use. Incomplete blocks are kept (a method without a value is left out of
            that block's ranking); on complete blocks this equals the Friedman test's average ranks.

    Raises:
        ValueError: An unknown ``blocks``.
    """
    table = block_table(final, column=column, blocks=blocks, complete=False)
    return block_ranks(table).mean(axis=0).rename("average rank")


def ranks_over_time(sm: StepMatrix, *, blocks: Blocks | str = Blocks.TASK_SEED) -> pd.DataFrame:
    """Average rank of each method at every grid position, over blocks.

    Args:
        sm: The runs' step functions (:func:`hpobench.results.curves.step_matrix`); grid column
            ``j`` is matched across benchmarks by position.
        blocks: The block definition: (benchmark, seed) pairs, or benchmarks with each method's
            step functions averaged over its seeds before ranking.

    Returns:
        Columns method, position (grid index), x (the grid value of the first benchmark; the
        same on all benchmarks for shared grids), rank, n (blocks contributing).
    """
    runs = sm.runs
    keys = ["benchmark"] if as_blocks(blocks) is Blocks.TASK else ["benchmark", "seed"]
    block, _ = pd.factorize(pd.MultiIndex.from_frame(runs[keys]))
    method, methods = pd.factorize(runs["method"], sort=True)
    shape = (block.max() + 1 if len(block) else 0, len(methods), sm.values.shape[1])
    total, count = np.zeros(shape), np.zeros(shape)
    finite = np.isfinite(sm.values)
    np.add.at(total, (block, method), np.where(finite, sm.values, 0.0))
    np.add.at(count, (block, method), finite)
    with np.errstate(invalid="ignore", divide="ignore"):
        cube = np.where(count > 0, total / count, np.nan)  # mean over a block's seeds (one: task-seed)
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
