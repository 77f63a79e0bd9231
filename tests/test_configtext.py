"""Config texts: the column-wise Arrow path writes exactly what the JSON encoder writes."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from hpobench.execution import configtext
from hpobench.execution.configtext import config_json, config_texts, configs_json


@pytest.fixture(autouse=True, params=["columns", "encoder"])
def _path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test takes both paths: Arrow's column formatting (even for a few configurations)
    and the JSON encoder one by one (even for many)."""
    monkeypatch.setattr(configtext, "_FEW_CONFIGS", 0 if request.param == "columns" else 10**9)


def _encoded(configs: list[dict[str, Any]]) -> list[str]:
    return [json.dumps(c, sort_keys=True, separators=(",", ":"), default=float) for c in configs]


def test_a_negative_zero_behind_an_equal_positive_zero_keeps_its_sign() -> None:
    configs: list[dict[str, Any]] = [{"a": 0.0, "b": 1.0}, {"a": -0.0, "b": 1.0}, {"a": 0.0, "b": 1.0}]
    assert (
        configs_json(configs)
        == _encoded(configs)
        == ['{"a":0.0,"b":1.0}', '{"a":-0.0,"b":1.0}', '{"a":0.0,"b":1.0}']
    )


def test_repeated_and_mixed_groups_keep_the_order_of_the_configurations() -> None:
    rng = np.random.default_rng(3)
    base = [{"x": float(v), "y": float(w)} for v, w in rng.uniform(-5, 5, (50, 2))]
    configs: list[dict[str, Any]] = []
    for i in range(400):  # repeats (promotions), other name orders, ints, NaN, strings, empty
        kind = i % 7
        if kind == 0:
            configs.append({"y": base[i % 50]["y"], "x": base[i % 50]["x"]})
        elif kind == 1:
            configs.append({"x": i, "y": 0.5})
        elif kind == 2:
            configs.append({"x": math.nan if i % 2 else math.inf, "y": 1.0})
        elif kind == 3:
            configs.append({"op": f"conv{i % 3}", "x": 1.25})
        elif kind == 4:
            configs.append({})
        else:
            configs.append(dict(base[(i * 7) % 50]))
    expected = _encoded(configs)
    assert configs_json(configs) == expected == [config_json(c) for c in configs]
    texts = config_texts(configs)
    assert texts.type == pa.string()
    assert len(texts) == len(configs)


def test_one_float_space_with_repeats_gives_one_text_per_configuration() -> None:
    rng = np.random.default_rng(4)
    distinct = [dict(zip("abc", row, strict=True)) for row in np.exp(rng.normal(0, 8, (300, 3))).tolist()]
    configs = [distinct[j] for j in rng.integers(0, 300, 2000).tolist()]
    assert configs_json(configs) == _encoded(configs)
    series = pd.Series(pd.arrays.ArrowStringArray(config_texts(configs)), dtype="string")
    pd.testing.assert_series_equal(series, pd.Series(_encoded(configs), dtype="string"))


def test_configurations_alike_in_their_first_value_keep_their_own_texts() -> None:
    """The first value alone does not tell these apart: the value tuples decide (with a repeat or without)."""
    distinct: list[dict[str, Any]] = [{"a": float(i % 3), "b": i / 7, "c": -1e-5 * i} for i in range(90)]
    assert configs_json(distinct) == _encoded(distinct)
    repeated = [*distinct, dict(distinct[4]), {"a": 1.0, "b": 4 / 7, "c": -4e-5}]
    assert configs_json(repeated) == _encoded(repeated)
    signed = [*distinct, {"a": 0.0, "b": 1.0, "c": -0.0}]  # -0.0 in a later column
    assert configs_json(signed) == _encoded(signed)


def test_configurations_of_equal_length_with_other_names_or_orders_are_encoded_as_json() -> None:
    """The one-group fast path takes the first configuration's names: any other name falls back."""
    rng = np.random.default_rng(5)
    rows = rng.uniform(-3, 3, (60, 2)).tolist()
    swapped: list[dict[str, Any]] = [
        {"a": x, "b": y} if i % 3 else {"b": y, "a": x} for i, (x, y) in enumerate(rows)
    ]
    assert configs_json(swapped) == _encoded(swapped)
    renamed: list[dict[str, Any]] = [dict(c) for c in swapped]
    renamed[7] = {"a": rows[7][0], "c": rows[7][1]}  # same length, another name
    renamed[31] = {"c": 1.5, "d": 2.5}
    assert configs_json(renamed) == _encoded(renamed)
    shorter: list[dict[str, Any]] = [*swapped[:10], {"a": 1.0}, *swapped[10:20]]
    assert configs_json(shorter) == _encoded(shorter)


def test_names_that_need_escaping_or_hold_format_characters_are_written_as_json() -> None:
    names = ["%r", "50%", 'q"uote', "é", "{x}", "back\\slash", "tab\t"]
    rng = np.random.default_rng(8)
    configs: list[dict[str, Any]] = [
        dict(zip(names, row, strict=True)) for row in rng.normal(0, 1e3, (40, len(names))).tolist()
    ]
    configs[3]["%r"] = -0.0
    configs[4] = {**configs[5], "50%": 1e-7}
    assert configs_json(configs) == _encoded(configs)
    configs[6]["é"] = math.inf  # the encoder's own text: the group goes to it
    assert configs_json(configs) == _encoded(configs)


def test_no_configurations_give_an_empty_string_array() -> None:
    assert config_texts([]).type == pa.string()
    assert configs_json([]) == []


def test_float_texts_equal_repr_at_every_exponent_and_its_boundaries() -> None:
    rng = np.random.default_rng(6)
    n = 100_000
    edges = np.array([1e-4, 1e-5, 1e-6, 1e-7, 1e15, 1e16, 1e17, 1e21, 5e-324, 1e308])
    values = np.concatenate(
        [
            np.exp(rng.uniform(-745.0, 709.0, n)) * rng.choice([-1.0, 1.0], n),
            np.nextafter(np.repeat(edges, 50), np.tile([0.0, np.inf], 250)),
            edges,
            [1.7976931348623157e308, -0.0 + 0.0],
            np.round(rng.uniform(-1e6, 1e6, 1000), 3),
            [1.2345e-8, -1.5e-7, 2.0, 100.0, 0.1],
        ]
    )
    configs = [{"v": v} for v in values.tolist()]
    assert configs_json(configs) == [f'{{"v":{float.__repr__(v)}}}' for v in values.tolist()]
