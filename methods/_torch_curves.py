"""Torch curve models of DPL and DyHPO (imported lazily: torch is the optional ``surrogates`` extra).

Both run on CPU in float64 and draw all randomness (initial weights, minibatches) from a
``torch.Generator`` seeded by the method, so a run is a function of its seed.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from hpobench.methods._freeze_thaw import FloatArray

__all__ = ["DeepKernelGP", "PowerLawEnsemble"]

_DTYPE = torch.float64


def _init(shape: tuple[int, ...], fan_in: int, generator: torch.Generator) -> torch.nn.Parameter:
    bound = 1.0 / math.sqrt(fan_in)
    return torch.nn.Parameter((torch.rand(shape, generator=generator, dtype=_DTYPE) * 2 - 1) * bound)


class PowerLawEnsemble(torch.nn.Module):
    """``E`` power-law networks trained together: ``y(t) = alpha + beta * t**(-gamma)``.

    Each member maps a configuration through ``layers`` fully-connected layers of ``width``
    LeakyReLU units to ``(alpha, beta, gamma)``; ``gamma`` goes through a softplus so the
    curve is monotone in ``t``. The members' weights are stacked along a leading axis and run
    as batched matrix products.

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
        self.weights = torch.nn.ParameterList(
            [_init((members, a, b), a, generator) for a, b in itertools.pairwise(sizes)]
        )
        self.biases = torch.nn.ParameterList(
            [_init((members, 1, b), a, generator) for a, b in itertools.pairwise(sizes)]
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
    ) -> None:
        """Train every member on all points with the L1 loss for ``epochs`` epochs of minibatches."""
        xt = torch.as_tensor(x, dtype=_DTYPE)
        tt = torch.as_tensor(t, dtype=_DTYPE)
        yt = torch.as_tensor(y, dtype=_DTYPE)
        n = xt.shape[0]
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            for start in range(0, n, batch_size):
                idx = order[start : start + batch_size]
                optimizer.zero_grad()
                loss = (self(xt[idx], tt[idx]) - yt[idx].unsqueeze(0)).abs().mean()
                loss.backward()
                optimizer.step()

    def predict(self, x: FloatArray, t: float) -> tuple[FloatArray, FloatArray]:
        """Ensemble mean and standard deviation at budget ``t`` for each row of ``x``."""
        with torch.no_grad():
            xt = torch.as_tensor(x, dtype=_DTYPE)
            out = self(xt, torch.full((xt.shape[0],), float(t), dtype=_DTYPE)).numpy()
        return out.mean(axis=0), out.std(axis=0)


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
        d2 = torch.cdist(a, b).square() / torch.exp(2 * self.log_lengthscale)
        return torch.exp(self.log_scale) * torch.exp(-0.5 * d2)

    def _cholesky(self, f: torch.Tensor) -> torch.Tensor:
        k = self._kernel(f, f)
        eye = torch.eye(f.shape[0], dtype=_DTYPE)
        noise = torch.exp(self.log_noise) + 1e-6
        for jitter in (0.0, 1e-6, 1e-4, 1e-2):
            chol, info = torch.linalg.cholesky_ex(k + (noise + jitter) * eye)
            if int(info) == 0:
                out: torch.Tensor = chol
                return out
        raise np.linalg.LinAlgError("the deep-kernel GP's covariance is not positive definite")

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
        """Take ``steps`` optimizer steps on the negative exact marginal log-likelihood (full batch)."""
        xt, tt, ct = (torch.as_tensor(a, dtype=_DTYPE) for a in (x, t, curves))
        yt = torch.as_tensor(y, dtype=_DTYPE)
        for _ in range(steps):
            optimizer.zero_grad()
            chol = self._cholesky(self.features(xt, tt, ct))
            r = (yt - self.mean).unsqueeze(1)
            alpha = torch.cholesky_solve(r, chol)
            nll = 0.5 * (r * alpha).sum() + torch.log(torch.diagonal(chol)).sum()
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
