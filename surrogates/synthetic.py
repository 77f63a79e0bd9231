"""Multi-fidelity synthetic functions with known optima and a simulated cost model.

The functions follow the multi-fidelity Bayesian-optimisation literature (Kandasamy et al. 2017,
"Multi-fidelity Bayesian optimisation with continuous approximations", BOCA). A fidelity ``f`` in
``[1, 100]`` (continuous, read like a number of epochs) is mapped to ``z = (f - 1) / 99`` in
``[0, 1]``; at ``f = 100`` (``z = 1``) every function equals its standard form, so the analytic
optimum holds exactly at the maximal fidelity, and below it the function is biased:

* Branin (2-d, ``x0 ∈ [-5, 10]``, ``x1 ∈ [0, 15]``)::

      f(x, z) = (x1 - b(z) x0² + c(z) x0 - 6)² + 10 (1 - t(z)) cos(x0) + 10
      b(z) = 5.1 / (4π²) - 0.01 (1 - z),  c(z) = 5/π - 0.1 (1 - z),  t(z) = 1/(8π) + 0.05 (1 - z)

  minimum 0.397887357729738 at (-π, 12.275), (π, 2.275) and (3π, 2.475).
* Hartmann-3 and Hartmann-6 (``[0, 1]^d``)::

      f(x, z) = -Σ_i α'_i exp(-Σ_j A_ij (x_j - P_ij)²),  α' = α - 0.1 (1 - z)

  minima -3.86278214782076 and -3.32236801141551 (Hartmann-3 uses Dixon & Szegő's
  ``P_41 = 0.03815``; Hartmann-6's optimum is stored refined to -3.322368011415515 so that it is
  a lower bound in double precision).

Cost model (simulated seconds, deterministic, increasing in the fidelity)::

    cost(x, f) = C · (0.05 + 0.95 z) · (1 + 0.2 ū)

where ``ū`` is the mean of the configuration's coordinates rescaled to ``[0, 1]`` (a mild,
smooth dependence on the configuration, so that cost-aware methods have something to exploit) and
``C`` is 60 s (Branin), 120 s (Hartmann-3) or 300 s (Hartmann-6). An evaluation at the lowest
fidelity thus costs 5 % of one at the maximal fidelity.

The benchmarks are noise-free by default and then ignore ``seed``. With ``noise_std > 0`` each
evaluation adds Gaussian noise whose draw is a deterministic function of ``(seed, config,
fidelity)``: a :class:`numpy.random.SeedSequence` over the seed and a BLAKE2b digest of the
float64 bytes of the coordinates and the fidelity, so a batch equals the concatenation of its
single-trial batches in every process.

The functions (array and scalar forms, domains, optima) are in
:mod:`hpobench.surrogates._synthetic_functions`; this module holds the benchmark and the family.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from functools import cache
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import Any

import ConfigSpace as CS
import numpy as np
from scipy.stats import qmc

from hpobench.contracts.batch import EvaluationBatch
from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo
from hpobench.contracts.errors import UnknownNameError
from hpobench.contracts.seeding import stable_int
from hpobench.contracts.types import (
    Config,
    Direction,
    Evaluation,
    Fidelity,
    Objective,
    Reference,
    Task,
    Trial,
)
from hpobench.contracts.values import check_seed
from hpobench.surrogates._synthetic_functions import FUNCTIONS, FloatArray

_MAKE = Evaluation._owned

__all__ = ["FAMILY", "FIDELITY", "SyntheticBenchmark", "SyntheticFamily", "fidelity_to_z"]

FIDELITY = Fidelity(name="fidelity", low=1.0, high=100.0, integer=False)
"""The fidelity range shared by every synthetic task; ``z = (f - 1) / 99``."""

OBJECTIVE = "value"
TAGS = frozenset({"synthetic", "multi-fidelity"})
WORST_SAMPLE_LOG2 = 14
WORST_SAMPLE_SEED = 0
WORST_SOURCE = "analytic optimum; worst = median over 2^14 Sobol points (a typical random configuration)"


def fidelity_to_z(fidelity: FloatArray) -> FloatArray:
    """Map fidelities in ``[1, 100]`` to ``z = (f - 1) / 99`` in ``[0, 1]``."""
    return (np.asarray(fidelity, dtype=float) - FIDELITY.low) / (FIDELITY.high - FIDELITY.low)


@cache
def _worst(name: str) -> float:
    """Median over a fixed scrambled Sobol sample of 2^14 points at the maximal fidelity (cached).

    The median, as for the tables (:func:`hpobench.surrogates.optima.reference_of`): normalised
    regret is then 0 at the optimum and about 1 for a randomly drawn configuration.
    """
    fn = FUNCTIONS[name]
    unit = qmc.Sobol(d=fn.dim, scramble=True, rng=WORST_SAMPLE_SEED).random_base2(WORST_SAMPLE_LOG2)
    x = qmc.scale(unit, fn.lower, fn.upper)
    return float(np.median(fn.function(x, np.ones(len(x)))))


def _noise(seed: int, x: FloatArray, fidelity: FloatArray) -> FloatArray:
    """Standard-normal draws, one per row, each a function of (seed, row of x, fidelity) only."""
    seed_key = stable_int(seed)
    # ``+ 0.0`` maps -0.0 to 0.0 so that equal values give equal bytes.
    rows = np.ascontiguousarray(np.column_stack([x, fidelity]).astype(np.float64) + 0.0)
    out = np.empty(len(rows))
    for i, row in enumerate(rows):
        digest = hashlib.blake2b(row.tobytes(), digest_size=16).digest()
        words = np.frombuffer(digest, dtype=np.uint32).tolist()
        out[i] = np.random.default_rng(np.random.SeedSequence([seed_key, *words])).standard_normal()
    return out


class SyntheticBenchmark(Benchmark):
    """A multi-fidelity synthetic function behind the Benchmark contract.

    Args:
        name: ``"branin"``, ``"hartmann3"`` or ``"hartmann6"``.
        noise_std: Standard deviation of additive Gaussian observation noise (0 = noise-free,
            in which case ``seed`` is ignored). The noise never enters :meth:`reference_values`
            or :meth:`optimum`.

    Raises:
        UnknownNameError: ``name`` is not a synthetic function.
        ValueError: ``noise_std`` is negative or not finite.
    """

    def __init__(self, name: str, *, noise_std: float = 0.0) -> None:
        if name not in FUNCTIONS:
            raise UnknownNameError("benchmark", f"synthetic/{name}", [f"synthetic/{n}" for n in FUNCTIONS])
        if not (math.isfinite(noise_std) and noise_std >= 0):
            raise ValueError(f"noise_std must be a finite non-negative number, got {noise_std!r}")
        self._fn = FUNCTIONS[name]
        self.noise_std = float(noise_std)
        self._names = tuple(f"x{i}" for i in range(self._fn.dim))
        first = self._names[0]
        # config -> its values as a tuple, in coordinate order
        self._coordinates: Callable[[Config], Any] = (
            itemgetter(*self._names) if len(self._names) > 1 else lambda config: (config[first],)
        )
        self._lower = np.array(self._fn.lower)
        self._span = np.array(self._fn.upper) - self._lower
        # (name, low, high, span) per coordinate, for the one-trial path
        self._bounds = tuple(
            zip(self._names, self._fn.lower, self._fn.upper, self._span.tolist(), strict=True)
        )
        space = CS.ConfigurationSpace()
        space.add(
            [
                CS.UniformFloatHyperparameter(n, lower=lo, upper=hi)
                for n, lo, hi in zip(self._names, self._fn.lower, self._fn.upper, strict=True)
            ]
        )
        self._task = Task(
            name=f"synthetic/{name}",
            space=space,
            objectives=(Objective(name=OBJECTIVE, direction=Direction.MINIMIZE),),
            fidelity=FIDELITY,
            candidates=None,
            tags=TAGS,
            continuation=True,  # the cost model grows with the fidelity; see Trial.resume_from
        )

    @property
    def task(self) -> Task:
        """The task: ``x0..x{d-1}`` floats, objective ``"value"`` (minimise), fidelity [1, 100]."""
        return self._task

    def _matrix(self, configs: Sequence[Config]) -> FloatArray:
        """``(n, d)`` float64 coordinates (numpy converts each value as ``float()`` does)."""
        n, d = len(configs), len(self._names)
        values = chain.from_iterable(map(self._coordinates, configs))
        return np.fromiter(values, dtype=float, count=n * d).reshape(n, d)

    def values(self, x: FloatArray, fidelity: FloatArray) -> FloatArray:
        """Noise-free function values (no validation): ``x`` is ``(n, d)``, ``fidelity`` ``(n,)``."""
        return self._fn.function(np.asarray(x, dtype=float), fidelity_to_z(fidelity))

    def costs(self, x: FloatArray, fidelity: FloatArray) -> FloatArray:
        """Simulated seconds per evaluation (no validation); see the module docstring."""
        u = np.mean((np.asarray(x, dtype=float) - self._lower) / self._span, axis=1)
        return np.asarray(self._fn.cost_scale * (0.05 + 0.95 * fidelity_to_z(fidelity)) * (1.0 + 0.2 * u))

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> Sequence[Evaluation]:
        """Evaluate a batch in one vectorised pass; see :meth:`Benchmark.evaluate`.

        A batch whose values are all finite (every one, for valid configurations) is answered as
        an :class:`~hpobench.contracts.batch.EvaluationBatch` (each evaluation built when read).

        ``seed`` only matters when ``noise_std > 0``; it must be a non-negative integer in any case
        (:func:`~hpobench.contracts.values.check_seed`).
        """
        if type(seed) is not int or seed < 0:  # one type check on the hot path
            check_seed(seed)
        if len(trials) == 1 and not self.noise_std:
            one = self._evaluate_one(trials[0])
            if one is not None:
                return [one]
        fidelity = self.check_trials(trials)
        if not trials:
            return []
        x = self._matrix([t.config for t in trials])
        y = self.values(x, fidelity)
        if self.noise_std > 0:
            y = y + self.noise_std * _noise(seed, x, fidelity)
        cost = self.costs(x, fidelity)
        if np.isfinite(y).all():  # every evaluation OK: built when read (EvaluationBatch)
            return EvaluationBatch(
                trials=trials, objective_names=(OBJECTIVE,), values=y.reshape(-1, 1), costs=cost
            )
        return [
            Evaluation(trial=t, values={OBJECTIVE: v}, cost=c)
            for t, v, c in zip(trials, y.tolist(), cost.tolist(), strict=True)
        ]

    def _evaluate_one(self, trial: Trial) -> Evaluation | None:
        """One noise-free trial in plain Python floats, or ``None`` to take the general path.

        Answers only trials whose every coordinate is a ``float`` inside its bounds (which is
        the whole validation for this space: the configuration then has exactly the task's
        hyperparameters) and whose fidelity is ``None`` or an ``int``/``float`` in range; any
        other trial, valid or not, goes through :meth:`evaluate`'s general path, which
        validates and raises. The value and cost equal the array path's bit for bit.
        """
        config = trial.config
        if len(config) != len(self._bounds):
            return None
        x = []
        unit = 0.0
        for j, (name, low, high, span) in enumerate(self._bounds):
            value = config.get(name)
            if type(value) is not float or not low <= value <= high:
                return None
            x.append(value)
            scaled = (value - low) / span
            unit = scaled if j == 0 else unit + scaled  # numpy's mean sums short rows left to right
        f = trial.fidelity
        if f is None:
            z = 1.0  # fidelity_to_z(high)
        elif (type(f) is float or type(f) is int) and FIDELITY.low <= f <= FIDELITY.high:
            z = (float(f) - FIDELITY.low) / (FIDELITY.high - FIDELITY.low)
        else:
            return None
        fn = self._fn
        cost = fn.cost_scale * (0.05 + 0.95 * z) * (1.0 + 0.2 * (unit / len(x)))
        return _MAKE(trial, {OBJECTIVE: fn.scalar(x, z)}, cost)

    def typical_cost(self) -> float:
        """Cost at the maximal fidelity of the box's centre (``1.1 C``; see the module docstring)."""
        return self._fn.cost_scale * 1.1

    def optimum(self) -> Reference:
        """Analytic optimum as ``best``; ``worst`` is the median over 2^14 scrambled Sobol points."""
        return Reference(
            best={OBJECTIVE: self._fn.optimum}, worst={OBJECTIVE: _worst(self._fn.name)}, source=WORST_SOURCE
        )

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """Noise-free values at the maximal fidelity, shape ``(len(configs), 1)``."""
        self.codec.validate_all(configs)
        return self.evaluated_reference_values(configs)

    def evaluated_reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """:meth:`reference_values` without validating again (every evaluated configuration is valid)."""
        x = self._matrix(configs)
        return self.values(x, np.full(len(configs), FIDELITY.high)).reshape(len(configs), 1)


class SyntheticFamily(BenchmarkFamily):
    """The ``synthetic`` family: Branin, Hartmann-3 and Hartmann-6 with a continuous fidelity."""

    name = "synthetic"

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the three tasks (no data needed)."""
        return tuple(
            TaskInfo(
                name=f"synthetic/{n}", multi_fidelity=True, needs_data=False, tags=TAGS, continuation=True
            )
            for n in FUNCTIONS
        )

    def load(self, task: str, *, data_dir: Path | None) -> SyntheticBenchmark:
        """Build the noise-free benchmark ``task``; ``data_dir`` is ignored.

        Raises:
            UnknownNameError: No such synthetic task.
        """
        return SyntheticBenchmark(task)


FAMILY = SyntheticFamily()
"""The entry point registered as ``synthetic`` in ``hpobench.benchmarks``."""
