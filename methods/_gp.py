"""A small Gaussian process with an ARD Matérn-5/2 kernel, in numpy and scipy.

Hyperparameters ``theta = (log lengthscales..., log signal variance, log noise variance)`` are
fitted by maximising the log marginal likelihood with L-BFGS-B and analytic gradients. Targets
are expected standardised (zero mean, unit variance); the prior mean is zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
from scipy.optimize import minimize
from scipy.special import ndtr

from hpobench.methods._encoding import FloatArray

__all__ = ["GaussianProcess", "expected_improvement", "fit_hyperparameters"]

_SQRT5 = math.sqrt(5.0)
_LOG_2PI = math.log(2.0 * math.pi)
LOG_LS_BOUNDS = (math.log(1e-2), math.log(20.0))
LOG_SV_BOUNDS = (math.log(0.05), math.log(20.0))
LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))


def default_theta(dim: int) -> FloatArray:
    """Starting hyperparameters: lengthscales 0.5, signal variance 1, noise variance 1e-3."""
    return np.concatenate([np.full(dim, math.log(0.5)), [0.0, math.log(1e-3)]])


def bounds(dim: int) -> list[tuple[float, float]]:
    """L-BFGS-B box bounds of ``theta``."""
    return [LOG_LS_BOUNDS] * dim + [LOG_SV_BOUNDS, LOG_NOISE_BOUNDS]


def _scaled_sq(x1: FloatArray, x2: FloatArray, ls: FloatArray) -> FloatArray:
    """Squared distances between the rows of ``x1 / ls`` and ``x2 / ls`` (at least 0)."""
    a = x1 / ls
    b = a if x2 is x1 else x2 / ls
    a_sq = (a * a).sum(1)
    d2: FloatArray = a_sq[:, None] + (a_sq if b is a else (b * b).sum(1))[None, :]
    d2 -= 2.0 * a @ b.T
    np.maximum(d2, 0.0, out=d2)
    return d2


def _matern_terms(r: FloatArray, sv: float) -> tuple[FloatArray, FloatArray]:
    """``(sv * (1 + √5 r + 5 r²/3) exp(-√5 r), exp(-√5 r))``, with few temporary arrays."""
    e = -_SQRT5 * r
    np.exp(e, out=e)
    k = _SQRT5 * r
    k += 1.0
    r_sq = (5.0 / 3.0) * r
    r_sq *= r
    k += r_sq
    k *= sv
    k *= e
    return k, e


def matern52(x1: FloatArray, x2: FloatArray, ls: FloatArray, sv: float) -> FloatArray:
    """Matérn-5/2 kernel matrix ``sv * (1 + √5 r + 5 r²/3) exp(-√5 r)``."""
    return _matern_terms(np.sqrt(_scaled_sq(x1, x2, ls)), sv)[0]


def _add_to_diagonal(k: FloatArray, value: float) -> None:
    """``k += value * I`` in place (the same numbers: off the diagonal it adds ``0.0``)."""
    diagonal = k.reshape(-1)[:: len(k) + 1]
    diagonal += value


def _cholesky(k: FloatArray, noise: float) -> FloatArray:
    """Lower Cholesky factor of ``k + noise * I + jitter * I`` (``k`` itself is left unchanged).

    The jitter starts at 1e-9 and grows tenfold until the factorisation succeeds (8 tries).
    """
    jitter = 1e-9
    for _ in range(8):
        shifted = k.copy()
        _add_to_diagonal(shifted, noise)
        _add_to_diagonal(shifted, jitter)
        try:
            return np.asarray(np.linalg.cholesky(shifted), dtype=float)
        except np.linalg.LinAlgError:
            jitter *= 10.0
    raise np.linalg.LinAlgError("kernel matrix is not positive definite")


class _Likelihood:
    """Negative log marginal likelihood of ``(x, y)`` and its gradient, as a function of ``theta``.

    What does not depend on ``theta`` is computed once, for every call that L-BFGS-B makes.
    """

    def __init__(self, x: FloatArray, y: FloatArray) -> None:
        self.x, self.y = x, y
        self.n, self.dim = x.shape
        self.x_sq_t2 = 2.0 * (x * x).T  # the transposed squares, doubled, as the gradient uses them

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        x, y, n, dim = self.x, self.y, self.n, self.dim
        ls, sv, noise = np.exp(theta[:dim]), math.exp(theta[dim]), math.exp(theta[dim + 1])
        r = np.sqrt(_scaled_sq(x, x, ls))
        base, e = _matern_terms(r, sv)
        try:
            chol = _cholesky(base, noise)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(theta)
        alpha = sla.cho_solve((chol, True), y, check_finite=False)
        nll = 0.5 * float(y @ alpha) + float(np.log(np.diag(chol)).sum()) + 0.5 * n * _LOG_2PI
        inv, info = sla.lapack.dpotri(chol, lower=1)
        if info != 0:
            return 1e10, np.zeros_like(theta)
        # the symmetric inverse from its lower triangle: dpotri writes only that triangle and the
        # factor's upper one is zero (numpy's cholesky zeroes it), so ``inv + inv.T`` holds each
        # entry below and above the diagonal plus 0.0, as ``tril(inv) + tril(inv, -1).T`` does,
        # and the diagonal is set back to the entries themselves (3-4x faster, the same bits)
        k_inv = inv + inv.T
        np.fill_diagonal(k_inv, np.diagonal(inv))
        w = np.outer(alpha, alpha)
        w -= k_inv
        grad = np.empty_like(theta)
        # dK/dlog ls_j = sv * 5/3 * (1 + √5 r) exp(-√5 r) * (x_ij - x_kj)² / ls_j²; with the symmetric
        # a = that prefactor times w, sum_ik a_ik (x_ij - x_kj)² = 2 sum_i x_ij² rowsum_i - 2 x_j' a x_j
        a = _SQRT5 * r
        a += 1.0
        a *= sv * (5.0 / 3.0)
        a *= e
        a *= w
        quad = self.x_sq_t2 @ a.sum(axis=1) - 2.0 * (x * (a @ x)).sum(axis=0)
        grad[:dim] = -0.5 * quad / (ls * ls)
        w_base = w * base
        grad[dim] = -0.5 * float(w_base.sum())
        grad[dim + 1] = -0.5 * noise * float(np.trace(w))
        return nll, grad


def fit_hyperparameters(
    x: FloatArray, y: FloatArray, starts: list[FloatArray], *, maxiter: int = 50
) -> FloatArray:
    """Return the best ``theta`` found by L-BFGS-B from each of ``starts``."""
    best_theta, best_value = starts[0], math.inf
    objective = _Likelihood(x, y)
    for start in starts:
        result = minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds(x.shape[1]),
            options={"maxiter": maxiter},
        )
        if np.isfinite(result.fun) and result.fun < best_value:
            best_theta, best_value = np.asarray(result.x, dtype=float), float(result.fun)
    return best_theta


@dataclass(frozen=True, kw_only=True)
class GaussianProcess:
    """The posterior of a zero-mean GP conditioned on ``(x, y)`` with hyperparameters ``theta``."""

    x: FloatArray
    chol: FloatArray
    alpha: FloatArray
    theta: FloatArray

    @classmethod
    def fit(cls, x: FloatArray, y: FloatArray, theta: FloatArray) -> GaussianProcess:
        """Condition on the data (one Cholesky factorisation)."""
        dim = x.shape[1]
        k = matern52(x, x, np.exp(theta[:dim]), math.exp(theta[dim]))
        chol = _cholesky(k, math.exp(theta[dim + 1]))
        return cls(x=x, chol=chol, alpha=sla.cho_solve((chol, True), y), theta=theta)

    def predict(self, xq: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior mean and standard deviation of the latent function at ``xq``."""
        dim = self.x.shape[1]
        sv = math.exp(self.theta[dim])
        ks = matern52(xq, self.x, np.exp(self.theta[:dim]), sv)
        mean = ks @ self.alpha
        v = sla.solve_triangular(self.chol, ks.T, lower=True, check_finite=False)
        var = np.maximum(sv - (v * v).sum(0), 1e-12)
        return mean, np.sqrt(var)


def expected_improvement(mean: FloatArray, std: FloatArray, best: float | FloatArray) -> FloatArray:
    """Expected improvement below ``best`` (minimisation; an array gives one baseline per point)."""
    z = (best - mean) / std
    return np.asarray(std * (z * ndtr(z) + np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)), dtype=float)
