"""TaskSet learning curves (Metz et al. 2020) as used by DyHPO and ifBO: 12 IMDB RNN tasks.

Each task lists 1,000 Adam configurations (8 hyperparameters sampled log-uniformly by TaskSet:
``learning_rate``, ``beta1``, ``beta2``, ``epsilon``, ``l1``, ``l2``, ``linear_decay``,
``exponential_decay``) with 51 recorded points of train, validation and test loss, one seed. The
objective is the validation loss (minimise); train and test loss are extras. Losses are NaN
where training diverged: such evaluations have status FAILED.

Data: ``<data_dir>/taskset/<task>.json`` in the upstream format of
machinelearningnuremberg/DyHPO ``data/taskset/*.json``, read unchanged: a JSON list of
``{"hp": {name: value}, "train": {"loss": [51]}, "valid": {"loss": [51]}, "test": {"loss": [51]}}``
(``NaN`` literals allowed).

Fidelity: ``step`` = index of the recorded curve point, an integer in ``1 .. 51`` (point ``k`` is
the ``k``-th entry of the upstream lists; 51 is the end of training).

Space: a candidate set (:class:`~hpobench.surrogates.candidates.CandidateBenchmark`): the
bounding box of the 1,000 configurations, every hyperparameter but ``beta1`` and ``beta2``
log-scaled; proposals are snapped to the nearest listed configuration in that normalised space
(the rule is documented in :mod:`hpobench.surrogates.candidates`).

Cost model (the format records no runtimes): ``cost = step · 4 s`` — TaskSet records a curve
point every 200 training steps, at about 20 ms per step for these small RNNs; the cost of an
evaluation is that of training from scratch up to the step.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from hpobench.contracts.benchmark import BenchmarkFamily, TaskInfo
from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.types import Direction, Fidelity, Objective
from hpobench.data.datadir import file_sha256
from hpobench.data.datasets import verified_data_file
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.surrogates.optima import stored_optimum

__all__ = ["FAMILY", "HYPERPARAMETERS", "TASKS", "TaskSetFamily", "parse_taskset"]

TASKS = (
    "FixedTextRNNClassification_imdb_patch128_LSTM128_avg_bs64",
    "FixedTextRNNClassification_imdb_patch128_LSTM128_bs64",
    "FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64",
    "FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
    "FixedTextRNNClassification_imdb_patch32_GRU64_avg_bs128",
    "FixedTextRNNClassification_imdb_patch32_IRNN64_relu_avg_bs128",
    "FixedTextRNNClassification_imdb_patch32_IRNN64_relu_last_bs128",
    "FixedTextRNNClassification_imdb_patch32_LSTM128_E128_bs128",
    "FixedTextRNNClassification_imdb_patch32_LSTM128_bs128",
    "FixedTextRNNClassification_imdb_patch32_VRNN128_tanh_bs128",
    "FixedTextRNNClassification_imdb_patch32_VRNN64_relu_avg_bs128",
    "FixedTextRNNClassification_imdb_patch32_VRNN64_tanh_avg_bs128",
)
HYPERPARAMETERS = (
    "learning_rate",
    "beta1",
    "beta2",
    "epsilon",
    "l1",
    "l2",
    "linear_decay",
    "exponential_decay",
)
LOG = frozenset(HYPERPARAMETERS) - {"beta1", "beta2"}
METRICS = ("valid_loss", "train_loss", "test_loss")
N_STEPS = 51
SECONDS_PER_STEP = 4.0
FIDELITY = Fidelity(name="step", low=1, high=N_STEPS, integer=True)
TAGS = frozenset({"tabular", "taskset", "learning-curves", "candidate-set"})


def parse_taskset(records: object, *, what: str) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Turn the parsed upstream JSON into candidate columns and a ``(n, 1, steps, 3)`` table.

    Args:
        records: The parsed JSON list.
        what: Task and file name, for error messages.

    Returns:
        ``(candidates, table)``: hyperparameter -> values, and losses ordered as :data:`METRICS`.

    Raises:
        DataError: The structure is not the upstream format.
    """
    if not isinstance(records, list) or not records:
        raise DataError(f"{what}: expected a non-empty JSON list of configurations")
    try:
        hps = np.array([[float(r["hp"][h]) for h in HYPERPARAMETERS] for r in records])
        curves = np.array(
            [[r[split]["loss"] for split in ("valid", "train", "test")] for r in records], dtype=float
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{what}: not the TaskSet JSON layout ({type(exc).__name__}: {exc})") from exc
    if curves.ndim != 3 or curves.shape[2] != N_STEPS:
        raise DataError(f"{what}: every loss curve must have {N_STEPS} points, got shape {curves.shape}")
    table = np.ascontiguousarray(curves.transpose(0, 2, 1))[:, None, :, :]
    return {h: hps[:, j] for j, h in enumerate(HYPERPARAMETERS)}, table


@task_cache(maxsize=12)
def _load(task: str, path: Path, size: int, mtime_ns: int) -> CandidateBenchmark:
    what = f"taskset/{task} ({path})"
    try:
        with path.open("rb") as fh:
            records = json.load(fh)
    except (OSError, ValueError) as exc:
        raise DataError(f"{what}: cannot read JSON: {exc}") from exc
    candidates, table = parse_taskset(records, what=what)
    table.flags.writeable = False
    steps = np.arange(1, N_STEPS + 1, dtype=float)
    try:
        return CandidateBenchmark(
            name=f"taskset/{task}",
            candidates=candidates,
            log=LOG,
            table=table,
            metrics=METRICS,
            objectives=(Objective(name="valid_loss", direction=Direction.MINIMIZE),),
            fidelity=FIDELITY,
            fidelity_values=steps.tolist(),
            cost=SECONDS_PER_STEP * steps,
            tags=TAGS,
            data_files={str(path): file_sha256(path)},
            stored=stored_optimum(f"taskset/{task}"),
        )
    except ValueError as exc:
        raise DataError(f"{what}: {exc}") from exc


class TaskSetFamily(BenchmarkFamily):
    """The ``taskset`` family: 12 multi-fidelity candidate-set tasks (1,000 configurations each)."""

    name = "taskset"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the twelve tasks (static; reads no data)."""
        return tuple(
            TaskInfo(name=f"taskset/{t}", multi_fidelity=True, needs_data=True, tags=TAGS) for t in TASKS
        )

    def load(self, task: str, *, data_dir: Path | None) -> CandidateBenchmark:
        """Load ``task`` from ``<data_dir>/taskset/<task>.json``.

        Raises:
            UnknownNameError: No such task.
            DataError: The file is missing, not in the upstream layout, or differs from the
                manifest's sha256 while verification is on (:mod:`hpobench.data.datadir`).
        """
        if task not in TASKS:
            raise UnknownNameError("benchmark", f"taskset/{task}", [f"taskset/{t}" for t in TASKS])
        path, _ = verified_data_file(data_dir, f"taskset/{task}.json", what=f"taskset/{task}")
        stat = path.stat()
        return _load(task, path, stat.st_size, stat.st_mtime_ns)


FAMILY = TaskSetFamily()
"""The entry point registered as ``taskset`` in ``hpobench.benchmarks``."""
