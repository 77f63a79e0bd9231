"""Reference Pareto fronts of the multi-objective tasks: how they are made, stored and checked.

Every multi-objective task answers :meth:`~hpobench.contracts.benchmark.Benchmark.pareto_reference` with a
front and a reference point fixed by the task alone, so hypervolume regret never moves when a
method is added:

* **Front.** The non-dominated set of the task's reference values (the noise-free values at the
  maximal fidelity: the mean over seeds for tables), in the objectives' own units and directions,
  duplicates removed, sorted lexicographically. For tables it is *exact* (every configuration of
  the table takes part); for analytic test functions it samples the known front densely; for
  surrogates it is *estimated* from a fixed sample.
* **Reference point.** Per objective, the worse of two values: the task's *typical* value (the
  median configuration's, the far end of the reference range that single-objective normalised
  regret uses; :func:`~hpobench.surrogates._dense.reference_of` says why the median and not the
  worst value) and the front's nadir moved away from the front by 10 % of the front's range
  (ideal to nadir; where the front has no range in an objective, 10 % of the distance from the
  front to the typical value). The hypervolume therefore counts what beats a typical
  configuration in every objective, as YAHPO Gym's and Syne Tune's multi-objective benchmarks
  place their reference point at the worst values evaluated rather than at the front's corner
  (fixed here by the task, not by the runs, so scores never move when a method is added); every
  front point strictly dominates it. A point at the front's corner alone is too strict where the
  front is a small cluster (YAHPO lcbench-126025: four points within 0.1 % accuracy and 1.5 s,
  so no 30x run of any method dominated it and every run scored hypervolume regret 1).

``source`` says which kind a front is: it starts with ``"exact"`` (a table's complete front, or a
known front evaluated at Pareto-optimal configurations) or ``"estimated"``. No configuration can
dominate a point of an exact front; the compliance suite checks that on a sample.

Every front (test functions, tables, YAHPO and fitted surrogates) is stored in ``pareto_fronts.json`` (package
data, JSON only, with a sha256 of each front that is checked when it is read), so loading a task
does not recompute them and a changed data file is noticed by the tests, which recompute them.
Regenerate after a deliberate data change (about a minute on two cores)::

    python -m hpobench.surrogates.pareto_fronts --data-dir ../shared/data > surrogates/pareto_fronts.json
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.pareto import pareto_mask
from hpobench.contracts.types import Config, Objective, ParetoReference

__all__ = [
    "MARGIN",
    "estimate_front",
    "front_sha256",
    "pareto_from_values",
    "reference_point",
    "render_fronts",
    "stored_entry",
    "stored_fronts",
    "stored_pareto",
]

MARGIN = 0.1
"""Distance of the reference point from the front's nadir, as a fraction of the front's range."""


def reference_point(
    front: np.ndarray, objectives: Sequence[Objective], *, typical: Sequence[float] | None = None
) -> tuple[float, ...]:
    """The fixed reference point of a front (see the module docstring for the rule and its reason).

    Per objective, the worse of ``typical`` (the task's median configuration) and the front's
    nadir moved out by :data:`MARGIN` of the front's range. Where the front has no range in an
    objective (a single point, or ties), the margin is :data:`MARGIN` of the distance from the
    front to ``typical``, else ``1e-6 * max(1, |nadir|)``. Non-finite ``typical`` values are
    ignored.

    Args:
        front: Shape ``(n, k)`` in the objectives' own units and directions, finite.
        objectives: One per column (their directions say which way is worse).
        typical: The median configuration's value per objective, or ``None`` (then the nadir
            rule alone).

    Returns:
        One value per objective, strictly worse than every front point in every objective.
    """
    signs = np.array([o.direction.sign for o in objectives])
    loss = np.asarray(front, dtype=float) * signs
    ideal, nadir = loss.min(axis=0), loss.max(axis=0)
    fallback = 1e-6 * np.maximum(1.0, np.abs(nadir))
    point = nadir + np.where(nadir > ideal, MARGIN * (nadir - ideal), fallback)
    if typical is not None:
        median = np.asarray(typical, dtype=float) * signs
        gap = MARGIN * np.abs(median - ideal)
        fallback = np.where(np.isfinite(gap) & (gap > fallback), gap, fallback)
        point = np.where(nadir > ideal, point, nadir + fallback)
        point = np.where(np.isfinite(median), np.maximum(point, median), point)
    return tuple(float(v) for v in point * signs)


def pareto_from_values(
    values: np.ndarray,
    objectives: Sequence[Objective],
    *,
    source: str,
    typical: Sequence[float] | None = None,
) -> ParetoReference:
    """The reference of the non-dominated rows of ``values`` (rows with a non-finite value are ignored).

    The reference point follows :func:`reference_point` with ``typical``, by default the median
    row of ``values`` (non-finite values counted as worst), the task's reference range when
    ``values`` holds every configuration of a table.

    Args:
        values: Shape ``(n, k)``, e.g. a table's reference values of every configuration.
        objectives: One per column.
        source: The reference's ``source`` (start it with ``"exact"`` or ``"estimated"``).
        typical: The task's median configuration per objective where ``values`` is not a
            sample of the task's configurations (a local search's points, a sampled front).

    Raises:
        DataError: No row is finite.
    """
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values).all(axis=1)]
    if len(finite) == 0:
        raise DataError(f"no finite point to build a Pareto front from ({source})")
    signs = np.array([o.direction.sign for o in objectives])
    loss = finite * signs
    front = np.unique(finite[pareto_mask(loss)], axis=0)
    if typical is None:
        losses = np.where(np.isfinite(values), values * signs, np.inf)
        typical = (np.quantile(losses, 0.5, axis=0, method="lower") * signs).tolist()
    return ParetoReference(
        objectives=tuple(o.name for o in objectives),
        front=tuple(map(tuple, front.tolist())),
        reference_point=reference_point(front, objectives, typical=typical),
        source=source,
    )


def estimate_front(
    bench: Benchmark,
    *,
    neighbour: Callable[[Config, float, np.random.Generator], Config],
    n_random: int,
    seed: int,
    sigmas: Sequence[float],
    source: str,
) -> tuple[ParetoReference, dict[str, float]]:
    """Estimate a surrogate task's front: a random sample refined by local search from the front.

    ``n_random`` configurations from ``bench.codec.sample`` (``np.random.default_rng(seed)``), then
    one round per sigma: 16 ``neighbour(config, sigma, rng)`` steps from each of up to 64 front
    points (drawn without replacement), the non-dominated set recomputed over every point so far.
    All values are ``bench.reference_values`` (maximal fidelity).

    Returns:
        The reference (:func:`pareto_from_values` over every evaluated point, with ``source``, its
        reference point from the random sample's median) and that median per objective
        (non-finite counted as worst), the reference range's ``worst``.
    """
    rng = np.random.default_rng(seed)
    objectives = bench.task.objectives
    signs = np.array([o.direction.sign for o in objectives])
    configs: list[Config] = list(bench.codec.sample(rng, n_random))
    values = np.asarray(bench.reference_values(configs), dtype=float)
    loss = np.where(np.isfinite(values), values * signs, np.inf)
    median = np.quantile(loss, 0.5, axis=0, method="lower") * signs
    for sigma in sigmas:
        finite = np.flatnonzero(np.isfinite(values).all(axis=1))
        front = finite[pareto_mask(values[finite] * signs)]
        parents = rng.choice(front, size=min(64, len(front)), replace=False)
        steps = [neighbour(configs[i], sigma, rng) for i in parents.tolist() for _ in range(16)]
        configs += steps
        values = np.vstack([values, bench.reference_values(steps)])
    worst = {o.name: float(v) for o, v in zip(objectives, median.tolist(), strict=True)}
    return pareto_from_values(values, objectives, source=source, typical=median.tolist()), worst


def front_sha256(reference: ParetoReference) -> str:
    """A checksum of a reference's objectives, front and reference point (their float64 bytes)."""
    digest = hashlib.sha256(json.dumps(reference.objectives).encode())
    digest.update(np.asarray(reference.front, dtype="<f8").tobytes())
    digest.update(np.asarray(reference.reference_point, dtype="<f8").tobytes())
    return digest.hexdigest()


STORE = Path(__file__).parent / "pareto_fronts.json"


@cache
def stored_fronts() -> dict[str, dict[str, Any]]:
    """Task -> stored entry (``objectives``, ``front``, ``reference_point``, ``source``, ``sha256``, extras).

    Read once per process from :data:`STORE`.
    """
    try:
        raw = json.loads(STORE.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read the stored Pareto fronts {str(STORE)!r}: {exc}") from exc
    return dict(raw["fronts"])


def stored_entry(task: str) -> tuple[ParetoReference, dict[str, Any]] | None:
    """The stored reference of ``task`` and the other values stored with it, or ``None``.

    Raises:
        DataError: The stored front does not match its stored checksum.
    """
    fronts = stored_fronts()
    if task not in fronts:
        return None
    raw = fronts[task]
    reference = ParetoReference(
        objectives=tuple(raw["objectives"]),
        front=tuple(map(tuple, raw["front"])),
        reference_point=tuple(raw["reference_point"]),
        source=raw["source"],
    )
    if front_sha256(reference) != raw["sha256"]:
        raise DataError(f"{task}: the stored Pareto front does not match its checksum; regenerate it")
    return reference, {k: v for k, v in raw.items() if k not in _KEYS}


def stored_pareto(task: str) -> ParetoReference:
    """The stored reference of ``task`` (a full name such as ``"fcnet_mo/naval_propulsion"``).

    Raises:
        UnknownNameError: No front is stored for ``task``.
        DataError: The stored front does not match its stored checksum.
    """
    entry = stored_entry(task)
    if entry is None:
        raise UnknownNameError("stored Pareto front", task, sorted(stored_fronts()))
    return entry[0]


_KEYS = ("objectives", "front", "reference_point", "source", "sha256")
_GENERATED = ("synthetic_mo", "tables_mo", "yahpo_mo", "fitted_mo")
"""Modules whose ``FAMILIES`` have stored fronts (each family's ``reference_front(task, data_dir=)``)."""


def render_fronts(data_dir: Path | None) -> str:
    """Text of ``pareto_fronts.json``: the fronts of every task of the stored families."""
    fronts: dict[str, dict[str, Any]] = {}
    for module in _GENERATED:
        for family in importlib.import_module(f"hpobench.surrogates.{module}").FAMILIES:
            for info in family.tasks():
                reference, extras = family.reference_front(info.name.split("/", 1)[1], data_dir=data_dir)
                fronts[info.name] = {
                    **extras,
                    "objectives": reference.objectives,
                    "reference_point": reference.reference_point,
                    "source": reference.source,
                    "sha256": front_sha256(reference),
                    "front": reference.front,
                }
    made_by = "python -m hpobench.surrogates.pareto_fronts --data-dir DATA_DIR"
    # one line per front point, so that a regenerated file diffs point by point
    entries = []
    for name, raw in fronts.items():
        head = json.dumps({k: v for k, v in raw.items() if k != "front"})[:-1]
        rows = ",\n".join(json.dumps(row) for row in raw["front"])
        entries.append(f'{json.dumps(name)}: {head}, "front": [\n{rows}\n]}}')
    return f'{{"made_by": {json.dumps(made_by)}, "fronts": {{\n' + ",\n".join(entries) + "\n}}\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hpobench.surrogates.pareto_fronts --data-dir DIR``: print ``pareto_fronts.json``."""
    parser = argparse.ArgumentParser(description="Print the stored Pareto fronts module.")
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)
    print(render_fronts(args.data_dir), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
