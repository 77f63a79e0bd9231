"""Surrogate benchmarks fitted by the suite itself, answered with numpy only (no torch).

A fitted surrogate is an ensemble of small MLPs (see :mod:`hpobench.surrogates.fitting`) that
maps an encoded configuration (and fidelity) to the table's primary objective and to the cost of
the run. It is stored as a plain array file (``.npz``, read with ``allow_pickle=False``):

* ``header``: UTF-8 JSON (as a ``uint8`` array) with the encoding, the search space, the target
  and cost transforms, the network shape, the reference optimum, provenance (source data sha256,
  package and torch versions, fit settings) and ``arrays_sha256``, a digest of every other array;
* ``layer{i}.weight`` ``(members, fan_in, fan_out)`` and ``layer{i}.bias`` ``(members, fan_out)``,
  float32; the hidden layers use the header's activation, the last one is linear with two outputs
  (standardised transformed objective, standardised log cost);
* ``target.z`` and ``target.value`` (float64, only when the header's ``target.scale`` is
  ``"quantile"``): the knots of the monotone map from the network's normal score back to the
  transformed objective (see below);
* ``heldout``: indices of the table configurations held out of the fit (for the quality report).

Objective output: the first output ``o`` becomes ``y = o * target.std + target.mean``. With
``target.scale == "linear"`` ``y`` is the transformed objective; with ``"quantile"`` it is a
normal score, mapped back by linear interpolation of the knots ``(target.z, target.value)`` (an
empirical quantile function of the training table: increasing, constant beyond the end knots).
Either way the result is clipped to ``[target.low, target.high]`` and, for ``target.transform ==
"log"``, exponentiated.

Encoding (part of the file contract, :class:`Encoding`): a numeric hyperparameter becomes one
input, its value (or logarithm, where log-scaled) mapped linearly onto ``[0, 1]`` over its range;
a categorical one becomes a one-hot block in choice order; the fidelity, when the task has one,
becomes one last input mapped the same way (log-scaled when its range spans a factor of 10).

Benchmark semantics (:class:`FittedSurrogate`): ``evaluate(trials, seed=s)`` answers every trial
of the batch with ensemble member ``s % members`` (members act as the table's repeated runs);
objective values are the member's prediction clipped to the range of the training targets, and
the cost is ``exp`` of the predicted log cost. ``reference_values`` is the ensemble mean at the
maximal fidelity; ``optimum()`` is the reference written with the file
(:func:`hpobench.surrogates.fitting.model_reference`: the best ensemble mean over every table
configuration and a random sample of the space, and the median over the random sample as
``worst``), and reference values are clipped so that they never beat that best value.

Rooms: the encoding is in ``_fitted_encoding``, writing, reading and running the arrays in
``_fitted_model`` (both re-exported here); this module holds the benchmark and the family.

Lifecycle: :class:`FittedFamily` (registered as ``fitted``) lists the shipped files through
``fitted_models/index.json``; ``load`` reads one file inside the worker. Instances are read-only.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo, paired_fidelities
from hpobench.contracts.columns import Configs, configs_of
from hpobench.contracts.errors import DataError, InvalidFidelityError, UnknownNameError
from hpobench.contracts.types import Config, Direction, Evaluation, Objective, Reference, Status, Task, Trial
from hpobench.contracts.values import check_seed
from hpobench.data.datadir import file_sha256, verified
from hpobench.surrogates._fitted_encoding import Encoding, HyperparameterEncoding
from hpobench.surrogates._fitted_model import FORMAT_VERSION, arrays_digest, forward, read_model, write_model

__all__ = [
    "FAMILY",
    "FORMAT_VERSION",
    "MODELS_DIR",
    "Encoding",
    "FittedFamily",
    "FittedSurrogate",
    "HyperparameterEncoding",
    "arrays_digest",
    "forward",
    "read_model",
    "write_model",
]

MODELS_DIR = Path(__file__).resolve().parent / "fitted_models"
"""The directory of the shipped fitted surrogates (package data)."""
INDEX = "index.json"


class FittedSurrogate(Benchmark):
    """A benchmark answered by a fitted MLP ensemble with numpy (see the module docstring).

    Args:
        header: The model file's header.
        arrays: The model file's arrays.
        data_files: Files the model was read from, as path -> sha256.

    Raises:
        DataError: The header and arrays are inconsistent.
    """

    def __init__(
        self,
        *,
        header: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        data_files: Mapping[str, str] | None = None,
    ) -> None:
        name = str(header.get("name", "?"))
        try:
            self.encoding = Encoding.from_json(header["encoding"])
            objective = header["objective"]
            self._objective = Objective(name=objective["name"], direction=Direction(objective["direction"]))
            target, cost = header["target"], header["cost"]
            self._log_target = target["transform"] == "log"
            self._t_mean, self._t_std = float(target["mean"]), float(target["std"])
            self._t_low, self._t_high = float(target["low"]), float(target["high"])
            self._knots: tuple[np.ndarray, np.ndarray] | None = None
            if target["scale"] == "quantile":
                z = np.asarray(arrays["target.z"], dtype=np.float64)
                q = np.asarray(arrays["target.value"], dtype=np.float64)
                if z.ndim != 1 or z.shape != q.shape or z.size < 2 or np.any(np.diff(z) <= 0):
                    raise ValueError("quantile knots must be two equal-length 1-d arrays, z increasing")
                if np.any(np.diff(q) < 0):
                    raise ValueError("quantile knot values must be non-decreasing")
                self._knots = (z, q)
            elif target["scale"] != "linear":
                raise ValueError(f"unknown target scale {target['scale']!r}")
            self._c_mean, self._c_std = float(cost["mean"]), float(cost["std"])
            self._activation = str(header["network"]["activation"])
            n_layers = int(header["network"]["layers"])
            self._weights = [
                np.asarray(arrays[f"layer{i}.weight"], dtype=np.float64) for i in range(n_layers)
            ]
            self._biases = [np.asarray(arrays[f"layer{i}.bias"], dtype=np.float64) for i in range(n_layers)]
            reference = header["reference"]
            self._reference = Reference(
                best={self._objective.name: float(reference["best"])},
                worst={self._objective.name: float(reference["worst"])},
                source=str(reference["source"]),
            )
            tags = frozenset(header["tags"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"fitted surrogate {name!r}: malformed header ({type(exc).__name__}: {exc})"
            ) from exc
        self.header = dict(header)
        self.members = int(self._weights[0].shape[0])
        self.heldout = np.asarray(arrays.get("heldout", np.empty(0, dtype=np.int64)), dtype=np.intp)
        """Indices of the table configurations held out of the fit."""
        if self._weights[0].shape[1] != self.encoding.width or self._weights[-1].shape[2] != 2:
            raise DataError(f"fitted surrogate {name!r}: network shape does not match the encoding")
        self._data_files = dict(data_files or {})
        self._task = Task(
            name=name,
            space=self.encoding.space(),
            objectives=(self._objective,),
            fidelity=self.encoding.fidelity,
            candidates=None,
            tags=tags,
        )

    @classmethod
    def from_file(cls, path: Path | str) -> FittedSurrogate:
        """Read a model file (see :func:`read_model` for the errors)."""
        path = Path(path)
        header, arrays = read_model(path)
        return cls(header=header, arrays=arrays, data_files={str(path): file_sha256(path)})

    @property
    def task(self) -> Task:
        """The task: a continuous space over the table's ranges, no candidate set."""
        return self._task

    def data_files(self) -> Mapping[str, str]:
        """The model file, as path -> sha256."""
        return dict(self._data_files)

    def predict(self, x: np.ndarray, *, members: slice | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Raw predictions on encoded inputs (no validation).

        Args:
            x: Encoded inputs ``(n, width)`` (see :meth:`Encoding.encode`).
            members: Which ensemble members (default: all).

        Returns:
            ``(values, costs)``, each ``(members, n)``: objective values (clipped to the
            training range) and costs in seconds.
        """
        sel = members if members is not None else slice(None)
        # float64 products rounded to float32: a row's answer does not depend on the batch it is in
        # (BLAS kernels differ by batch shape only far below float32 resolution)
        out = forward(
            x, [w[sel] for w in self._weights], [b[sel] for b in self._biases], activation=self._activation
        ).astype(np.float32)
        y = out[..., 0].astype(float) * self._t_std + self._t_mean
        if self._knots is not None:
            y = np.interp(y, *self._knots)
        y = np.clip(y, self._t_low, self._t_high)
        values = np.exp(y) if self._log_target else y
        costs = np.exp(out[..., 1].astype(float) * self._c_std + self._c_mean)
        return values, costs

    def evaluate_arrays(
        self, configs: Configs, *, seed: int, fidelities: Sequence[float | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Array form of :meth:`evaluate`: ``(values (n, 1), costs (n,))``, same validation and seeds.

        ``configs`` may also be columns (:mod:`hpobench.contracts.columns`).

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the task's range.
            ValueError: ``fidelities`` and ``configs`` differ in length.
        """
        m = check_seed(seed) % self.members
        configs = configs_of(configs)
        fid = self._fidelity_array(configs, paired_fidelities(configs, fidelities))
        values, costs = self.predict(self.encoding.encode(configs, fid), members=slice(m, m + 1))
        return values.reshape(len(configs), 1), costs.reshape(len(configs))

    def _fidelity_array(self, configs: Sequence[Config], fidelities: Sequence[float | None]) -> np.ndarray:
        """Validated fidelities as floats (maximal for ``None``), checked in one vectorised pass."""
        fid = self.task.fidelity
        if fid is None and all(f is None for f in fidelities):
            return np.ones(len(fidelities))
        if fid is not None:
            try:
                f = np.array([fid.high if v is None else v for v in fidelities], dtype=float).reshape(-1)
                ok = np.isfinite(f) & (f >= fid.low) & (f <= fid.high)
                if fid.integer:
                    ok &= f == np.round(f)
                if np.all(ok):
                    return f
            except (TypeError, ValueError, OverflowError):  # checked one by one below
                pass
        trials = [Trial(config=c, fidelity=f) for c, f in zip(configs, fidelities, strict=True)]
        self.check_trials(trials)  # raises with a message naming the bad trial
        raise InvalidFidelityError(f"invalid fidelities for {self.task.name!r}: {list(fidelities)[:5]}")

    def evaluate(self, trials: Sequence[Trial], *, seed: int) -> list[Evaluation]:
        """Answer a batch with ensemble member ``seed % members``; see the module docstring.

        Raises:
            InvalidConfigError: A configuration is not in the space.
            InvalidFidelityError: A fidelity is outside the task's range.
        """
        m = check_seed(seed) % self.members
        if not trials:
            return []
        configs = [t.config for t in trials]
        x = self.encoding.encode(configs, self._fidelity_array(configs, [t.fidelity for t in trials]))
        values, costs = self.predict(x, members=slice(m, m + 1))
        name = self._objective.name
        return [
            Evaluation(trial=t, values={name: v}, cost=c)
            if math.isfinite(v)
            else Evaluation(
                trial=t, values={name: math.nan}, cost=c if math.isfinite(c) else 0.0, status=Status.FAILED
            )
            for t, v, c in zip(trials, values[0].tolist(), costs[0].tolist(), strict=True)
        ]

    def mean_values(self, configs: Sequence[Config], fidelities: np.ndarray | None = None) -> np.ndarray:
        """Ensemble mean of the objective, ``(n,)`` (maximal fidelity by default; not clipped)."""
        fid = self.task.fidelity
        if fidelities is None:
            fidelities = np.full(len(configs), fid.high if fid is not None else 1.0)
        values, _ = self.predict(self.encoding.encode(configs, fidelities))
        return np.asarray(values.mean(axis=0))

    def optimum(self) -> Reference:
        """The reference written with the model (see the header and ``fitting.model_reference``)."""
        return self._reference

    def reference_values(self, configs: Sequence[Config]) -> np.ndarray:
        """Ensemble mean at the maximal fidelity, clipped to never beat ``optimum().best``."""
        if not configs:
            return np.empty((0, 1))
        values = self.mean_values(configs)
        best = float(self._reference.best[self._objective.name])
        clipped = (
            np.maximum(values, best)
            if self._objective.direction is Direction.MINIMIZE
            else np.minimum(values, best)
        )
        return np.asarray(clipped).reshape(len(configs), 1)


class FittedFamily(BenchmarkFamily):
    """The ``fitted`` family: every model listed in ``index.json`` of a models directory.

    Task names are ``fitted/<source family>.<source task>``, e.g. ``fitted/fcnet.protein_structure``.

    Args:
        models_dir: Directory with ``index.json`` and the ``.npz`` files (default: the shipped ones).
    """

    name = "fitted"

    def __init__(self, models_dir: Path = MODELS_DIR) -> None:
        self.models_dir = models_dir

    def _index(self) -> dict[str, Any]:
        path = self.models_dir / INDEX
        try:
            index = json.loads(path.read_text())
            tasks = index["tasks"]
            if not isinstance(tasks, dict):
                raise TypeError("'tasks' is not an object")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DataError(f"fitted surrogate index {str(path)!r} is corrupt: {exc}") from exc
        return tasks

    def tasks(self) -> tuple[TaskInfo, ...]:
        """Describe the listed models (reads ``index.json`` only)."""
        return tuple(
            TaskInfo(
                name=f"fitted/{name}",
                multi_fidelity=bool(entry["multi_fidelity"]),
                needs_data=False,
                tags=frozenset(entry["tags"]),
            )
            for name, entry in sorted(self._index().items())
        )

    def load(self, task: str, *, data_dir: Path | None) -> FittedSurrogate:
        """Load the model of ``task`` (``data_dir`` is not needed: the models ship with the package).

        The index's sha256 is the model file's pin: it is checked on every load through
        :func:`hpobench.data.datadir.verified` (hashed once per process; skipped while verification is
        switched off). ``hpobench surrogate fit`` writes the index; a test keeps the shipped index
        equal to the shipped files.

        Raises:
            UnknownNameError: No model of that name is listed.
            DataError: The file is missing, corrupt or does not match the index's sha256 (while
                verification is on).
        """
        index = self._index()
        if task not in index:
            raise UnknownNameError("benchmark", f"fitted/{task}", [f"fitted/{t}" for t in sorted(index)])
        path = self.models_dir / str(index[task]["file"])
        if not path.is_file():
            raise DataError(f"fitted/{task}: model file {str(path)!r} is missing")
        digest = verified(path, sha256=str(index[task]["sha256"]), what=f"fitted/{task}")
        header, arrays = read_model(path)
        return FittedSurrogate(header=header, arrays=arrays, data_files={str(path): digest})


FAMILY = FittedFamily()
"""The entry point registered as ``fitted`` in ``hpobench.benchmarks``."""
