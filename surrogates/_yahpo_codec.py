"""Validation and sampling of a YAHPO space: EQ/IN conditions checked directly, fixed parameters allowed.

:class:`YahpoCodec` is the :class:`~hpobench.contracts.space.SpaceCodec` of every YAHPO task (single- and
multi-objective). It accepts exactly the configurations ConfigSpace accepts (plus the scenario's
fixed parameters, such as rbv2's ``repl``, in their ranges), samples from ConfigSpace's
distribution, and raises :class:`~hpobench.contracts.errors.InvalidConfigError` naming the offending
hyperparameter; it only does so faster than building ``Configuration`` objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import methodcaller
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.space import SpaceCodec


def _single(hp: Any) -> CS.ConfigurationSpace:
    """A space holding only ``hp``."""
    space = CS.ConfigurationSpace(name=hp.name)
    space.add(hp)
    return space


class YahpoCodec(SpaceCodec):
    """A :class:`SpaceCodec` whose validation handles EQ/IN conditions without building Configurations.

    ConfigSpace's ``Configuration`` costs tens of microseconds; YAHPO queries cost a few, so the
    condition structure (a child is active iff its parent is active and takes one of the listed
    values) is checked directly. Other condition kinds fall back to the base class.

    ``fixed``: the scenario's fixed parameters (rbv2's ``repl``), which a configuration may carry
    in addition to the searched ones, as in yahpo-gym; each must then lie in its range (an
    omitted one takes the scenario's value). Sampling never draws them.
    """

    def __init__(self, space: CS.ConfigurationSpace, fixed: Mapping[str, Any] | None = None) -> None:
        super().__init__(space)
        self._fixed = {name: SpaceCodec(_single(hp)) for name, hp in (fixed or {}).items()}
        self._parents: dict[str, tuple[str, frozenset[Any]]] = {}
        self._simple = True
        for cond in space.conditions:
            if isinstance(cond, CS.EqualsCondition):
                allowed = frozenset([cond.value])
            elif isinstance(cond, CS.InCondition):
                allowed = frozenset(cond.values)
            else:
                self._simple = False
                break
            self._parents[cond.child.name] = (cond.parent.name, allowed)
        self._parent_names = tuple(sorted({parent for parent, _ in self._parents.values()}))
        self._active_sets: dict[tuple[Any, ...], frozenset[str]] = {}
        self._fast_usable = (
            self._simple and not space.forbidden_clauses and len(self._kinds) == len(self.names)
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (YahpoCodec, (self.space, {name: c.space[name] for name, c in self._fixed.items()}))

    def _active(self, name: str, config: Mapping[str, Any]) -> bool:
        link = self._parents.get(name)
        if link is None:
            return True
        parent, allowed = link
        return self._active(parent, config) and config.get(parent) in allowed

    def sample(self, rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
        """Draw ``n`` configurations: every hyperparameter from its prior, then the inactive ones dropped.

        This is ConfigSpace's distribution for EQ/IN conditions, drawn column-wise from ``rng``
        (ConfigSpace's own conditional sampler costs about a millisecond per configuration).
        """
        if not self._simple or not self._parents:
            return super().sample(rng, n)
        if n < 0:
            raise ValueError(f"n must be non-negative, got {n}")
        columns = {name: self._samplers[name](rng, n) for name in self.names}
        out = []
        for i in range(n):
            full = {name: columns[name][i] for name in self.names}
            out.append({k: v for k, v in full.items() if self._active(k, full)})
        return out

    def _valid_fast(self, config: Any) -> bool:
        """Whether ``config`` is valid by a quick check that accepts only plain values.

        ``True`` only for a mapping whose keys are exactly the active hyperparameters (a
        function of the parents' values, memoised) and whose values are a ``float``, ``int`` or
        ``str`` inside the range or choices. ``False`` leaves the verdict (and the error
        message) to the full check, which also accepts numpy scalars and ints for floats.
        """
        if not isinstance(config, Mapping):
            return False
        try:
            key = tuple(config.get(p) for p in self._parent_names)
            active = self._active_sets.get(key)
        except TypeError:  # an unhashable value
            return False
        if active is None:
            active = frozenset(name for name in self.names if self._active(name, config))
            if len(self._active_sets) < 1024:  # parents are categorical: few keys unless values are bad
                self._active_sets[key] = active
        if config.keys() != active:
            return False
        fast = self._kinds
        for name, value in config.items():
            kind, low, high = fast[name]
            if type(value) is not kind:
                return False
            if kind is str:
                if value not in low:
                    return False
            elif not low <= value <= high:
                return False
        return True

    def all_valid(self, configs: Sequence[Any]) -> bool:
        """Whether every configuration passes :meth:`_valid_fast`, checked column by column.

        The batch is split by the parents' values (which fix the active hyperparameters); in
        each part, every configuration must have as many keys as there are active ones, and
        each active one's column must hold only values of its kind (``float``, ``int`` or
        ``str``) inside its range or choices. That is :meth:`_valid_fast` for each
        configuration, with a few C-level passes per hyperparameter instead of a Python loop
        per value. ``False`` (also for anything but dicts and the read-only views that trials
        hold) leaves the verdict to :meth:`validate`.
        """
        if not self._fast_usable or not self._plain_batch(configs):
            return False
        parts: dict[tuple[Any, ...], list[Any]] = {(): list(configs)}
        if self._parent_names:
            columns = [list(map(methodcaller("get", p), configs)) for p in self._parent_names]
            keys = list(zip(*columns, strict=True))
            try:
                distinct = dict.fromkeys(keys)
            except TypeError:  # an unhashable parent value
                return False
            if len(distinct) == 1:
                parts = {keys[0]: parts[()]}
            else:
                parts = {key: [c for c, k in zip(configs, keys, strict=True) if k == key] for key in distinct}
        for key, part in parts.items():
            active = self._active_sets.get(key)
            if active is None:
                active = frozenset(name for name in self.names if self._active(name, part[0]))
            if not self._columns_valid(part, active):
                return False
        return True

    def validate(self, config: Mapping[str, Any]) -> None:
        """Raise :class:`InvalidConfigError` naming the offending hyperparameter, if any.

        A hyperparameter is required exactly when it is active (its parent condition holds);
        an inactive one must be absent, as in yahpo-gym (which refuses inactive values). Fixed
        parameters may be present (see the class docstring).
        """
        if self._fast_usable and self._valid_fast(config):
            return
        if self._fixed and isinstance(config, Mapping) and not self._fixed.keys().isdisjoint(config):
            config = self._without_fixed(config)
            if self._fast_usable and self._valid_fast(config):
                return
        if not self._simple or not self._parents:
            super().validate(config)
            return
        self._check_names(config)
        for name in self.names:
            active = self._active(name, config)
            if name not in config:
                if active:
                    raise InvalidConfigError(f"hyperparameter {name!r} is missing from the configuration")
                continue
            if not active:
                raise InvalidConfigError(f"hyperparameter {name!r} is inactive here and must be absent")
            self._check_value(name, config[name])

    def _without_fixed(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """``config`` without its fixed parameters, after checking their values."""
        for name, codec in self._fixed.items():
            if name in config and not codec.is_valid({name: config[name]}):
                hp = codec.space[name]
                assert isinstance(hp, CS.UniformIntegerHyperparameter | CS.UniformFloatHyperparameter)
                kind = "an integer" if isinstance(hp, CS.UniformIntegerHyperparameter) else "a number"
                raise InvalidConfigError(
                    f"value {config[name]!r} is not allowed for the fixed parameter {name!r} of "
                    f"{self.space.name}: it must be {kind} in [{hp.lower}, {hp.upper}] "
                    f"(omit it for the default, {hp.default_value!r})"
                )
        return {k: v for k, v in config.items() if k not in self._fixed}
