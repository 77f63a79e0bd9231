"""Fast checks and sampling over ConfigSpace search spaces.

Values are held to the rule of :mod:`hpobench.contracts.values`: numeric hyperparameters take finite real
numbers (never booleans or strings), choices match only values of their own kind.

ConfigSpace is the lingua franca for spaces, but building a ``Configuration`` costs tens of
microseconds. :class:`SpaceCodec` precomputes, per hyperparameter, a membership check and a
vectorised sampler driven by a caller-owned :class:`numpy.random.Generator`, so validation and
random sampling stay cheap and never touch a global or space-owned random state. Spaces with
conditions or forbidden clauses fall back to ConfigSpace itself, seeded from the caller's
generator.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.values import choice_key, is_finite_real

__all__ = ["SpaceCodec", "to_python"]


def to_python(value: Any) -> Any:
    """Convert numpy scalars to the matching Python builtin (ints stay ints, strings stay str)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


Check = Callable[[Any], bool]
Sampler = Callable[[np.random.Generator, int], list[Any]]


def _float_check(low: float, high: float) -> Check:
    def check(value: Any) -> bool:
        return is_finite_real(value) and low <= value <= high

    return check


def _int_check(low: int, high: int) -> Check:
    def check(value: Any) -> bool:  # range first: float() of a huge int would overflow
        return is_finite_real(value) and low <= value <= high and float(value).is_integer()

    return check


def _member_check(values: Sequence[Any]) -> Check:
    """Membership by :func:`~hpobench.contracts.values.choice_key`: ``True`` is not the choice ``1``."""
    allowed = {choice_key(v) for v in values}

    def check(value: Any) -> bool:
        try:
            return choice_key(value) in allowed
        except TypeError:  # unhashable
            return False

    return check


def _float_sampler(low: float, high: float, log: bool) -> Sampler:
    def sample(rng: np.random.Generator, n: int) -> list[Any]:
        out = np.exp(rng.uniform(math.log(low), math.log(high), n)) if log else rng.uniform(low, high, n)
        return list(np.clip(out, low, high).tolist())

    return sample


def _int_sampler(low: int, high: int, log: bool) -> Sampler:
    def sample(rng: np.random.Generator, n: int) -> list[Any]:
        if log:
            raw = np.floor(np.exp(rng.uniform(math.log(low), math.log(high + 1), n)))
            return list(np.clip(raw, low, high).astype(np.int64).tolist())
        return list(rng.integers(low, high + 1, n).tolist())

    return sample


def _choice_sampler(values: Sequence[Any], weights: Sequence[float] | None) -> Sampler:
    items = [to_python(v) for v in values]
    p = None if weights is None else np.asarray(weights, dtype=float) / float(np.sum(weights))

    def sample(rng: np.random.Generator, n: int) -> list[Any]:
        idx = rng.choice(len(items), size=n, p=p)
        return [items[i] for i in idx]

    return sample


def _fallback_sampler(hp: Any) -> Sampler:
    def sample(rng: np.random.Generator, n: int) -> list[Any]:
        state = np.random.RandomState(int(rng.integers(2**31 - 1)))
        return [to_python(v) for v in np.atleast_1d(hp.sample_value(n, seed=state))]

    return sample


def _describe(hp: Any) -> tuple[Check, Sampler]:
    if isinstance(hp, CS.Constant):
        value = to_python(hp.value)
        return _member_check([value]), lambda rng, n: [value] * n
    if isinstance(hp, CS.UniformFloatHyperparameter):
        return _float_check(hp.lower, hp.upper), _float_sampler(hp.lower, hp.upper, bool(hp.log))
    if isinstance(hp, CS.UniformIntegerHyperparameter):
        low, high = int(hp.lower), int(hp.upper)
        return _int_check(low, high), _int_sampler(low, high, bool(hp.log))
    if isinstance(hp, CS.CategoricalHyperparameter):
        return _member_check(hp.choices), _choice_sampler(hp.choices, hp.weights)
    if isinstance(hp, CS.OrdinalHyperparameter):
        return _member_check(hp.sequence), _choice_sampler(hp.sequence, None)
    return _fallback_check(hp), _fallback_sampler(hp)


def _fallback_check(hp: Any) -> Check:
    numeric = isinstance(hp, CS.hyperparameters.NumericalHyperparameter)

    def check(value: Any) -> bool:
        if numeric and not is_finite_real(value):
            return False
        try:
            return bool(hp.legal_value(value))
        except (TypeError, ValueError, OverflowError):  # a value ConfigSpace cannot even compare
            return False

    return check


_Kind = tuple[type, Any, Any]
"""A hyperparameter's plain kind: ``(float, low, high)``, ``(int, low, high)`` or ``(str, choices, None)``."""

_PLAIN_MAPPINGS = frozenset({dict, MappingProxyType})
"""Mappings that :meth:`SpaceCodec.all_valid` checks by columns (a trial holds a read-only view)."""


def _plain_kind(hp: Any) -> _Kind | None:
    """The kind of value a quick check accepts for ``hp`` (``None``: it has no quick check).

    Uniform floats take a ``float`` in their range, uniform integers an ``int`` in theirs,
    categoricals of strings one of their ``str`` choices. Everything the full check accepts
    beyond that (ints for floats, numpy scalars) is left to it.
    """
    if isinstance(hp, CS.CategoricalHyperparameter) and all(isinstance(c, str) for c in hp.choices):
        return (str, frozenset(hp.choices), None)
    if isinstance(hp, CS.UniformIntegerHyperparameter):
        return (int, int(hp.lower), int(hp.upper))
    if isinstance(hp, CS.UniformFloatHyperparameter):
        return (float, float(hp.lower), float(hp.upper))
    return None


class SpaceCodec:
    """Validation and seeded sampling for one ConfigSpace search space.

    Args:
        space: The search space; it is read, never modified or re-seeded.
    """

    def __init__(self, space: CS.ConfigurationSpace) -> None:
        self.space = space
        self.names: tuple[str, ...] = tuple(space.keys())
        self.conditional = bool(space.conditions) or bool(space.forbidden_clauses)
        described = {name: _describe(space[name]) for name in self.names}
        self._checks = {name: d[0] for name, d in described.items()}
        self._samplers = {name: d[1] for name, d in described.items()}
        self._own_space: CS.ConfigurationSpace | None = None
        kinds = {name: _plain_kind(space[name]) for name in self.names}
        self._kinds: dict[str, _Kind] = {name: k for name, k in kinds.items() if k is not None}
        """The quick checks' kinds, for the hyperparameters that have one."""
        self._by_columns = not self.conditional and len(self._kinds) == len(self.names)

    def __reduce__(self) -> tuple[Any, ...]:
        # the per-hyperparameter closures do not pickle; rebuild them from the space
        return (SpaceCodec, (self.space,))

    def validate(self, config: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidConfigError` naming the offending hyperparameter, if any.

        Args:
            config: The configuration to check.

        Raises:
            InvalidConfigError: A value is out of range or not a choice, a hyperparameter is
                missing, or an unknown hyperparameter is present.
        """
        self._check_names(config)
        if self.conditional:
            self._validate_conditional(config)
            return
        for name in self.names:
            if name not in config:
                raise InvalidConfigError(f"hyperparameter {name!r} is missing from the configuration")
            self._check_value(name, config[name])

    def _check_names(self, config: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidConfigError` unless ``config`` is a mapping of known hyperparameters."""
        if not isinstance(config, Mapping):
            raise InvalidConfigError(f"a configuration must be a mapping, got {type(config).__name__}")
        unknown = [k for k in config if k not in self._checks]
        if unknown:
            raise InvalidConfigError(
                f"unknown hyperparameter(s) {sorted(unknown)}; the space has {list(self.names)}"
            )

    def _check_value(self, name: str, value: Any) -> None:
        """Raise :class:`InvalidConfigError` unless ``value`` is allowed for hyperparameter ``name``."""
        if not self._checks[name](value):
            raise InvalidConfigError(
                f"value {value!r} is not allowed for hyperparameter {name!r} ({self.space[name]})"
            )

    def _validate_conditional(self, config: Mapping[str, Any]) -> None:
        for name, value in config.items():
            self._check_value(name, value)
        try:
            CS.Configuration(self.space, values=dict(config))
        except Exception as exc:  # ConfigSpace raises several unrelated types here
            raise InvalidConfigError(f"configuration {dict(config)!r} is not in the space: {exc}") from exc

    def all_valid(self, configs: Sequence[Any]) -> bool:
        """A quick check of a batch: ``True`` only if every configuration lies in the space.

        ``False`` says nothing: the caller then validates each configuration with
        :meth:`validate`, which raises the error. A space without conditions or forbidden
        clauses whose hyperparameters all have a plain kind (:func:`_plain_kind`) is checked column by column
        (:meth:`_columns_valid`); any other space, and a batch of anything but dicts and the
        read-only views that trials hold, is answered ``False``.
        """
        if not self._by_columns or not self._plain_batch(configs):
            return False
        return self._columns_valid(configs, frozenset(self.names))

    def validate_all(self, configs: Sequence[Any]) -> None:
        """:meth:`validate` every configuration (a batch :meth:`all_valid` proves valid at once).

        Raises:
            InvalidConfigError: The first configuration that is not valid, as :meth:`validate` names it.
        """
        if not self.all_valid(configs):
            for config in configs:
                self.validate(config)

    @staticmethod
    def _plain_batch(configs: Sequence[Any]) -> bool:
        """Whether ``configs`` is not empty and holds only dicts and read-only views of them."""
        return bool(configs) and _PLAIN_MAPPINGS.issuperset(map(type, configs))

    def _columns_valid(self, configs: Sequence[Any], active: frozenset[str]) -> bool:
        """Whether every configuration's keys are ``active`` and each column holds its plain kind.

        Every configuration has as many keys as ``active`` and each of its names, and each
        column's values are all of the hyperparameter's kind and inside its range or choices:
        the quick check of each configuration, in a few C-level passes per hyperparameter.
        """
        if any(map(len(active).__ne__, map(len, configs))):
            return False
        for name in active:
            kind, low, high = self._kinds[name]
            try:
                column = list(map(itemgetter(name), configs))
            except KeyError:
                return False
            if set(map(type, column)) != {kind}:
                return False
            if kind is str:
                if not low.issuperset(column):
                    return False
            elif kind is int:
                if min(column) < low or max(column) > high:
                    return False
            else:  # floats: NaN fails both comparisons, as it fails ``low <= value <= high``
                values = np.array(column, dtype=float)
                if not bool(((values >= low) & (values <= high)).all()):
                    return False
        return True

    def is_valid(self, config: Mapping[str, Any]) -> bool:
        """Return whether ``config`` lies in the space (see :meth:`validate`)."""
        try:
            self.validate(config)
        except InvalidConfigError:
            return False
        return True

    def sample(self, rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
        """Draw ``n`` configurations from the space's prior.

        Args:
            rng: The caller's generator; it is the only source of randomness.
            n: Number of configurations.

        Returns:
            ``n`` configurations as plain dicts of Python builtins.
        """
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        if self.conditional:
            return self._sample_conditional(rng, n)
        columns = {name: self._samplers[name](rng, n) for name in self.names}
        return [{name: columns[name][i] for name in self.names} for i in range(n)]

    def _sample_conditional(self, rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
        if self._own_space is None:
            self._own_space = copy.deepcopy(self.space)
        self._own_space.seed(int(rng.integers(2**31 - 1)))
        if n == 0:
            return []
        # size=None for one configuration: ConfigSpace deprecates size=1 (its return type will change)
        sampled: Any = self._own_space.sample_configuration(None if n == 1 else n)
        configs = [sampled] if n == 1 else list(sampled)
        return [{k: to_python(v) for k, v in dict(c).items()} for c in configs]
