"""Fitted MLP-ensemble surrogates: reproducible export, numpy == torch, shipped files, bad input."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.stats

from hpobench.contracts.errors import DataError, InvalidConfigError, InvalidFidelityError, UnknownNameError
from hpobench.contracts.types import Direction, Fidelity, Objective, Trial
from hpobench.data import registry
from hpobench.surrogates import quality
from hpobench.surrogates.fitted import FAMILY, FittedFamily, FittedSurrogate, forward, read_model, write_model
from hpobench.surrogates.tabular import TabularBenchmark
from hpobench.testing import check_benchmark

GRID = {"lr": (0.001, 0.01, 0.1, 1.0), "width": (8, 16, 32), "act": ("relu", "tanh")}


def _tiny_table() -> TabularBenchmark:
    n = 4 * 3 * 2
    fids = (1.0, 3.0, 9.0)
    rng = np.random.default_rng(0)
    lr = np.repeat(np.log10(GRID["lr"]), 6)
    base = (lr + 2.0) ** 2 + 0.1
    table = base[:, None, None, None] / np.asarray(fids)[None, None, :, None] ** 0.3
    table = table * (1.0 + 0.05 * rng.standard_normal((n, 2, 3, 1)))
    return TabularBenchmark(
        name="tiny/task",
        grid=GRID,
        table=table,
        metrics=("loss",),
        objectives=(Objective(name="loss", direction=Direction.MINIMIZE),),
        fidelity=Fidelity(name="epoch", low=1, high=9, integer=True),
        fidelity_values=fids,
        cost_model=lambda cols, f: cols["width"].astype(float)[:, None] * f[None, :],
    )


def _fit(seed: int, *, target: str = "clip") -> tuple[dict[str, object], dict[str, np.ndarray]]:
    from hpobench.surrogates.fitting import FitSettings, fit_table, table_data

    pytest.importorskip("torch")
    settings = FitSettings(
        members=2,
        hidden=(8, 8),
        epochs=3,
        batch_size=16,
        holdout=0.25,
        reference_samples=256,
        target=target,
        quantile_knots=33,
    )
    data = table_data(_tiny_table()).take(range(20))
    return fit_table(data, settings=settings, seed=seed)


@pytest.fixture(scope="module")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("tiny")
    paths = []
    for i, seed in enumerate((0, 0, 1)):
        header, arrays = _fit(seed)
        path = out / f"model{i}.npz"
        write_model(path, header=header, arrays=arrays)
        paths.append(path)
    return paths


def test_tiny_fit_exports_bit_identical_files_for_the_same_seed(tiny_files: list[Path]) -> None:
    same_a, same_b, other = (p.read_bytes() for p in tiny_files)
    assert same_a == same_b
    assert same_a != other


def test_tiny_fit_is_a_compliant_benchmark_with_a_continuous_space(tiny_files: list[Path]) -> None:
    model = FittedSurrogate.from_file(tiny_files[0])
    check_benchmark(model)
    space: Any = model.task.space  # ConfigSpace's hyperparameter types are not narrowed by name
    assert model.task.candidates is None
    assert space["lr"].log
    assert space["lr"].lower == pytest.approx(0.001)
    assert space["width"].upper == 32
    assert space["width"].log  # integer grid, geometric
    assert set(space["act"].choices) == {"relu", "tanh"}
    # seeds select ensemble members: two members, so seeds 0 and 2 agree and 0 and 1 differ
    trial = [Trial(config={"lr": 0.05, "width": 20, "act": "tanh"}, fidelity=4)]
    v = [model.evaluate(trial, seed=s)[0].values["loss"] for s in range(3)]
    assert v[0] == v[2]
    assert v[0] != v[1]
    with pytest.raises(InvalidConfigError, match="lr"):
        model.evaluate([Trial(config={"lr": 5.0, "width": 20, "act": "tanh"})], seed=0)
    with pytest.raises(InvalidFidelityError):
        model.evaluate([Trial(config={"lr": 0.05, "width": 20, "act": "tanh"}, fidelity=2.5)], seed=0)


def test_encoding_is_the_unit_map_per_row_and_rejects_what_is_not_a_number(tiny_files: list[Path]) -> None:
    model = FittedSurrogate.from_file(tiny_files[0])
    enc = model.encoding
    configs = model.codec.sample(np.random.default_rng(3), 64)
    fids = np.full(64, 4.0)
    x = enc.encode(configs, fids)
    col = 0
    for h in enc.hyperparameters:  # the documented map, column by column
        if h.kind == "numeric":
            expected = h.unit(np.array([c[h.name] for c in configs], dtype=float)).astype(np.float32)
            np.testing.assert_array_equal(x[:, col], expected)
        col += h.width
    np.testing.assert_array_equal(np.concatenate([enc.encode([c], fids[:1]) for c in configs]), x)
    good = {"lr": 0.05, "width": 20, "act": "tanh"}
    typed = {"lr": np.float64(0.05), "width": np.int64(20), "act": "tanh"}
    np.testing.assert_array_equal(enc.encode([typed], fids[:1]), enc.encode([good], fids[:1]))
    for bad in ([0.05], "0.05", np.str_("0.05"), True, np.bool_(True), None):
        with pytest.raises(InvalidConfigError):
            enc.encode([good, {**good, "lr": bad}], fids[:2])
    with pytest.raises(InvalidConfigError):
        enc.encode([{**good, "width": [20]}], fids[:1])
    # evaluate_arrays pairs fidelities with configurations one to one: a short list is refused
    values, _ = model.evaluate_arrays(configs[:3], seed=0, fidelities=[4, 4, 4])
    assert values.shape == (3, 1)
    for short in ([4], [4, 4]):
        with pytest.raises(ValueError, match="3 configurations but"):
            model.evaluate_arrays(configs[:3], seed=0, fidelities=short)


def test_numpy_inference_equals_torch_forward_on_the_same_weights(tiny_files: list[Path]) -> None:
    torch = pytest.importorskip("torch")
    header, arrays = read_model(tiny_files[0])
    layers = int(header["network"]["layers"])
    weights = [arrays[f"layer{i}.weight"] for i in range(layers)]
    biases = [arrays[f"layer{i}.bias"] for i in range(layers)]
    x = np.random.default_rng(1).uniform(size=(50, weights[0].shape[1])).astype(np.float32)
    ours = forward(x, weights, biases, activation="silu")
    h = torch.from_numpy(x).expand(weights[0].shape[0], -1, -1)
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = torch.baddbmm(torch.from_numpy(b)[:, None, :], h, torch.from_numpy(w))
        if i < layers - 1:
            h = torch.nn.functional.silu(h)
    np.testing.assert_allclose(ours, h.numpy(), rtol=1e-5, atol=1e-6)


def test_corrupt_or_missing_model_files_raise_a_clear_error(tiny_files: list[Path], tmp_path: Path) -> None:
    with pytest.raises(DataError, match="missing"):
        FittedSurrogate.from_file(tmp_path / "nope.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip file")
    with pytest.raises(DataError, match="not a readable"):
        FittedSurrogate.from_file(tmp_path / "junk.npz")
    raw = dict(np.load(tiny_files[0], allow_pickle=False))  # header keeps the old arrays_sha256
    raw["layer0.weight"] = raw["layer0.weight"] + np.float32(1e-3)
    np.savez(tmp_path / "tampered.npz", **raw)
    with pytest.raises(DataError, match="corrupt"):
        FittedSurrogate.from_file(tmp_path / "tampered.npz")


def test_family_index_mismatch_and_unknown_task_raise(tmp_path: Path) -> None:
    source = FAMILY.models_dir
    name = FAMILY.tasks()[0].name.split("/", 1)[1]
    shutil.copy(source / "index.json", tmp_path / "index.json")
    family = FittedFamily(tmp_path)
    with pytest.raises(DataError, match="missing"):
        family.load(name, data_dir=None)
    import json

    file = json.loads((tmp_path / "index.json").read_text())["tasks"][name]["file"]
    data = bytearray((source / file).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / file).write_bytes(bytes(data))
    with pytest.raises(DataError, match="does not match its pinned sha256"):
        family.load(name, data_dir=None)
    with pytest.raises(UnknownNameError, match="fitted/no_such_task"):
        family.load("no_such_task", data_dir=None)


def test_shipped_models_cover_taskset_and_fcnet_and_pass_the_compliance_check() -> None:
    names = {info.name for info in FAMILY.tasks()}
    assert sum(n.startswith("fitted/taskset.") for n in names) == 12
    assert sum(n.startswith("fitted/fcnet.") for n in names) == 4
    for info in FAMILY.tasks():
        model = registry.load_benchmark(info.name)
        assert model.task.multi_fidelity == info.multi_fidelity
        check_benchmark(model, n=4)


def test_quality_metrics_equal_scipy_on_a_small_example() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 6, 40).astype(float)  # ties
    b = a + rng.normal(0, 2, 40)
    np.testing.assert_allclose(quality.rank(a), scipy.stats.rankdata(a))
    assert quality.spearman(a, b) == pytest.approx(scipy.stats.spearmanr(a, b).statistic, abs=1e-12)
    fit = scipy.stats.linregress(a, b)
    line = fit.intercept + fit.slope * a
    assert quality.r2_score(b, line) == pytest.approx(fit.rvalue**2, abs=1e-12)
    truth = np.arange(20.0)
    pred = truth.copy()
    pred[[0, 1]] = [30.0, 31.0]  # two of the 10 best are predicted worst
    assert quality.top_k_overlap(truth, pred, k=10, direction=Direction.MINIMIZE) == 8
    assert quality.top_k_overlap(truth, pred, k=10, direction=Direction.MAXIMIZE) == 8


def test_normal_scores_are_inverted_exactly_by_the_stored_quantile_knots() -> None:
    from hpobench.surrogates._fitting_train import _normal_scores

    y = np.array([[3.0, 1.0, 2.0], [2.0, 5.0, 5.0], [0.5, 5.0, 4.0]])  # ties at 2.0 and 5.0
    scores, (z, value) = _normal_scores(y, knots=1000)
    np.testing.assert_allclose(np.interp(scores, z, value), y, rtol=1e-12)
    assert np.all(np.diff(z) > 0)
    assert np.all(np.diff(value) >= 0)
    assert scores[1, 1] == scores[1, 2] == scores[2, 1]  # tied values share one score
    assert np.argsort(scores.ravel(), kind="stable").tolist() == np.argsort(y.ravel(), kind="stable").tolist()
    _, (z_few, _) = _normal_scores(y, knots=4)
    assert z_few.size == 4


def test_quantile_target_fit_answers_on_the_loss_scale_within_the_training_range(tmp_path: Path) -> None:
    header, arrays = _fit(0, target="quantile")
    target = header["target"]
    assert isinstance(target, dict)
    assert target["scale"] == "quantile"
    assert target["transform"] == "log"
    assert arrays["target.z"].shape == arrays["target.value"].shape == (33,)
    path = tmp_path / "q.npz"
    write_model(path, header=header, arrays=arrays)
    model = FittedSurrogate.from_file(path)
    check_benchmark(model, n=4)
    configs = model.codec.sample(np.random.default_rng(0), 200)
    values, _ = model.predict(model.encoding.encode(configs, np.full(200, 9.0)))
    assert np.all(values >= np.exp(target["low"]) * (1 - 1e-12))
    assert np.all(values <= np.exp(target["high"]) * (1 + 1e-12))
    bad = dict(arrays)
    bad["target.value"] = bad["target.value"][::-1].copy()  # decreasing: not a quantile function
    header_bad = {k: v for k, v in header.items() if k != "arrays_sha256"}
    write_model(tmp_path / "bad.npz", header=header_bad, arrays=bad)
    with pytest.raises(DataError, match="non-decreasing"):
        FittedSurrogate.from_file(tmp_path / "bad.npz")


def test_quality_counts_diverged_runs_as_the_worst_without_warnings() -> None:
    import warnings

    values = np.array([[[1.0], [3.0]], [[np.nan], [np.nan]], [[2.0], [np.nan]]])  # (configs, seeds, fids)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean = quality._seed_mean(values)
    np.testing.assert_array_equal(mean[[0, 2], 0], [2.0, 2.0])
    assert np.isnan(mean[1, 0])
