"""Vectorised Parzen (kernel density) estimators over the encoded space, for TPE and BOHB.

Numeric coordinates use Gaussian kernels truncated to ``[0, 1]``; categorical coordinates use an
Aitchison–Aitken kernel (probability ``1 - b`` on the centre's choice, ``b / (k - 1)`` on each
other choice). An optional *prior* component is mixed in with its own weight: uniform over the
categorical choices and, on numeric coordinates, a Gaussian centred at ``0.5`` with standard
deviation ``prior_sigma`` truncated to ``[0, 1]`` (uniform when ``prior_sigma`` is infinite).
A *multivariate* estimator is a mixture of product kernels (Falkner et al. 2018; Optuna's
``multivariate=True``); an *independent* one is a product over coordinates of one-dimensional
mixtures (Bergstra et al. 2011).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from hpobench.methods._encoding import FloatArray, IntArray

__all__ = ["Parzen"]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_TINY = 1e-300


def logsumexp(a: FloatArray, axis: int) -> FloatArray:
    """``log(sum(exp(a), axis))``, stable; plain numpy (scipy's version has a large fixed cost)."""
    peak = np.max(a, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - peak), axis=axis, keepdims=True)) + peak
    return np.asarray(np.squeeze(out, axis=axis), dtype=float)


@dataclass(frozen=True, kw_only=True)
class Parzen:
    """A Parzen estimator with ``m`` kernels (plus an optional prior component).

    Attributes:
        mu: Kernel centres of the numeric coordinates, ``(m, n_numeric)`` in ``[0, 1]``.
        sigma: Bandwidths, broadcastable to ``mu`` (positive).
        centers: Kernel centres of the categorical coordinates, ``(m, n_categorical)``.
        cat_bw: Probability ``b`` of leaving the centre's choice, ``(n_categorical,)``.
        n_choices: Number of choices per categorical coordinate, ``(n_categorical,)``.
        weights: Non-negative kernel weights, ``(m,)``.
        prior_weight: Weight of the prior component, on the scale of ``weights``.
        multivariate: Mixture of product kernels (True) or product of 1-d mixtures (False).
        prior_sigma: Standard deviation of the prior's truncated Gaussian on each numeric
            coordinate, centred at ``0.5`` (Optuna's TPE uses the whole range, ``1.0``);
            ``math.inf`` makes the prior uniform on ``[0, 1]``.
    """

    mu: FloatArray
    sigma: FloatArray
    centers: IntArray
    cat_bw: FloatArray
    n_choices: IntArray
    weights: FloatArray
    prior_weight: float
    multivariate: bool = True
    prior_sigma: float = math.inf

    def _prior_log_density(self, xn: FloatArray) -> FloatArray:
        """Log density of the prior's numeric part at each coordinate, ``(q, n_numeric)``."""
        if math.isinf(self.prior_sigma):
            return np.zeros_like(xn)
        s = float(self.prior_sigma)
        log_z = math.log(max(float(ndtr(0.5 / s) - ndtr(-0.5 / s)), _TINY))
        z = (xn - 0.5) / s
        return np.asarray(-0.5 * z * z - math.log(s) - _LOG_SQRT_2PI - log_z, dtype=float)

    def _log_weights(self) -> tuple[FloatArray, float]:
        total = float(self.weights.sum()) + self.prior_weight
        with np.errstate(divide="ignore"):
            lw = np.log(self.weights / total)
            lp = math.log(self.prior_weight / total) if self.prior_weight > 0 else -math.inf
        return lw, lp

    def _cat_terms(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per categorical coordinate: log kernel on the centre, off the centre, log k."""
        k = self.n_choices
        b = np.minimum(self.cat_bw, (k - 1) / np.maximum(k, 1))
        with np.errstate(divide="ignore"):
            on = np.log(1.0 - b)
            off = np.where(k > 1, np.log(np.maximum(b, _TINY) / np.maximum(k - 1, 1)), 0.0)
        return on, off, np.log(np.maximum(k, 1)).astype(float)

    def log_pdf(self, xn: FloatArray, xc: IntArray) -> FloatArray:
        """Log density at ``q`` points (``xn``: ``(q, n_numeric)``, ``xc``: ``(q, n_categorical)``)."""
        if self.multivariate:
            return self._log_pdf_multivariate(xn, xc)
        mu, sigma = self.mu, np.broadcast_to(self.sigma, self.mu.shape)
        log_z = np.log(np.maximum(ndtr((1.0 - mu) / sigma) - ndtr(-mu / sigma), _TINY))
        z = (xn[:, None, :] - mu[None]) / sigma[None]
        lk = -0.5 * z * z - np.log(sigma)[None] - _LOG_SQRT_2PI - log_z[None]  # (q, m, dn)
        on, off, log_k = self._cat_terms()
        lc = np.where(xc[:, None, :] == self.centers[None], on, off)  # (q, m, dc)
        lw, lp = self._log_weights()
        q = xn.shape[0]
        num = lk + lw[None, :, None]
        num = np.concatenate([num, (lp + self._prior_log_density(xn))[:, None, :]], axis=1)
        cat = lc + lw[None, :, None]
        cat = np.concatenate([cat, np.broadcast_to(lp - log_k, (q, 1, cat.shape[2]))], axis=1)
        out = logsumexp(num, axis=1).sum(axis=1) + logsumexp(cat, axis=1).sum(axis=1)
        return np.asarray(out, dtype=float)

    def _log_pdf_multivariate(self, xn: FloatArray, xc: IntArray) -> FloatArray:
        # Mixture of product kernels as (q, m) matrices from matrix products, no (q, m, d) array.
        mu, q, m = self.mu, xn.shape[0], self.mu.shape[0]
        sigma = np.broadcast_to(self.sigma, mu.shape)
        log_z = np.log(np.maximum(ndtr((1.0 - mu) / sigma) - ndtr(-mu / sigma), _TINY))
        const = -(np.log(sigma) + log_z).sum(axis=1) - mu.shape[1] * _LOG_SQRT_2PI  # (m,)
        # sum_j (x_j - mu_ij)² / s_ij² expanded into matrix products
        inv = 1.0 / (sigma * sigma)
        d2 = (xn * xn) @ inv.T - 2.0 * (xn @ (mu * inv).T) + (mu * mu * inv).sum(axis=1)[None, :]
        d2 = np.maximum(d2, 0.0)
        comp = -0.5 * d2 + const[None, :]
        on, off, log_k = self._cat_terms()
        if self.centers.shape[1]:
            matches = np.zeros((q, m))
            for j in range(self.centers.shape[1]):  # few categorical coordinates: loop, (q, m) each
                matches += (xc[:, j : j + 1] == self.centers[None, :, j]) * (on[j] - off[j])
            comp += matches + float(off.sum())
        lw, lp = self._log_weights()
        comp += lw[None, :]
        prior = (lp - float(log_k.sum()) + self._prior_log_density(xn).sum(axis=1))[:, None]
        return logsumexp(np.hstack([comp, prior]), axis=1)

    def _prior_quantile(self, u: FloatArray) -> FloatArray:
        """Map uniform draws to the prior's numeric marginal (the identity when uniform)."""
        if math.isinf(self.prior_sigma):
            return u
        s = float(self.prior_sigma)
        lo, hi = ndtr(-0.5 / s), ndtr(0.5 / s)
        out = 0.5 + s * ndtri(np.clip(lo + u * (hi - lo), 1e-12, 1 - 1e-12))
        return np.asarray(np.clip(out, 0.0, 1.0), dtype=float)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[FloatArray, IntArray]:
        """Draw ``n`` points from the estimator with the caller's generator."""
        m, dn = self.mu.shape
        dc = self.centers.shape[1]
        lw, lp = self._log_weights()
        p = np.exp(np.append(lw, lp))
        p /= p.sum()
        shape = (n, 1) if self.multivariate else (n, dn + dc)
        comp = rng.choice(m + 1, size=shape, p=p)
        comp = np.broadcast_to(comp, (n, dn + dc))
        cn, cc = comp[:, :dn], comp[:, dn:]
        # numeric: truncated normal around the chosen centre or, for the prior component, 0.5
        prior_n = cn == m
        cols = np.arange(dn)[None, :]
        safe = np.where(prior_n, 0, cn)
        sigma = np.broadcast_to(self.sigma, self.mu.shape)
        mu = self.mu[safe, cols] if m else np.zeros((n, dn))
        s = sigma[safe, cols] if m else np.ones((n, dn))
        lo, hi = ndtr(-mu / s), ndtr((1.0 - mu) / s)
        u = rng.random((n, dn))
        xn = np.clip(mu + s * ndtri(np.clip(lo + u * (hi - lo), 1e-12, 1 - 1e-12)), 0.0, 1.0)
        xn = np.where(prior_n, self._prior_quantile(rng.random((n, dn))), xn)
        # categorical: keep the centre with probability 1 - b, else another choice uniformly
        k = self.n_choices
        prior_c = cc == m
        safe_c = np.where(prior_c, 0, cc)
        centre = self.centers[safe_c, np.arange(dc)[None, :]] if m else np.zeros((n, dc), dtype=np.int64)
        move = rng.random((n, dc)) < np.minimum(self.cat_bw, (k - 1) / np.maximum(k, 1))
        shift = (rng.random((n, dc)) * np.maximum(k - 1, 1)).astype(np.int64) + 1
        xc = np.where(move & (k > 1), (centre + shift) % np.maximum(k, 1), centre)
        uniform = (rng.random((n, dc)) * k).astype(np.int64)
        xc = np.where(prior_c, uniform, xc).astype(np.int64)
        return xn, xc
