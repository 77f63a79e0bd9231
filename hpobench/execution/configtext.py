"""JSON texts of configurations, as the result table's ``config`` column stores them.

A configuration's text is ``json.dumps(dict(config), sort_keys=True, separators=(",", ":"),
default=float)`` (:func:`config_json`). :func:`config_texts` gives the same texts for a whole
run at once, as one Arrow string array: configurations whose values are all finite Python
floats are formatted column by column in Arrow, each distinct value tuple once; any other
configuration goes through the JSON encoder. The texts are equal either way (tests check it).

Imports only numpy and pyarrow; the runner builds its result table with it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["config_json", "config_texts", "configs_json"]

_CONFIG_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=float)
_FLOAT = frozenset({float})


def config_json(config: Mapping[str, Any]) -> str:
    """The JSON text of one configuration (sorted keys, no spaces, numpy scalars as floats)."""
    return _CONFIG_ENCODER.encode(dict(config))


def _float_texts(values: np.ndarray) -> pa.Array:
    """``repr`` of each float of a 1-d array (its JSON text), formatted by Arrow where possible.

    Arrow writes the shortest round-trip digits as ``repr`` does, but places the decimal point
    and writes exponents by other rules. Its text is taken as it is for fixed notation with a
    decimal point at ``1e-4 <= |value| < 1e16`` (where ``repr`` writes fixed notation too);
    rewritten by patterns where ``repr`` writes an exponent (``|value| < 1e-4`` or
    ``>= 1e16``): two exponent digits at least (``e-8`` -> ``e-08``) and Arrow's fixed
    notation down to ``1e-7`` as an exponent (``0.00001`` -> ``1e-05``). ``repr`` is called for
    the rest (integral values, zeros, anything no pattern matched).
    """
    texts = pa.array(values, type=pa.float64()).cast(pa.string())
    magnitude = np.abs(values)
    exponent = pc.match_substring(texts, "e").to_numpy(zero_copy_only=False)
    fixed = ~exponent & pc.match_substring(texts, ".").to_numpy(zero_copy_only=False)
    fixed &= (magnitude >= 1e-4) & (magnitude < 1e16)
    exponent &= (magnitude < 1e-4) | (magnitude >= 1e16)
    if exponent.any():
        texts = pc.replace_substring_regex(texts, pattern=r"e([+-])(\d)$", replacement=r"e\10\2")
    small = ~exponent & (magnitude < 1e-4) & (magnitude > 0.0)  # Arrow: "0.00001", repr: "1e-05"
    if small.any():
        texts = _small_fixed_as_exponent(texts, small)
        exponent |= small & pc.match_substring(texts, "e").to_numpy(zero_copy_only=False)
    other = ~(fixed | exponent)
    if other.any():
        reprs = [float.__repr__(v) for v in values[other].tolist()]
        texts = pc.replace_with_mask(texts, pa.array(other), pa.array(reprs, type=pa.string()))
    return texts


_SMALL = tuple(
    (rf"^(-?)0\.{zeros}([1-9]){rest}$", rf"\1\2{point}e-{len(zeros) + 1:02d}")
    for zeros in ("0000", "00000", "000000")
    for rest, point in (("", ""), (r"(\d+)", r".\3"))
)
"""Arrow's fixed notation of ``1e-7 <= |value| < 1e-4`` rewritten as ``repr``'s exponent notation."""


def _small_fixed_as_exponent(texts: pa.Array, small: np.ndarray) -> pa.Array:
    """``texts`` with the fixed-notation entries selected by ``small`` rewritten as exponents.

    An entry that none of the patterns matches stays as it is (without an ``e``), so the
    caller can see it and ask ``repr`` instead.
    """
    mask = pa.array(small)
    picked = texts.filter(mask)
    for pattern, replacement in _SMALL:
        picked = pc.replace_substring_regex(picked, pattern=pattern, replacement=replacement)
    return pc.replace_with_mask(texts, mask, picked)


def _float_group(configs: Sequence[Mapping[str, Any]], names: tuple[Any, ...]) -> pa.Array | None:
    """Texts of configurations that all have ``names`` (in that order), ``None`` unless all floats.

    ``None`` too when a value is not finite or is a negative zero (NaN/inf are written
    differently; ``-0.0`` equals ``0.0`` as a dictionary key, so it would share ``0.0``'s text).
    """
    if not names or set(map(type, names)) != {str}:
        return None
    if len(names) == 1:
        rows: list[tuple[Any, ...]] = [(config[names[0]],) for config in configs]
    else:
        rows = list(map(itemgetter(*names), configs))
    if set(map(type, chain.from_iterable(rows))) != _FLOAT:
        return None
    distinct = list(dict.fromkeys(rows))
    table = np.array(distinct, dtype=float).reshape(len(distinct), len(names))
    if not np.isfinite(table).all():
        return None
    if (table == 0.0).any():  # a -0.0 may hide behind an equal 0.0 key: look at every row
        every = np.array(rows, dtype=float)
        if (np.signbit(every) & (every == 0.0)).any():
            return None
    parts: list[Any] = []
    for k, j in enumerate(sorted(range(len(names)), key=names.__getitem__)):
        parts += [("{" if k == 0 else ",") + json.dumps(names[j]) + ":", _float_texts(table[:, j])]
    texts = pc.binary_join_element_wise(*parts, "}", "")  # the last argument is the separator
    if len(distinct) == len(rows):
        return texts
    slot = {row: i for i, row in enumerate(distinct)}
    return texts.take(pa.array(list(map(slot.__getitem__, rows)), type=pa.int64()))


def config_texts(configs: Sequence[Mapping[str, Any]]) -> pa.Array:
    """:func:`config_json` of each configuration, as one Arrow string array in the same order.

    Configurations are grouped by their hyperparameter names (in order); a group whose values
    are all finite Python floats (no negative zero) is formatted column by column in Arrow,
    each distinct value tuple once; the others are encoded one by one.
    """
    n = len(configs)
    keys = list(map(tuple, configs))
    if n and keys.count(keys[0]) == n:  # the common case: one space, every name present
        texts = _float_group(configs, keys[0])
        if texts is None:
            texts = pa.array(list(map(config_json, configs)), type=pa.string())
        return texts
    groups: dict[tuple[Any, ...], list[int]] = {}
    for i, names in enumerate(keys):
        groups.setdefault(names, []).append(i)
    pieces: list[pa.Array] = []
    where = np.empty(n, dtype=np.int64)  # position of each configuration's text in the pieces
    start = 0
    for names, rows in groups.items():
        members = [configs[i] for i in rows]
        texts = _float_group(members, names)
        if texts is None:
            texts = pa.array(list(map(config_json, members)), type=pa.string())
        pieces.append(texts)
        where[rows] = np.arange(start, start + len(rows))
        start += len(rows)
    if not pieces:
        return pa.array([], type=pa.string())
    return pa.concat_arrays(pieces).take(pa.array(where))


def configs_json(configs: Sequence[Mapping[str, Any]]) -> list[str]:
    """:func:`config_texts` as a list of Python strings."""
    return list(config_texts(configs).to_pylist())
