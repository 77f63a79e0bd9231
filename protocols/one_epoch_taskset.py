"""The one-epoch top-K baseline against multi-fidelity methods at a tenth of the compute.

Paper: Egele, Guyon, Vishwanath & Balaprakash, "Is One Epoch All You Need For Multi-Fidelity
Hyperparameter Optimization?", ESANN 2023 / arXiv:2307.15422 (2024 version).

Claim checked: training 100 random configurations for one epoch and the best 3 of them to the
end (``one_epoch_topk``: 100/51 + 3 = 5.0 full trainings on TaskSet) is not significantly worse
than Hyperband, ASHA and DEHB given ten times that compute (50 full trainings), and its compute
is about a tenth of theirs. One-sided paired Wilcoxon over task x seed of "one-epoch is worse",
alpha 0.05 each; the compute ratio is measured from the runs (fidelity spent). TaskSet's lowest
fidelity (the first recorded point, 200 training steps) plays the role of the first epoch.

Run: ``python protocols/one_epoch_taskset.py [--data-dir DIR] [--jobs N]``; exit status 0 when
the claim held, 1 when it did not. Needs the data directory (TaskSet).
"""

from __future__ import annotations

from pathlib import Path

from hpobench.claims import Claim, Comparison, ComputeLimit, Relation, main

TASKSET = (
    "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_bs64",
    "taskset/FixedTextRNNClassification_imdb_patch32_VRNN64_tanh_avg_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch32_LSTM128_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch32_IRNN64_relu_avg_bs128",
    "taskset/FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64",
)
BASELINES = ("hyperband", "asha", "dehb")
MAX_COMPUTE_RATIO = 0.15
""""About a tenth": the one-epoch baseline's mean compute over a baseline's must stay below this."""


def make_claim(data_dir: Path | None) -> Claim:
    """The claim on six TaskSet tasks, 5 seeds."""
    return Claim(
        name="one_epoch_taskset",
        paper="Egele et al. 2024, Is One Epoch All You Need For Multi-Fidelity HPO?",
        statement=(
            "the one-epoch top-K baseline is not worse than multi-fidelity methods (Hyperband, ASHA, "
            "DEHB) while using about a tenth of their compute"
        ),
        benchmarks=TASKSET,
        # 100 one-step evaluations + 3 full ones = 103 evaluations, 5.0x the maximal fidelity
        budgets={"one_epoch_topk": "103evals", **dict.fromkeys(BASELINES, "50x")},
        comparisons=tuple(
            Comparison(method="one_epoch_topk", relation=Relation.NOT_WORSE, baseline=b) for b in BASELINES
        ),
        compute_limits=tuple(
            ComputeLimit(method="one_epoch_topk", baseline=b, max_ratio=MAX_COMPUTE_RATIO) for b in BASELINES
        ),
        seeds=tuple(range(5)),
        method_kwargs={"one_epoch_topk": {"n_configs": 100, "k": 3}},
        # the paper compares the configurations each method returns after full training: only
        # evaluations at the maximal fidelity may become the incumbent (a one-step loss may not)
        incumbent="max_fidelity",
    )


if __name__ == "__main__":
    raise SystemExit(main(make_claim))
