"""Empirical attainment surfaces of two-objective runs (Grunert da Fonseca, Fonseca and Hall 2001).

A point is *attained* by a run when some point of the run's final front weakly dominates it. The
``k``-th attainment surface of ``n`` runs bounds the region attained by at least ``k`` of them:
the 50 % surface is the median of the runs' outcomes, the 25 % and 75 % surfaces its quartiles
(at least a quarter of the runs reach beyond the best-case one, at least three quarters beyond
the worst-case one). With two objectives it is computed by the standard sweep: visit the points
of all runs by ascending first objective, keep each run's best second objective so far, and read
the ``k``-th smallest of those; the surface steps where that value changes. All in minimisation.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hpobench.results.hypervolume_regret import MOReference

__all__ = ["attainment_levels", "attainment_surface"]

QUANTILES = (0.25, 0.5, 0.75)
"""The attainment levels the report draws: best quartile, median, worst quartile."""


def attainment_levels(n_runs: int, quantiles: Sequence[float] = QUANTILES) -> list[int]:
    """The number of runs ``k = ceil(q * n)`` (at least 1) that must attain a point, per quantile."""
    if n_runs < 1:
        raise ValueError("attainment surfaces need at least one run")
    return [max(1, math.ceil(q * n_runs - 1e-12)) for q in quantiles]


def attainment_surface(fronts: Sequence[np.ndarray], k: int) -> np.ndarray:
    """The ``k``-th attainment surface of two-objective fronts (minimisation).

    Args:
        fronts: One array of shape ``(m_i, 2)`` per run (any points; dominated ones change nothing;
            rows with NaN are ignored; a run may have none).
        k: How many runs must attain a point (1 = the union's front, ``len(fronts)`` = the
            intersection's).

    Returns:
        The surface's corner points, shape ``(p, 2)``, by ascending first and descending second
        objective: the region attained by at least ``k`` runs is the union of the quadrants
        ``[x, inf) x [y, inf)`` of these points (empty when fewer than ``k`` runs have a point).

    Raises:
        ValueError: ``k`` is not in ``1..len(fronts)`` or a front is not ``(m, 2)``.
    """
    n = len(fronts)
    if not 1 <= k <= n:
        raise ValueError(f"k must be in 1..{n}, got {k}")
    points, owners = [], []
    for run, front in enumerate(fronts):
        array = np.asarray(front, dtype=float).reshape(-1, 2) if np.size(front) else np.empty((0, 2))
        if array.ndim != 2 or array.shape[1] != 2:
            raise ValueError(f"front {run} must have shape (m, 2), got {np.shape(front)}")
        array = array[np.isfinite(array).all(axis=1)]
        points.append(array)
        owners.append(np.full(len(array), run))
    xy = np.vstack(points) if points else np.empty((0, 2))
    owner = np.concatenate(owners) if owners else np.empty(0, dtype=int)
    if len(xy) == 0:
        return np.empty((0, 2))
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    xy, owner = xy[order], owner[order]
    # best[i, r]: run r's smallest second objective among the first i + 1 points of the sweep
    best = np.full((len(xy), n), np.inf)
    best[np.arange(len(xy)), owner] = xy[:, 1]
    best = np.minimum.accumulate(best, axis=0)
    level = np.partition(best, k - 1, axis=1)[:, k - 1]
    # one value per distinct x: the last row of each run of equal x
    last = np.r_[xy[1:, 0] != xy[:-1, 0], True]
    xs, ys = xy[last, 0], level[last]
    finite = np.isfinite(ys)
    xs, ys = xs[finite], ys[finite]
    keep = np.r_[True, ys[1:] < ys[:-1]] if len(ys) else np.zeros(0, dtype=bool)
    return np.asarray(np.c_[xs[keep], ys[keep]], dtype=float)


def attainment_frame(
    fronts: pd.DataFrame, references: Mapping[str, MOReference], quantiles: Sequence[float] = QUANTILES
) -> pd.DataFrame:
    """Attainment surfaces of every two-objective task x method over its runs (seeds).

    Args:
        fronts: The runs' final fronts (:func:`hpobench.results.hypervolume_regret.final_fronts`).
        references: Benchmark -> reference (tasks with other than two objectives are skipped).
        quantiles: Fractions of the runs that must attain a point, one surface each.

    Returns:
        Columns benchmark, method, quantile, runs (how many runs), then the corner points ``x``
        and ``y`` in the objectives' own units (first and second objective), in sweep order.
    """
    columns = ["benchmark", "method", "quantile", "runs", "x", "y"]
    parts = []
    for (bench, method), rows in fronts.groupby(["benchmark", "method"], sort=True, observed=True):
        ref = references.get(str(bench))
        if ref is None or len(ref.objectives) != 2:
            continue
        names = [o.name for o in ref.objectives]
        signs = ref.signs
        runs = [
            g[names].to_numpy(dtype=float) * signs
            for _, g in rows.groupby("run_id", sort=True, observed=True)
        ]
        for q, k in zip(quantiles, attainment_levels(len(runs), quantiles), strict=True):
            corners = attainment_surface(runs, k) * signs
            parts.append(
                pd.DataFrame(
                    {
                        "benchmark": bench,
                        "method": method,
                        "quantile": q,
                        "runs": len(runs),
                        "x": corners[:, 0],
                        "y": corners[:, 1],
                    }
                )
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
