"""Reference optima of the tabular tasks, stored with the task metadata.

For every task of the ``fcnet``, ``hpobench_nn``, ``nb201`` and ``taskset`` families this holds
the primary objective's reference range at the maximal fidelity, computed from the tables by
:meth:`~hpobench.surrogates._dense.DenseLookup.table_optimum`:

* ``best``: the best mean over (recorded) seeds over all configurations;
* ``worst``: the mean over seeds of the *median configuration*, with configurations that have
  no finite value counted as worst (the robust end of the range; see
  :func:`~hpobench.surrogates._dense.reference_of` for why not the worst value of the table);
* ``worst_observed``: the worst finite mean over seeds (the table's extreme, for information:
  divergent runs put it far away, e.g. 6e18 on TaskSet);
* the same ``best``/``worst`` for each seed's runs alone.

The benchmarks of these families answer :meth:`~hpobench.contracts.benchmark.Benchmark.optimum` from
these stored values, so reports normalise regret without loading any table and the values never
depend on which methods were run; the tests check them against the source tables (so a changed
data file is noticed). Regenerate ``_optima_data.py`` when a dataset changes on purpose::

    python -m hpobench.surrogates.optima --data-dir ../shared/data > surrogates/_optima_data.py
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.types import Direction, Reference
from hpobench.surrogates._optima_data import OPTIMA

__all__ = ["FAMILIES", "StoredOptimum", "render_optima", "stored_optimum"]

FAMILIES = ("fcnet", "hpobench_nn", "nb201", "taskset")
"""The families whose tasks have stored optima."""

SOURCE = (
    "stored: best and median configuration (non-finite values counted as worst) of the mean over "
    "seeds at the maximal fidelity"
)


@dataclass(frozen=True, kw_only=True)
class StoredOptimum:
    """Reference range of one task's primary objective at the maximal fidelity.

    Attributes:
        metric: The objective's name.
        direction: Whether it is minimised or maximised.
        best: Best mean over seeds over all configurations.
        worst: Mean over seeds of the median configuration (non-finite counted as worst).
        worst_observed: Worst finite mean over seeds (the table's extreme; not used for regret).
        best_per_seed: ``best`` of each seed's runs alone.
        worst_per_seed: ``worst`` of each seed's runs alone.
    """

    metric: str
    direction: Direction
    best: float
    worst: float
    worst_observed: float
    best_per_seed: tuple[float, ...]
    worst_per_seed: tuple[float, ...]

    def reference(self) -> Reference:
        """As a :class:`~hpobench.contracts.types.Reference` (mean over seeds)."""
        return Reference(best={self.metric: self.best}, worst={self.metric: self.worst}, source=SOURCE)

    def references_per_seed(self) -> tuple[Reference, ...]:
        """One :class:`~hpobench.contracts.types.Reference` per seed (that seed's runs alone)."""
        return tuple(
            Reference(
                best={self.metric: b},
                worst={self.metric: w},
                source=f"stored: best and median configuration of seed {s} at the maximal fidelity",
            )
            for s, (b, w) in enumerate(zip(self.best_per_seed, self.worst_per_seed, strict=True))
        )


def stored_optimum(task: str) -> StoredOptimum:
    """The stored reference values of ``task`` (``"family/task"``).

    Raises:
        UnknownNameError: No values are stored for the task.
    """
    if task not in OPTIMA:
        raise UnknownNameError("benchmark", task, sorted(OPTIMA))
    raw = OPTIMA[task]
    return StoredOptimum(
        metric=raw["metric"],
        direction=Direction(raw["direction"]),
        best=float(raw["best"]),
        worst=float(raw["worst"]),
        worst_observed=float(raw["worst_observed"]),
        best_per_seed=tuple(float(x) for x in raw["best_per_seed"]),
        worst_per_seed=tuple(float(x) for x in raw["worst_per_seed"]),
    )


def render_optima(benchmarks: Sequence[Any]) -> str:
    """Source text of ``_optima_data.py`` for loaded dense benchmarks (computed from their tables).

    Args:
        benchmarks: :class:`~hpobench.surrogates.tabular.TabularBenchmark` or
            :class:`~hpobench.surrogates.candidates.CandidateBenchmark` instances.
    """
    lines = [
        '"""Reference optima of the tabular tasks (generated from the tables; see ``optima.py``)."""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Any",
        "",
        "OPTIMA: dict[str, dict[str, Any]] = {",
    ]
    for bench in benchmarks:
        objective = bench.task.objective
        ref = bench.table_optimum()
        per_seed = bench.table_optimum_per_seed()
        means = bench.reference_means()[:, 0] * objective.direction.sign
        observed = float(np.max(means[np.isfinite(means)])) * objective.direction.sign
        name = objective.name
        lines += [
            f"    {bench.task.name!r}: {{",
            f"        'metric': {name!r},",
            f"        'direction': {objective.direction.value!r},",
            f"        'best': {ref.best[name]!r},",
            f"        'worst': {ref.worst[name]!r},",
            f"        'worst_observed': {observed!r},",
            f"        'best_per_seed': ({''.join(f'{r.best[name]!r}, ' for r in per_seed).strip()}),",
            f"        'worst_per_seed': ({''.join(f'{r.worst[name]!r}, ' for r in per_seed).strip()}),",
            "    },",
        ]
    lines.append("}")
    return "\n".join(lines).replace("'", '"') + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Print ``_optima_data.py`` computed from the tables in ``--data-dir``."""
    from hpobench.data import registry  # the registry loads the families lazily

    parser = argparse.ArgumentParser(description="Regenerate hpobench/surrogates/_optima_data.py")
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    benchmarks = [
        registry.load_benchmark(info.name, data_dir=args.data_dir)
        for family in FAMILIES
        for info in registry.load_family(family).tasks()
    ]
    print(render_optima(benchmarks), end="")


if __name__ == "__main__":
    main()
