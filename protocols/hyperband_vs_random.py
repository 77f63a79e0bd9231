"""Hyperband against random search at equal budget (Li et al., 2018).

Paper: Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, "Hyperband: A Novel Bandit-Based
Approach to Hyperparameter Optimization", JMLR 18(185), 2018.

Claim checked: at the same budget (in multiples of one full-fidelity training), Hyperband's
final incumbent has lower regret than random search's, because it spends most of its budget on
cheap low-fidelity evaluations of many more configurations. The incumbent of every run is the
best configuration evaluated at the maximal fidelity (the rule of HpBandSter's Hyperband
reference code, ``Result.get_incumbent_id``), so a cheap low-fidelity value never becomes a
run's score. Checked on the three synthetic functions with fidelity bias and, when the data
directory is given, on real learning curves with an epoch fidelity: the three
``fcnet_own`` grids (1,728 configurations x 100 epochs each, the largest real grids with
epochs at hand: the published FCNet tables hold final values only, see ``dehb_fcnet.py``) and two
YAHPO ``lcbench`` surrogate tasks; 10 seeds, 30x
budget each, paired one-sided Wilcoxon over (task, seed), alpha 0.05.

Run: ``python protocols/hyperband_vs_random.py [--data-dir DIR] [--jobs N]``; exit status 0
when the claim held, 1 when it did not.
"""

from __future__ import annotations

from pathlib import Path

from hpobench.evaluation.claims import Claim, Comparison, Relation, main

SYNTHETIC = ("synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6")
REAL = (
    "fcnet_own/naval_propulsion",
    "fcnet_own/parkinsons_telemonitoring",
    "fcnet_own/protein_structure",
    "yahpo/lcbench-3945",
    "yahpo/lcbench-167168",
)


def make_claim(data_dir: Path | None) -> Claim:
    """The claim on the synthetic tasks, plus the real learning-curve tasks given a data directory."""
    return Claim(
        name="hyperband_vs_random",
        paper="Li et al. 2018, Hyperband (JMLR 18)",
        statement="at equal budget, Hyperband reaches lower regret than random search",
        benchmarks=SYNTHETIC + (REAL if data_dir is not None else ()),
        budgets={"hyperband": "30x", "random_search": "30x"},
        comparisons=(Comparison(method="hyperband", relation=Relation.BEATS, baseline="random_search"),),
        note="" if data_dir is not None else "no data directory: synthetic tasks only",
        incumbent="max_fidelity",
    )


if __name__ == "__main__":
    raise SystemExit(main(make_claim))
