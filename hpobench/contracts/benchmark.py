"""The Benchmark contract and the families that provide benchmarks by name.

Lifecycle: the runner (or a user) resolves a :class:`BenchmarkSpec` (cheap, picklable) through
the registry to a :class:`BenchmarkFamily`, which loads the :class:`Benchmark` inside the worker
process that uses it. Tables and models are never pickled to workers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np

from hpobench.contracts.columns import Configs, n_configs
from hpobench.contracts.errors import InvalidFidelityError
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import Config, Evaluation, Objective, ParetoReference, Reference, Task, Trial
from hpobench.contracts.values import is_real, real_types_only

__all__ = ["Benchmark", "BenchmarkFamily", "BenchmarkSpec", "TaskInfo", "paired_fidelities"]


class Benchmark(ABC):
    """An objective function over a task's search space, answered from data, a model or a formula.

    Contract (checked by :func:`hpobench.testing.check_benchmark`):

    * :attr:`task` is constant for the lifetime of the instance.
    * :meth:`evaluate` is vectorised: one call answers a batch of trials, and the answer for a
      trial does not depend on the other trials of the batch (a batch equals the concatenation
      of single-trial batches under the same ``seed``). It is deterministic given ``seed``.
    * :meth:`optimum` gives reference values that do not depend on any run.
    * :meth:`reference_values` gives the noise-free value at the maximal fidelity that regret is
      measured with; its minimum over the space (maximum when maximising) is ``optimum().best``.
    """

    chunked_references: ClassVar[bool] = False
    """Whether :meth:`evaluated_reference_values` may be asked in chunks: the values of a batch
    equal the concatenation of the values of any split of it into consecutive parts. Then the
    simulator asks for them every few thousand completed evaluations while a long run goes on
    (while a benchmark's own caches still hold those configurations) instead of once at its end.
    ``False`` (the default) for benchmarks whose answer may depend on the batch (e.g. a model's
    batched inference)."""

    seed_free: ClassVar[bool] = False
    """Whether :meth:`evaluate`'s answers do not depend on ``seed`` at all (a deterministic model, say).
    Then the simulator may answer trials that a method promises ahead
    (:meth:`~hpobench.contracts.method.Method.upcoming`) in one batch under any seed: the same
    answers as one call per trial under each trial's own seed. :func:`hpobench.testing.check_benchmark`
    checks the claim. ``False`` (the default) for benchmarks whose seed picks a recorded run or a
    noise draw."""

    @property
    @abstractmethod
    def task(self) -> Task:
        """The task this benchmark answers."""

    @abstractmethod
    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> Sequence[Evaluation]:
        """Evaluate a batch of trials.

        Args:
            trials: The trials; ``fidelity=None`` means the maximal fidelity.
            seed: Selects the noise realisation (e.g. which repeated training run of a table):
                a non-negative integer (check it with :func:`hpobench.contracts.values.check_seed`).

        Returns:
            One :class:`Evaluation` per trial, in order, each holding the trial object it answers:
            a ``list``, or an :class:`~hpobench.contracts.batch.EvaluationBatch` (the answer's columns,
            each evaluation built when read) for benchmarks that answer batches from arrays.

        Raises:
            InvalidConfigError: A configuration is not in the space (a hyperparameter is missing
                or unknown, a numeric value is not a finite real number in range, a categorical
                value is not a choice of its own kind; see :mod:`hpobench.contracts.values`).
            InvalidFidelityError: A fidelity is outside the task's range, or given to a task
                without one (its type is checked when the :class:`Trial` is made).
            InvalidSeedError: ``seed`` is not a non-negative integer (a ``ValueError``).
        """

    @abstractmethod
    def optimum(self) -> Reference:
        """Reference best and worst values at the maximal fidelity, for normalised regret."""

    def pareto_reference(self) -> ParetoReference:
        """Reference Pareto front and fixed reference point, for hypervolume regret.

        Multi-objective benchmarks override this; the default raises.

        Raises:
            NotImplementedError: The task has no stored Pareto reference (single-objective tasks).
        """
        raise NotImplementedError(f"{type(self).__name__} has no Pareto reference (single-objective task?)")

    @abstractmethod
    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """Noise-free values at the maximal fidelity, shape ``(len(configs), n_objectives)``.

        This is the quantity regret is measured on (a test-time re-evaluation that costs the
        method nothing). Configurations are validated as in :meth:`evaluate`.
        """

    def evaluated_reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """:meth:`reference_values` of configurations that :meth:`evaluate` of this instance accepted.

        The runner calls it once per run, on the configurations of the run's completed
        evaluations, to record regret: they were validated when evaluated, so a benchmark whose
        :meth:`reference_values` validates may override this to skip the second validation
        (the values must be the same). The default calls :meth:`reference_values`.
        """
        return self.reference_values(configs)

    def typical_cost(self) -> float | None:
        """Median simulated seconds of one evaluation at the maximal fidelity, for planning.

        The runner uses it to refuse, before a run starts, a time budget that affords more
        evaluations than the per-run cap. ``None`` (the default) means unknown.
        """
        return None

    def data_files(self) -> Mapping[str, str]:
        """Data files this benchmark read, as path -> sha256, for provenance (none by default)."""
        return {}

    @cached_property
    def codec(self) -> SpaceCodec:
        """Validation and sampling helper for :attr:`task`'s space (built once)."""
        return SpaceCodec(self.task.space)

    def check_trials(self, trials: Sequence[Trial]) -> np.ndarray:
        """Validate trials and return their fidelities as a float array (maximal for ``None``).

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the range, or given to a task without one.
        """
        return self.check_configs([t.config for t in trials], [t.fidelity for t in trials])

    def check_configs(self, configs: Sequence[Config], fidelities: Sequence[float | None]) -> np.ndarray:
        """:meth:`check_trials` of configurations and their fidelities given apart (no trials made).

        Each configuration is checked before its fidelity, in order, so the first bad trial
        raises. ``fidelities`` has one entry per configuration (``None``: the maximal one).
        """
        fid = self.task.fidelity
        # a batch proven valid column by column skips the configurations' one-by-one check
        checked = len(configs) > 1 and self.codec.all_valid(configs)
        if checked and fid is not None and len(fidelities) == len(configs):
            column = _fidelity_column(fidelities, low=fid.low, high=fid.high, integer=fid.integer)
            if column is not None:  # every fidelity valid, proven at once (else the loop names the bad one)
                return column
        out = np.empty(len(configs), dtype=float)
        for i, (config, fidelity) in enumerate(zip(configs, fidelities, strict=True)):
            if not checked:
                self.codec.validate(config)
            if fidelity is None:
                out[i] = fid.high if fid is not None else 1.0
            elif fid is None:
                raise InvalidFidelityError(
                    f"task {self.task.name!r} has no fidelity, but a trial asked for fidelity {fidelity!r}"
                )
            elif not fid.contains(fidelity):
                kind = "an integer " if fid.integer else ""
                raise InvalidFidelityError(
                    f"fidelity {fidelity!r} is outside the range of {self.task.name!r}: "
                    f"{fid.name} must be {kind}in [{fid.low:g}, {fid.high:g}]"
                )
            else:
                out[i] = fidelity
        return out


_PLAIN_FIDELITIES = frozenset({float, int, type(None)})


def _fidelity_column(
    fidelities: Sequence[float | None], *, low: float, high: float, integer: bool
) -> np.ndarray | None:
    """The fidelities as :meth:`Benchmark.check_configs` returns them, if all are valid, else ``None``.

    Only plain ``float``, ``int`` and ``None`` (the maximal fidelity) are taken; any other type,
    a value out of ``[low, high]`` (NaN included) or a non-integral one for an integer fidelity
    gives ``None``, and the one-by-one check then decides and names the bad trial. The same
    numbers and rules as :meth:`Fidelity.contains`, in a few passes over the batch.
    """
    types = set(map(type, fidelities))
    if not types <= _PLAIN_FIDELITIES:
        return None
    values = [high if f is None else f for f in fidelities] if type(None) in types else fidelities
    try:
        out = np.array(values, dtype=float)
    except OverflowError:  # an int too large for a float: out of range, the loop says so
        return None
    ok = (out >= low) & (out <= high)
    if integer:
        ok &= out == np.floor(out)
    return out if bool(ok.all()) else None


def paired_fidelities(
    configs: Configs, fidelities: Sequence[float | None] | np.ndarray | None
) -> list[float | None]:
    """The fidelity of each configuration in an ``evaluate_arrays`` call (``None``: the maximal one).

    Args:
        configs: The configurations (a sequence, or columns: :mod:`hpobench.contracts.columns`).
        fidelities: One fidelity per configuration, or ``None`` for all at the maximal fidelity.

    Returns:
        One fidelity per configuration; each is ``None`` or a real number (not yet checked
        against a task's range or for finiteness). A list of ``None`` only is returned as it
        is, not copied: callers read the result and never change it.

    Raises:
        ValueError: ``fidelities`` and ``configs`` differ in length (never broadcast).
        InvalidConfigError: ``configs`` are columns that are not 1-d or differ in length.
        InvalidFidelityError: A fidelity is not ``None`` and not a real number (a ``bool``, a
            string, ...; the rule of :mod:`hpobench.contracts.values`, checked by dtype for arrays and by
            the set of element types otherwise).
    """
    n = n_configs(configs)
    if fidelities is None:
        return [None] * n
    if len(fidelities) != n:
        raise ValueError(f"{n} configurations but {len(fidelities)} fidelities")
    if isinstance(fidelities, np.ndarray) and fidelities.dtype.kind in "iuf" and fidelities.ndim == 1:
        return list(fidelities.tolist())  # the dtype says every value is a real number
    if type(fidelities) is list and n and fidelities[0] is None and fidelities.count(None) == n:
        return fidelities  # all at the maximal fidelity: nothing to check, nothing to copy
    out = list(fidelities)
    kinds = set(map(type, out))
    kinds.discard(type(None))
    if not real_types_only(kinds):
        bad = next(f for f in out if f is not None and not is_real(f))
        raise InvalidFidelityError(
            f"a fidelity must be a finite real number (int or float) or None, "
            f"got {bad!r} ({type(bad).__name__})"
        )
    return out


@dataclass(frozen=True, kw_only=True)
class TaskInfo:
    """What can be said about a task without loading its data (for listings and planning).

    Attributes:
        name: Full task name, ``"family/task"``.
        multi_fidelity: Whether the task has a fidelity dimension.
        needs_data: Whether loading it needs the data directory.
        tags: Labels such as ``"synthetic"`` or ``"tabular"``.
        continuation: Whether the loaded task will support continuation (``Task.continuation``,
            freeze-thaw evaluation at a higher fidelity): ``True`` or ``False`` when the family
            declares it, ``None`` when it is only known after loading. Studies leave out
            pairings with methods that need continuation only where this is ``False`` (or the
            task has no fidelity); the runner checks the loaded task in any case.
        objectives: The objectives the family declares without loading (the first is the
            task's primary one), or ``()`` when only known after loading. A user table lists
            every objective of its ``meta.json`` here; its task optimises the first.
        multi_objective: Whether the loaded task optimises several objectives
            (:attr:`Task.multi_objective`, scored by hypervolume regret): ``True`` or ``False``
            when the family declares it, ``None`` when only known after loading. Studies leave
            single-objective methods out of tasks declared ``True``; the study's preflight
            refuses such a pairing on a task that only shows it once loaded.
        conditional: Whether the loaded task's search space has conditions or forbidden
            clauses: ``True`` or ``False`` when the family declares it, ``None`` when only known
            after loading. Studies leave methods that need an unconditional space
            (:attr:`~hpobench.contracts.method.Capabilities.conditional_spaces`) out of tasks
            declared ``True``; the preflight refuses such a pairing on any other conditional task.
    """

    name: str
    multi_fidelity: bool
    needs_data: bool
    tags: frozenset[str] = frozenset()
    continuation: bool | None = None
    objectives: tuple[Objective, ...] = ()
    multi_objective: bool | None = None
    conditional: bool | None = None

    def __post_init__(self) -> None:
        if self.continuation and not self.multi_fidelity:
            raise ValueError(f"task {self.name!r} cannot support continuation without a fidelity")
        if self.multi_objective and len(self.objectives) == 1:
            raise ValueError(f"task {self.name!r} is declared multi-objective with one objective")


class BenchmarkFamily(ABC):
    """A named group of tasks registered under the ``hpobench.benchmarks`` entry-point group.

    Implementations are cheap to import and to construct; all data loading happens in
    :meth:`load`.
    """

    name: str
    """The family name (the entry-point name)."""

    dataset: str | None = None
    """The manifest dataset (``hpobench data list``) whose files its tasks read, where that is not
    the family's own name (``None``: the dataset of the family's name, if there is one).
    ``hpobench list`` reports whether its files are present."""

    requires: ClassVar[tuple[str, ...]] = ()
    """Top-level modules of optional dependencies that loading a task imports (e.g. onnxruntime).

    ``hpobench run`` refuses a study whose families need a module that is not importable, and
    ``hpobench list`` shows them as needing the extra; nothing is imported to find out.
    """

    @abstractmethod
    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe every task of the family without loading any data."""

    @abstractmethod
    def load(self, task: str, *, data_dir: Path | None) -> Benchmark:
        """Load one task.

        Args:
            task: The task name without the family prefix.
            data_dir: The project data directory (``None`` when none was configured).

        Raises:
            UnknownNameError: The family has no such task.
            DataError: The data the task needs is missing or corrupt.
        """


@dataclass(frozen=True, kw_only=True, order=True)
class BenchmarkSpec:
    """A cheap, picklable name of one task, resolved to a benchmark inside the worker.

    Attributes:
        family: Registered family name.
        task: Task name within the family.
    """

    family: str
    task: str

    @property
    def name(self) -> str:
        """``"family/task"``."""
        return f"{self.family}/{self.task}"

    @classmethod
    def parse(cls, name: str) -> BenchmarkSpec:
        """Parse ``"family/task"``."""
        family, sep, task = name.partition("/")
        if not sep or not family or not task:
            raise ValueError(f"a benchmark name has the form 'family/task', got {name!r}")
        return cls(family=family, task=task)
