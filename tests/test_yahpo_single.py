"""YAHPO fast paths: single queries (the batch answers, bit for bit) and batch validation by columns."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_space_columns import odd_batches
from test_yahpo import GOOD_XGBOOST

from hpobench.contracts.errors import InvalidConfigError, InvalidFidelityError
from hpobench.contracts.types import Evaluation, Trial
from hpobench.surrogates import yahpo

pytestmark = pytest.mark.data

INSTANCES = {"lcbench": "3945", "rbv2_xgboost": "12", "rbv2_rpart": "40499", "iaml_glmnet": "1489"}


def _same(a: Evaluation, b: Evaluation) -> bool:
    """Equal evaluations, NaN equal to NaN and -0.0 told from 0.0 (every number bit for bit)."""

    def bits(values: Any) -> list[tuple[str, bytes]]:
        return [(k, np.float64(v).tobytes()) for k, v in sorted(values.items())]

    return (
        a.trial == b.trial
        and a.status == b.status
        and np.float64(a.cost).tobytes() == np.float64(b.cost).tobytes()
        and bits(a.values) == bits(b.values)
        and bits(a.extras) == bits(b.extras)
    )


def _trials(bench: yahpo.YahpoBenchmark, n: int, seed: int) -> list[Trial]:
    rng = np.random.default_rng(seed)
    fid = bench.task.fidelity
    assert fid is not None
    configs = bench.codec.sample(rng, n)
    if fid.integer:
        fids: list[float | None] = [float(f) for f in rng.integers(int(fid.low), int(fid.high) + 1, n)]
    else:
        fids = rng.uniform(fid.low, fid.high, n).tolist()
    fids[0] = None  # the maximal fidelity
    return [Trial(config=c, fidelity=f) for c, f in zip(configs, fids, strict=True)]


@pytest.mark.parametrize("scenario", sorted(INSTANCES))
def test_single_queries_equal_the_batch_bit_for_bit(data_dir: Path, scenario: str) -> None:
    bench = yahpo.load_yahpo(scenario, INSTANCES[scenario], data_dir=data_dir)
    trials = _trials(bench, 40, seed=7)
    if scenario.startswith("rbv2"):  # a fixed parameter set by the configuration
        trials.append(Trial(config={**trials[1].config, "repl": 3}, fidelity=0.5))
    # numpy scalars where the space allows them (the full check's path)
    numeric = {k: np.float64(v) for k, v in trials[2].config.items() if type(v) is float}
    trials.append(Trial(config={**trials[2].config, **numeric}, fidelity=trials[2].fidelity))
    batch = bench.evaluate(trials, seed=0)
    singles = [bench.evaluate([t], seed=5)[0] for t in trials]
    assert all(_same(a, b) for a, b in zip(singles, batch, strict=True))
    # the rows the single path feeds the model are the batch encoding's rows
    encoder = bench._encoder
    fids = bench.check_trials(trials)
    x_cat, x_cont = encoder.encode([t.config for t in trials], fids)
    for i, trial in enumerate(trials):
        cat, cont = encoder.encode_row(trial.config, float(fids[i]))
        assert np.array_equal(np.array(cat, dtype=np.int32), x_cat[i])
        assert np.array_equal(np.array(cont, dtype=np.float64).astype(np.float32), x_cont[i])


class _FixedOutputs:
    """A stand-in onnxruntime session whose every row is the same chosen output row."""

    def __init__(self, row: list[float]) -> None:
        self.row = np.asarray(row, dtype=np.float32)

    def run(self, _names: Any, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        n = next(iter(feed.values())).shape[0]
        return [np.tile(self.row, (n, 1))]


@pytest.mark.parametrize(
    "special",
    [math.nan, math.inf, -math.inf, -0.0, 0.0, -3.5, 1e-40],
    ids=["nan", "inf", "-inf", "-0", "0", "negative", "subnormal"],
)
def test_special_outputs_are_handled_as_the_batch_handles_them(data_dir: Path, special: float) -> None:
    """Non-finite objectives fail, costs are clipped at 0 (+0.0, as numpy's maximum gives), extras kept."""
    real = yahpo.load_yahpo("rbv2_xgboost", "12", data_dir=data_dir)
    n_out = real._data.model.n_outputs
    for column in (real._objective, real._cost, real._extra_cols[-1]):
        row = [0.25 + j for j in range(n_out)]
        row[column] = special
        model = replace(real._data.model, session=_FixedOutputs(row))
        bench = yahpo.YahpoBenchmark(
            scenario=real.scenario,
            instance=real.instance,
            data=replace(real._data, model=model),
            reference=real.optimum(),
        )
        trials = _trials(bench, 3, seed=1)
        batch = bench.evaluate(trials, seed=0)
        singles = [bench.evaluate([t], seed=0)[0] for t in trials]
        assert all(_same(a, b) for a, b in zip(singles, batch, strict=True)), (column, special)


def test_single_query_errors(data_dir: Path) -> None:
    bench = yahpo.load_yahpo("lcbench", "3945", data_dir=data_dir)
    good = bench.codec.sample(np.random.default_rng(0), 1)[0]
    with pytest.raises(InvalidConfigError):
        bench.evaluate([Trial(config={**good, "momentum": 7.0})], seed=0)
    with pytest.raises(InvalidConfigError):
        bench.evaluate([Trial(config={**good, "momentum": True})], seed=0)
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config=good, fidelity=60.0)], seed=0)
    with pytest.raises(ValueError, match="seed"):
        bench.evaluate([Trial(config=good)], seed=-1)
    model = bench._data.model
    with pytest.raises(ValueError, match="a row has"):
        model.call_one([0], [0.5])  # one code and one number broadcast silently without the check


BAD_OR_SLOW = [
    ({"alpha": True}, True),  # a boolean is not a number
    ({"nrounds": 100.5}, True),
    ({"nrounds": 100_000}, True),  # out of range
    ({"nrounds": 0}, True),
    ({"subsample": 1.5}, True),
    ({"alpha": -1.0}, True),
    ({"alpha": float("nan")}, True),
    ({"alpha": float("inf")}, True),
    ({"booster": ["gblinear"]}, True),  # unhashable parent value
    ({"booster": "lightgbm"}, True),  # not a choice
    ({"booster": "gbtree"}, True),  # its active children missing
    ({"eta": 0.1}, True),  # inactive for gblinear
    ({"num.impute.selected.cpo": 3}, True),
    ({"task_id": "12"}, True),  # the instance is not a hyperparameter
    ({"alpha": np.float64(1.0)}, False),  # valid, but only the full check accepts numpy scalars
    ({"subsample": 1}, False),  # an int for a float: valid, the full check's
    ({"repl": 3}, False),  # a fixed parameter: valid, the full check's
]


@pytest.mark.parametrize(("change", "invalid"), BAD_OR_SLOW, ids=[str(sorted(c)) for c, _ in BAD_OR_SLOW])
def test_batch_validation_by_columns_never_passes_what_the_full_check_refuses(
    data_dir: Path, change: dict[str, Any], invalid: bool
) -> None:
    bench = yahpo.load_yahpo("rbv2_xgboost", "12", data_dir=data_dir)
    codec = bench.codec
    configs = codec.sample(np.random.default_rng(3), 60)  # every booster, so several column groups
    assert len({c["booster"] for c in configs}) == 3
    for where, batch in odd_batches(codec, configs, {**GOOD_XGBOOST, **change}, (0, 31, 59)):
        trials = [Trial(config=c, fidelity=0.5) for c in batch]
        if invalid:
            with pytest.raises(InvalidConfigError):
                bench.evaluate(trials, seed=0)
            with pytest.raises(InvalidConfigError):
                bench.predict(batch, np.full(len(batch), 0.5))
        else:
            batch_answers = bench.evaluate(trials, seed=0)
            assert _same(batch_answers[where], bench.evaluate([trials[where]], seed=0)[0])


@pytest.mark.parametrize("scenario", sorted(INSTANCES))
def test_batch_validation_by_columns_passes_valid_batches(data_dir: Path, scenario: str) -> None:
    codec = yahpo.load_yahpo(scenario, INSTANCES[scenario], data_dir=data_dir).codec
    configs = codec.sample(np.random.default_rng(4), 200)
    assert codec.all_valid(configs)
    assert not codec.all_valid([])
    assert not codec.all_valid([*configs[:5], [("a", 1)]])  # not a mapping
    name = next(iter(configs[0]))
    assert not codec.all_valid([*configs[:5], {k: v for k, v in configs[0].items() if k != name}])
