"""Conformalized quantile regression and its Thompson-like acquisition (Salinas et al. 2023).

The paper fits gradient-boosted trees with quantile losses; scikit-learn and LightGBM are not
dependencies here, so the quantile regressor is a *kernel-weighted conditional quantile*
estimator (Nadaraya–Watson quantiles, the estimator a quantile regression forest computes
with tree-induced weights): the conditional CDF at ``x`` is

    F(y | x) = (sum_i w_i(x) 1[y_i <= y] + w_0 F_n(y)) / (sum_i w_i(x) + w_0),

with Gaussian weights ``w_i(x) = exp(-|x - x_i|² / (2 h²))`` in the unit cube and a weight ``w_0``
on the marginal empirical CDF ``F_n``, so that predictions revert to the marginal distribution
(wide quantiles, exploration) far from the data. The bandwidth is
``h = kernel_width * sqrt(D) * n**(-1/(D+4))`` for ``D`` input dimensions.

Split-conformal correction (Romano et al. 2019, as in the paper): a random ``calibration_fraction``
of the observations is held out; for each symmetric pair of quantile levels
``(a, 1 - a)`` the scores ``E_i = max(q_a(x_i) - y_i, y_i - q_{1-a}(x_i))`` give the correction
``c = Quantile(E, (1 - 2a)(1 + 1/n_cal))``; the pair becomes ``(q_a - c, q_{1-a} + c)``.
The acquisition draws, for every candidate, one of the corrected quantiles uniformly at random
and returns the candidate with the smallest draw.
"""

from __future__ import annotations

import math

import numpy as np

from hpobench.methods._encoding import FloatArray

__all__ = ["conformal_quantiles", "kernel_quantiles", "quantile_levels", "thompson_pick"]


def quantile_levels(m: int) -> FloatArray:
    """``m`` equally spaced levels ``j / (m + 1)``, ``j = 1..m`` (symmetric around 0.5)."""
    return np.arange(1, m + 1) / (m + 1.0)


def kernel_quantiles(
    x_train: FloatArray,
    y_train: FloatArray,
    x_query: FloatArray,
    levels: FloatArray,
    *,
    kernel_width: float,
    prior_weight: float,
) -> FloatArray:
    """Kernel-weighted conditional quantiles, ``(n_query, n_levels)``."""
    n, dim = x_train.shape
    h = kernel_width * math.sqrt(max(dim, 1)) * n ** (-1.0 / (dim + 4))
    order = np.argsort(y_train, kind="stable")
    xs, ys = x_train[order], y_train[order]
    d2 = (x_query * x_query).sum(1)[:, None] + (xs * xs).sum(1)[None, :] - 2.0 * x_query @ xs.T
    w = np.exp(-np.maximum(d2, 0.0) / (2.0 * h * h)) + prior_weight / n  # marginal CDF mixed in
    cum = np.cumsum(w, axis=1)
    cum /= cum[:, -1:]
    # the smallest sorted y whose cumulative weight reaches each level: count the weights below it,
    # one level at a time (a (query, train, level) array summed over its middle axis is ~8x slower)
    idx = np.empty((cum.shape[0], len(levels)), dtype=np.intp)
    for j, level in enumerate(levels):
        idx[:, j] = (cum < level).sum(axis=1)
    return np.asarray(ys[np.minimum(idx, n - 1)], dtype=float)


def conformal_quantiles(
    x: FloatArray,
    y: FloatArray,
    x_query: FloatArray,
    levels: FloatArray,
    rng: np.random.Generator,
    *,
    calibration_fraction: float,
    kernel_width: float,
    prior_weight: float,
) -> FloatArray:
    """Conformally corrected quantiles at ``x_query``, ``(n_query, n_levels)``.

    Without at least 2 training and 2 calibration points no correction is applied.
    """
    n = len(y)
    n_cal = math.floor(calibration_fraction * n)
    kw = {"kernel_width": kernel_width, "prior_weight": prior_weight}
    if n_cal < 2 or n - n_cal < 2:
        return kernel_quantiles(x, y, x_query, levels, **kw)
    perm = rng.permutation(n)
    cal, train = perm[:n_cal], perm[n_cal:]
    q_query = kernel_quantiles(x[train], y[train], x_query, levels, **kw)
    q_cal = kernel_quantiles(x[train], y[train], x[cal], levels, **kw)
    m = len(levels)
    for j in range(m // 2):
        lo, hi = j, m - 1 - j
        scores = np.maximum(q_cal[:, lo] - y[cal], y[cal] - q_cal[:, hi])
        level = min(1.0, (levels[hi] - levels[lo]) * (1.0 + 1.0 / n_cal))
        c = float(np.quantile(scores, level))
        q_query[:, lo] -= c
        q_query[:, hi] += c
    return q_query


def thompson_pick(quantiles: FloatArray, rng: np.random.Generator) -> int:
    """Index of the candidate whose uniformly drawn quantile is the smallest."""
    q, m = quantiles.shape
    draws = quantiles[np.arange(q), rng.integers(m, size=q)]
    return int(np.argmin(draws))
