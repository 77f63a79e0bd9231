"""The curve models' fast paths and refit schedule (DPL, DyHPO): same gradients, reference schedule."""

from __future__ import annotations

import numpy as np
import pytest

from hpobench.methods._refit import RefitSchedule, default_patience

torch = pytest.importorskip("torch")

from hpobench.methods._torch_curves import DeepKernelGP, PowerLawEnsemble, _MarginalNLL  # noqa: E402


def _autograd_nll(
    f: torch.Tensor, log_ls: torch.Tensor, log_scale: torch.Tensor, log_noise: torch.Tensor, r: torch.Tensor
) -> torch.Tensor:
    """The textbook NLL, differentiated by autograd through cdist and the Cholesky factor."""
    eye = torch.eye(f.shape[0], dtype=f.dtype)
    k = torch.exp(log_scale) * torch.exp(-0.5 * torch.cdist(f, f).square() / torch.exp(2 * log_ls))
    chol = torch.linalg.cholesky(k + (torch.exp(log_noise) + 1e-6) * eye)
    alpha = torch.cholesky_solve(r.unsqueeze(1), chol)[:, 0]
    return 0.5 * (r @ alpha) + torch.log(torch.diagonal(chol)).sum()


def test_closed_form_gp_gradient_equals_autograd() -> None:
    gen = torch.Generator().manual_seed(3)
    f = torch.randn(40, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    hyper = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.4, -0.3, -3.0)]
    r = torch.randn(40, generator=gen, dtype=torch.float64, requires_grad=True)
    ours = _MarginalNLL.apply(f, *hyper, r)
    ref = _autograd_nll(f, *hyper, r)
    assert float(ours.detach()) == pytest.approx(float(ref.detach()), rel=1e-10)
    inputs = (f, *hyper, r)
    for a, b in zip(torch.autograd.grad(ours, inputs), torch.autograd.grad(ref, inputs), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)
    small = [v.detach()[:6].clone().requires_grad_() for v in (f, r)]
    assert torch.autograd.gradcheck(_MarginalNLL.apply, (small[0], *hyper, small[1]))


def test_deep_kernel_gp_fit_lowers_the_likelihood() -> None:
    rng = np.random.default_rng(0)
    x, t, c = rng.uniform(size=(60, 3)), rng.uniform(size=60), rng.uniform(size=(60, 5))
    y = np.sin(4 * x[:, 0]) * t
    gp = DeepKernelGP(dim=3, curve_length=5, out=4, generator=torch.Generator().manual_seed(0))

    def nll() -> float:
        with torch.no_grad():
            tensors = (torch.as_tensor(a, dtype=torch.float64) for a in (x, t, c))
            f = gp.features(*tensors)
            r = torch.as_tensor(y) - gp.mean
            return float(_MarginalNLL.apply(f, gp.log_lengthscale, gp.log_scale, gp.log_noise, r))

    before = nll()
    gp.fit(x, t, c, y, steps=30, optimizer=torch.optim.Adam(gp.parameters(), lr=1e-2))
    assert nll() < before - 1.0


def test_power_law_members_train_independently_in_one_batched_model() -> None:
    """Member 0 of a 3-member ensemble learns exactly what it learns alone (same init, same batches)."""
    rng = np.random.default_rng(1)
    x, t, y = rng.uniform(size=(50, 2)), rng.uniform(0.1, 1, size=50), rng.uniform(size=50)
    both = PowerLawEnsemble(dim=2, members=3, width=8, layers=2, generator=torch.Generator().manual_seed(0))
    alone = PowerLawEnsemble(dim=2, members=1, width=8, layers=2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for a, b in zip(alone.parameters(), both.parameters(), strict=True):
            a.copy_(b[:1])
    # the ensemble's loss is the mean over members, so member 0's gradient there is 1/3 of its own
    for net, lr in ((both, 0.3), (alone, 0.1)):
        opt = torch.optim.SGD(net.parameters(), lr=lr)
        net.fit(x, t, y, epochs=3, batch_size=16, optimizer=opt, generator=torch.Generator().manual_seed(5))
    xt, tt = torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(t, dtype=torch.float32)
    with torch.no_grad():
        torch.testing.assert_close(both(xt, tt)[0], alone(xt, tt)[0], rtol=1e-5, atol=1e-5)
        assert not torch.allclose(both(xt, tt)[0], both(xt, tt)[1])


def test_refit_schedule_follows_the_reference_code() -> None:
    assert default_patience(50) == 60
    schedule = RefitSchedule(full_fits=2, patience=3)
    y = np.array([0.1, 0.5])
    assert schedule.full(y)  # the first two decisions
    assert schedule.full(np.append(y, 0.2))
    y = np.array([0.1, 0.5, 0.2, 0.9])  # improved at observation 4
    assert not schedule.full(y)
    y = np.append(y, [0.3, 0.9])  # two stale observations (a tie does not improve)
    assert not schedule.full(y)
    y = np.append(y, 0.1)  # the third: fit from scratch
    assert schedule.full(y)
    assert not schedule.full(np.append(y, [0.2, 0.2]))  # stale counts again from the full fit
    assert schedule.report().counts == {"full_fits": 3, "restarts": 1}
    never = RefitSchedule(full_fits=1, patience=0)
    assert never.full(y)
    assert not never.full(np.append(y, np.zeros(100)))
