"""How well can any surrogate rank TaskSet's held-out configurations? Reference points from the data.

    python benchmarks/taskset_ceiling.py --data-dir ../shared/data

The quality target for fitted surrogates is a held-out Spearman of at least 0.9 between the
table's final validation loss and the surrogate's prediction (:mod:`hpobench.surrogates.quality`).
TaskSet has one run per configuration, so its run-to-run noise cannot be measured directly. The
12 TaskSet tasks share the same 1,000 configurations, which gives reference points a model of the
configuration alone can hardly beat. For each task the script prints:

* ``model``: the shipped surrogate's held-out Spearman (the committed quality report's number).
* ``chance``: the share of runs that end at chance level, ``|loss - ln 2| < 0.003``, where the
  loss carries almost no information about the configuration.
* ``tie oracle``: the Spearman of a predictor that ranks every other run exactly and gives the
  chance-level runs one tied value. It bounds any surrogate only where the order inside that
  cluster is run-to-run noise; the shipped models do rank inside it somewhat (Spearman 0.05-0.71
  within the cluster), so on most tasks this is a loose bound.
* ``best other task``: the Spearman of this task's loss against the *observed* loss of the same
  configuration on the most similar other task (an architecture variant on the same data), and
  ``other 11``: against the mean normal score of the other eleven tasks. These predictors know a
  real training run of exactly this configuration, which no function fitted on other
  configurations knows.

Every column is computed over the held-out configurations of the shipped models (the split is the
same for all 12 tasks); ``all`` repeats the data columns over all 1,000 configurations.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import numpy as np
from scipy.special import ndtri

from hpobench.data import registry
from hpobench.surrogates.fitted import MODELS_DIR, FittedSurrogate
from hpobench.surrogates.fitting import table_data
from hpobench.surrogates.quality import assess, rank, spearman

CHANCE = math.log(2.0)
CHANCE_BAND = 0.003


def final_losses(task: str, data_dir: Path) -> np.ndarray:
    """Final validation loss of every configuration; diverged runs (NaN) become +inf (the worst)."""
    data = table_data(registry.load_benchmark(task, data_dir=data_dir))
    last = data.values[:, 0, -1]
    return np.where(np.isfinite(last), last, np.inf)


def tie_oracle(y: np.ndarray) -> float:
    """Spearman of ``y`` with ``y`` whose chance-level entries are replaced by one tied value."""
    tied = np.where(np.abs(y - CHANCE) < CHANCE_BAND, CHANCE, y)
    return float(spearman(y, tied))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("HPOBENCH_DATA_DIR", "../shared/data"))
    )
    args = parser.parse_args()
    tasks = [info.name for info in registry.load_family("taskset").tasks()]
    losses = np.stack([final_losses(t, args.data_dir) for t in tasks])  # (tasks, configs)
    scores = ndtri((np.stack([rank(y) for y in losses]) - 0.5) / losses.shape[1])
    models = [FittedSurrogate.from_file(MODELS_DIR / f"taskset.{t.split('/', 1)[1]}.npz") for t in tasks]
    held = models[0].heldout
    if any(not np.array_equal(m.heldout, held) for m in models):
        raise SystemExit("the shipped TaskSet models do not share one held-out split")

    def columns(idx: np.ndarray, k: int) -> tuple[float, float, float, float]:
        y = losses[k, idx]
        others = [spearman(y, losses[j, idx]) for j in range(len(tasks)) if j != k]
        consensus = np.delete(scores[:, idx], k, axis=0).mean(axis=0)
        chance = float(np.mean(np.abs(y - CHANCE) < CHANCE_BAND))
        return chance, tie_oracle(y), max(others), spearman(y, consensus)

    everything = np.arange(losses.shape[1])
    print(f"{len(held)} held-out configurations of {losses.shape[1]} (same split for all {len(tasks)} tasks)")
    head = "model  chance  tie oracle  best other task  other 11 | all: chance  tie oracle  best other"
    head += "  other 11"
    print(f"{'task':<44}{head}")
    rows = []
    for k, task in enumerate(tasks):
        model = assess(models[k], data_dir=args.data_dir).spearman
        ho, al = columns(held, k), columns(everything, k)
        rows.append((model, *ho))
        print(
            f"{task.split('/', 1)[1][27:][:43]:<44}{model:5.3f}  {ho[0]:6.2f}  {ho[1]:10.3f}  {ho[2]:15.3f}  "
            f"{ho[3]:8.3f} | {al[0]:11.2f}  {al[1]:10.3f}  {al[2]:10.3f}  {al[3]:8.3f}"
        )
    mean = np.mean(rows, axis=0)
    print(f"{'mean':<44}{mean[0]:5.3f}  {mean[1]:6.2f}  {mean[2]:10.3f}  {mean[3]:15.3f}  {mean[4]:8.3f}")
    reach = sum(r[3] >= 0.9 for r in rows)
    print(f"tasks where the best other task's observed losses reach Spearman 0.9: {reach} of {len(tasks)}")


if __name__ == "__main__":
    main()
