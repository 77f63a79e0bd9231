"""Reference check: our methods against their reference implementations at equal budgets.

Pairs (ours vs reference, both through hpobench's runner and the same seeds and budgets):

- ``random_search`` vs Optuna's ``RandomSampler`` (through the ``optuna`` adapter),
- ``tpe`` vs Optuna's ``TPESampler`` (default settings; skipped if ``tpe`` is not registered),
- ``dehb`` vs the ``dehb`` package (``dehb_package`` adapter) on multi-fidelity tasks: our own
  FCNet and LCBench-style learning-curve tables (``fcnet_own``, ``lcbench_own``; real training
  runs shipped with the package) and the synthetic functions,
- ``bohb`` vs HpBandSter's BOHB model (``bohb_hpbandster`` adapter, when registered and
  ``hpbandster`` is installed) on the four own tables at 20 multiples of the maximal fidelity.

Tasks: FCNet's 4 tasks (data from ``--data-dir`` or ``$HPOBENCH_DATA_DIR``) for the
single-fidelity pairs, the multi-fidelity tables above for DEHB and BOHB, and the 3 synthetic
functions; 10 seeds each. For every pair and task the final normalised regret (regret of the
incumbent at the maximal fidelity, normalised by the task's reference optimum and worst value)
of the 10 runs is compared, paired by seed, with a one-sided Wilcoxon signed-rank test
(``alternative="greater"``: H1 = ours is worse); ``ours worse`` is reported when p < 0.05
(identical results give p = 1). Writes ``benchmarks/reference/reference_check.md`` (the table)
and ``reference_check.png`` (median anytime curves, ours solid vs reference dashed, with
inter-quartile bands).

Usage: ``python benchmarks/reference_check.py [--data-dir DIR] [--work-dir DIR] [--jobs 2]
[--pairs TPE DEHB ...]`` (needs the ``optuna`` and ``dehb`` extras; ``dehb`` 0.1.2 pins
``numpy<2``, so run it from an environment made for it: ``pip install "numpy<2" "pyarrow<20"
dehb optuna``, then ``pip install -e .``, and for BOHB ``pip install --no-deps hpbandster`` and
``pip install statsmodels Pyro4 serpent``; that is how ``reference/reference_check.md`` was made).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import wilcoxon

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.data import registry
from hpobench.execution.planning import plan_study
from hpobench.execution.study import run_study
from hpobench.results.load import load_results
from hpobench.results.regret import add_regret, final_regret

HERE = Path(__file__).resolve().parent / "reference"
SEEDS = list(range(10))
ALPHA = 0.05
COUNTS = {"executed": 0, "resumed": 0}  # runs executed now / found finished in the work directory
FCNET = ["fcnet/naval_propulsion", "fcnet/parkinsons_telemonitoring", "fcnet/protein_structure",
         "fcnet/slice_localization"]  # fmt: skip
SYNTHETIC = ["synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6"]
OWN_TABLES = ["fcnet_own/naval_propulsion", "fcnet_own/parkinsons_telemonitoring",
              "fcnet_own/protein_structure", "lcbench_own/phoneme"]  # fmt: skip


@dataclass(frozen=True)
class Pair:
    name: str
    ours: str
    reference: str
    tasks: list[str]
    budget: str
    x_axis: str  # column of the anytime curve
    reference_kwargs: dict[str, Any] = field(default_factory=dict)
    ours_kwargs: dict[str, Any] = field(default_factory=dict)


PAIRS = [
    Pair("random search", "random_search", "optuna", FCNET + SYNTHETIC, "100", "n_evals",
         reference_kwargs={"sampler": "RandomSampler"}),
    Pair("TPE", "tpe", "optuna", FCNET + SYNTHETIC, "100", "n_evals",
         reference_kwargs={"sampler": "TPESampler"}),
    Pair("DEHB", "dehb", "dehb_package", OWN_TABLES + SYNTHETIC, "50x", "fidelity_spent"),
    # HpBandSter's statsmodels KDE costs ~0.1 s per model-based configuration: a smaller budget
    Pair("BOHB", "bohb", "bohb_hpbandster", OWN_TABLES, "20x", "fidelity_spent"),
]  # fmt: skip


def run_pair(pair: Pair, work: Path, data_dir: Path | None, jobs: int) -> pd.DataFrame:
    """Run both methods of a pair (one study each: kwargs are per method name) and add regret."""
    frames = []
    for role, method, kwargs in (
        ("ours", pair.ours, pair.ours_kwargs),
        ("reference", pair.reference, pair.reference_kwargs),
    ):
        plan = plan_study(
            benchmarks=[BenchmarkSpec.parse(t) for t in pair.tasks],
            methods=[method],
            seeds=SEEDS,
            budget=Budget.parse(pair.budget),
            method_kwargs={method: kwargs} if kwargs else None,
        )
        out = work / f"{pair.ours}-vs-{pair.reference}-{role}"
        summary = run_study(plan, out=out, jobs=jobs, data_dir=data_dir, progress=False)
        COUNTS["executed"] += summary.executed
        COUNTS["resumed"] += summary.resumed
        if summary.failed:
            raise RuntimeError(f"{len(summary.failed)} runs failed, e.g. {summary.failed[0]}")
        results = load_results(out)
        df = add_regret(results.evaluations, results.runs)
        df["role"] = role
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def paired_p_worse(ours: np.ndarray, reference: np.ndarray) -> float:
    """One-sided Wilcoxon signed-rank p-value of H1 "ours has larger regret", paired by seed."""
    if np.all(ours == reference):
        return 1.0
    return float(wilcoxon(ours, reference, alternative="greater", zero_method="zsplit").pvalue)


def compare(pair: Pair, df: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for task in pair.tasks:
        sub = df[df["benchmark"] == task]
        final = {
            role: final_regret(sub[sub["role"] == role]).sort_values("seed")["normalized_regret"].to_numpy()
            for role in ("ours", "reference")
        }
        p = paired_p_worse(final["ours"], final["reference"])
        sampler = pair.reference_kwargs.get("sampler", "")
        rows.append({
            "pair": pair.name, "task": task, "budget": pair.budget, "seeds": len(final["ours"]),
            "ours": f"`{pair.ours}`", "reference": f"`{pair.reference}` {sampler}".strip(),
            "median ours": float(np.median(final["ours"])),
            "median reference": float(np.median(final["reference"])),
            "p (ours worse)": p, "verdict": "ours worse" if p < ALPHA else "not worse",
        })  # fmt: skip
    return rows


def curves(pair: Pair, df: pd.DataFrame, axes: np.ndarray) -> None:
    for ax, task in zip(axes, pair.tasks, strict=False):
        for role, style in (("ours", "-"), ("reference", "--")):
            sub = df[(df["benchmark"] == task) & (df["role"] == role)]
            x_max = float(sub[pair.x_axis].max())
            grid = np.linspace(x_max / 100, x_max, 100)
            ys = []
            for _, run in sub.groupby("run_id"):
                x = run[pair.x_axis].to_numpy(dtype=float)
                y = np.fmax(run["normalized_regret"].to_numpy(dtype=float), 1e-14)
                idx = np.searchsorted(x, grid, side="right") - 1
                ys.append(np.where(idx >= 0, y[np.clip(idx, 0, None)], np.nan))
            q = np.nanquantile(np.array(ys), [0.25, 0.5, 0.75], axis=0)
            label = (
                pair.ours
                if role == "ours"
                else f"{pair.reference} {pair.reference_kwargs.get('sampler', '')}"
            )
            (line,) = ax.plot(grid, q[1], style, lw=1.2, label=label)
            ax.fill_between(grid, q[0], q[2], color=line.get_color(), alpha=0.15, lw=0)
        ax.set_yscale("log")
        ax.set_title(task.split("/")[1], fontsize=7)
        ax.tick_params(which="both", labelsize=5)
    axes[0].set_ylabel(f"{pair.name}\nnorm. regret", fontsize=7)
    axes[0].legend(fontsize=5, loc="lower left")
    for ax in axes[len(pair.tasks) :]:
        ax.set_visible(False)


def to_markdown(rows: list[dict[str, Any]], seconds: float) -> str:
    head = ["pair", "task", "ours", "reference", "budget", "seeds", "median ours", "median reference",
            "p (ours worse)", "verdict"]  # fmt: skip
    lines = [
        "# Reference check: our methods vs reference implementations",
        "",
        "Final normalised regret (incumbent at the maximal fidelity), 10 seeds per task and method, equal "
        "budgets (`100` = evaluations, `50x` = 50 multiples of the maximal fidelity). One-sided "
        "Wilcoxon signed-rank test paired by seed, H1: ours has larger regret; `ours worse` if "
        f"p < {ALPHA}. Generated by "
        f"`benchmarks/reference_check.py` in {seconds:.0f} s wall time ({COUNTS['executed']} runs executed, "
        f"{COUNTS['resumed']} resumed from the work directory). Curves: `reference_check.png`.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for r in rows:
        cells = [f"{r[h]:.3g}" if isinstance(r[h], float) else str(r[h]) for h in head]
        lines.append("| " + " | ".join(cells) + " |")
    worse = [f"{r['pair']} on {r['task']}" for r in rows if r["verdict"] == "ours worse"]
    lines += ["", f"Significantly worse: {', '.join(worse) if worse else 'none'} ({len(rows)} comparisons, "
              "no multiple-testing correction)."]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("HPOBENCH_DATA_DIR"))
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "hpobench-reference-check"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--pairs", nargs="*", default=None, help="pair names to run (default: all)")
    args = parser.parse_args()
    start = time.perf_counter()
    known = set(registry.method_names())
    pairs = [p for p in PAIRS if p.ours in known and p.reference in known]
    if args.pairs:
        pairs = [p for p in pairs if p.name in args.pairs]
    if args.data_dir is None:
        pairs = [
            Pair(**{**p.__dict__, "tasks": [t for t in p.tasks if not t.startswith("fcnet/")]}) for p in pairs
        ]
    rows: list[dict[str, Any]] = []
    width = max(len(p.tasks) for p in pairs)
    fig, axes = plt.subplots(len(pairs), width, figsize=(1.6 * width, 1.5 * len(pairs)), squeeze=False)
    for pair, ax_row in zip(pairs, axes, strict=True):
        df = run_pair(pair, args.work_dir, args.data_dir, args.jobs)
        rows += compare(pair, df)
        curves(pair, df, ax_row)
        print(f"{pair.name}: done after {time.perf_counter() - start:.0f} s", flush=True)
    for ax_row, pair in zip(axes, pairs, strict=True):
        ax_row[0].set_xlabel(
            "evaluations" if pair.x_axis == "n_evals" else "fidelity spent (x max)", fontsize=6
        )
    fig.tight_layout(pad=0.3)
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "reference_check.png", dpi=80)
    markdown = to_markdown(rows, time.perf_counter() - start)
    (args.out / "reference_check.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
