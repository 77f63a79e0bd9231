"""hpobench.methods._ftpfn_net: our FT-PFN forward pass equals ifbo 0.4.1's TransformerModel."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("ifbo")
import torch
from ftpfn_models import ifbo_model

from hpobench.methods._ftpfn_net import Architecture, FTPFNNet, expected_shapes

SMALL = Architecture(emsize=32, nlayers=2, nhead=4, nhid=48, num_bars=1000)


def _tokens(rng: np.random.Generator, n: int, d: int, n_curves: int, *, query: bool) -> torch.Tensor:
    ids = rng.integers(0 if query else 1, n_curves + 1, size=(n, 2))
    t = rng.uniform(0, 1, size=(n, 2))
    x = rng.uniform(0, 1, size=(n, 2, d))
    return torch.from_numpy(np.concatenate([ids[..., None], t[..., None], x], axis=-1)).float()


@pytest.mark.parametrize(("d", "n_train", "n_test"), [(3, 40, 25), (10, 7, 1), (1, 1, 5)])
def test_forward_equals_ifbo_transformer(d: int, n_train: int, n_test: int) -> None:
    reference = ifbo_model(SMALL, seed=d)
    ours = FTPFNNet.from_arrays(SMALL, {k: v.numpy() for k, v in reference.state_dict().items()})
    rng = np.random.default_rng(d)
    x_train = _tokens(rng, n_train, d, 12, query=False)
    y_train = torch.from_numpy(rng.uniform(0, 1, size=(n_train, 2))).float()
    x_test = _tokens(rng, n_test, d, 12, query=True)
    with torch.no_grad():
        expected = reference((torch.cat([x_train, x_test]), y_train.unsqueeze(-1)), single_eval_pos=n_train)
        got = ours(x_train, y_train, x_test)
    assert got.shape == (n_test, 2, 1000)
    assert float(expected.std()) > 0.1  # the comparison is not between two constants
    torch.testing.assert_close(got, expected, atol=1e-4, rtol=1e-4)


def test_state_dict_names_and_shapes_match_ifbo() -> None:
    for arch in (SMALL, Architecture()):
        reference = ifbo_model(arch, seed=0)
        state = reference.state_dict()
        shapes = {k: tuple(v.shape) for k, v in state.items() if not k.startswith("criterion.")}
        assert shapes == expected_shapes(arch)
    assert sum(int(np.prod(s)) for s in expected_shapes(Architecture()).values()) < 4_000_000


def test_queries_are_independent_of_each_other() -> None:
    net = FTPFNNet.random(SMALL, seed=1)
    rng = np.random.default_rng(0)
    x_train, x_test = _tokens(rng, 9, 4, 5, query=False), _tokens(rng, 6, 4, 5, query=True)
    y_train = torch.rand(9, 2)
    with torch.no_grad():
        together = net(x_train, y_train, x_test)
        alone = net(x_train, y_train, x_test[2:3])
    torch.testing.assert_close(together[2:3], alone, atol=1e-5, rtol=1e-5)


def test_bad_weights_are_refused_by_name_and_shape() -> None:
    arrays = FTPFNNet.random(SMALL, seed=0).state_arrays()
    missing = {k: v for k, v in arrays.items() if k != "y_encoder.bias"}
    with pytest.raises(ValueError, match=r"missing parameter 'y_encoder.bias' \(expected shape \(32,\)"):
        FTPFNNet.from_arrays(SMALL, missing)
    with pytest.raises(ValueError, match=r"linear1.weight. has shape \(48, 32\), expected \(64, 32\)"):
        FTPFNNet.from_arrays(Architecture(emsize=32, nlayers=2, nhead=4, nhid=64), arrays)
    arrays["y_encoder.bias"][0] = np.nan
    with pytest.raises(ValueError, match="non-finite"):
        FTPFNNet.from_arrays(SMALL, arrays)
    with pytest.raises(ValueError, match="nhead 3 must divide emsize 32"):
        Architecture(emsize=32, nhead=3)
