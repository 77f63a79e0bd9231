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
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.space import SpaceCodec, to_python
from hpobench.contracts.types import Config, Direction, Objective
from hpobench.surrogates.commands import add_fit_arguments as add_arguments
from hpobench.surrogates.fitted import (
    FORMAT_VERSION,
    INDEX,
    Encoding,
    FittedSurrogate,
    HyperparameterEncoding,
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

REFERENCE_SAMPLES = 1 << 15
"""Random configurations (besides every table configuration) searched for the reference optimum."""


class _Table(Protocol):
    """The dense-table API that fitting reads (TabularBenchmark and CandidateBenchmark)."""

    n_seeds: int

    @property
    def fidelity_values(self) -> tuple[float, ...]: ...

    def evaluate_arrays(
        self, configs: Sequence[Config], *, seed: int, fidelities: Sequence[float | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True, kw_only=True)
class FitSettings:
    """Network and training settings (recorded in every model file).

    Attributes:
        members: Ensemble members (the surrogate's seeds).
        hidden: Width of each hidden layer.
        activation: ``"silu"`` or ``"relu"``.
        epochs: Passes over each member's training rows.
        batch_size: Rows per member and step.
        learning_rate: Initial Adam learning rate (cosine decay to 0).
        weight_decay: Adam L2 penalty.
        holdout: Fraction of configurations held out for the quality report.
        clip_quantile: Quantile of the training targets at which the bad tail is clipped
            (``target="clip"`` only).
        target: ``"clip"`` (standardised clipped targets) or ``"quantile"`` (normal scores of
            the ranks, see the module docstring).
        quantile_knots: Knots of the stored quantile function (``target="quantile"`` only).
        threads: torch CPU threads.
        reference_samples: Random configurations searched (besides the table's) for the
            reference optimum.
    """

    members: int = 5
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "silu"
    epochs: int = 40
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 0.0
    holdout: float = 0.2
    clip_quantile: float = 0.98
    target: str = "clip"
    quantile_knots: int = 1025
    threads: int = 1
    reference_samples: int = REFERENCE_SAMPLES

    def __post_init__(self) -> None:
        if self.members < 1 or self.epochs < 1 or self.batch_size < 1 or not self.hidden:
            raise ValueError("members, epochs and batch_size must be positive and hidden non-empty")
        if self.activation not in ("silu", "relu"):
            raise ValueError(f"activation must be 'silu' or 'relu', got {self.activation!r}")
        if not (0.0 <= self.holdout < 1.0 and 0.5 < self.clip_quantile <= 1.0):
            raise ValueError("need 0 <= holdout < 1 and 0.5 < clip_quantile <= 1")
        if self.target not in ("clip", "quantile") or self.quantile_knots < 2:
            raise ValueError(f"target must be 'clip' or 'quantile' (got {self.target!r}), knots >= 2")


FAMILY_SETTINGS: Mapping[str, FitSettings] = {
    "taskset": FitSettings(hidden=(128, 128), epochs=60, batch_size=512, target="quantile"),
    "fcnet": FitSettings(hidden=(64, 64), epochs=20, batch_size=512),
}
"""Per-family defaults of :func:`fit_family` (the settings the shipped models were fitted with)."""


@dataclass(frozen=True, kw_only=True)
class TableData:
    """Everything fitting reads from one table.

    Attributes:
        name: Source task name, ``"family/task"``.
        configs: Every configuration of the table, in index order.
        values: Primary objective ``(n_configs, n_seeds, n_fidelities)`` (NaN for failed runs).
        costs: Cost in seconds, same shape.
        fidelity_values: Fidelity of each slice (``(1.0,)`` without fidelity).
        objective: The primary objective.
        encoding: The input encoding.
        tags: Tags of the source task.
        data_files: Source files as path -> sha256.
    """

    name: str
    configs: list[dict[str, Any]]
    values: np.ndarray
    costs: np.ndarray
    fidelity_values: np.ndarray
    objective: Objective
    encoding: Encoding
    tags: frozenset[str] = frozenset()
    data_files: Mapping[str, str] = field(default_factory=dict)

    def take(self, indices: Sequence[int]) -> TableData:
        """The same table restricted to the configurations ``indices`` (for small test fits)."""
        idx = np.asarray(indices, dtype=np.intp)
        return TableData(
            name=self.name,
            configs=[self.configs[i] for i in idx.tolist()],
            values=self.values[idx],
            costs=self.costs[idx],
            fidelity_values=self.fidelity_values,
            objective=self.objective,
            encoding=self.encoding,
            tags=self.tags,
            data_files=self.data_files,
        )


def _geometric(values: np.ndarray) -> bool:
    """Whether a positive numeric grid is better described on a log scale (see the module docstring)."""
    if values.size < 2 or np.any(values <= 0):
        return False
    if values.size == 2:
        return bool(values.max() >= 10 * values.min())
    lin, log = np.diff(values), np.diff(np.log(values))
    return bool(np.std(log) / np.mean(log) < np.std(lin) / np.mean(lin))


def _outward(low: float, high: float) -> tuple[float, float]:
    """Widen ``[low, high]`` onto ConfigSpace's rounding grid (13 decimals) so both ends stay inside."""
    lo, hi = round(low, 13), round(high, 13)
    if lo > low:
        lo = round(lo - 1e-13, 13)
    if hi < high:
        hi = round(hi + 1e-13, 13)
    return lo, hi


def derive_encoding(benchmark: Benchmark, configs: Sequence[Config]) -> Encoding:
    """The encoding of a table's space (see the module docstring).

    Args:
        benchmark: The table.
        configs: Its configurations; continuous ranges are their minimum and maximum (widened
            onto ConfigSpace's rounding grid so that every configuration is inside).
    """
    out = []
    hp: Any
    for name, hp in benchmark.task.space.items():
        if isinstance(hp, (CS_ORDINAL, CS_CATEGORICAL)):
            seq = [to_python(v) for v in (hp.sequence if isinstance(hp, CS_ORDINAL) else hp.choices)]
            numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seq)
            if not numeric or isinstance(hp, CS_CATEGORICAL):
                out.append(HyperparameterEncoding(name=name, kind="categorical", choices=tuple(seq)))
                continue
            grid = np.sort(np.asarray(seq, dtype=float))
            if grid[0] == grid[-1]:
                out.append(HyperparameterEncoding(name=name, kind="constant", choices=(seq[0],)))
                continue
            integer = all(isinstance(v, int) for v in seq)
            low, high = (float(grid[0]), float(grid[-1])) if integer else _outward(grid[0], grid[-1])
            out.append(
                HyperparameterEncoding(
                    name=name, kind="numeric", low=low, high=high, log=_geometric(grid), integer=integer
                )
            )
        elif hasattr(hp, "lower") and hasattr(hp, "upper"):
            values = np.array([float(c[name]) for c in configs])
            integer = isinstance(hp, CS_INTEGER)
            low, high = float(values.min()), float(values.max())
            out.append(
                HyperparameterEncoding(
                    name=name,
                    kind="numeric",
                    low=low if integer else _outward(low, high)[0],
                    high=high if integer else _outward(low, high)[1],
                    log=bool(hp.log),
                    integer=integer,
                )
            )
        elif hasattr(hp, "value"):
            out.append(HyperparameterEncoding(name=name, kind="constant", choices=(to_python(hp.value),)))
        else:
            raise ValueError(f"cannot encode hyperparameter {name!r} of type {type(hp).__name__}")
    fid = benchmark.task.fidelity
    return Encoding(
        hyperparameters=tuple(out),
        fidelity=fid,
        fidelity_log=fid is not None and fid.high >= 10 * fid.low,
    )


def _cs_types() -> tuple[Any, Any, Any]:
    import ConfigSpace as CS

    return CS.OrdinalHyperparameter, CS.CategoricalHyperparameter, CS.UniformIntegerHyperparameter


CS_ORDINAL, CS_CATEGORICAL, CS_INTEGER = _cs_types()


def table_data(benchmark: Benchmark) -> TableData:
    """Read every configuration, objective value and cost of a dense tabular benchmark.

    Works with :class:`~hpobench.surrogates.tabular.TabularBenchmark` (grid) and
    :class:`~hpobench.surrogates.candidates.CandidateBenchmark` (listed configurations).

    Raises:
        TypeError: ``benchmark`` is not a dense table.
    """
    if hasattr(benchmark, "candidate_configs"):
        configs: list[dict[str, Any]] = benchmark.candidate_configs()
    elif hasattr(benchmark, "grid_columns"):
        columns = benchmark.grid_columns()
        names = list(columns)
        lists = [[to_python(v) for v in columns[n].tolist()] for n in names]
        configs = [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]
    else:
        raise TypeError(f"{benchmark.task.name!r} is not a dense tabular benchmark")
    table: _Table = benchmark  # type: ignore[assignment]
    fids = np.asarray(table.fidelity_values, dtype=float)
    has_fid = benchmark.task.fidelity is not None
    n, s, f = len(configs), table.n_seeds, len(fids)
    values = np.empty((n, s, f))
    costs = np.empty((n, s, f))
    for seed in range(s):
        for j, fidelity in enumerate(fids.tolist()):
            v, c = table.evaluate_arrays(configs, seed=seed, fidelities=[fidelity] * n if has_fid else None)
            values[:, seed, j], costs[:, seed, j] = v[:, 0], c
    return TableData(
        name=benchmark.task.name,
        configs=configs,
        values=values,
        costs=costs,
        fidelity_values=fids,
        objective=benchmark.task.objective,
        encoding=derive_encoding(benchmark, configs),
        tags=benchmark.task.tags,
        data_files=dict(benchmark.data_files()),
    )


def split_configs(n: int, *, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split configuration indices ``0..n-1`` into sorted (train, held-out) index arrays."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5B117]))
    perm = rng.permutation(n)
    k = round(holdout * n)
    return np.sort(perm[k:]), np.sort(perm[:k])


@dataclass(frozen=True, kw_only=True)
class _Targets:
    """Transformed and standardised targets with the statistics to undo it."""

    log: bool
    low: float
    high: float
    mean: float
    std: float
    cost_mean: float
    cost_std: float
    knots: tuple[np.ndarray, np.ndarray] | None = None


def _normal_scores(y: np.ndarray, *, knots: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Normal scores of the average ranks of ``y``, and the knots ``(z, value)`` of their inverse."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    n = y.size
    scores = ndtri((rankdata(y.reshape(-1)) - 0.5) / n).reshape(y.shape)
    p = np.linspace(0.5 / n, 1.0 - 0.5 / n, min(knots, n)) if n > 1 else np.array([0.25, 0.75])
    value = np.quantile(y.reshape(-1), p, method="hazen")
    return scores, (np.asarray(ndtri(p), dtype=np.float64), np.maximum.accumulate(value))


def _targets(data: TableData, train: np.ndarray, settings: FitSettings) -> tuple[_Targets, np.ndarray]:
    """Standardised ``(n_seeds, n_train * n_fidelities, 2)`` targets and their transform."""
    raw = data.values[train]
    finite = raw[np.isfinite(raw)]
    if finite.size == 0:
        raise ValueError(f"{data.name!r}: no finite objective value to fit")
    minimise = data.objective.direction is Direction.MINIMIZE
    log = minimise and bool(np.all(finite > 0))
    t = np.log(finite) if log else finite
    if minimise:
        low, high = float(t.min()), float(np.quantile(t, settings.clip_quantile))
    else:
        low, high = float(np.quantile(t, 1.0 - settings.clip_quantile)), float(t.max())
    knots = None
    if settings.target == "quantile":
        low, high = float(t.min()), float(t.max())
    worst = high if minimise else low
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(raw) if log else raw.copy()
    y = np.clip(np.where(np.isfinite(y), y, worst), low, high)
    if settings.target == "quantile":
        y, knots = _normal_scores(y, knots=settings.quantile_knots)
        mean, std = 0.0, 1.0
    else:
        mean, std = float(y.mean()), float(y.std()) or 1.0
    c = np.log(np.maximum(data.costs[train], 1e-12))
    c_mean, c_std = float(c.mean()), float(c.std()) or 1.0
    # (n_train, seeds, fids) -> (seeds, n_train * fids): rows are config-major, fidelity fastest
    stacked = np.stack([(y - mean) / std, (c - c_mean) / c_std], axis=-1).transpose(1, 0, 2, 3)
    stats = _Targets(
        log=log, low=low, high=high, mean=mean, std=std, cost_mean=c_mean, cost_std=c_std, knots=knots
    )
    return stats, stacked.reshape(raw.shape[1], -1, 2).astype(np.float32)


def _inputs(data: TableData, train: np.ndarray) -> np.ndarray:
    """Encoded ``(n_train * n_fidelities, width)`` inputs, config-major, fidelity fastest."""
    configs = [data.configs[i] for i in train.tolist()]
    nf = len(data.fidelity_values)
    rows = [c for c in configs for _ in range(nf)]
    fids = np.tile(data.fidelity_values, len(configs))
    return np.asarray(data.encoding.encode(rows, fids))


def train(
    x: np.ndarray, y: np.ndarray, *, settings: FitSettings, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Train the MLP ensemble with torch; deterministic given ``seed``.

    Args:
        x: Inputs ``(rows, width)``, shared by every member.
        y: Targets ``(n_seeds, rows, 2)``; member ``m`` fits ``y[m % n_seeds]``.
        settings: Network and training settings.
        seed: Seeds the initialisation and the data order.

    Returns:
        ``(weights, biases)`` as float32 numpy arrays, per layer ``(members, fan_in, fan_out)`` and
        ``(members, fan_out)``.
    """
    import torch

    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(settings.threads)
    try:
        gen = torch.Generator().manual_seed(seed)
        m = settings.members
        sizes = [x.shape[1], *settings.hidden, 2]
        weights, biases = [], []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            w = (torch.rand(m, fan_in, fan_out, generator=gen) * 2.0 - 1.0) * bound
            weights.append(w.requires_grad_())
            biases.append(torch.zeros(m, 1, fan_out, requires_grad=True))
        xt, yt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))
        source = torch.arange(m) % y.shape[0]
        rows = x.shape[0]
        batch = min(settings.batch_size, rows)
        steps = max(1, rows // batch)
        total = steps * settings.epochs
        opt = torch.optim.Adam(
            [*weights, *biases], lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        act = torch.nn.functional.silu if settings.activation == "silu" else torch.relu
        step = 0
        for _ in range(settings.epochs):
            perm = torch.stack([torch.randperm(rows, generator=gen) for _ in range(m)])
            for b in range(steps):
                idx = perm[:, b * batch : (b + 1) * batch]
                h = xt[idx]
                for i, (w, bias) in enumerate(zip(weights, biases, strict=True)):
                    h = torch.baddbmm(bias, h, w)
                    if i < len(weights) - 1:
                        h = act(h)
                target = yt[source[:, None], idx]
                loss = ((h - target) ** 2).mean() * m
                for group in opt.param_groups:
                    group["lr"] = settings.learning_rate * 0.5 * (1.0 + math.cos(math.pi * step / total))
                opt.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                step += 1
        return (
            [w.detach().numpy().astype(np.float32) for w in weights],
            [b.detach()[:, 0, :].numpy().astype(np.float32) for b in biases],
        )
    finally:
        torch.use_deterministic_algorithms(previous)


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
    stats, y = _targets(data, train_idx, settings)
    weights, biases = train(_inputs(data, train_idx), y, settings=settings, seed=seed)
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
