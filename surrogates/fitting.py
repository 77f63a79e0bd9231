"""Fit MLP-ensemble surrogates of tabular benchmarks with torch, and export them for numpy inference.

Needs the ``surrogates`` extra (torch, imported only inside :func:`train`). One command fits every
task of a family and writes the model files plus ``index.json``::

    python -m hpobench.surrogates.fitting --family taskset --out DIR --data-dir ../shared/data
    hpobench surrogate fit --family fcnet --out DIR          # the same, through the CLI

What is fitted (for one table, :func:`fit_table`):

* Inputs: the encoding of :class:`hpobench.surrogates.fitted.Encoding`, derived from the table's
  space by :func:`derive_encoding`: numeric grids become ranges (log-scaled when the grid is
  geometric: positive values whose log-spacing is more even than their linear spacing, or two
  values a factor of 10 apart; integer-valued grids stay integer), categoricals become one-hot
  blocks, the fidelity (if any) one more input, log-scaled when its range spans a factor of 10.
* Targets: the primary objective, log-transformed for minimised positive metrics (losses, MSE)
  and untransformed otherwise; then, by ``FitSettings.target``:

  - ``"clip"``: clipped to ``[min, q]`` of the training targets where ``q`` is their
    ``clip_quantile`` quantile (98 % by default; the other tail for maximised metrics): the tail
    of diverged runs becomes "as bad as the worst 2 %", and non-finite values (diverged runs)
    take that worst value; standardised.
  - ``"quantile"``: non-finite values (diverged runs) take the worst finite training value, and
    every training value (all configurations, seeds and fidelities together) is replaced by its
    normal score ``Φ⁻¹((rank - 0.5) / N)`` (ties share their average rank). The network fits
    ranks rather than a long-tailed loss scale, which is what ranking configurations needs; the
    model file stores ``quantile_knots`` knots of the training values' empirical quantile
    function (Hazen plotting positions, the exact inverse of that score at the order
    statistics), so the surrogate still answers on the loss scale (see
    :mod:`hpobench.surrogates.fitted`).

  The cost is the table's cost (recorded, or the family's documented cost model that the table
  applies when it has no runtimes), log-transformed and standardised.
* Split: the table's *configurations* (not rows) are split at random, ``holdout`` of them (20 %)
  held out of the fit for the quality report (:mod:`hpobench.surrogates.quality`); their indices
  are stored in the model file.
* Network and training: ``members`` MLPs trained side by side (batched matrix products), member
  ``m`` on the rows of the table's repeated run ``m % n_seeds`` with its own initialisation and
  data order, Adam with cosine learning-rate decay, mean squared error on both outputs.
  Deterministic given ``seed`` (``torch.use_deterministic_algorithms``, fixed thread count):
  the same seed gives byte-identical files on the same machine and library versions.

Rooms: reading the table, the encoding rules and the split are in ``_fitting_data``; the
settings, targets and torch training in ``_fitting_train`` (public names re-exported here); this
module assembles the model file (:func:`fit_table`, :func:`model_reference`) and fits families.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.space import SpaceCodec
from hpobench.surrogates._fitting_data import TableData, derive_encoding, split_configs, table_data
from hpobench.surrogates._fitting_train import (
    FitSettings,
    standardised_targets,
    train,
    training_inputs,
)
from hpobench.surrogates.commands import add_fit_arguments as add_arguments
from hpobench.surrogates.fitted import (
    FORMAT_VERSION,
    INDEX,
    FittedSurrogate,
    arrays_digest,
    write_model,
)

__all__ = [
    "FitSettings",
    "TableData",
    "derive_encoding",
    "fit_family",
    "fit_table",
    "main",
    "split_configs",
    "table_data",
    "train",
]

FAMILY_SETTINGS: Mapping[str, FitSettings] = {
    "taskset": FitSettings(hidden=(128, 128), epochs=60, batch_size=512, target="quantile"),
    "fcnet": FitSettings(hidden=(64, 64), epochs=20, batch_size=512),
}
"""Per-family defaults of :func:`fit_family` (the settings the shipped models were fitted with)."""


def _provenance(data: TableData, settings: FitSettings, seed: int) -> dict[str, Any]:
    import torch

    import hpobench

    return {
        "source": data.name,
        "source_files_sha256": {Path(p).name: h for p, h in sorted(data.data_files.items())},
        "n_configs": len(data.configs),
        "n_seeds": int(data.values.shape[1]),
        "n_fidelities": len(data.fidelity_values),
        "hpobench": hpobench.__version__,
        "torch": str(torch.__version__),
        "numpy": np.__version__,
        "settings": asdict(settings),
        "seed": seed,
        "command": (
            f"python -m hpobench.surrogates.fitting --family {data.name.split('/')[0]} "
            f"--tasks {data.name.split('/', 1)[1]} --seed {seed} --out DIR"
        ),
    }


def fit_table(
    data: TableData, *, settings: FitSettings, seed: int
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Fit one table; return the model file's ``(header, arrays)`` (see :func:`write_model`).

    The header's reference optimum comes from :func:`model_reference`.
    """
    train_idx, heldout = split_configs(len(data.configs), holdout=settings.holdout, seed=seed)
    stats, y = standardised_targets(data, train_idx, settings)
    weights, biases = train(training_inputs(data, train_idx), y, settings=settings, seed=seed)
    family, task = data.name.split("/", 1)
    arrays: dict[str, np.ndarray] = {"heldout": heldout.astype(np.int64)}
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        arrays[f"layer{i}.weight"], arrays[f"layer{i}.bias"] = w, b
    if stats.knots is not None:
        arrays["target.z"], arrays["target.value"] = stats.knots
    header: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "name": f"fitted/{family}.{task}",
        "tags": sorted({*data.tags, "surrogate", "fitted", "continuous"} - {"tabular", "candidate-set"}),
        "encoding": data.encoding.to_json(),
        "objective": {"name": data.objective.name, "direction": data.objective.direction.value},
        "target": {
            "transform": "log" if stats.log else "identity",
            "scale": "linear" if stats.knots is None else "quantile",
            "mean": stats.mean,
            "std": stats.std,
            "low": stats.low,
            "high": stats.high,
        },
        "cost": {"transform": "log", "mean": stats.cost_mean, "std": stats.cost_std},
        "network": {"activation": settings.activation, "layers": len(weights), "members": settings.members},
        "split": {"holdout": settings.holdout, "n_heldout": int(heldout.size), "seed": seed},
        "provenance": _provenance(data, settings, seed),
        "reference": {"best": 0.0, "worst": 0.0, "source": ""},
    }
    header["reference"] = model_reference(
        header, arrays, data=data, samples=settings.reference_samples, seed=seed
    )
    return header, arrays


def model_reference(
    header: Mapping[str, Any], arrays: Mapping[str, np.ndarray], *, data: TableData, samples: int, seed: int
) -> dict[str, Any]:
    """The reference optimum of a fitted model (the ``reference`` entry of its header).

    ``best`` is the best ensemble mean at the maximal fidelity over every table configuration
    and ``samples`` random configurations of the continuous space; ``worst`` the median over the
    random ones, as for the tables and the synthetic functions (normalised regret about 1 for a
    randomly drawn configuration). The random sample depends only on ``seed``.
    """
    model = FittedSurrogate(
        header={
            **header,
            "reference": {"best": 0.0, "worst": 0.0, "source": ""},
            "arrays_sha256": arrays_digest(arrays),
        },
        arrays=arrays,
    )
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x0F7]))
    sample = SpaceCodec(model.task.space).sample(rng, samples)
    sampled = model.mean_values(sample)
    means = np.concatenate([model.mean_values(data.configs), sampled])
    sign = data.objective.direction.sign
    return {
        "best": float(sign * np.min(sign * means)),
        "worst": float(sign * np.median(sign * sampled)),
        "source": (
            f"surrogate: best ensemble mean at the maximal fidelity over the {len(data.configs)} table "
            f"configurations and {samples} random configurations; worst = median over the random ones"
        ),
    }


def _file_name(task_name: str) -> str:
    return task_name.split("/", 1)[1] + ".npz"


def fit_family(
    family: str,
    *,
    data_dir: Path | None,
    out: Path,
    tasks: Sequence[str] | None = None,
    settings: FitSettings | None = None,
    seed: int = 0,
    log: Any = print,
) -> list[Path]:
    """Fit every (or the named) task of a registered tabular family; write files and ``index.json``.

    ``index.json`` in ``out`` is updated in place (other entries are kept), so families can be
    fitted one at a time into the same directory.

    Raises:
        UnknownNameError: The family or a task is unknown.
        DataError: The table's data is missing or corrupt.
    """
    import hashlib
    import time

    from hpobench.data import registry

    chosen = settings or FAMILY_SETTINGS.get(family, FitSettings())
    names = [i.name.split("/", 1)[1] for i in registry.load_family(family).tasks()]
    if tasks:
        unknown = [t for t in tasks if t not in names]
        if unknown:
            from hpobench.contracts.errors import UnknownNameError

            raise UnknownNameError("benchmark", f"{family}/{unknown[0]}", [f"{family}/{n}" for n in names])
        names = list(tasks)
    out.mkdir(parents=True, exist_ok=True)
    index_path = out / INDEX
    index = json.loads(index_path.read_text()) if index_path.is_file() else {"tasks": {}}
    written = []
    for task in names:
        start = time.perf_counter()
        data = table_data(registry.load_benchmark(f"{family}/{task}", data_dir=data_dir))
        header, arrays = fit_table(data, settings=chosen, seed=seed)
        path = out / _file_name(header["name"])
        write_model(path, header=header, arrays=arrays)
        index["tasks"][header["name"].split("/", 1)[1]] = {
            "file": path.name,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "multi_fidelity": data.encoding.fidelity is not None,
            "tags": header["tags"],
        }
        written.append(path)
        log(f"fitted {header['name']} in {time.perf_counter() - start:.1f} s -> {path}")
    index["format"] = FORMAT_VERSION
    index["tasks"] = dict(sorted(index["tasks"].items()))
    tmp = index_path.with_name(INDEX + ".tmp")
    tmp.write_text(json.dumps(index, indent=1, sort_keys=True) + "\n")
    tmp.replace(index_path)
    return written


def run(args: argparse.Namespace) -> int:
    """Run the fit command from parsed arguments."""
    from dataclasses import replace

    from hpobench.data.datadir import resolve_data_dir

    settings = FAMILY_SETTINGS.get(args.family, FitSettings())
    if args.epochs is not None:
        settings = replace(settings, epochs=args.epochs)
    fit_family(
        args.family,
        data_dir=resolve_data_dir(args.data_dir),
        out=Path(args.out),
        tasks=args.tasks,
        settings=settings,
        seed=args.seed,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hpobench.surrogates.fitting``: fit a family's surrogates."""
    from hpobench.contracts.errors import HpobenchError

    parser = argparse.ArgumentParser(
        prog="python -m hpobench.surrogates.fitting", description=__doc__.split("\n")[0]
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (HpobenchError, ValueError) as exc:
        print(f"fitting: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
