"""MO-ASHA against multi-objective random search on YAHPO LCBench (Schmucker et al., 2021).

Paper: Schmucker, Donini, Zafar, Salinas & Archambeau, "Multi-objective Asynchronous Successive
Halving", arXiv:2106.12639, 2021, whose experiments on LCBench (accuracy against training time,
among others) show MO-ASHA reaching a larger hypervolume than multi-objective random search at
the same budget.

Claim checked: at equal budget (``--budget`` multiples of one full training, default 30x), the
final hypervolume regret of ``mo_asha`` (ASHA promoting by non-dominated sorting with the
epsilon-net tie-break) is lower than that of ``random_search`` on the multi-objective YAHPO
LCBench tasks (``yahpo_mo/lcbench-*``: validation accuracy, maximised, against training time,
minimised). Hypervolume regret (:mod:`hpobench.results.hypervolume_regret`): objectives scaled
by the task's stored reference front (ideal point 0) and fixed reference point (1), then
``(HV(reference front) - HV(found front)) / HV(reference front)``; the found front is a run's
evaluations at the maximal fidelity that no other of them dominates (``max_fidelity``: training
time grows with the epochs, so a one-epoch evaluation's observed time says nothing of the
configuration's cost when trained fully; counting observed low-fidelity values would let
cheap-looking partial trainings crowd the found front). Paired one-sided Wilcoxon over
(task, seed), 10 seeds, alpha 0.05.

MO-ASHA's lowest rung is epoch 2 (``min_fidelity=2``: rungs 2, 6, 18, 52), not YAHPO's epoch 1:
LCBench logged 52 points of 50 training epochs, the first before training
(``benchmarks/reference/first_epoch_check.md``; Syne Tune's LCBench blackbox, which the paper's
experiments used, drops it). At epoch 1 the surrogate's validation accuracy ranks configurations
against their final accuracy (Spearman -0.51 on 167152, -0.38 on 146212, 400 random
configurations) and its time against their final time (-0.43 on 167152, -0.31 on 189873), so
promotions from it are worse than random. ``--variant epoch1`` checks the claim with MO-ASHA
starting there (its defaults).

Tasks: the three LCBench instances of YAHPO Gym's multi-objective suite v1.0 (167152, 167185,
189873) and five more YAHPO lcbench instances; they need the data directory and onnxruntime.
Deviations from the paper: YAHPO's surrogate instead of the LCBench tables, one worker, budgets
in full trainings instead of wall-clock time, the reference front estimated as for YAHPO's
single-objective optima (see ``surrogates/pareto_fronts.py``).

Run: ``python protocols/mo_asha_lcbench.py --data-dir DIR [--seeds N] [--jobs N]``; exit status 0
when the claim held, 1 when it did not.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hpobench.evaluation.claims import Claim, Comparison, Relation, main

SUITE = ("167152", "167185", "189873")
"""LCBench instances of YAHPO Gym's multi-objective suite v1.0."""
MORE = ("3945", "7593", "34539", "126025", "146212")
TASKS = tuple(f"yahpo_mo/lcbench-{i}" for i in SUITE + MORE)


def make_claim(data_dir: Path | None) -> Claim:
    """MO-ASHA (first rung epoch 2) beats multi-objective random search in final hypervolume regret."""
    return replace(make_epoch1_claim(data_dir), method_kwargs={"mo_asha": {"min_fidelity": 2}})


def make_epoch1_claim(data_dir: Path | None) -> Claim:
    """The claim with MO-ASHA's defaults: its first rung is YAHPO's epoch 1, a point before training."""
    return Claim(
        name="mo_asha_lcbench",
        paper="Schmucker et al. 2021, Multi-objective Asynchronous Successive Halving",
        statement=(
            "at equal budget, MO-ASHA reaches lower hypervolume regret than multi-objective random search"
        ),
        benchmarks=TASKS,
        budgets={"mo_asha": "30x", "random_search": "30x"},
        comparisons=(Comparison(method="mo_asha", relation=Relation.BEATS, baseline="random_search"),),
        note="" if data_dir is not None else "needs the data directory (YAHPO surrogates)",
        incumbent="max_fidelity",
    )


if __name__ == "__main__":
    raise SystemExit(main(make_claim, variants={"epoch1": make_epoch1_claim}))
