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
    rewritten by substring operations (no regular expressions) where ``repr`` writes an
    exponent (``|value| < 1e-4`` or ``>= 1e16``): two exponent digits at least (``e-8`` ->
    ``e-08``) and Arrow's fixed notation down to ``1e-7`` as an exponent (``0.00001`` ->
    ``1e-05``). ``repr`` is called for the rest (integral values, zeros, any text of another shape).
    """
    texts = pa.array(values, type=pa.float64()).cast(pa.string())
    magnitude = np.abs(values)
    if bool(((magnitude >= 1e-4) & (magnitude < 1e16)).all()) and _points_and_no_exponents(texts):
        return texts  # the common case: every text is fixed notation with a point, as repr's
    exponent = pc.match_substring(texts, "e").to_numpy(zero_copy_only=False)
    fixed = ~exponent & pc.match_substring(texts, ".").to_numpy(zero_copy_only=False)
    fixed &= (magnitude >= 1e-4) & (magnitude < 1e16)
    exponent &= (magnitude < 1e-4) | (magnitude >= 1e16)
    if exponent.any():
        texts = _two_digit_exponents(texts, exponent)
    small = ~exponent & (magnitude < 1e-4) & (magnitude > 0.0)  # Arrow: "0.00001", repr: "1e-05"
    if small.any():
        texts = _small_fixed_as_exponent(texts, small)
        exponent |= small & pc.match_substring(texts, "e").to_numpy(zero_copy_only=False)
    other = ~(fixed | exponent)
    if other.any():
        reprs = [float.__repr__(v) for v in values[other].tolist()]
        texts = pc.replace_with_mask(texts, pa.array(other), pa.array(reprs, type=pa.string()))
    return texts


def _points_and_no_exponents(texts: pa.Array) -> bool:
    """Whether every text holds a decimal point and none an ``e``, read from the string bytes at once.

    A float's text holds one point at most, so as many points as texts means one in each.
    """
    if not len(texts):
        return True
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32, count=len(texts) + 1, offset=4 * texts.offset)
    data = np.frombuffer(texts.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return np.count_nonzero(data == ord(".")) == len(texts) and not np.count_nonzero(data == ord("e"))


_SIGNS = pa.array(["-", "+"])
_NONZERO_DIGITS = pa.array(list("123456789"))


def _two_digit_exponents(texts: pa.Array, selected: np.ndarray) -> pa.Array:
    """``texts`` with a one-digit exponent of the entries selected by ``selected`` written with two.

    ``1e-8`` -> ``1e-08``, ``1e+5`` -> ``1e+05``: substring replacement of ``e-``/``e+`` on the
    entries whose text ends in ``e``, a sign and one digit (no regular expression).
    """
    mask = pa.array(selected)
    picked = texts.filter(mask)
    one_digit = pc.and_(
        pc.equal(pc.utf8_slice_codeunits(picked, start=-3, stop=-2), "e"),
        pc.and_(
            pc.is_in(pc.utf8_slice_codeunits(picked, start=-2, stop=-1), value_set=_SIGNS),
            pc.utf8_is_digit(pc.utf8_slice_codeunits(picked, start=-1)),
        ),
    )
    padded = pc.replace_substring(pc.replace_substring(picked, "e-", "e-0"), "e+", "e+0")
    return pc.replace_with_mask(texts, mask, pc.if_else(one_digit, padded, picked))


def _small_fixed_as_exponent(texts: pa.Array, small: np.ndarray) -> pa.Array:
    """``texts`` with the fixed-notation entries selected by ``small`` rewritten as exponents.

    Arrow's fixed notation of ``1e-7 <= |value| < 1e-4`` becomes ``repr``'s exponent notation:
    ``[-]0.`` with 4, 5 or 6 zeros, a digit 1-9 and further digits (possibly none) becomes
    ``[-]d[.digits]e-05`` (``-06``, ``-07``), by slicing at the known positions. An entry of
    another shape stays as it is (without an ``e``), so the caller can see it and ask ``repr``
    instead.
    """
    mask = pa.array(small)
    picked = texts.filter(mask)
    negative = pc.starts_with(picked, "-")
    body = pc.if_else(negative, pc.utf8_slice_codeunits(picked, start=1), picked)
    out = body
    for zeros in (4, 5, 6):
        prefix = "0." + "0" * zeros
        first = pc.utf8_slice_codeunits(body, start=len(prefix), stop=len(prefix) + 1)
        rest = pc.utf8_slice_codeunits(body, start=len(prefix) + 1)
        has_rest = pc.greater(pc.utf8_length(rest), 0)
        shape = pc.and_(
            pc.and_(pc.starts_with(body, prefix), pc.is_in(first, value_set=_NONZERO_DIGITS)),
            pc.or_(pc.invert(has_rest), pc.utf8_is_digit(rest)),
        )
        if not pc.any(shape).as_py():
            continue
        written = pc.binary_join_element_wise(
            first, pc.if_else(has_rest, ".", ""), rest, f"e-{zeros + 1:02d}", ""
        )
        out = pc.if_else(shape, written, out)
    out = pc.if_else(negative, pc.binary_join_element_wise("-", out, ""), out)
    return pc.replace_with_mask(texts, mask, out)


def _float_group(configs: Sequence[Mapping[str, Any]], names: tuple[Any, ...]) -> pa.Array | None:
    """Texts of configurations that all have exactly ``names``, ``None`` unless all floats.

    ``None`` too when a value is not finite or is a negative zero (NaN/inf are written
    differently; ``-0.0`` equals ``0.0`` as a dictionary key, so it would share ``0.0``'s text).
    The texts list the names sorted whatever their order in a configuration.

    Raises:
        KeyError: A configuration lacks one of ``names`` (one of the same length then names
            another hyperparameter).
    """
    if not names or set(map(type, names)) != {str}:
        return None
    columns = [list(map(itemgetter(name), configs)) for name in names]
    if any(set(map(type, column)) != _FLOAT for column in columns):
        return None
    n = len(configs)
    every = table = np.array(columns, dtype=float).T
    rows: list[tuple[Any, ...]] | None = None  # the value tuples, built only when some may repeat
    if _repeats(every[:, 0]):  # else the first value alone tells every configuration apart
        rows = list(zip(*columns, strict=True))
        distinct = list(dict.fromkeys(rows))
        if len(distinct) == n:
            rows = None  # no two alike: the texts are in the configurations' order already
        else:
            table = np.array(distinct, dtype=float).reshape(len(distinct), len(names))
    if not np.isfinite(table).all():
        return None
    # a -0.0 equals 0.0 as a set member and a dictionary key, so it would share 0.0's text
    if (table == 0.0).any() and (np.signbit(every) & (every == 0.0)).any():
        return None
    # every value formatted in one call, column after column (Arrow's calls cost a fixed time each)
    order = sorted(range(len(names)), key=names.__getitem__)
    values = _float_texts(table[:, order].T.reshape(-1))
    m = len(table)
    parts: list[Any] = []
    for k, j in enumerate(order):
        parts += [("{" if k == 0 else ",") + json.dumps(names[j]) + ":", values.slice(k * m, m)]
    texts = pc.binary_join_element_wise(*parts, "}", "")  # the last argument is the separator
    if rows is None:
        return texts
    slot = {row: i for i, row in enumerate(distinct)}
    return texts.take(pa.array(list(map(slot.__getitem__, rows)), type=pa.int64()))


def _repeats(values: np.ndarray) -> bool:
    """Whether two entries of the 1-d array are equal (``==``: NaN equals nothing, -0.0 equals 0.0)."""
    ordered = np.sort(values)
    return bool((ordered[1:] == ordered[:-1]).any())


def config_texts(configs: Sequence[Mapping[str, Any]]) -> pa.Array:
    """:func:`config_json` of each configuration, as one Arrow string array in the same order.

    Configurations are grouped by their hyperparameter names (in order; when all have the first
    one's names, in any order, they form one group); a group whose values are all finite Python
    floats (no negative zero) is formatted column by column in Arrow, each distinct value tuple
    once; the others are encoded one by one. A configuration object that occurs several times
    (trials of one configuration sharing it) is formatted once.
    """
    ids = np.fromiter(map(id, configs), dtype=np.uint64, count=len(configs))  # alive for the call
    if _repeats(ids):
        _, first, where = np.unique(ids, return_index=True, return_inverse=True)
        distinct = list(map(configs.__getitem__, first.tolist()))
        return _distinct_texts(distinct).take(pa.array(where.reshape(-1).astype(np.int64)))
    return _distinct_texts(configs)


_FEW_CONFIGS = 64
"""Below this many configurations, each is encoded by :func:`config_json` (no column formatting).

The column-wise Arrow formatting costs a fixed 0.2-0.6 ms a call (2 and 6 float hyperparameters),
the encoder 6-10 us a configuration; they broke even at 64 configurations (measured on the 2-core
development machine, 2026-12-07). Both give the same texts.
"""


def _distinct_texts(configs: Sequence[Mapping[str, Any]]) -> pa.Array:
    """:func:`config_texts` of distinct configuration objects."""
    n = len(configs)
    if n < _FEW_CONFIGS:
        return pa.array(list(map(config_json, configs)), type=pa.string())
    if n:  # the common case: every configuration has the first one's names (in any order)
        names = tuple(configs[0])
        if not any(map(len(names).__ne__, map(len, configs))):
            try:
                texts = _float_group(configs, names)
            except KeyError:  # a configuration names another hyperparameter: group them below
                pass
            else:
                if texts is None:
                    texts = pa.array(list(map(config_json, configs)), type=pa.string())
                return texts
    keys = list(map(tuple, configs))
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
