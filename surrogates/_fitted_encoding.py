"""The input encoding of a fitted surrogate: validation, the network's inputs, and its JSON form.

:class:`Encoding` (one :class:`HyperparameterEncoding` per hyperparameter, plus the fidelity) is
part of the model file contract described in :mod:`hpobench.surrogates.fitted`: a numeric
hyperparameter becomes one input in ``[0, 1]`` (log-scaled where the space is), a categorical one
a one-hot block in choice order, the fidelity one last input. ``encode`` raises
:class:`~hpobench.contracts.errors.InvalidConfigError` for a configuration outside the space; the values
are frozen and round-trip through ``to_json``/``from_json`` unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import itemgetter
from typing import Any, NoReturn

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.types import Config, Fidelity
from hpobench.contracts.values import choice_key, real_types_only


@dataclass(frozen=True, kw_only=True)
class HyperparameterEncoding:
    """How one hyperparameter is validated, encoded and exposed in the search space.

    Attributes:
        name: Hyperparameter name.
        kind: ``"numeric"``, ``"categorical"`` or ``"constant"``.
        low: Smallest value (numeric).
        high: Largest value (numeric).
        log: Whether the value is encoded (and sampled) on a log scale (numeric).
        integer: Whether only integer values are valid (numeric).
        choices: The choices, in one-hot order (categorical), or the single value (constant).
    """

    name: str
    kind: str
    low: float = 0.0
    high: float = 1.0
    log: bool = False
    integer: bool = False
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("numeric", "categorical", "constant"):
            raise ValueError(f"unknown hyperparameter kind {self.kind!r} of {self.name!r}")
        if self.kind == "numeric" and not (self.low < self.high and (not self.log or self.low > 0)):
            raise ValueError(f"{self.name!r}: need low < high (and low > 0 when log-scaled)")

    @property
    def width(self) -> int:
        """Number of encoded inputs."""
        if self.kind == "numeric":
            return 1
        return len(self.choices) if self.kind == "categorical" else 0

    @property
    def unit_shift_scale(self) -> tuple[float, float]:
        """``(shift, scale)`` of :meth:`unit`: the (log) lower bound and the (log) span of the range."""
        low, high = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        return low, high - low

    def unit(self, values: np.ndarray) -> np.ndarray:
        """Map numeric values onto ``[0, 1]`` over ``[low, high]`` (log-scaled when ``log``)."""
        shift, scale = self.unit_shift_scale
        return np.asarray(((np.log(values) if self.log else values) - shift) / scale)

    def to_hyperparameter(self) -> Any:
        """The ConfigSpace hyperparameter of the surrogate's (continuous) space."""
        if self.kind == "constant":
            return CS.Constant(self.name, self.choices[0])
        if self.kind == "categorical":
            return CS.CategoricalHyperparameter(self.name, choices=list(self.choices))
        if self.integer:
            return CS.UniformIntegerHyperparameter(
                self.name, lower=int(self.low), upper=int(self.high), log=self.log
            )
        return CS.UniformFloatHyperparameter(self.name, lower=self.low, upper=self.high, log=self.log)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "name": self.name,
            "kind": self.kind,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "integer": self.integer,
            "choices": list(self.choices),
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> HyperparameterEncoding:
        """Inverse of :meth:`to_json`."""
        return cls(
            name=str(raw["name"]),
            kind=str(raw["kind"]),
            low=float(raw["low"]),
            high=float(raw["high"]),
            log=bool(raw["log"]),
            integer=bool(raw["integer"]),
            choices=tuple(raw["choices"]),
        )


@dataclass(frozen=True, kw_only=True)
class _NumericPlan:
    """The numeric hyperparameters of an :class:`Encoding` as arrays, for encoding them together.

    ``shift`` and ``scale`` are :attr:`HyperparameterEncoding.unit_shift_scale`, so that
    ``(x - shift) / scale`` (``x`` logged where ``log``) is the same float64 arithmetic, element
    by element, as :meth:`HyperparameterEncoding.unit`.
    """

    names: tuple[str, ...]
    getter: Callable[[Config], Any] | None
    columns: np.ndarray
    low: np.ndarray
    high: np.ndarray
    integer: np.ndarray
    log: np.ndarray
    shift: np.ndarray
    scale: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Encoding:
    """The input encoding of a fitted surrogate (see the module docstring).

    Attributes:
        hyperparameters: One entry per hyperparameter, in input order.
        fidelity: The task's fidelity, or ``None``.
        fidelity_log: Whether the fidelity input is log-scaled.
    """

    hyperparameters: tuple[HyperparameterEncoding, ...]
    fidelity: Fidelity | None = None
    fidelity_log: bool = False

    @cached_property
    def width(self) -> int:
        """Number of network inputs."""
        return sum(h.width for h in self.hyperparameters) + (self.fidelity is not None)

    def space(self) -> CS.ConfigurationSpace:
        """The continuous search space of the surrogate."""
        space = CS.ConfigurationSpace()
        space.add([h.to_hyperparameter() for h in self.hyperparameters])
        return space

    def encode(self, configs: Sequence[Config], fidelities: np.ndarray) -> np.ndarray:
        """Validate and encode configurations, shape ``(n, width)`` float32.

        Args:
            configs: The configurations (exactly the space's hyperparameters).
            fidelities: Fidelity per configuration (ignored without a fidelity).

        Raises:
            InvalidConfigError: A configuration is not in the space; the message names the
                offending hyperparameter.
        """
        n = len(configs)
        out = np.empty((n, self.width), dtype=np.float32)
        k = len(self.hyperparameters)
        if any(len(c) != k for c in configs):
            self._raise(configs)
        plan = self._numeric
        try:
            if plan.getter is not None:  # all numeric hyperparameters at once: few numpy calls per batch
                raw = list(map(plan.getter, configs))  # a tuple per configuration (a value if one name)
                kinds = set(map(type, chain.from_iterable(raw) if len(plan.names) > 1 else raw))
                if not real_types_only(kinds):
                    self._raise(configs)  # strings, booleans, lists (which numpy would unpack), ...
                x = np.array(raw, dtype=float).reshape(n, len(plan.names))  # OverflowError: huge ints
                ok = np.isfinite(x) & (x >= plan.low) & (x <= plan.high)
                ok[:, plan.integer] &= x[:, plan.integer] == np.round(x[:, plan.integer])
                if not np.all(ok):
                    self._raise(configs)
                x[:, plan.log] = np.log(x[:, plan.log])
                out[:, plan.columns] = (x - plan.shift) / plan.scale  # HyperparameterEncoding.unit
            col = 0
            for h in self.hyperparameters:
                if h.kind in ("constant", "categorical") and not all(isinstance(v, str) for v in h.choices):
                    # non-string choices: match by kind too (True is not the choice 1)
                    allowed = {choice_key(v) for v in h.choices}
                    if any(choice_key(c[h.name]) not in allowed for c in configs):
                        self._raise(configs)
                if h.kind == "constant":
                    if any(c[h.name] != h.choices[0] for c in configs):
                        self._raise(configs)
                elif h.kind == "categorical":
                    lut = {v: i for i, v in enumerate(h.choices)}
                    idx = np.fromiter((lut[c[h.name]] for c in configs), dtype=np.intp, count=n)
                    block = np.zeros((n, h.width), dtype=np.float32)
                    block[np.arange(n), idx] = 1.0
                    out[:, col : col + h.width] = block
                col += h.width
        except (KeyError, TypeError, ValueError, OverflowError):
            self._raise(configs)
        if self.fidelity is not None:
            f = np.asarray(fidelities, dtype=float)
            low, high = self.fidelity.low, self.fidelity.high
            if high == low:
                out[:, col] = 0.0
            elif self.fidelity_log:
                out[:, col] = (np.log(f) - math.log(low)) / (math.log(high) - math.log(low))
            else:
                out[:, col] = (f - low) / (high - low)
        return out

    @cached_property
    def _numeric(self) -> _NumericPlan:
        hps = [h for h in self.hyperparameters if h.kind == "numeric"]
        starts = np.cumsum([0] + [h.width for h in self.hyperparameters])
        shift, scale = zip(*(h.unit_shift_scale for h in hps), strict=True) if hps else ((), ())
        return _NumericPlan(
            names=tuple(h.name for h in hps),
            getter=itemgetter(*(h.name for h in hps)) if hps else None,
            columns=np.array([starts[i] for i, h in enumerate(self.hyperparameters) if h.kind == "numeric"]),
            low=np.array([h.low for h in hps]),
            high=np.array([h.high for h in hps]),
            integer=np.array([h.integer for h in hps], dtype=bool),
            log=np.array([h.log for h in hps], dtype=bool),
            shift=np.array(shift),
            scale=np.array(scale),
        )

    def _raise(self, configs: Sequence[Config]) -> NoReturn:
        from hpobench.contracts.space import SpaceCodec

        codec = SpaceCodec(self.space())
        for config in configs:
            codec.validate(config)
        raise InvalidConfigError("a configuration is not in the space of the surrogate")

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        fid = self.fidelity
        return {
            "hyperparameters": [h.to_json() for h in self.hyperparameters],
            "fidelity": None
            if fid is None
            else {"name": fid.name, "low": fid.low, "high": fid.high, "integer": fid.integer},
            "fidelity_log": self.fidelity_log,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Encoding:
        """Inverse of :meth:`to_json`."""
        fid = raw["fidelity"]
        return cls(
            hyperparameters=tuple(HyperparameterEncoding.from_json(h) for h in raw["hyperparameters"]),
            fidelity=None
            if fid is None
            else Fidelity(
                name=str(fid["name"]),
                low=float(fid["low"]),
                high=float(fid["high"]),
                integer=bool(fid["integer"]),
            ),
            fidelity_log=bool(raw["fidelity_log"]),
        )
