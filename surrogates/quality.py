"""Quality of fitted surrogates on held-out configurations, and the Markdown report of it.

For each model file, the configurations its fit held out (indices stored in the file) are read
from the source table and compared with the surrogate. The table's value of a configuration is
its mean over the seeds with a finite value; a configuration with no finite value (a diverged
run, NaN in the table) is *kept* and counts as the worst value, tied with the other diverged
ones: diverged runs are the worst configurations, and dropping them would score the surrogate
only on the easier, finite part (fitting treats them the same way, as the worst value).

* ``spearman``: Spearman rank correlation between the table's value at the maximal fidelity and
  the surrogate's ensemble mean, over every held-out configuration. Target: at least 0.9.
* ``spearman_best``: the same over the held-out configurations whose table value is among the
  best :data:`BEST_FRACTION` of them (how well the good region is ordered; the selection is on
  the table's values, which narrows their range, so this is usually lower than ``spearman``).
* ``r2``: coefficient of determination on the model's target scale (log for losses), with the
  table values clipped to the fitted target range (the surrogate does not model the diverged tail
  beyond it; diverged runs take its worst end).
* ``top10``: how many of the table's 10 best held-out configurations are among the surrogate's
  10 best held-out configurations (0-10).
* ``spearman_curves`` (multi-fidelity tasks): Spearman over every held-out (configuration,
  fidelity) pair, i.e. how well whole learning curves are ranked.
* ``cost_spearman`` / ``cost_r2``: the same for the cost (log seconds) over all held-out rows.

Run ``python -m hpobench.surrogates.quality --models DIR --data-dir DATA --out report.md`` (or
``hpobench surrogate quality``); the committed report is ``benchmarks/reference/surrogate_quality.md``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hpobench.contracts.types import Direction
from hpobench.surrogates.commands import add_quality_arguments as add_arguments
from hpobench.surrogates.fitted import MODELS_DIR, FittedFamily, FittedSurrogate

__all__ = ["Quality", "assess", "r2_score", "rank", "report", "spearman", "top_k_overlap"]

TARGET_SPEARMAN = 0.9
BEST_FRACTION = 0.25


def rank(x: np.ndarray) -> np.ndarray:
    """Ranks ``1..n`` of ``x`` with ties given their average rank (as ``scipy.stats.rankdata``)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    starts = np.flatnonzero(np.r_[True, sorted_x[1:] != sorted_x[:-1]])
    ends = np.r_[starts[1:], x.size]
    average = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    out = np.empty(x.size)
    out[order] = np.repeat(average, ends - starts)
    return out


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman rank correlation (Pearson correlation of average ranks); NaN if a side is constant."""
    ra, rb = rank(a), rank(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    denom = float(np.sqrt(np.sum(ra * ra) * np.sum(rb * rb)))
    return float(np.sum(ra * rb) / denom) if denom > 0 else float("nan")


def r2_score(truth: np.ndarray, prediction: np.ndarray) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot``; NaN if ``truth`` is constant."""
    truth, prediction = np.asarray(truth, dtype=float), np.asarray(prediction, dtype=float)
    total = float(np.sum((truth - truth.mean()) ** 2))
    return 1.0 - float(np.sum((truth - prediction) ** 2)) / total if total > 0 else float("nan")


def top_k_overlap(truth: np.ndarray, prediction: np.ndarray, *, k: int, direction: Direction) -> int:
    """How many of the ``k`` best entries of ``truth`` are among the ``k`` best of ``prediction``."""
    sign = direction.sign
    best_truth = np.argsort(sign * np.asarray(truth), kind="stable")[:k]
    best_pred = np.argsort(sign * np.asarray(prediction), kind="stable")[:k]
    return len(set(best_truth.tolist()) & set(best_pred.tolist()))


@dataclass(frozen=True, kw_only=True)
class Quality:
    """Held-out quality of one fitted surrogate (see the module docstring for each field)."""

    name: str
    source: str
    n_heldout: int
    n_diverged: int
    spearman: float
    spearman_best: float
    r2: float
    top10: int
    spearman_curves: float | None
    cost_spearman: float
    cost_r2: float

    @property
    def meets_target(self) -> bool:
        """Whether the held-out Spearman reaches :data:`TARGET_SPEARMAN`."""
        return self.spearman >= TARGET_SPEARMAN


def assess(model: FittedSurrogate, *, data_dir: Path | None) -> Quality:
    """Compare ``model`` with its source table on the configurations held out of its fit.

    Raises:
        DataError: The source table is missing.
    """
    from hpobench.data import registry
    from hpobench.surrogates.fitting import table_data

    source = str(model.header["provenance"]["source"])
    data = table_data(registry.load_benchmark(source, data_dir=data_dir))
    held = model.heldout
    configs = [data.configs[i] for i in held.tolist()]
    direction = model.task.objective.direction
    target = model.header["target"]
    log = target["transform"] == "log"

    def scale(v: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.log(v) if log else v
        return np.asarray(np.clip(out, target["low"], target["high"]))

    truth = _seed_mean(data.values[held])  # (n, fidelities); NaN where every seed diverged
    diverged = ~np.isfinite(truth[:, -1])
    truth = np.where(np.isfinite(truth), truth, direction.sign * np.inf)  # diverged: the worst
    fids = data.fidelity_values
    n, nf = truth.shape
    rows = [c for c in configs for _ in range(nf)]
    x = model.encoding.encode(rows, np.tile(fids, n))
    values, costs = model.predict(x)
    pred = values.mean(axis=0).reshape(n, nf)
    pred_cost = np.log(costs).mean(axis=0)
    last_t, last_p = truth[:, -1], pred[:, -1]
    k = max(2, round(BEST_FRACTION * n))
    best = np.argsort(direction.sign * last_t, kind="stable")[:k]
    curves = spearman(truth.reshape(-1), pred.reshape(-1)) if nf > 1 else None
    true_cost = np.log(np.maximum(data.costs[held].mean(axis=1), 1e-12)).reshape(-1)
    return Quality(
        name=model.task.name,
        source=source,
        n_heldout=n,
        n_diverged=int(diverged.sum()),
        spearman=spearman(last_t, last_p),
        spearman_best=spearman(last_t[best], last_p[best]),
        r2=r2_score(scale(last_t), scale(last_p)),
        top10=top_k_overlap(last_t, last_p, k=10, direction=direction),
        spearman_curves=curves,
        cost_spearman=spearman(true_cost, pred_cost),
        cost_r2=r2_score(true_cost, pred_cost),
    )


def _seed_mean(values: np.ndarray) -> np.ndarray:
    """Mean over axis 1 of the finite entries; NaN where there is none (no empty-slice warning)."""
    finite = np.isfinite(values)
    count = finite.sum(axis=1)
    total = np.where(finite, values, 0.0).sum(axis=1)
    return np.asarray(np.divide(total, count, out=np.full(total.shape, np.nan), where=count > 0))


def _fmt(x: float | None) -> str:
    return "-" if x is None or x != x else f"{x:.3f}"


def report(qualities: Sequence[Quality]) -> str:
    """The Markdown quality report."""
    lines = [
        "# Quality of the fitted surrogates (held-out configurations)",
        "",
        "Generated by `python -m hpobench.surrogates.quality --data-dir ../shared/data "
        "--out benchmarks/reference/surrogate_quality.md` from the shipped models in "
        "`surrogates/fitted_models/`. Columns are defined in `hpobench.surrogates.quality`: Spearman and "
        "R² (target scale: log for losses) at the maximal fidelity between the table's mean over seeds "
        "and the ensemble mean, over every held-out configuration (diverged: table value NaN, counted "
        f"as the worst); best {BEST_FRACTION:.0%}: Spearman over the held-out configurations whose "
        "table value is in the best quarter; top-10: overlap of the table's and the surrogate's 10 best "
        "held-out configurations; curves: Spearman over all held-out (configuration, fidelity) pairs; "
        f"cost: log seconds. Target: Spearman >= {TARGET_SPEARMAN} held out.",
        "",
        f"| surrogate | held out | diverged | Spearman | Spearman best {BEST_FRACTION:.0%} | R² | top-10 "
        "| curves Spearman | cost Spearman | cost R² | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for q in qualities:
        lines.append(
            f"| `{q.name}` | {q.n_heldout} | {q.n_diverged} | {_fmt(q.spearman)} | "
            f"{_fmt(q.spearman_best)} | {_fmt(q.r2)} | {q.top10}/10 | "
            f"{_fmt(q.spearman_curves)} | {_fmt(q.cost_spearman)} | {_fmt(q.cost_r2)} | "
            f"{'met' if q.meets_target else 'MISSED'} |"
        )
    missed = [q for q in qualities if not q.meets_target]
    lines += [
        "",
        f"{len(qualities) - len(missed)} of {len(qualities)} surrogates meet the target.",
    ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Run the quality command from parsed arguments."""
    from hpobench.data.datadir import resolve_data_dir

    data_dir = resolve_data_dir(args.data_dir)
    family = FittedFamily(MODELS_DIR if args.models is None else Path(args.models))
    qualities = [
        assess(family.load(info.name.split("/", 1)[1], data_dir=None), data_dir=data_dir)
        for info in family.tasks()
    ]
    text = report(qualities)
    if args.out:
        Path(args.out).write_text(text)
    print(text, end="")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hpobench.surrogates.quality``: write the quality report."""
    from hpobench.contracts.errors import HpobenchError

    parser = argparse.ArgumentParser(
        prog="python -m hpobench.surrogates.quality", description=__doc__.split("\n")[0]
    )
    add_arguments(parser)
    try:
        return run(parser.parse_args(argv))
    except (HpobenchError, ValueError) as exc:
        print(f"quality: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
