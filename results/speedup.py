"""Speed-up of each method over random search, as a ratio of expected running times (COCO's ERT).

On each task the target is random search's final normalised regret (mean over its seeds). For a
method, ``ERT = (sum over its runs of the x spent until the target was reached, or the run's whole
x if never) / (number of runs that reached it)``; the speed-up is ``ERT(random search) /
ERT(method)``: 2 means the method needed half the budget to match random search's final result.
It is 0 when no run of the method reached the target.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hpobench.results.regret import XAxis, final_regret

__all__ = ["BASELINE", "speedups"]

BASELINE = "random_search"
"""Method label of the reference method."""


def speedups(
    with_regret: pd.DataFrame, *, axis: XAxis = XAxis.EVALS, baseline: str = BASELINE
) -> pd.DataFrame:
    """Per task and method: ERT to reach the baseline's final regret, and speed-up over it.

    Args:
        with_regret: Output of :func:`hpobench.results.regret.add_regret`.
        axis: The unit of running time.
        baseline: The reference method label.

    Returns:
        Columns benchmark, method, target, successes, runs, ert, speedup. Empty when the baseline
        was not run.
    """
    columns = ["benchmark", "method", "target", "successes", "runs", "ert", "speedup"]
    final = final_regret(with_regret)
    base = final[final["method"] == baseline].groupby("benchmark", observed=True)["normalized_regret"].mean()
    if base.empty:
        return pd.DataFrame(columns=columns)
    needed = with_regret[["run_id", "benchmark", "method", axis.column, "normalized_regret"]]
    df = needed[needed["benchmark"].isin(base.index)]
    codes, _ = pd.factorize(df["run_id"], sort=False)
    if not len(codes):
        return pd.DataFrame(columns=columns)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)] - 1
    x = df[axis.column].to_numpy(dtype=float)
    y = df["normalized_regret"].to_numpy(dtype=float)
    bench_codes, bench_names = pd.factorize(df["benchmark"], sort=False)
    target = base.reindex(bench_names).to_numpy()[bench_codes]  # per row, without a label per row
    hit = np.minimum.reduceat(np.where(np.nan_to_num(y, nan=np.inf) <= target, x, np.inf), starts)
    meta = df.iloc[starts][["benchmark", "method"]].reset_index(drop=True)
    meta["hit"] = np.isfinite(hit)
    meta["spent"] = np.where(np.isfinite(hit), hit, x[ends])
    grouped = meta.groupby(["benchmark", "method"], sort=True, observed=True)
    out = grouped.agg(successes=("hit", "sum"), runs=("hit", "size"), total=("spent", "sum")).reset_index()
    out["target"] = base.reindex(out["benchmark"]).to_numpy()
    with np.errstate(divide="ignore"):
        out["ert"] = np.where(out["successes"] > 0, out["total"] / out["successes"].clip(lower=1), np.inf)
    out = out[columns[:-1]]
    base_ert = out[out["method"] == baseline].set_index("benchmark")["ert"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["speedup"] = base_ert.reindex(out["benchmark"]).to_numpy() / out["ert"].to_numpy()
    out["speedup"] = out["speedup"].fillna(0.0)
    return out
