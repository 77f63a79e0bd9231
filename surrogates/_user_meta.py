"""The ``meta.json`` of a user's table folder: which columns mean what.

A folder ``DATA_DIR/tables/NAME/`` holds one Parquet or CSV file per task and one ``meta.json``::

    {
      "hyperparameters": {"learning_rate": {"log": true}, "alpha": {}, "activation": {}},
      "fidelity": "epoch",
      "objectives": {"valid_error": "minimize", "train_error": "minimize"},
      "cost": "seconds",
      "seed": "seed",
      "provenance": "sklearn MLPClassifier on digits, trained by ..."
    }

``hyperparameters`` maps each hyperparameter column to options: ``log`` (bool: the values are
log-scaled in the continuous space of a candidate-set table; a full grid is ordinal and ignores
it), ``values`` (the full grid, in order: values outside it are
refused, grid points without rows are reported as missing) and ``low`` / ``high`` (an
explicit range: values outside are refused). A plain list of column names is accepted too.
``objectives`` maps objective columns to ``"minimize"`` or ``"maximize"`` (in order: the first
is optimised, see :mod:`hpobench.surrogates.user_tables`). ``fidelity``, ``cost`` (seconds to
train from scratch up to the row's fidelity), ``seed`` (index of a repeated run) and
``provenance`` are optional.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpobench.contracts.errors import DataError
from hpobench.contracts.types import Direction, Objective

__all__ = [
    "META_FILE",
    "HyperparameterMeta",
    "TableMeta",
    "check_family_name",
    "guess_meta",
    "read_meta",
    "read_raw",
]

META_FILE = "meta.json"
_KEYS = {"hyperparameters", "fidelity", "objectives", "cost", "seed", "provenance"}
_HP_KEYS = {"log", "values", "low", "high"}
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True, kw_only=True)
class HyperparameterMeta:
    """One hyperparameter column.

    Attributes:
        name: The column.
        log: Whether numeric values are log-scaled (used by continuous relaxations).
        values: The full grid in order, or ``None`` to take the values found in the table.
        low: Smallest allowed value, or ``None``.
        high: Largest allowed value, or ``None``.
    """

    name: str
    log: bool = False
    values: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True, kw_only=True)
class TableMeta:
    """What the columns of a user's table mean (see the module docstring).

    Attributes:
        hyperparameters: The hyperparameter columns, in order.
        objectives: The objective columns with directions; the first is optimised.
        fidelity: The fidelity column, or ``None`` for a single-fidelity table.
        cost: The cost column (seconds from scratch), or ``None``.
        seed: The column of the repeated run's index, or ``None`` (one run per configuration).
        provenance: Free text: where the data comes from.
    """

    hyperparameters: tuple[HyperparameterMeta, ...]
    objectives: tuple[Objective, ...]
    fidelity: str | None = None
    cost: str | None = None
    seed: str | None = None
    provenance: str = ""

    def roles(self) -> dict[str, str]:
        """Column -> its role (``"hyperparameter"``, ``"objective"``, ``"fidelity"``, ...)."""
        out = {h.name: "hyperparameter" for h in self.hyperparameters}
        out.update({o.name: "objective" for o in self.objectives})
        for role in ("fidelity", "cost", "seed"):
            column = getattr(self, role)
            if column is not None:
                out[column] = role
        return out

    def to_json(self) -> dict[str, Any]:
        """The ``meta.json`` object (parsed back by :meth:`from_json`)."""
        hps: dict[str, Any] = {}
        for h in self.hyperparameters:
            opts: dict[str, Any] = {"log": True} if h.log else {}
            if h.values is not None:
                opts["values"] = list(h.values)
            if h.low is not None:
                opts["low"] = h.low
            if h.high is not None:
                opts["high"] = h.high
            hps[h.name] = opts
        return {
            "hyperparameters": hps,
            "fidelity": self.fidelity,
            "objectives": {o.name: o.direction.value for o in self.objectives},
            "cost": self.cost,
            "seed": self.seed,
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, raw: object, *, where: str) -> TableMeta:
        """Parse and check a ``meta.json`` object.

        Args:
            raw: The parsed JSON.
            where: The file, for messages.

        Raises:
            DataError: A key is unknown or missing, a direction is not minimize/maximize, a
                column is named twice, or a value has the wrong type (the message names the key).
        """
        if not isinstance(raw, dict):
            raise DataError(f"{where}: must hold a JSON object, got {type(raw).__name__}")
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise DataError(f"{where}: unknown key(s) {unknown}; known keys: {sorted(_KEYS)}")
        hps = _hyperparameters(raw.get("hyperparameters"), where)
        objectives = _objectives(raw.get("objectives"), where)
        optional = {k: _column(raw.get(k), where, k) for k in ("fidelity", "cost", "seed")}
        provenance = raw.get("provenance", "")
        if not isinstance(provenance, str):
            raise DataError(f"{where}: 'provenance' must be a string of free text")
        names = [h.name for h in hps] + [o.name for o in objectives] + [v for v in optional.values() if v]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise DataError(f"{where}: column(s) {repeated} are named in more than one role")
        return cls(hyperparameters=hps, objectives=objectives, provenance=provenance, **optional)


def _column(value: object, where: str, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise DataError(f"{where}: {key!r} must name a column (a string) or be null, got {value!r}")
    return value


def _number(value: object, where: str, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise DataError(f"{where}: {what} must be a finite number, got {value!r}")
    return float(value)


def _hyperparameters(raw: object, where: str) -> tuple[HyperparameterMeta, ...]:
    if isinstance(raw, list) and all(isinstance(n, str) for n in raw):
        raw = {n: {} for n in raw}
    if not isinstance(raw, dict) or not raw:
        raise DataError(
            f"{where}: 'hyperparameters' must map each hyperparameter column to its options "
            '(e.g. {"learning_rate": {"log": true}}) or list the columns'
        )
    out = []
    for name, opts in raw.items():
        if not isinstance(opts, dict) or set(opts) - _HP_KEYS:
            raise DataError(
                f"{where}: options of hyperparameter {name!r} must be an object with keys among "
                f"{sorted(_HP_KEYS)}, got {opts!r}"
            )
        log = opts.get("log", False)
        if not isinstance(log, bool):
            raise DataError(f"{where}: 'log' of hyperparameter {name!r} must be true or false")
        values = opts.get("values")
        if values is not None and (not isinstance(values, list) or not values):
            raise DataError(f"{where}: 'values' of hyperparameter {name!r} must be a non-empty list")
        out.append(
            HyperparameterMeta(
                name=name,
                log=log,
                values=None if values is None else tuple(values),
                low=_number(opts.get("low"), where, f"'low' of {name!r}"),
                high=_number(opts.get("high"), where, f"'high' of {name!r}"),
            )
        )
    return tuple(out)


def _objectives(raw: object, where: str) -> tuple[Objective, ...]:
    if not isinstance(raw, dict) or not raw:
        raise DataError(
            f"{where}: 'objectives' must map each objective column to its direction, "
            'e.g. {"valid_error": "minimize"}'
        )
    out = []
    for name, direction in raw.items():
        try:
            out.append(Objective(name=name, direction=Direction(direction)))
        except ValueError:
            raise DataError(
                f"{where}: objective {name!r} has direction {direction!r}; use 'minimize' or 'maximize'"
            ) from None
    return tuple(out)


def read_meta(folder: Path) -> TableMeta:
    """Read and check ``folder/meta.json``.

    Raises:
        DataError: The file is missing, not JSON, or not a valid meta object.
    """
    return TableMeta.from_json(read_raw(folder), where=str(folder / META_FILE))


def read_raw(folder: Path) -> Any:
    """The parsed JSON of ``folder/meta.json``.

    Raises:
        DataError: The file is missing or not JSON.
    """
    path = folder / META_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(
            f"{str(path)!r} is missing: a table folder needs a meta.json "
            "(write a starting one with `hpobench table init FILE`)"
        ) from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{str(path)!r} is not readable JSON: {exc}") from exc
    return raw


def check_family_name(name: str, *, where: str, shipped: Sequence[str]) -> None:
    """Refuse a folder name that cannot be a family name or that a shipped family already has.

    Raises:
        DataError: The name is not ``[A-Za-z0-9_][A-Za-z0-9_.-]*`` or collides with ``shipped``.
    """
    if not _NAME.match(name):
        raise DataError(
            f"{where}: {name!r} cannot be a benchmark family name (use letters, digits, '_', '.', '-')"
        )
    if name in shipped:
        raise DataError(
            f"{where}: the folder name {name!r} collides with the installed benchmark family {name!r}; "
            "rename the folder"
        )


def guess_meta(columns: Mapping[str, str], *, provenance: str) -> TableMeta:
    """A starting meta for a table with ``columns`` (name -> 'numeric' or 'text'), to be edited.

    Guesses by name: ``epoch``/``step``/``iteration``/``budget``/``fidelity`` is the fidelity,
    ``seed``/``repeat``/``run`` the seed, ``time``/``cost``/``seconds``/``runtime`` the cost, names
    with ``loss``/``error``/``mse``/``rmse`` minimised and ``acc``/``accuracy``/``auc``/``f1``/``score``
    maximised objectives; every other column is a hyperparameter.
    """
    roles: dict[str, list[str]] = {"fidelity": [], "seed": [], "cost": []}
    objectives: list[Objective] = []
    hps: list[HyperparameterMeta] = []
    patterns = {
        "fidelity": r"epoch|step|iteration|budget|fidelity",
        "seed": r"^(seed|repeat|run)$",
        "cost": r"time|cost|seconds|runtime",
    }
    for name, kind in columns.items():
        low = name.lower()
        role = next((r for r, p in patterns.items() if re.search(p, low) and kind == "numeric"), None)
        if role is not None and not roles[role]:
            roles[role].append(name)
        elif kind == "numeric" and re.search(r"loss|error|mse|rmse", low):
            objectives.append(Objective(name=name, direction=Direction.MINIMIZE))
        elif kind == "numeric" and re.search(r"acc|auc|f1|score", low):
            objectives.append(Objective(name=name, direction=Direction.MAXIMIZE))
        else:
            hps.append(HyperparameterMeta(name=name))
    return TableMeta(
        hyperparameters=tuple(hps),
        objectives=tuple(objectives),
        fidelity=roles["fidelity"][0] if roles["fidelity"] else None,
        cost=roles["cost"][0] if roles["cost"] else None,
        seed=roles["seed"][0] if roles["seed"] else None,
        provenance=provenance,
    )
