"""DEHB against random search and Hyperband (Awad, Mallik & Hutter, 2021), on FCNet.

Paper: Awad, Mallik & Hutter, "DEHB: Evolutionary Hyperband for Scalable, Robust and Efficient
Hyperparameter Optimization", IJCAI 2021 (FCNet results: Fig. 5 and Table 2).

Claim checked: at equal budget, DEHB's final incumbent has lower regret than random search's
and than Hyperband's (paired one-sided Wilcoxon over task x seed, alpha 0.05 each).

The paper runs FCNet with the number of epochs as fidelity. The FCNet tables in the shared
data hold final (100-epoch) values only, so ``fcnet`` tasks have no fidelity and DEHB and
Hyperband cannot run multi-fidelity on them. The check then runs on the real learning-curve
tasks at hand (TaskSet, fidelity = training steps) and says so; it runs on FCNet itself as soon
as a registered ``fcnet`` task has a fidelity (e.g. built from the upstream per-epoch HDF5 files,
see ``hpobench.surrogates.fcnet_hdf5``). Without a data directory it falls back to the synthetic
multi-fidelity functions.

Run: ``python protocols/dehb_fcnet.py [--data-dir DIR] [--jobs N]``; exit status 0 when the claim
held, 1 when it did not.
"""

from __future__ import annotations

from pathlib import Path

from hpobench.claims import Claim, Comparison, Relation, main
from hpobench.registry import load_family

TASKSET = (
    "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64",
    "taskset/FixedTextRNNClassification_imdb_patch32_VRNN64_tanh_avg_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch32_LSTM128_bs128",
)
SYNTHETIC = ("synthetic/branin", "synthetic/hartmann3", "synthetic/hartmann6")


def make_claim(data_dir: Path | None) -> Claim:
    """The claim on multi-fidelity FCNet when there is one, else on the closest tasks at hand."""
    fcnet = tuple(i.name for i in load_family("fcnet").tasks() if i.multi_fidelity)
    tasks: tuple[str, ...]
    if data_dir is None:
        tasks, note = SYNTHETIC, "no data directory: checked on the synthetic multi-fidelity functions"
    elif fcnet:
        tasks, note = fcnet, ""
    else:
        tasks = TASKSET
        note = (
            "the FCNet tables here hold final values only (no epoch fidelity), so DEHB and Hyperband "
            "cannot run multi-fidelity on them; checked on 4 TaskSet learning-curve tasks instead"
        )
    return Claim(
        name="dehb_fcnet",
        paper="Awad et al. 2021, DEHB (IJCAI)",
        statement="at equal budget, DEHB reaches lower regret than random search and than Hyperband",
        benchmarks=tasks,
        budgets={"dehb": "50x", "hyperband": "50x", "random_search": "50x"},
        comparisons=(
            Comparison(method="dehb", relation=Relation.BEATS, baseline="random_search"),
            Comparison(method="dehb", relation=Relation.BEATS, baseline="hyperband"),
        ),
        note=note,
    )


if __name__ == "__main__":
    raise SystemExit(main(make_claim))
