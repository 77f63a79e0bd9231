"""The YAHPO Gym adapter: equality with yahpo-gym, every instance, stored optima, bad input."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from hpobench.contracts.errors import DataError, InvalidConfigError, InvalidFidelityError, UnknownNameError
from hpobench.contracts.types import Trial
from hpobench.data import registry
from hpobench.data.datadir import data_verification
from hpobench.surrogates import _onnx, yahpo
from hpobench.surrogates._yahpo_optima import OPTIMA

REFERENCE = Path(__file__).parent / "data" / "yahpo_reference.json"
pytestmark = pytest.mark.data


GOOD_XGBOOST = {
    "alpha": 1.0,
    "booster": "gblinear",
    "lambda": 1.0,
    "nrounds": 100,
    "num.impute.selected.cpo": "impute.mean",
    "subsample": 0.5,
}
"""A valid rbv2_xgboost configuration (gblinear: the tree hyperparameters are inactive)."""


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    return dict(json.loads(REFERENCE.read_text()))


def _case_id(case: dict[str, Any]) -> str:
    return f"{case['scenario']}-{case['instance']}"


def test_family_lists_every_instance_statically() -> None:
    family = registry.load_family("yahpo")
    names = [info.name for info in family.tasks()]
    assert len(names) == len(set(names)) == 34 + 119 + 117 + 4
    assert "yahpo/lcbench-3945" in names
    assert "yahpo/rbv2_xgboost-40499" in names
    assert set(OPTIMA) == set(names)


def test_adapter_equals_yahpo_gym(data_dir: Path, reference: dict[str, Any]) -> None:
    cases = reference["cases"]
    assert {c["scenario"] for c in cases} == set(yahpo.SCENARIOS)
    for case in cases:
        bench = yahpo.load_yahpo(case["scenario"], case["instance"], data_dir=data_dir)
        assert tuple(case["y_names"]) == bench.scenario.y_names
        for fidelity, expected in case["outputs"].items():
            configs = case["configs"]
            got = bench.predict(configs, np.full(len(configs), float(fidelity)))
            # the reference holds float32 outputs as their shortest decimals: equal bit for bit
            np.testing.assert_array_equal(
                got.astype(np.float32),
                np.asarray(expected, dtype=np.float32),
                err_msg=f"{_case_id(case)} @ {fidelity}",
            )


def test_single_queries_equal_yahpo_gym(data_dir: Path, reference: dict[str, Any]) -> None:
    """One configuration per call (padded to the row block) gives yahpo-gym's batch answers."""
    for scenario in yahpo.SCENARIOS:
        case = next(c for c in reference["cases"] if c["scenario"] == scenario)
        bench = yahpo.load_yahpo(scenario, case["instance"], data_dir=data_dir)
        fidelity, expected = next(iter(case["outputs"].items()))
        got = np.concatenate([bench.predict([c], [float(fidelity)]) for c in case["configs"][:12]])
        np.testing.assert_array_equal(
            got.astype(np.float32), np.asarray(expected[:12], dtype=np.float32), err_msg=scenario
        )


def test_evaluate_maps_outputs_to_objective_cost_and_extras(
    data_dir: Path, reference: dict[str, Any]
) -> None:
    case = next(c for c in reference["cases"] if c["scenario"] == "rbv2_xgboost")
    bench = yahpo.load_yahpo(case["scenario"], case["instance"], data_dir=data_dir)
    trials = [Trial(config=c, fidelity=0.5) for c in case["configs"]]
    expected = np.asarray(case["outputs"]["0.5"])
    names = case["y_names"]
    for ev, row in zip(bench.evaluate(trials, seed=3), expected, strict=True):
        assert ev.values["acc"] == pytest.approx(row[names.index("acc")], rel=1e-5)
        assert ev.cost == pytest.approx(max(0.0, row[names.index("timetrain")]), rel=1e-5, abs=1e-7)
        assert set(ev.extras) == set(names) - {"acc"}
        assert ev.extras["memory"] == pytest.approx(row[names.index("memory")], rel=1e-5)


def test_answers_do_not_depend_on_the_batch(data_dir: Path) -> None:
    bench = registry.load_benchmark("yahpo/lcbench-167168", data_dir=data_dir)
    configs = bench.codec.sample(np.random.default_rng(1), 37)
    fids = np.random.default_rng(2).integers(1, 53, 37).astype(float).tolist()
    trials = [Trial(config=c, fidelity=f) for c, f in zip(configs, fids, strict=True)]
    whole = [e.extras for e in bench.evaluate(trials, seed=0)]
    singles = [bench.evaluate([t], seed=0)[0].extras for t in trials]
    reversed_ = [e.extras for e in bench.evaluate(trials[::-1], seed=0)][::-1]
    assert whole == singles == reversed_


def test_row_block_is_small_and_chunks_and_threads_do_not_change_answers(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = yahpo.load_yahpo("rbv2_xgboost", "12", data_dir=data_dir)
    model = bench._data.model
    assert model.row_block in _onnx._BLOCKS
    configs = bench.codec.sample(np.random.default_rng(5), 601)  # three chunks, padded
    fids = np.random.default_rng(6).uniform(0.03, 1.0, 601)
    one = bench.predict(configs, fids)
    monkeypatch.setenv(_onnx.THREADS_ENV_VAR, "2")
    threaded = yahpo.load_yahpo("rbv2_xgboost", "12", data_dir=data_dir)
    assert threaded._data.model.workers == 2
    assert threaded._data.model.row_block == model.row_block
    np.testing.assert_array_equal(threaded.predict(configs, fids), one)
    np.testing.assert_array_equal(bench.predict(configs[5:9], fids[5:9]), one[5:9])


def test_threaded_evaluate_streams_chunks_and_stops_at_a_bad_configuration(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(_onnx.THREADS_ENV_VAR, "2")
    bench = yahpo.load_yahpo("lcbench", "3945", data_dir=data_dir)
    model = bench._data.model
    assert model.workers == 2
    n = 2 * model.chunk_rows + 37  # three chunks, the last one padded
    configs = bench.codec.sample(np.random.default_rng(8), n)
    trials = [Trial(config=c, fidelity=52) for c in configs]
    evaluations = bench.evaluate(trials, seed=0)
    expected = bench.predict(configs, np.full(n, 52.0))
    name = bench.task.objective.name
    np.testing.assert_array_equal([e.values[name] for e in evaluations], expected[:, bench._objective])
    # a bad configuration in the last chunk: the error comes out, after chunks already submitted
    bad = [*trials[: n - 5], Trial(config={**configs[0], "no_such_hyperparameter": 1}), *trials[n - 4 :]]
    with pytest.raises(InvalidConfigError, match="no_such_hyperparameter"):
        bench.evaluate(bad, seed=0)
    assert bench.evaluate(trials[:3], seed=0) == evaluations[:3]  # the pool still answers


def test_quick_validation_agrees_with_the_full_check(data_dir: Path) -> None:
    bench = registry.load_benchmark("yahpo/rbv2_xgboost-12", data_dir=data_dir)
    good = dict(GOOD_XGBOOST)
    for config in (
        good,
        {**good, "alpha": np.float64(1.0)},  # numpy scalars and ints for floats: the full check
        {**good, "nrounds": np.int64(100), "subsample": 1},
    ):
        bench.evaluate([Trial(config=config)], seed=0)
    for config in (
        {**good, "alpha": True},
        {**good, "nrounds": 100.5},
        {**good, "alpha": float("nan")},
        {**good, "booster": ["gblinear"]},  # unhashable parent value
        {**good, "num.impute.selected.cpo": 3},
    ):
        with pytest.raises(InvalidConfigError):
            bench.evaluate([Trial(config=config)], seed=0)
    codec = bench.codec
    for config in codec.sample(np.random.default_rng(0), 300):
        assert codec._valid_fast(config)  # type: ignore[attr-defined]


def test_every_instance_loads_with_its_stored_reference(data_dir: Path) -> None:
    for info in registry.load_family("yahpo").tasks():
        bench = registry.load_benchmark(info.name, data_dir=data_dir)
        assert bench.task.name == info.name
        assert bench.task.fidelity is not None
        ref = bench.optimum()
        assert ref.source.startswith("stored estimate"), info.name
        name = bench.task.objective.name
        assert bench.task.objective.direction.sign * (ref.worst[name] - ref.best[name]) > 0


def test_stored_reference_is_reproduced(data_dir: Path) -> None:
    bench = yahpo.load_yahpo("iaml_glmnet", "1067", data_dir=data_dir)
    stored = bench.optimum()
    fresh = yahpo.estimate_reference(bench)
    assert dict(fresh.best) == pytest.approx(dict(stored.best), rel=1e-6)
    assert dict(fresh.worst) == pytest.approx(dict(stored.worst), rel=1e-6)


def test_rbv2_fixes_repl_to_10_and_hides_it(data_dir: Path) -> None:
    bench = yahpo.load_yahpo("rbv2_rpart", "40499", data_dir=data_dir)
    assert "repl" not in list(bench.task.space.keys())
    assert "task_id" not in list(bench.task.space.keys())
    config = bench.codec.sample(np.random.default_rng(0), 1)[0]
    x_cat, x_cont = bench.encode([config], np.array([0.5]))
    columns = dict(zip(bench.scenario.cont_names, x_cont[0].tolist(), strict=True))
    assert columns["repl"] == 10.0
    assert columns["trainsize"] == 0.5
    assert x_cat[0, 0] == bench._data.encoding["task_id"]["40499"]


def test_bad_configurations_and_fidelities(data_dir: Path) -> None:
    bench = registry.load_benchmark("yahpo/rbv2_xgboost-12", data_dir=data_dir)
    good = dict(GOOD_XGBOOST)
    bench.evaluate([Trial(config=good)], seed=0)
    bad = [
        {**good, "nrounds": 100_000},  # out of range
        {**good, "eta": 0.1},  # inactive for gblinear
        {**good, "booster": "gbtree"},  # active children missing
        {**good, "booster": "lightgbm"},  # not a choice
        {**good, "task_id": "12"},  # the instance is not a hyperparameter
        {k: v for k, v in good.items() if k != "alpha"},
    ]
    for config in bad:
        with pytest.raises(InvalidConfigError):
            bench.evaluate([Trial(config=config)], seed=0)
    with pytest.raises(InvalidFidelityError):
        bench.evaluate([Trial(config=good, fidelity=0.01)], seed=0)
    lc = registry.load_benchmark("yahpo/lcbench-3945", data_dir=data_dir)
    with pytest.raises(InvalidFidelityError):
        lc.evaluate([Trial(config=lc.codec.sample(np.random.default_rng(0), 1)[0], fidelity=2.5)], seed=0)


def test_unknown_names(data_dir: Path) -> None:
    family = registry.load_family("yahpo")
    for task in ("lcbench-1", "lcbench", "nb301-CIFAR10", "rbv2_xgboost-3945"):
        with pytest.raises(UnknownNameError):
            family.load(task, data_dir=data_dir)
    with pytest.raises(UnknownNameError):
        yahpo.load_yahpo("rbv2_svm", "12", data_dir=data_dir)
    with pytest.raises(DataError, match="data directory"):
        family.load("lcbench-3945", data_dir=None)


def _copy(data_dir: Path, tmp_path: Path, scenario: str = "iaml_glmnet") -> Path:
    folder = tmp_path / "yahpo" / scenario
    shutil.copytree(data_dir / "yahpo" / scenario, folder)
    for path in folder.iterdir():
        path.chmod(0o644)
    return folder


@pytest.mark.parametrize(
    ("file", "content", "match"),
    [
        ("model.onnx", None, "model file .* is missing"),
        ("model.onnx", b"not an onnx model", "cannot load ONNX model"),
        ("config_space.json", None, "is missing"),
        ("config_space.json", b"{not json", "cannot read JSON"),
        ("config_space.json", b'{"hyperparameters": []}', "not the expected ConfigSpace JSON"),
        ("encoding.json", b'{"task_id": {"1067": 1}}', "no integer code"),
    ],
)
def test_missing_or_corrupt_files(
    data_dir: Path, tmp_path: Path, file: str, content: bytes | None, match: str
) -> None:
    folder = _copy(data_dir, tmp_path)
    if content is None:
        (folder / file).unlink()
    else:
        (folder / file).write_bytes(content)
    # the loader's own checks, past verification on use (test_data_integrity covers that)
    with data_verification(enabled=False), pytest.raises(DataError, match=match):
        yahpo.load_yahpo("iaml_glmnet", "1067", data_dir=tmp_path)


def test_model_of_another_scenario_is_refused(data_dir: Path, tmp_path: Path) -> None:
    folder = _copy(data_dir, tmp_path)
    shutil.copyfile(data_dir / "yahpo" / "lcbench" / "model.onnx", folder / "model.onnx")
    with pytest.raises(DataError, match="does not match its pinned sha256"):
        yahpo.load_yahpo("iaml_glmnet", "1067", data_dir=tmp_path)
    with data_verification(enabled=False), pytest.raises(DataError, match="widths"):
        yahpo.load_yahpo("iaml_glmnet", "1067", data_dir=tmp_path)


def test_missing_onnxruntime_is_a_clear_error(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _copy(data_dir, tmp_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(DataError, match=r"hpobench\[yahpo\]"):
        yahpo.load_yahpo("iaml_glmnet", "1067", data_dir=tmp_path)


def test_bad_thread_setting(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _copy(data_dir, tmp_path)
    monkeypatch.setenv(_onnx.THREADS_ENV_VAR, "many")
    with pytest.raises(DataError, match=_onnx.THREADS_ENV_VAR):
        yahpo.load_yahpo("iaml_glmnet", "1067", data_dir=tmp_path)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_threaded_model_works_in_a_forked_child(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_onnx.THREADS_ENV_VAR, "2")
    bench = yahpo.load_yahpo("iaml_glmnet", "1489", data_dir=data_dir)
    configs = bench.codec.sample(np.random.default_rng(7), 600)  # several chunks: the pool is used
    fids = np.full(600, 0.5)
    parent = bench.predict(configs, fids)
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    # the child inherits the parent's thread pool object, but not its threads
    child = ctx.Process(target=lambda: send.send(bench.predict(configs, fids)))
    child.start()
    try:
        assert receive.poll(60), "the forked child did not answer (a pool without threads hangs)"
        np.testing.assert_array_equal(receive.recv(), parent)
    finally:
        child.kill()
        child.join()


def test_evaluate_arrays_equals_evaluate(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = yahpo.load_yahpo("rbv2_rpart", "40499", data_dir=data_dir)
    configs = bench.codec.sample(np.random.default_rng(9), 300)  # two chunks
    fids = np.random.default_rng(10).uniform(0.03, 1.0, 300).tolist()
    trials = [Trial(config=c, fidelity=f) for c, f in zip(configs, fids, strict=True)]
    evaluations = bench.evaluate(trials, seed=0)
    name = bench.task.objective.name
    for threads in ("1", "2"):
        monkeypatch.setenv(_onnx.THREADS_ENV_VAR, threads)
        loaded = yahpo.load_yahpo("rbv2_rpart", "40499", data_dir=data_dir)
        values, costs = loaded.evaluate_arrays(configs, seed=3, fidelities=fids)
        assert values.shape == (300, 1)
        assert costs.shape == (300,)
        np.testing.assert_array_equal(values[:, 0], [e.values[name] for e in evaluations])
        np.testing.assert_array_equal(costs, [e.cost for e in evaluations])
    at_max, _ = bench.evaluate_arrays(configs[:5], seed=0)
    top = bench.evaluate([Trial(config=c) for c in configs[:5]], seed=0)
    np.testing.assert_array_equal(at_max[:, 0], [e.values[name] for e in top])
    empty_values, empty_costs = bench.evaluate_arrays([], seed=0)
    assert empty_values.shape == (0, 1)
    assert empty_costs.shape == (0,)
    with pytest.raises(ValueError, match="fidelities"):
        bench.evaluate_arrays(configs[:3], seed=0, fidelities=fids[:2])
    with pytest.raises(InvalidFidelityError):
        bench.evaluate_arrays(configs[:3], seed=0, fidelities=[0.5, 7.0, 0.5])
    with pytest.raises(InvalidConfigError):
        bench.evaluate_arrays([*configs[:3], {**configs[0], "no_such_hyperparameter": 1}], seed=0)
