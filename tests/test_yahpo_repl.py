"""YAHPO's fixed parameters (rbv2's ``repl``) set per configuration, against yahpo-gym's outputs.

``tests/data/yahpo_repl_reference.json`` holds yahpo-gym 1.0.2's outputs for 24 configurations of
one instance per rbv2 scenario at every ``repl`` from 1 to 10 (``benchmarks/yahpo_reference.py
--repl``, run in a separate environment: yahpo-gym pins ConfigSpace 0.6 and numpy 1.26).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.types import Trial
from hpobench.surrogates import yahpo

REFERENCE = Path(__file__).parent / "data" / "yahpo_repl_reference.json"
pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def cases() -> list[dict[str, Any]]:
    return list(json.loads(REFERENCE.read_text())["cases"])


def test_every_repl_equals_yahpo_gym(data_dir: Path, cases: list[dict[str, Any]]) -> None:
    assert {c["scenario"] for c in cases} == {"rbv2_xgboost", "rbv2_rpart"}
    for case in cases:
        bench = yahpo.load_yahpo(case["scenario"], case["instance"], data_dir=data_dir)
        configs = case["configs"]
        assert sorted({c["repl"] for c in configs}) == list(range(1, 11))
        expected = np.asarray(case["outputs"], dtype=np.float32)
        got = bench.predict(configs, np.full(len(configs), case["trainsize"]))
        np.testing.assert_array_equal(got.astype(np.float32), expected, err_msg=case["scenario"])
        # the replications differ, so the comparison says something
        acc = expected[:, case["y_names"].index("acc")].reshape(-1, 10)
        assert (acc.max(axis=1) > acc.min(axis=1)).all()
        trials = [Trial(config=c, fidelity=case["trainsize"]) for c in configs[:20]]
        values = [e.values["acc"] for e in bench.evaluate(trials, seed=0)]
        np.testing.assert_array_equal(np.float32(values), expected[:20, case["y_names"].index("acc")])


def test_omitted_repl_is_the_fixed_default(data_dir: Path, cases: list[dict[str, Any]]) -> None:
    case = cases[0]
    bench = yahpo.load_yahpo(case["scenario"], case["instance"], data_dir=data_dir)
    with_10 = [c for c in case["configs"] if c["repl"] == 10]
    without = [{k: v for k, v in c.items() if k != "repl"} for c in with_10]
    high = np.full(len(with_10), 0.5)
    np.testing.assert_array_equal(bench.predict(without, high), bench.predict(with_10, high))
    assert "repl" not in list(bench.task.space.keys())
    assert all("repl" not in c for c in bench.codec.sample(np.random.default_rng(0), 20))


def test_bad_repl_values_are_clear_errors(data_dir: Path, cases: list[dict[str, Any]]) -> None:
    case = cases[1]
    bench = yahpo.load_yahpo(case["scenario"], case["instance"], data_dir=data_dir)
    good = dict(case["configs"][0])
    for value in (3, 3.0, np.int64(3)):
        bench.evaluate([Trial(config={**good, "repl": value})], seed=0)
    for value in (0, 11, 2.5, "3", True, None, float("nan")):
        with pytest.raises(InvalidConfigError, match=r"fixed parameter 'repl' .*integer in \[1, 10\]"):
            bench.evaluate([Trial(config={**good, "repl": value})], seed=0)
    lcbench = yahpo.load_yahpo("lcbench", "3945", data_dir=data_dir)
    config = {**lcbench.codec.sample(np.random.default_rng(0), 1)[0], "repl": 3}
    with pytest.raises(InvalidConfigError, match="unknown hyperparameter"):
        lcbench.evaluate([Trial(config=config)], seed=0)


def test_the_codec_keeps_fixed_parameters_through_pickling(
    data_dir: Path, cases: list[dict[str, Any]]
) -> None:
    case = cases[0]
    bench = yahpo.load_yahpo(case["scenario"], case["instance"], data_dir=data_dir)
    codec = pickle.loads(pickle.dumps(bench.codec))
    codec.validate(case["configs"][0])
    with pytest.raises(InvalidConfigError, match="fixed parameter 'repl'"):
        codec.validate({**case["configs"][0], "repl": 12})
