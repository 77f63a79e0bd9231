"""Incumbent trajectories, normalised regret and anytime curves, as pure functions of frames.

Definitions (for the primary objective, with ``sign`` = +1 when minimising, -1 when maximising):

* the *incumbent* after evaluation ``i`` is the evaluation with the best observed ``value`` among
  evaluations ``0..i`` with status ok (ties keep the earlier one), at whatever fidelity;
* its *regret* is ``sign * (value_max - best)``, where ``value_max`` is the incumbent
  configuration's noise-free value at the maximal fidelity and ``best`` the task's reference
  optimum: it is never negative and is zero exactly at the optimum;
* *normalised regret* divides by ``sign * (worst - best)``, the task's reference range, so scores
  do not depend on which methods were run.
"""

from __future__ import annotations

import warnings
from enum import Enum

import numpy as np
import pandas as pd

__all__ = ["XAxis", "add_regret", "anytime_curves", "final_regret"]


class XAxis(Enum):
    """The x-axis of anytime curves."""

    EVALS = "evals"
    BUDGET = "budget"
    TIME = "time"

    @property
    def column(self) -> str:
        """Column of the evaluation frame (after :func:`add_regret`) that holds this axis."""
        return {"evals": "n_evals", "budget": "fidelity_spent", "time": "time"}[self.value]

    @property
    def label(self) -> str:
        """Axis label for plots."""
        return {
            "evals": "evaluations",
            "budget": "fidelity spent (multiples of the maximal fidelity)",
            "time": "simulated time (s)",
        }[self.value]


def add_regret(evaluations: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Return ``evaluations`` sorted by run and evaluation, with incumbent and regret columns.

    Adds ``n_evals`` (1-based count), ``incumbent_value_max``, ``regret`` and
    ``normalized_regret``; rows before the first ok evaluation of a run get NaN.

    Args:
        evaluations: Long-format evaluations (columns of :data:`hpobench.store.COLUMNS`).
        runs: One row per run with ``run_id``, ``direction``, ``ref_best``, ``ref_worst``.
    """
    meta = runs.set_index("run_id")[["direction", "ref_best", "ref_worst"]]
    df = evaluations.sort_values(["run_id", "eval"], kind="stable").reset_index(drop=True)
    joined = meta.reindex(df["run_id"].to_numpy())
    sign = np.where(joined["direction"].to_numpy() == "maximize", -1.0, 1.0)
    best = joined["ref_best"].to_numpy(dtype=float)
    worst = joined["ref_worst"].to_numpy(dtype=float)
    ok = (df["status"] == "ok").to_numpy() & np.isfinite(df["value"].to_numpy(dtype=float))
    loss = np.where(ok, sign * df["value"].to_numpy(dtype=float), np.inf)
    run = df["run_id"]
    running = pd.Series(loss).groupby(run.to_numpy()).cummin().to_numpy()
    previous = pd.Series(running).groupby(run.to_numpy()).shift(1, fill_value=np.inf).to_numpy()
    improved = ok & (loss < previous)
    position = np.where(improved, np.arange(len(df)), -1)
    incumbent = pd.Series(position).groupby(run.to_numpy()).cummax().to_numpy()
    has = incumbent >= 0
    value_max = df["value_max"].to_numpy(dtype=float)
    inc_value = np.where(has, value_max[np.where(has, incumbent, 0)], np.nan)
    regret = sign * (inc_value - best)
    scale = sign * (worst - best)
    df["n_evals"] = df["eval"].to_numpy() + 1
    df["incumbent_value_max"] = inc_value
    df["regret"] = regret
    with np.errstate(divide="ignore", invalid="ignore"):
        df["normalized_regret"] = np.where(scale > 0, regret / scale, np.nan)
    return df


def final_regret(with_regret: pd.DataFrame, *, column: str = "normalized_regret") -> pd.DataFrame:
    """Final regret per run: one row per (benchmark, method, seed) with the last ``column`` value."""
    last = with_regret.groupby("run_id", sort=True).tail(1)
    return last[["benchmark", "method", "seed", column]].reset_index(drop=True)


def _grid(xs: np.ndarray, axis: XAxis, points: int) -> np.ndarray:
    hi = float(np.nanmax(xs))
    if axis is XAxis.EVALS:
        return np.unique(np.round(np.geomspace(1, max(hi, 1), points))).astype(float)
    lo = float(np.nanmin(xs[xs > 0])) if np.any(xs > 0) else hi
    return np.geomspace(lo, hi, points) if hi > lo > 0 else np.array([hi])


def anytime_curves(
    with_regret: pd.DataFrame,
    *,
    axis: XAxis = XAxis.EVALS,
    column: str = "normalized_regret",
    points: int = 100,
) -> pd.DataFrame:
    """Anytime regret on a common grid per benchmark: mean, standard error and median over seeds.

    Each run's incumbent regret is a step function of ``axis``; it is read at each grid point
    (NaN before the run's first evaluation and beyond its own last ``x``: runs are never
    extrapolated). Grid points are shared by all methods of a benchmark; ``n`` says how many runs
    contribute to each.

    Returns:
        Columns benchmark, method, x, mean, se, median, n (number of runs contributing).
    """
    out = []
    xcol = axis.column
    for bench, frame in with_regret.groupby("benchmark", sort=True):
        grid = _grid(frame[xcol].to_numpy(dtype=float), axis, points)
        for method, mframe in frame.groupby("method", sort=True):
            values = []
            for _, run in mframe.groupby("run_id", sort=True):
                x = run[xcol].to_numpy(dtype=float)
                y = run[column].to_numpy(dtype=float)
                idx = np.searchsorted(x, grid, side="right") - 1
                v = np.where(idx >= 0, y[np.clip(idx, 0, None)], np.nan)
                values.append(np.where(grid <= x[-1] * (1 + 1e-9), v, np.nan))
            mat = np.vstack(values)
            n = np.sum(np.isfinite(mat), axis=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN grid points are dropped below
                mean = np.nanmean(mat, axis=0)
                median = np.nanmedian(mat, axis=0)
                sd = np.nanstd(mat, axis=0, ddof=1)
            se = np.where(n > 1, sd / np.sqrt(np.maximum(n, 1)), 0.0)
            keep = n > 0
            out.append(
                pd.DataFrame(
                    {
                        "benchmark": bench,
                        "method": method,
                        "x": grid[keep],
                        "mean": mean[keep],
                        "se": se[keep],
                        "median": median[keep],
                        "n": n[keep],
                    }
                )
            )
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame()
