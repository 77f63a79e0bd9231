"""ECDF profiles over targets, COCO style (Hansen et al., "COCO: performance assessment").

Every run is given a set of normalised-regret targets (log-spaced, 1 down to 1e-8 by default);
the profile of a method at budget ``x`` is the fraction of all (run, target) pairs, over all its
runs on all tasks, whose target was reached by ``x``. The area under it summarises speed and
final quality at once; a method that adds runs or tasks does not change another's profile.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hpobench.results.regret import XAxis

__all__ = ["DEFAULT_TARGETS", "ecdf_profiles", "first_hits"]

DEFAULT_TARGETS = np.logspace(0, -8, 41)
"""Normalised-regret targets: 1e0 down to 1e-8, five per decade."""


def first_hits(
    with_regret: pd.DataFrame,
    targets: np.ndarray,
    *,
    axis: XAxis = XAxis.EVALS,
    column: str = "normalized_regret",
) -> tuple[pd.DataFrame, np.ndarray]:
    """The x at which each run first reaches each target (``inf`` if never), vectorised.

    Args:
        with_regret: Output of :func:`hpobench.results.regret.add_regret`, grouped by run.
        targets: Target values of ``column`` (reached when ``value <= target``).
        axis: The x-axis.
        column: The value column.

    Returns:
        One row per run (run_id, benchmark, method, seed, x_max), and a ``(n_runs, n_targets)``
        array of first-hit x-values.
    """
    codes, _ = pd.factorize(with_regret["run_id"], sort=False)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else np.zeros(0, int)
    x = with_regret[axis.column].to_numpy(dtype=float)
    y = with_regret[column].to_numpy(dtype=float)
    y = np.where(np.isfinite(y), y, np.inf)
    hits = np.full((len(starts), len(targets)), np.inf)
    if len(starts):
        for j, target in enumerate(targets):
            hits[:, j] = np.minimum.reduceat(np.where(y <= target, x, np.inf), starts)
    meta = with_regret.iloc[starts][["run_id", "benchmark", "method", "seed"]].reset_index(drop=True)
    ends = np.r_[starts[1:], len(codes)] - 1 if len(starts) else np.zeros(0, int)
    meta["x_max"] = x[ends]
    return meta, hits


def ecdf_profiles(
    with_regret: pd.DataFrame,
    *,
    axis: XAxis = XAxis.EVALS,
    targets: np.ndarray = DEFAULT_TARGETS,
    points: int = 100,
    relative: bool | None = None,
) -> pd.DataFrame:
    """ECDF of (run, target) pairs reached, per method, over all tasks.

    Args:
        with_regret: Output of :func:`hpobench.results.regret.add_regret`.
        axis: The x-axis.
        targets: Normalised-regret targets.
        points: Log-spaced grid points.
        relative: Measure x as a fraction of the largest x seen on the run's task (default: only
            for simulated time, whose scale differs between tasks).

    Returns:
        Columns method, x, fraction (of the method's (run, target) pairs reached by x).
    """
    meta, hits = first_hits(with_regret, targets, axis=axis)
    if relative if relative is not None else axis is XAxis.TIME:
        scale = meta.groupby("benchmark", observed=True)["x_max"].transform("max").to_numpy()
        hits = hits / np.where(scale > 0, scale, 1.0)[:, None]
    finite = hits[np.isfinite(hits) & (hits > 0)]
    hi = float(np.nanmax(hits[np.isfinite(hits)], initial=1.0))
    lo = float(finite.min()) if finite.size else hi
    grid = np.geomspace(lo, hi, points) if hi > lo > 0 else np.array([hi])
    out = []
    for method, rows in meta.groupby("method", sort=True, observed=True).indices.items():
        flat = np.sort(hits[rows].ravel())
        fraction = np.searchsorted(flat, grid, side="right") / max(flat.size, 1)
        out.append(pd.DataFrame({"method": method, "x": grid, "fraction": fraction}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["method", "x", "fraction"])
