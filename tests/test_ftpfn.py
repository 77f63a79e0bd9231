"""hpobench.methods._ftpfn: loading (ours, official), prediction equal to ifbo's, clear errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("ifbo")
import torch
from ftpfn_models import ifbo_model, small_inputs

from hpobench.methods._curve_prediction import CurvePrediction
from hpobench.methods._ftpfn import DEFAULT_WEIGHTS, FTPFN
from hpobench.methods._ftpfn_net import Architecture, FTPFNNet

SMALL = Architecture(emsize=32, nlayers=2, nhead=4, nhid=48)


def _ifbo_surrogate(model: torch.nn.Module) -> Any:
    """ifbo's FTPFN surrogate around ``model`` (its constructor would download the official weights)."""
    from ifbo.surrogate import FTPFN as IfboFTPFN

    surrogate = IfboFTPFN.__new__(IfboFTPFN)
    torch.nn.Module.__init__(surrogate)
    surrogate.model, surrogate.device, surrogate.version = model, None, "0.0.1"
    return surrogate


def _curves(
    rng: np.random.Generator, n_curves: int, d: int
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    out = []
    for _ in range(n_curves):
        k = int(rng.integers(1, 8))
        t = np.arange(1, k + 1) / 10
        out.append((rng.uniform(0, 1, d), t, np.clip(0.3 + 0.5 * t + 0.05 * rng.normal(size=k), 0, 1)))
    return out


def test_predict_equals_ifbo_surrogate_predict() -> None:
    from ifbo.utils import Curve

    model = ifbo_model(SMALL, seed=3)
    ours = FTPFN(net=FTPFNNet.from_arrays(SMALL, model.state_dict()), source="test")
    rng = np.random.default_rng(0)
    curves = _curves(rng, 6, 4)
    context = [
        Curve(hyperparameters=torch.tensor(x).float(), t=torch.tensor(t).float(), y=torch.tensor(y).float())
        for x, t, y in curves
    ]
    query_t = np.array([0.9, 1.0])
    query = [
        Curve(hyperparameters=torch.tensor(x).float(), t=torch.tensor(query_t).float())
        for x, _, _ in curves[:4]
    ]
    theirs = _ifbo_surrogate(model).predict(context, query)
    logits = torch.cat([r.logits for r in theirs])[:, 0]

    ids_train = np.concatenate(
        [np.full(len(t), 100 + 7 * i) for i, (_, t, _) in enumerate(curves)]
    )  # any ints
    pred = ours.predict(
        ids_train=ids_train,
        t_train=np.concatenate([t for _, t, _ in curves]),
        x_train=np.concatenate([np.tile(x, (len(t), 1)) for x, t, _ in curves]),
        y_train=np.concatenate([y for _, _, y in curves]),
        ids_test=np.repeat(100 + 7 * np.arange(4), 2),
        t_test=np.tile(query_t, 4),
        x_test=np.repeat(np.stack([x for x, _, _ in curves[:4]]), 2, axis=0),
    )
    crit = model.criterion
    np.testing.assert_allclose(pred.probs, torch.softmax(logits, -1).double().numpy(), atol=1e-5)
    np.testing.assert_allclose(pred.mean(), crit.mean(logits).numpy(), atol=1e-5)
    assert float(np.std(pred.mean())) > 1e-3
    for q in (0.1, 0.5, 0.9):
        np.testing.assert_allclose(pred.quantile(q), crit.icdf(logits, q).numpy(), atol=1e-4)
    for best in (0.2, 0.55):
        np.testing.assert_allclose(pred.prob_greater(best), crit.pi(logits, best).numpy(), atol=1e-5)
        np.testing.assert_allclose(pred.expected_improvement(best), crit.ei(logits, best).numpy(), atol=1e-5)
    y = rng.uniform(0, 1, 8)
    np.testing.assert_allclose(pred.log_density(y), -crit(logits, torch.tensor(y).float()).numpy(), atol=1e-4)


def test_unseen_curves_get_id_zero_as_in_the_prior() -> None:
    model = ifbo_model(SMALL, seed=4)
    ours = FTPFN(net=FTPFNNet.from_arrays(SMALL, model.state_dict()), source="test")
    x = np.random.default_rng(1).uniform(0, 1, (5, 3))
    pred = ours.predict(
        ids_train=np.array([7, 7, 9, 9, 9]),
        t_train=np.array([0.1, 0.2, 0.1, 0.2, 0.3]),
        x_train=x,
        y_train=np.array([0.2, 0.3, 0.4, 0.5, 0.55]),
        ids_test=np.array([9, 42]),
        t_test=np.array([1.0, 1.0]),
        x_test=x[[2, 0]],
    )
    tokens = torch.tensor(
        np.column_stack([[1, 1, 2, 2, 2, 2, 0], [0.1, 0.2, 0.1, 0.2, 0.3, 1, 1], np.vstack([x, x[[2, 0]]])])
    )
    y = torch.tensor([[0.2, 0.3, 0.4, 0.5, 0.55]]).T.float()
    with torch.no_grad():
        logits = model((tokens.float().unsqueeze(1), y), single_eval_pos=5)[:, 0]
    np.testing.assert_allclose(pred.probs, torch.softmax(logits, -1).double().numpy(), atol=1e-5)


def _write_weights(folder: Path, net: FTPFNNet, **meta: Any) -> Path:
    npz = folder / "w.npz"
    np.savez(npz, **net.state_arrays())
    arch = {"emsize": 32, "nlayers": 2, "nhead": 4, "nhid": 48, "num_bars": 1000, "num_features": 12}
    info = {
        "name": "ftpfn_v1",
        "steps": 5,
        "architecture": arch,
        "sha256": hashlib.sha256(npz.read_bytes()).hexdigest(),
    }
    npz.with_suffix(".json").write_text(json.dumps(info | meta))
    return npz


def test_load_round_trip_and_provenance(tmp_path: Path) -> None:
    net = FTPFNNet.random(SMALL, seed=5)
    loaded = FTPFN.load(_write_weights(tmp_path, net))
    assert loaded.architecture == SMALL
    assert loaded.source.startswith("hpobench ftpfn_v1 (5 steps, sha256 ")
    for a, b in zip(loaded.net.state_arrays().values(), net.state_arrays().values(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    if not DEFAULT_WEIGHTS.is_file():  # no weights are shipped until real ones are trained
        with pytest.raises(
            FileNotFoundError, match=r"ftpfn_v1\.npz not found.*train_ftpfn\.py.*load_official"
        ):
            FTPFN.load()
    with pytest.raises(FileNotFoundError, match=r"nope\.npz not found"):
        FTPFN.load(tmp_path / "nope.npz")
    npz = _write_weights(tmp_path, FTPFNNet.random(SMALL, seed=0))
    data = bytearray(npz.read_bytes())
    data[-100] ^= 1
    npz.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"w.npz are corrupt: sha256"):
        FTPFN.load(npz)
    other = {"emsize": 64, "nlayers": 2, "nhead": 4, "nhid": 48, "num_bars": 1000, "num_features": 12}
    npz = _write_weights(tmp_path, FTPFNNet.random(SMALL, seed=0), architecture=other)
    with pytest.raises(ValueError, match=r"w.npz: parameter .* has shape .* expected .*emsize=64"):
        FTPFN.load(npz)
    npz.with_suffix(".json").unlink()
    with pytest.raises(FileNotFoundError, match="sidecar"):
        FTPFN.load(npz)


def test_load_official_pickled_module_and_state_dict(tmp_path: Path) -> None:
    arch = Architecture(emsize=32, nlayers=3, nhead=2, nhid=40)
    model = ifbo_model(arch, seed=6)
    whole, state = tmp_path / "official.pt", tmp_path / "state.pt"
    torch.save(model, whole)  # the official file is a whole pickled TransformerModel (with .criterion)
    torch.save(model.state_dict(), state)
    a = FTPFN.load_official(whole)
    b = FTPFN.load_official(state, nhead=2)
    assert a.architecture == arch
    assert b.architecture == arch
    assert a.source.startswith("official ifBO checkpoint official.pt (sha256 ")
    kw = small_inputs()
    np.testing.assert_allclose(a.predict(**kw).probs, b.predict(**kw).probs)


class _Evil:
    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (print, ("executed",))


def test_load_official_refuses_arbitrary_pickles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = tmp_path / "evil.pt"
    torch.save({"model": _Evil()}, evil)
    with pytest.raises(ValueError, match=r"evil\.pt holds objects outside"):
        FTPFN.load_official(evil)
    assert "executed" not in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match=r"missing\.pt not found"):
        FTPFN.load_official(tmp_path / "missing.pt")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "ids_train": np.array([], dtype=int),
                "t_train": np.array([]),
                "x_train": np.zeros((0, 2)),
                "y_train": np.array([]),
            },
            "at least one",
        ),
        ({"t_test": np.array([0.0])}, r"\(0, 1\]"),
        ({"y_train": np.array([0.3, 1.2])}, r"y_train must lie in \[0, 1\]"),
        ({"x_test": np.full((1, 3), 0.5)}, "x_train has 2 columns, x_test 3"),
        ({"x_train": np.full((2, 11), 0.5)}, "1 <= d <= 10"),
        ({"ids_train": np.array([0.5, 1.0])}, "int array"),
        ({"x_train": np.full((2, 2), 1.5)}, "scaled to"),
    ],
)
def test_bad_input_is_refused(change: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FTPFN.random(seed=0, architecture=SMALL).predict(**small_inputs(**change))


def test_curve_prediction_is_a_distribution() -> None:
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.full(1000, 0.05), size=3)
    pred = CurvePrediction(probs=probs, borders=np.linspace(0, 1, 1001))
    assert np.all(np.diff(np.stack([pred.quantile(q) for q in (0.05, 0.5, 0.95)]), axis=0) >= 0)
    np.testing.assert_allclose(pred.prob_greater(0.0), 1.0)
    np.testing.assert_allclose(pred.prob_greater(1.0), 0.0, atol=1e-12)
    np.testing.assert_allclose(pred.expected_improvement(0.0), pred.mean())
    assert np.all(pred.expected_improvement(0.5) >= np.maximum(pred.mean() - 0.5, 0) - 1e-12)
    with pytest.raises(ValueError, match="quantile level"):
        pred.quantile(1.5)
