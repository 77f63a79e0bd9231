"""Incumbent trajectories, normalised regret and anytime curves, as pure functions of frames.

Definitions (for the primary objective, with ``sign`` = +1 when minimising, -1 when maximising):

* the *incumbent* after evaluation ``i`` is the evaluation with the best observed ``value`` among
  evaluations ``0..i`` with status ok (ties keep the earlier one), at whatever fidelity by default
  (:attr:`Incumbent.ANY_FIDELITY`, the convention of Hyperband, BOHB and DEHB), or only among
  evaluations at the task's maximal fidelity (:attr:`Incumbent.MAX_FIDELITY`: what a method can
  recommend after training to the end, e.g. for the one-epoch top-K protocol);
* its *regret* is ``sign * (value_max - best)``, where ``value_max`` is the incumbent
  configuration's noise-free value at the maximal fidelity and ``best`` the task's reference
  optimum: it is never negative and is zero exactly at the optimum;
* *normalised regret* divides by ``sign * (worst - best)``, the task's reference range, so scores
  do not depend on which methods were run.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

from hpobench.results.axes import XAxis

__all__ = ["Incumbent", "XAxis", "add_regret", "at_max_fidelity", "final_regret", "resolve_references"]


class Incumbent(Enum):
    """Which evaluations may become a run's incumbent."""

    ANY_FIDELITY = "any_fidelity"
    MAX_FIDELITY = "max_fidelity"


def resolve_references(runs: pd.DataFrame, evaluations: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Fill missing reference values from the values observed, and say so.

    A run whose provenance record has no usable ``reference.best`` (missing key, null, NaN) takes
    the best ``value_max`` observed over all runs of its task (any method, ok evaluations), and a
    missing ``reference.worst`` the worst one. Such scores are relative to the runs at hand and
    move when methods are added: ``ref_fallback`` is True for them and a note names the task. A
    task whose reference range is empty or reversed (worst not worse than best) has no normalised
    regret (NaN); a note names it too.

    Args:
        runs: One row per run (:attr:`hpobench.results.load.StudyResults.runs`).
        evaluations: The runs' evaluations.

    Returns:
        A copy of ``runs`` with ``ref_best``/``ref_worst`` filled and a ``ref_fallback`` column,
        and one note per task that needed the fallback or has no usable range.
    """
    runs = runs.reset_index(drop=True)
    best = np.array(runs["ref_best"], dtype=float)
    worst = np.array(runs["ref_worst"], dtype=float)
    missing = ~np.isfinite(best) | ~np.isfinite(worst)
    runs["ref_fallback"] = missing
    sign = np.where(runs["direction"].to_numpy() == "maximize", -1.0, 1.0)
    notes = []
    if missing.any():
        task_sign = pd.Series(sign, index=runs["run_id"].to_numpy())
        ok = evaluations[(evaluations["status"] == "ok") & np.isfinite(evaluations["value_max"])]
        loss = ok["value_max"].to_numpy(dtype=float) * task_sign.reindex(ok["run_id"].to_numpy()).to_numpy()
        by_task = pd.Series(loss).groupby(ok["benchmark"].to_numpy())
        lo, hi = by_task.min(), by_task.max()
        for i in np.flatnonzero(missing):
            bench = runs.at[i, "benchmark"]
            if not np.isfinite(best[i]):
                best[i] = sign[i] * lo.get(bench, np.nan)
            if not np.isfinite(worst[i]):
                worst[i] = sign[i] * hi.get(bench, np.nan)
        for bench in sorted(runs.loc[missing, "benchmark"].unique()):
            notes.append(
                f"{bench}: no reference optimum in (some of) its provenance records; regret is measured "
                "against the best (and worst) value observed over all runs of the task, so its scores "
                "move when methods are added"
            )
        runs["ref_best"] = best
        runs["ref_worst"] = worst
        src = runs["ref_source"].astype(object)
        runs["ref_source"] = np.where(missing, "observed over all runs (no reference in provenance)", src)
    with np.errstate(invalid="ignore"):
        empty = ~(sign * (worst - best) > 0)
    for bench in sorted(runs.loc[empty, "benchmark"].unique()):
        first = int(np.flatnonzero(empty & (runs["benchmark"] == bench).to_numpy())[0])
        notes.append(
            f"{bench}: its reference range is empty or reversed (best {best[first]:.6g}, worst "
            f"{worst[first]:.6g}), so it has no normalised regret and is left out of the normalised "
            "scores"
        )
    return runs, notes


def at_max_fidelity(fidelity: np.ndarray, high: np.ndarray | float) -> np.ndarray:
    """Which evaluations ran at their task's maximal fidelity ``high`` (all where it is not finite).

    The rule of :attr:`Incumbent.MAX_FIDELITY`, shared by single- and multi-objective scoring;
    a relative tolerance of 1e-9 absorbs float rounding of the fidelity.
    """
    high = np.asarray(high, dtype=float)
    return np.asarray(~np.isfinite(high) | (fidelity >= high * (1.0 - 1e-9)), dtype=bool)


def add_regret(
    evaluations: pd.DataFrame, runs: pd.DataFrame, *, incumbent: Incumbent = Incumbent.ANY_FIDELITY
) -> pd.DataFrame:
    """Return ``evaluations`` sorted by run and evaluation, with incumbent and regret columns.

    Adds ``n_evals`` (1-based count), ``incumbent_value_max``, ``regret`` and
    ``normalized_regret``; rows before the first ok evaluation of a run (the first one at the
    maximal fidelity under :attr:`Incumbent.MAX_FIDELITY`) get NaN. Vectorised over all runs at
    once (no per-run Python loop).

    Args:
        evaluations: Long-format evaluations (columns of :data:`hpobench.execution.store.COLUMNS`).
        runs: One row per run with ``run_id``, ``direction``, ``ref_best``, ``ref_worst`` (and
            ``fidelity_high``, the task's maximal fidelity or NaN, for
            :attr:`Incumbent.MAX_FIDELITY`; tasks without a fidelity count every evaluation).
        incumbent: Which evaluations may become the incumbent.
    """
    meta = runs.set_index("run_id")[["direction", "ref_best", "ref_worst"]]
    codes, uniques = pd.factorize(evaluations["run_id"], sort=True)
    order = np.lexsort((evaluations["eval"].to_numpy(), codes))
    if np.any(order != np.arange(len(order))):
        evaluations = evaluations.iloc[order]
        codes = codes[order]
    df = evaluations.reset_index(drop=True)
    joined = meta.reindex(uniques)
    sign = np.where(joined["direction"].to_numpy() == "maximize", -1.0, 1.0)[codes]
    values = df["value"].to_numpy(dtype=float)
    ok = (df["status"] == "ok").to_numpy() & np.isfinite(values)
    if incumbent is Incumbent.MAX_FIDELITY:
        high_of_run = runs.set_index("run_id")["fidelity_high"] if "fidelity_high" in runs else None
        high = np.full(len(uniques), np.nan) if high_of_run is None else high_of_run.reindex(uniques)
        high = np.asarray(high, dtype=float)[codes]
        fidelity = df["fidelity"].to_numpy(dtype=float)
        ok &= at_max_fidelity(fidelity, high)
    loss = np.where(ok, sign * values, np.inf)
    running = pd.Series(loss).groupby(codes).cummin().to_numpy()
    first = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, dtype=bool)
    previous = np.where(first, np.inf, np.r_[np.inf, running[:-1]])
    del running, first
    improved = ok & (loss < previous)
    del loss, previous, ok
    position = np.where(improved, np.arange(len(df)), -1)
    del improved
    inc_pos = pd.Series(position).groupby(codes).cummax().to_numpy()
    del position
    has = inc_pos >= 0
    value_max = df["value_max"].to_numpy(dtype=float)
    inc_value = np.where(has, value_max[np.where(has, inc_pos, 0)], np.nan)
    del has, inc_pos
    # the per-row gathers of the references only now: the row-sized temporaries of the incumbent
    # are gone (a 3M-row study holds a dozen of them, 24 MiB each)
    best = joined["ref_best"].to_numpy(dtype=float)[codes]
    regret = sign * (inc_value - best)
    scale = sign * (joined["ref_worst"].to_numpy(dtype=float)[codes] - best)
    del best, sign
    df["n_evals"] = df["eval"].to_numpy() + 1
    df["incumbent_value_max"] = inc_value
    df["regret"] = regret
    with np.errstate(divide="ignore", invalid="ignore"):
        df["normalized_regret"] = np.where(scale > 0, regret / scale, np.nan)
    return df


def final_regret(with_regret: pd.DataFrame, *, column: str = "normalized_regret") -> pd.DataFrame:
    """Final regret per run: one row per (benchmark, method, seed) with the last ``column`` value."""
    last = with_regret.groupby("run_id", sort=True, observed=True).tail(1)
    return last[["benchmark", "method", "seed", column]].reset_index(drop=True)
