"""A numeric encoding of configurations shared by the model-based methods.

Every non-constant hyperparameter becomes one coordinate:

- *numeric* coordinates (floats, integers, ordinals) live in the unit interval ``[0, 1]``: floats
  map linearly (or linearly in ``log`` for log-scaled ones); integers map the same way over
  ``[low - 0.5, high + 0.5]`` so that every integer owns an equal share (in the transformed scale);
  the ``i``-th of ``k`` ordinal values maps to the centre ``(i + 0.5) / k`` of its cell;
- *categorical* coordinates are choice indices ``0..k-1`` (use :meth:`Encoding.onehot` for
  one-hot vectors).

Constants are not encoded and are put back by :meth:`Encoding.decode`. Decoding clips to the unit
interval and rounds to a valid value (nearest integer, ordinal cell), so any vector decodes to a
configuration inside the space; grid spaces (ordinals and categoricals only, like FCNet's) are
handled the same way. A uniform draw in the encoded space is the space's prior for floats,
ordinals and categoricals without weights (integers: uniform over cells). Spaces with conditions
or forbidden clauses are not supported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ConfigSpace as CS
import numpy as np
import numpy.typing as npt

from hpobench.contracts.space import to_python

__all__ = ["Encoding", "FloatArray", "IntArray"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_FLOAT, _INT, _ORDINAL = "float", "int", "ordinal"
# where decode finds a coordinate's value
_FROM_ORDINAL, _FROM_CATEGORICAL, _FROM_INT, _FROM_FLOAT = 0, 1, 2, 3


@dataclass(frozen=True, kw_only=True)
class _Numeric:
    name: str
    kind: str  # _FLOAT, _INT or _ORDINAL
    low: float = 0.0  # in the transformed (log) scale for floats and integers
    high: float = 1.0
    log: bool = False
    values: tuple[Any, ...] = ()  # ordinal sequence
    bounds: tuple[float, float] = (0.0, 1.0)  # untransformed bounds of floats, for clipping


@dataclass(frozen=True, kw_only=True)
class _Categorical:
    name: str
    choices: tuple[Any, ...]


def _numeric(hp: Any) -> _Numeric | None:
    if isinstance(hp, CS.UniformFloatHyperparameter):
        lo, hi, log = float(hp.lower), float(hp.upper), bool(hp.log)
        if log:
            lo, hi = math.log(lo), math.log(hi)
        bounds = (float(hp.lower), float(hp.upper))
        return _Numeric(name=hp.name, kind=_FLOAT, low=lo, high=hi, log=log, bounds=bounds)
    if isinstance(hp, CS.UniformIntegerHyperparameter):
        lo, hi, log = float(hp.lower) - 0.5, float(hp.upper) + 0.5, bool(hp.log)
        if log:
            lo, hi = math.log(max(lo, 0.5 * float(hp.lower))), math.log(hi)
        return _Numeric(name=hp.name, kind=_INT, low=lo, high=hi, log=log)
    if isinstance(hp, CS.OrdinalHyperparameter):
        return _Numeric(name=hp.name, kind=_ORDINAL, values=tuple(to_python(v) for v in hp.sequence))
    return None


class _Ranges:
    """The float and integer coordinates of an encoding, (de)coded in one vectorised pass.

    Element by element, the same arithmetic as coding each coordinate on its own: the affine
    map ``low + u * (high - low)`` (in log scale where the hyperparameter is), then rounding
    (integers) and clipping to the hyperparameter's bounds.
    """

    def __init__(self, dims: Sequence[_Numeric], *, cols: Sequence[int]) -> None:
        self.names = tuple(d.name for d in dims)
        self.integers = tuple(d.name for d in dims if d.kind == _INT)
        self.cols: IntArray = np.array(cols, dtype=np.int64)
        """Where these coordinates are among the encoding's numeric ones."""
        self._low: FloatArray = np.array([d.low for d in dims], dtype=float)
        self._span: FloatArray = np.array([d.high - d.low for d in dims], dtype=float)
        self._flat = np.array([k for k, d in enumerate(dims) if not d.high > d.low], dtype=np.int64)
        self._divisor: FloatArray = np.where(self._span > 0, self._span, 1.0)
        self._log = np.array([k for k, d in enumerate(dims) if d.log], dtype=np.int64)
        self._int = np.array([k for k, d in enumerate(dims) if d.kind == _INT], dtype=np.int64)
        bounds = [_int_bounds(d) if d.kind == _INT else d.bounds for d in dims]
        self._lo: FloatArray = np.array([b[0] for b in bounds], dtype=float)
        self._hi: FloatArray = np.array([b[1] for b in bounds], dtype=float)

    def encode(self, configs: Sequence[Mapping[str, Any]]) -> FloatArray:
        """The ``(n, len(names))`` unit-scale coordinates of ``configs`` (not clipped)."""
        raw = np.array([[float(c[name]) for name in self.names] for c in configs], dtype=float)
        if len(self._log):
            raw[:, self._log] = np.log(raw[:, self._log])
        unit = (raw - self._low) / self._divisor
        unit[:, self._flat] = 0.5
        return unit

    def decode(self, unit: FloatArray) -> tuple[list[list[float]], list[list[int]]]:
        """Rows of values of ``unit``'s coordinates (clipped to ``[0, 1]`` already), and of its integers."""
        raw = self._low + unit[:, self.cols] * self._span
        if len(self._log):
            raw[:, self._log] = np.exp(raw[:, self._log])
        if len(self._int):
            raw[:, self._int] = np.rint(raw[:, self._int])
        raw = raw.clip(self._lo, self._hi)
        integers = raw[:, self._int].astype(np.int64).tolist() if len(self._int) else []
        return raw.tolist(), integers


class Encoding:
    """Configurations <-> vectors for one (unconditional) ConfigSpace search space.

    Attributes:
        numeric_names: Names of the numeric coordinates, in order.
        categorical_names: Names of the categorical coordinates, in order.
        n_choices: Number of choices of each categorical coordinate (int array).
        n_levels: Number of distinct values of each numeric coordinate (``0`` for floats).

    Args:
        space: The search space; read, never modified.

    Raises:
        ValueError: The space has conditions or forbidden clauses, or a hyperparameter type that
            cannot be encoded (e.g. a normal or beta prior).
    """

    def __init__(self, space: CS.ConfigurationSpace) -> None:
        if space.conditions or space.forbidden_clauses:
            raise ValueError("the numeric encoding does not support conditional or forbidden clauses")
        self.constants: dict[str, Any] = {}
        numeric: list[_Numeric] = []
        categorical: list[_Categorical] = []
        for name in space:
            hp = space[name]
            if isinstance(hp, CS.Constant):
                self.constants[name] = to_python(hp.value)
            elif isinstance(hp, CS.CategoricalHyperparameter):
                categorical.append(_Categorical(name=name, choices=tuple(to_python(c) for c in hp.choices)))
            elif (dim := _numeric(hp)) is not None:
                numeric.append(dim)
            else:
                raise ValueError(f"cannot encode hyperparameter {name!r} of type {type(hp).__name__}")
        self._numeric = tuple(numeric)
        self._categorical = tuple(categorical)
        self._ordinal_index = {d.name: {v: i for i, v in enumerate(d.values)} for d in numeric if d.values}
        self._choice_index = {d.name: {v: i for i, v in enumerate(d.choices)} for d in categorical}
        self.numeric_names = tuple(d.name for d in numeric)
        self.categorical_names = tuple(d.name for d in categorical)
        self.n_choices: IntArray = np.array([len(d.choices) for d in categorical], dtype=np.int64)
        levels = [
            len(d.values) if d.kind == _ORDINAL else (0 if d.kind == _FLOAT else _int_levels(d))
            for d in numeric
        ]
        self.n_levels: IntArray = np.array(levels, dtype=np.int64)
        # the plan of encode and decode: each kind of coordinate is done in one vectorised pass
        ordinal = [j for j, d in enumerate(numeric) if d.kind == _ORDINAL]
        self._ordinal_cols: IntArray = np.array(ordinal, dtype=np.int64)
        self._ordinal_k: FloatArray = np.array([len(numeric[j].values) for j in ordinal], dtype=float)
        self._ordinal_cells = tuple(
            (numeric[j].name, self._ordinal_index[numeric[j].name], len(numeric[j].values)) for j in ordinal
        )
        self._choice_plan = tuple((d.name, self._choice_index[d.name]) for d in categorical)
        self._choices_max: IntArray = np.maximum(self.n_choices - 1, 0)
        ranged = [j for j, d in enumerate(numeric) if d.kind != _ORDINAL]
        self._ranges = _Ranges([numeric[j] for j in ranged], cols=ranged)
        plan: list[tuple[str, int, int, tuple[Any, ...]]] = []
        for j, d in enumerate(numeric):
            if d.kind == _ORDINAL:
                plan.append((d.name, _FROM_ORDINAL, ordinal.index(j), d.values))
            elif d.kind == _INT:
                plan.append((d.name, _FROM_INT, self._ranges.integers.index(d.name), ()))
            else:
                plan.append((d.name, _FROM_FLOAT, self._ranges.names.index(d.name), ()))
        plan.extend((d.name, _FROM_CATEGORICAL, j, d.choices) for j, d in enumerate(categorical))
        self._decode_plan = tuple(plan)

    @property
    def n_numeric(self) -> int:
        """Number of numeric coordinates."""
        return len(self._numeric)

    @property
    def n_categorical(self) -> int:
        """Number of categorical coordinates."""
        return len(self._categorical)

    @property
    def dim(self) -> int:
        """Number of encoded hyperparameters (constants excluded)."""
        return self.n_numeric + self.n_categorical

    @property
    def onehot_dim(self) -> int:
        """Length of :meth:`to_unit` vectors: numeric coordinates plus one per categorical choice."""
        return self.n_numeric + int(self.n_choices.sum())

    def encode(self, configs: Sequence[Mapping[str, Any]]) -> tuple[FloatArray, IntArray]:
        """Encode configurations.

        Args:
            configs: Configurations of the space (values must be valid).

        Returns:
            ``(numeric, categorical)``: an ``(n, n_numeric)`` float array in ``[0, 1]`` and an
            ``(n, n_categorical)`` array of choice indices.
        """
        n = len(configs)
        xn = np.empty((n, self.n_numeric))
        if n and len(self._ordinal_cols):  # numpy scalars hash alike
            cells = self._ordinal_cells
            xn[:, self._ordinal_cols] = [
                [(index[c[name]] + 0.5) / k for name, index, k in cells] for c in configs
            ]
        if n and self._ranges.names:
            xn[:, self._ranges.cols] = self._ranges.encode(configs)
        xc = np.empty((n, self.n_categorical), dtype=np.int64)
        if n and self.n_categorical:
            choices = self._choice_plan
            xc[:] = [[index[c[name]] for name, index in choices] for c in configs]
        return xn.clip(0.0, 1.0), xc

    def decode(self, xn: FloatArray, xc: IntArray) -> list[dict[str, Any]]:
        """Decode vectors to valid configurations (plain dicts of Python builtins).

        Numeric coordinates are clipped to ``[0, 1]`` and rounded to the nearest valid value;
        categorical indices are clipped to the valid range.
        """
        # (the ndarray methods and ufuncs compute what np.clip does, with less overhead per call)
        xn = np.atleast_2d(np.asarray(xn, dtype=float)).clip(0.0, 1.0)
        xc = np.atleast_2d(np.asarray(xc, dtype=np.int64))
        n = max(xn.shape[0], xc.shape[0])
        ordinal: list[list[int]] = []
        if len(self._ordinal_cols):  # cell floor(u * k) of u in [0, 1], the last one closed
            cells = np.floor(xn[:, self._ordinal_cols] * self._ordinal_k)
            ordinal = np.minimum(cells, self._ordinal_k - 1.0).astype(np.int64).tolist()
        chosen: list[list[int]] = []
        if xc.shape[1]:
            chosen = np.minimum(np.maximum(xc, 0), self._choices_max).tolist()
        floats: list[list[float]] = []
        integers: list[list[int]] = []
        if self._ranges.names:
            floats, integers = self._ranges.decode(xn)
        out = []
        for i in range(n):
            config = dict(self.constants)
            for name, source, at, values in self._decode_plan:
                if source == _FROM_ORDINAL:
                    config[name] = values[ordinal[i][at]]
                elif source == _FROM_CATEGORICAL:
                    config[name] = values[chosen[i][at]]
                elif source == _FROM_INT:
                    config[name] = integers[i][at]
                else:
                    config[name] = floats[i][at]
            out.append(config)
        return out

    def snap(self, xn: FloatArray, xc: IntArray) -> tuple[FloatArray, IntArray]:
        """Round vectors to the encodings of the configurations they decode to (vectorised).

        Equals ``encode(decode(xn, xc))`` up to floating-point rounding.
        """
        out = np.clip(np.array(xn, dtype=float, ndmin=2), 0.0, 1.0)
        for j, d in enumerate(self._numeric):
            if d.kind == _ORDINAL:
                k = len(d.values)
                out[:, j] = (np.clip(np.floor(out[:, j] * k), 0, k - 1) + 0.5) / k
            elif d.kind == _INT and d.high > d.low:
                raw = d.low + out[:, j] * (d.high - d.low)
                value = np.clip(np.rint(np.exp(raw) if d.log else raw), *_int_bounds(d))
                raw = np.log(value) if d.log else value
                out[:, j] = np.clip((raw - d.low) / (d.high - d.low), 0.0, 1.0)
        xc = np.clip(np.array(xc, dtype=np.int64, ndmin=2), 0, np.maximum(self.n_choices - 1, 0))
        return out, xc

    def sample(self, rng: np.random.Generator, n: int) -> tuple[FloatArray, IntArray]:
        """Draw ``n`` vectors uniformly from the encoded space with the caller's generator."""
        xn = rng.random((n, self.n_numeric))
        xc = (rng.random((n, self.n_categorical)) * self.n_choices).astype(np.int64)
        return xn, xc

    def onehot(self, xc: IntArray) -> FloatArray:
        """One-hot encode categorical indices: ``(n, n_categorical)`` -> ``(n, sum(n_choices))``."""
        xc = np.atleast_2d(xc)
        out = np.zeros((xc.shape[0], int(self.n_choices.sum())))
        offsets = np.concatenate([[0], np.cumsum(self.n_choices)[:-1]]).astype(np.int64)
        if xc.shape[1]:
            out[np.arange(xc.shape[0])[:, None], offsets + xc] = 1.0
        return out

    def to_unit(self, xn: FloatArray, xc: IntArray) -> FloatArray:
        """Concatenate numeric coordinates and one-hot categoricals into one unit-cube vector."""
        return np.hstack([np.atleast_2d(xn), self.onehot(xc)])

    def from_unit(self, x: FloatArray) -> tuple[FloatArray, IntArray]:
        """Split a :meth:`to_unit` vector; each categorical takes the argmax of its one-hot block."""
        x = np.atleast_2d(x)
        xn = x[:, : self.n_numeric]
        xc = np.empty((x.shape[0], self.n_categorical), dtype=np.int64)
        start = self.n_numeric
        for j, k in enumerate(self.n_choices):
            xc[:, j] = np.argmax(x[:, start : start + k], axis=1)
            start += int(k)
        return xn, xc


def _int_bounds(d: _Numeric) -> tuple[float, float]:
    hi = math.exp(d.high) - 0.5 if d.log else d.high - 0.5
    lo = math.ceil((math.exp(d.low) if d.log else d.low) + 0.5 - 1e-9)
    return float(lo), float(round(hi))


def _int_levels(d: _Numeric) -> int:
    lo, hi = _int_bounds(d)
    return int(hi - lo + 1)
