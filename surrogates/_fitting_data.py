"""What surrogate fitting reads from a dense table: every run as arrays, the input encoding, the split.

:func:`table_data` reads a :class:`~hpobench.surrogates.tabular.TabularBenchmark` or
:class:`~hpobench.surrogates.candidates.CandidateBenchmark` into a frozen :class:`TableData`
(raising ``TypeError`` for anything else); :func:`derive_encoding` derives the model's input
encoding from the table's space (rules in :mod:`hpobench.surrogates.fitting`);
:func:`split_configs` splits the configurations into training and held-out ones, deterministic
for a seed. Nothing here needs torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.space import to_python
from hpobench.contracts.types import Config, Objective
from hpobench.surrogates._fitted_encoding import Encoding, HyperparameterEncoding


class _Table(Protocol):
    """The dense-table API that fitting reads (TabularBenchmark and CandidateBenchmark)."""

    n_seeds: int

    @property
    def fidelity_values(self) -> tuple[float, ...]: ...

    def evaluate_arrays(
        self, configs: Sequence[Config], *, seed: int, fidelities: Sequence[float | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]: ...


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
