"""A run's long-format result table: one row per evaluation, columns :data:`hpobench.execution.store.COLUMNS`.

Built from a finished simulation (:func:`frame_of`) or from columns (:func:`result_frame`, used by
fast paths that never build per-evaluation objects); text columns are Arrow strings built without
per-row Python strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from operator import attrgetter, itemgetter, methodcaller

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.api.extensions import ExtensionArray

from hpobench.contracts.types import Evaluation, Trial
from hpobench.execution.configtext import config_texts
from hpobench.execution.runspec import RunSpec
from hpobench.execution.simulator import Simulation

__all__ = ["add_objective_columns", "frame_of", "result_frame"]


_STATUS_TEXT = attrgetter("status._value_")
"""An evaluation's ``status.value`` (the member's value attribute, without the Enum property)."""
_VALUES, _COST, _CONFIG, _TAG = (
    attrgetter("values"),
    attrgetter("cost"),
    attrgetter("config"),
    attrgetter("tag"),
)


def _text_column(texts: pa.Array) -> ExtensionArray:
    """A ``"string"`` column of Arrow strings (what ``pd.array(list, dtype="string")`` builds).

    An extension array, not a Series: the frame takes it as it is (the ``"string"`` dtype of
    this pandas: Arrow-backed, or Python-backed where that is pandas' default storage, as in
    pandas 2, whose strings are then made once, straight from Arrow).
    """
    # the dtype ``"string"`` names (its default storage), without the look-up of the name in
    # pandas' dtype registry, which took most of this call's time
    dtype = pd.StringDtype()
    if dtype.storage == "python":
        return pd.arrays.StringArray(texts.to_numpy(zero_copy_only=False))
    column = pd.arrays.ArrowStringArray(texts).astype(dtype, copy=False)
    assert isinstance(column, ExtensionArray)  # "string" is an extension dtype
    return column


def _repeated_text(text: str, n: int) -> ExtensionArray:
    """``pd.array([text] * n, dtype="string")``, built from one string (by Arrow, or in a numpy array)."""
    if pd.StringDtype().storage == "python":  # pandas 2's default: one Python string, n references
        values = np.empty(n, dtype=object)
        values.fill(text)
        return pd.arrays.StringArray(values)
    return _text_column(pa.repeat(pa.scalar(text, type=pa.large_string()), n))


def _same_texts(texts: list[str]) -> ExtensionArray:
    """``pd.array(texts, dtype="string")`` (one repeated Arrow string when all are equal, as usual)."""
    if texts and texts.count(texts[0]) == len(texts):
        return _repeated_text(texts[0], len(texts))
    return _text_column(pa.array(texts, type=pa.large_string()))


def _objective_values(evaluations: Sequence[Evaluation], objective: str) -> np.ndarray:
    """Each evaluation's value of ``objective``, NaN where its values lack it."""
    n = len(evaluations)
    try:  # indexing the read-only mappings is several times faster than their ``get``
        return np.fromiter(map(itemgetter(objective), map(_VALUES, evaluations)), dtype=float, count=n)
    except KeyError:
        return np.fromiter(
            map(methodcaller("get", objective, math.nan), map(_VALUES, evaluations)), dtype=float, count=n
        )


def frame_of(spec: RunSpec, sim: Simulation) -> pd.DataFrame:
    """The result table of a finished simulation (noise-free values at the maximal fidelity included)."""
    done = sim.columns()
    task = sim.benchmark.task
    all_max = sim.reference_values()
    value_max = all_max[:, 0]
    objective = task.objective.name
    evaluations = done.evaluations
    frame = result_frame(
        spec,
        trials=done.trials,
        fidelities=done.fidelity,
        statuses=list(map(_STATUS_TEXT, evaluations)),
        values=_objective_values(evaluations, objective),
        value_max=value_max,
        costs=np.fromiter(map(_COST, evaluations), dtype=float, count=len(evaluations)),
        starts=done.start,
        ends=done.end,
        workers=done.worker,
        high=sim.high,
        resumed=done.resumed_fidelity,
        owned=True,  # every array was made for this table
    )
    if task.multi_objective:
        names = [o.name for o in task.objectives]
        observed = np.array([[e.values.get(n, math.nan) for n in names] for e in evaluations], dtype=float)
        add_objective_columns(frame, observed=observed.reshape(len(evaluations), len(names)), at_max=all_max)
    return frame


def add_objective_columns(frame: pd.DataFrame, *, observed: np.ndarray, at_max: np.ndarray) -> None:
    """Add a multi-objective run's list columns ``objective_values`` and ``objective_values_max``.

    Single-objective tables never have them (their files stay as they were). Both hold one
    value per objective in the task's objective order
    (see :data:`hpobench.execution.store.OBJECTIVE_COLUMNS`);
    ``value`` and ``value_max`` repeat the first (primary) one.

    Args:
        frame: The run's table (:func:`result_frame`), changed in place.
        observed: Shape ``(rows, objectives)``, the observed values (NaN where failed).
        at_max: Shape ``(rows, objectives)``, the noise-free values at the maximal fidelity.
    """
    for name, values in (("objective_values", observed), ("objective_values_max", at_max)):
        frame[name] = pd.Series(list(np.asarray(values, dtype=float)), index=frame.index, dtype=object)


def result_frame(
    spec: RunSpec,
    *,
    trials: Sequence[Trial],
    fidelities: Sequence[float] | np.ndarray,
    statuses: Sequence[str],
    values: Sequence[float] | np.ndarray,
    value_max: np.ndarray,
    costs: Sequence[float] | np.ndarray,
    starts: Sequence[float] | np.ndarray,
    ends: Sequence[float] | np.ndarray,
    workers: Sequence[int] | np.ndarray,
    high: float,
    resumed: Sequence[float] | np.ndarray | None = None,
    owned: bool = False,
) -> pd.DataFrame:
    """Build a run's long-format table (columns :data:`.store.COLUMNS`), in completion order.

    ``costs`` are the charged costs; ``resumed`` holds, per evaluation, the fidelity of the
    checkpoint it continued (NaN when it trained from scratch; ``None``: none continued), so
    ``fidelity_spent`` counts only the fidelity added by continuations. ``owned=True`` lets the
    table hold the numpy arrays it is given as they are, without a copy: for a caller that made
    them for this table and never touches them again (:func:`frame_of`).
    """
    n = len(trials)
    cost = np.asarray(costs, dtype=float)
    fids = np.asarray(fidelities, dtype=float)
    from_fid = np.full(n, np.nan) if resumed is None else np.asarray(resumed, dtype=float)
    continued = ~np.isnan(from_fid)
    texts = config_texts(list(map(_CONFIG, trials)))
    tags = list(map(_TAG, trials))
    statuses = list(statuses)
    return pd.DataFrame(
        {
            "run_id": _repeated_text(spec.run_id, n),
            "benchmark": _repeated_text(spec.benchmark.name, n),
            "method": _repeated_text(spec.label, n),
            "seed": np.full(n, spec.seed, dtype=np.int64),
            "eval": np.arange(n, dtype=np.int64),
            "config": _text_column(texts),
            "fidelity": fids,
            "tag": _same_texts(tags),
            "status": _same_texts(statuses),
            "value": np.asarray(values, dtype=float),
            "value_max": np.asarray(value_max, dtype=float),
            "cost": cost,
            "start": np.asarray(starts, dtype=float),
            "time": np.asarray(ends, dtype=float),
            "worker": np.asarray(workers, dtype=np.int64),
            "fidelity_spent": np.cumsum((fids - np.where(continued, from_fid, 0.0)) / high),
            "continued": continued,
            "resumed_fidelity": from_fid,
        },
        copy=not owned,
    )
