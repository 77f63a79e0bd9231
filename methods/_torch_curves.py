"""Torch curve models of DPL and DyHPO (imported lazily: torch is the optional ``surrogates`` extra).

Both run on CPU -- DPL's power-law ensemble in float32 (as its reference code), DyHPO's GP in
float64 -- and draw all randomness (initial weights, minibatches) from a ``torch.Generator``
seeded by the method, so a run is a function of its seed.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
import torch

from hpobench.methods._freeze_thaw import FloatArray

__all__ = ["DeepKernelGP", "PowerLawEnsemble"]

_DTYPE = torch.float64
_ENSEMBLE_DTYPE = torch.float32


def _init(
    shape: tuple[int, ...], fan_in: int, generator: torch.Generator, dtype: torch.dtype = _DTYPE
) -> torch.nn.Parameter:
    bound = 1.0 / math.sqrt(fan_in)
    return torch.nn.Parameter((torch.rand(shape, generator=generator, dtype=dtype) * 2 - 1) * bound)


class PowerLawEnsemble(torch.nn.Module):
    """``E`` power-law networks trained together: ``y(t) = alpha + beta * t**(-gamma)``.

    Each member maps a configuration through ``layers`` fully-connected layers of ``width``
    LeakyReLU units to ``(alpha, beta, gamma)``; ``gamma`` goes through a softplus so the
    curve is monotone in ``t``. The members' weights are stacked along a leading axis and run
    as batched matrix products, so the ensemble trains as one model with one optimiser (each
    member's loss depends only on its own weights, so this is ``E`` independent trainings on
    the same minibatches). float32, as the reference code.

    Args:
        dim: Length of the configuration encoding.
        members: Ensemble size ``E``.
        width: Units per hidden layer.
        layers: Number of hidden layers.
        generator: Source of the initial weights.
    """

    def __init__(
        self, *, dim: int, members: int, width: int, layers: int, generator: torch.Generator
    ) -> None:
        super().__init__()
        sizes = [dim, *([width] * layers), 3]
        dtype = _ENSEMBLE_DTYPE
        self.weights = torch.nn.ParameterList(
            [_init((members, a, b), a, generator, dtype) for a, b in itertools.pairwise(sizes)]
        )
        self.biases = torch.nn.ParameterList(
            [_init((members, 1, b), a, generator, dtype) for a, b in itertools.pairwise(sizes)]
        )

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """Predictions of every member, shape ``(E, n)``, for configurations ``x`` at budgets ``t``."""
        h = x.unsqueeze(0).expand(self.weights[0].shape[0], -1, -1)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = torch.nn.functional.leaky_relu(h)
        alpha, beta, gamma = h[..., 0], h[..., 1], torch.nn.functional.softplus(h[..., 2])
        return alpha + beta * t.unsqueeze(0) ** (-gamma)

    def fit(
        self,
        x: FloatArray,
        t: FloatArray,
        y: FloatArray,
        *,
        epochs: int,
        batch_size: int,
        optimizer: torch.optim.Optimizer,
        generator: torch.Generator,
        newest: int | None = None,
    ) -> None:
        """Train every member on all points with the L1 loss for ``epochs`` epochs of minibatches.

        Args:
            x: Configuration encodings, one row per point.
            t: Normalised budgets.
            y: Values to fit.
            epochs: Passes over the points (a random order per pass from ``generator``).
            batch_size: Points per minibatch.
            optimizer: Optimiser over this module's parameters.
            generator: Source of the minibatch order.
            newest: A point added to every minibatch (DPL's refinement gives its newest
                observation this weight); ``None``: none.
        """
        dtype = _ENSEMBLE_DTYPE
        xt = torch.as_tensor(x, dtype=dtype)
        tt = torch.as_tensor(t, dtype=dtype)
        yt = torch.as_tensor(y, dtype=dtype)
        n = xt.shape[0]
        extra = None if newest is None else torch.tensor([int(newest)])
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                if extra is not None:
                    idx = torch.cat([idx, extra])
                optimizer.zero_grad()
                loss = (self(xt[idx], tt[idx]) - yt[idx].unsqueeze(0)).abs().mean()
                loss.backward()
                optimizer.step()

    def predict(self, x: FloatArray, t: float) -> tuple[FloatArray, FloatArray]:
        """Ensemble mean and standard deviation at budget ``t`` for each row of ``x``."""
        with torch.inference_mode():
            xt = torch.as_tensor(x, dtype=_ENSEMBLE_DTYPE)
            out = self(xt, torch.full((xt.shape[0],), float(t), dtype=_ENSEMBLE_DTYPE)).double().numpy()
        return out.mean(axis=0), out.std(axis=0)


def _jittered_cholesky(k: torch.Tensor) -> torch.Tensor:
    """Lower Cholesky factor of ``k``, adding jitter 1e-6, 1e-4, 1e-2 to the diagonal if needed."""
    eye = torch.eye(k.shape[0], dtype=k.dtype)
    for jitter in (0.0, 1e-6, 1e-4, 1e-2):
        chol, info = torch.linalg.cholesky_ex(k + jitter * eye if jitter else k)
        if int(info) == 0:
            out: torch.Tensor = chol
            return out
    raise np.linalg.LinAlgError("the deep-kernel GP's covariance is not positive definite")


def _squared_distances(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``|a_i - b_j|^2`` as ``|a_i|^2 + |b_j|^2 - 2 a_i.b_j`` (matrix products), clipped at 0."""
    return (a.square().sum(1, keepdim=True) + b.square().sum(1) - 2 * a @ b.T).clamp_min(0.0)


class _MarginalNLL(torch.autograd.Function):
    """The GP's negative log marginal likelihood (without ``n log(2 pi) / 2``), gradient in closed form.

    Inputs ``(f, log_lengthscale, log_scale, log_noise, r)``: features ``f`` of shape ``(n, k)``,
    the kernel's log hyperparameters and the residuals ``r = y - mean``. With
    ``Kse_ij = scale * exp(-|f_i - f_j|^2 / (2 lengthscale^2))`` and
    ``K = Kse + (noise + 1e-6) I = L L^T`` (:func:`_jittered_cholesky`), the value is
    ``r^T K^-1 r / 2 + sum(log diag L)``. Backward uses ``G = dNLL/dK = (K^-1 - alpha alpha^T) / 2``
    (``alpha = K^-1 r``) and the chain rule through the squared-exponential kernel written out by
    hand, ``W = G * Kse``: ``d/df = -2 (diag(W 1) f - W f) / lengthscale^2``,
    ``d/dlog_scale = sum(W)``, ``d/dlog_lengthscale = sum(W * D)`` (``D`` the scaled squared
    distances), ``d/dlog_noise = noise * trace(G)``, ``d/dr = alpha``. This is the gradient
    autograd would give through the Cholesky factorisation and the kernel, with a few times fewer
    passes over ``n x n`` arrays.
    """

    @staticmethod
    def forward(
        ctx: Any,
        f: torch.Tensor,
        log_lengthscale: torch.Tensor,
        log_scale: torch.Tensor,
        log_noise: torch.Tensor,
        r: torch.Tensor,
    ) -> torch.Tensor:
        scaled = _squared_distances(f, f) / torch.exp(2 * log_lengthscale)
        kse = torch.exp(-0.5 * scaled).mul_(torch.exp(log_scale))
        noise = torch.exp(log_noise)
        k = kse.clone()
        k.diagonal().add_(noise + 1e-6)
        chol = _jittered_cholesky(k)
        alpha = torch.cholesky_solve(r.unsqueeze(1), chol)[:, 0]
        ctx.save_for_backward(f, log_lengthscale, noise, chol, alpha, kse, scaled)
        return 0.5 * (r @ alpha) + torch.log(torch.diagonal(chol)).sum()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, ...]:
        f, log_lengthscale, noise, chol, alpha, kse, scaled = ctx.saved_tensors
        g = torch.cholesky_inverse(chol).sub_(torch.outer(alpha, alpha)).mul_(0.5 * grad)
        d_noise = torch.diagonal(g).sum() * noise
        w = g.mul_(kse)  # G * Kse (G is not needed any more)
        d_scale = w.sum()
        d_lengthscale = (w.reshape(-1) @ scaled.reshape(-1)).reshape(())
        d_f = (w @ f - w.sum(1, keepdim=True) * f) * (2.0 / torch.exp(2 * log_lengthscale))
        return d_f, d_lengthscale, d_scale, d_noise, grad * alpha


class DeepKernelGP(torch.nn.Module):
    """A GP with a squared-exponential kernel on learned features of (configuration, budget, curve).

    Feature extractor (after Wistuba et al. 2022, Section 4): the configuration and budget go
    through a linear layer of 64 units; the learning curve observed before the budget (zero-
    padded to a fixed length) goes through a 1-D convolution with 4 filters of width 3 and a
    global max-pool; both are concatenated and mapped by layers of 128 and ``out`` units (ReLU
    between layers). The GP has a constant mean, a learned output scale, lengthscale and noise,
    all trained jointly with the extractor by maximising the exact marginal likelihood.

    Args:
        dim: Length of the configuration encoding.
        curve_length: Length of the padded curve input (at least 3).
        out: Number of learned features.
        generator: Source of the initial weights.
    """

    def __init__(self, *, dim: int, curve_length: int, out: int, generator: torch.Generator) -> None:
        super().__init__()
        self.curve_length = curve_length
        self.w1 = _init((dim + 1, 64), dim + 1, generator)
        self.b1 = _init((64,), dim + 1, generator)
        self.conv_w = _init((4, 1, 3), 3, generator)
        self.conv_b = _init((4,), 3, generator)
        self.w2 = _init((68, 128), 68, generator)
        self.b2 = _init((128,), 68, generator)
        self.w3 = _init((128, out), 128, generator)
        self.b3 = _init((out,), 128, generator)
        self.log_lengthscale = torch.nn.Parameter(torch.zeros((), dtype=_DTYPE))
        self.log_scale = torch.nn.Parameter(torch.zeros((), dtype=_DTYPE))
        self.log_noise = torch.nn.Parameter(torch.tensor(math.log(1e-2), dtype=_DTYPE))
        self.mean = torch.nn.Parameter(torch.zeros((), dtype=_DTYPE))

    def features(self, x: torch.Tensor, t: torch.Tensor, curves: torch.Tensor) -> torch.Tensor:
        """Learned features, shape ``(n, out)``."""
        h = torch.relu(torch.cat([x, t.unsqueeze(1)], dim=1) @ self.w1 + self.b1)
        c = torch.nn.functional.conv1d(curves.unsqueeze(1), self.conv_w, self.conv_b)
        c = torch.relu(c).amax(dim=2)
        h = torch.relu(torch.cat([h, c], dim=1) @ self.w2 + self.b2)
        return h @ self.w3 + self.b3

    def _kernel(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d2 = _squared_distances(a, b) / torch.exp(2 * self.log_lengthscale)
        return torch.exp(self.log_scale) * torch.exp(-0.5 * d2)

    def _covariance(self, f: torch.Tensor) -> torch.Tensor:
        """The training covariance ``K(f, f) + (noise + 1e-6) I``."""
        noise = torch.exp(self.log_noise) + 1e-6
        return self._kernel(f, f) + noise * torch.eye(f.shape[0], dtype=_DTYPE)

    def _cholesky(self, f: torch.Tensor) -> torch.Tensor:
        return _jittered_cholesky(self._covariance(f))

    def fit(
        self,
        x: FloatArray,
        t: FloatArray,
        curves: FloatArray,
        y: FloatArray,
        *,
        steps: int,
        optimizer: torch.optim.Optimizer,
    ) -> None:
        """Take ``steps`` optimizer steps on the negative exact marginal log-likelihood (full batch).

        The likelihood's gradient through the covariance is written out in closed form
        (:class:`_MarginalNLL`), not autograd through the Cholesky factorisation and the kernel:
        the same gradient, several times cheaper at a thousand points.
        """
        xt, tt, ct = (torch.as_tensor(a, dtype=_DTYPE) for a in (x, t, curves))
        yt = torch.as_tensor(y, dtype=_DTYPE)
        for _ in range(steps):
            optimizer.zero_grad()
            f = self.features(xt, tt, ct)
            nll: torch.Tensor = _MarginalNLL.apply(  # type: ignore[no-untyped-call]
                f, self.log_lengthscale, self.log_scale, self.log_noise, yt - self.mean
            )
            (nll / yt.shape[0]).backward()  # type: ignore[no-untyped-call]
            optimizer.step()

    def predict(
        self,
        x: FloatArray,
        t: FloatArray,
        curves: FloatArray,
        y: FloatArray,
        xq: FloatArray,
        tq: FloatArray,
        cq: FloatArray,
    ) -> tuple[FloatArray, FloatArray]:
        """Posterior mean and standard deviation (of the latent function) at the query points."""
        with torch.no_grad():
            f = self.features(*(torch.as_tensor(a, dtype=_DTYPE) for a in (x, t, curves)))
            fq = self.features(*(torch.as_tensor(a, dtype=_DTYPE) for a in (xq, tq, cq)))
            chol = self._cholesky(f)
            r = (torch.as_tensor(y, dtype=_DTYPE) - self.mean).unsqueeze(1)
            kq = self._kernel(fq, f)
            mean = self.mean + (kq @ torch.cholesky_solve(r, chol))[:, 0]
            v = torch.linalg.solve_triangular(chol, kq.T, upper=False)
            var = torch.exp(self.log_scale) - v.square().sum(dim=0)
            return mean.numpy(), var.clamp_min(1e-12).sqrt().numpy()
