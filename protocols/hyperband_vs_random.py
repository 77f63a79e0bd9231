"""Hyperband against random search at equal budget (Li et al., 2018).

Paper: Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, "Hyperband: A Novel Bandit-Based
Approach to Hyperparameter Optimization", JMLR 18(185), 2018.

Claim checked: at the same budget (in multiples of one full-fidelity training), Hyperband's
final incumbent has lower regret than random search's, because it spends most of its budget on
cheap low-fidelity evaluations of many more configurations. Checked on the multi-fidelity tasks
at hand: the three synthetic functions with fidelity bias and three TaskSet learning-curve
tasks (when the data directory is present), 10 seeds, 30x budget each, paired one-sided
Wilcoxon over (task, seed).

Run: ``python protocols/hyperband_vs_random.py [--data-dir DIR] [--jobs N]``; exit status 0
when the claim held, 1 when it did not.
"""

from __future__ import annotations

from pathlib import Path

from hpobench.claims import Claim, Comparison, Relation, main

SYNTHETIC = ("synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6")
TASKSET = (
    "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64",
    "taskset/FixedTextRNNClassification_imdb_patch32_VRNN64_tanh_avg_bs128",
)


def make_claim(data_dir: Path | None) -> Claim:
    """The claim on the synthetic tasks, plus TaskSet when the data directory is given."""
    return Claim(
        name="hyperband_vs_random",
        paper="Li et al. 2018, Hyperband (JMLR 18)",
        statement="at equal budget, Hyperband reaches lower regret than random search",
        benchmarks=SYNTHETIC + (TASKSET if data_dir is not None else ()),
        budgets={"hyperband": "30x", "random_search": "30x"},
        comparisons=(Comparison(method="hyperband", relation=Relation.BEATS, baseline="random_search"),),
        note="" if data_dir is not None else "no data directory: synthetic tasks only",
    )


if __name__ == "__main__":
    raise SystemExit(main(make_claim))
