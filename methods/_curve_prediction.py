"""The predictive distribution of FT-PFN: a bar distribution (piecewise-uniform density) on [0, 1].

Semantics follow ``ifbo.bar_distribution.BarDistribution`` 0.4.1 (``mean``, ``icdf``, ``pi``, ``ei``
and its loss as ``-log_density``), computed in float64 numpy from the bucket probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hpobench.methods._encoding import FloatArray

__all__ = ["CurvePrediction"]


@dataclass(frozen=True, kw_only=True)
class CurvePrediction:
    """Predictions for ``m`` query points, each a density that is uniform inside every bucket.

    Values are "higher is better" and lie in [0, 1]. Built by :meth:`FTPFN.predict`; read-only.

    Attributes:
        probs: ``(m, num_bars)`` bucket probabilities, each row sums to 1.
        borders: ``(num_bars + 1,)`` increasing bucket borders from 0 to 1.
    """

    probs: FloatArray
    borders: FloatArray

    def __post_init__(self) -> None:
        if self.probs.ndim != 2 or self.borders.shape != (self.probs.shape[1] + 1,):
            raise ValueError(f"probs {self.probs.shape} and borders {self.borders.shape} do not match")
        self.probs.setflags(write=False)
        self.borders.setflags(write=False)

    @property
    def _widths(self) -> FloatArray:
        return np.diff(self.borders)

    def mean(self) -> FloatArray:
        """Predictive mean of each query, shape ``(m,)``."""
        centers = 0.5 * (self.borders[:-1] + self.borders[1:])
        return np.asarray(self.probs @ centers)

    def quantile(self, q: float) -> FloatArray:
        """The ``q``-quantile of each query (linear inside a bucket), shape ``(m,)``."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile level must be in [0, 1], got {q}")
        cum = np.cumsum(self.probs, axis=1)
        idx = np.minimum((cum < q).sum(axis=1), self.probs.shape[1] - 1)
        rows = np.arange(len(idx))
        below = np.where(idx > 0, cum[rows, np.maximum(idx - 1, 0)], 0.0)
        p = self.probs[rows, idx]
        frac = np.clip(np.divide(q - below, p, out=np.zeros_like(p), where=p > 0), 0.0, 1.0)
        return np.asarray(self.borders[idx] + self._widths[idx] * frac)

    def prob_greater(self, threshold: float | FloatArray) -> FloatArray:
        """P(y > threshold) for each query (a scalar or one threshold per query), shape ``(m,)``."""
        t = np.broadcast_to(np.asarray(threshold, dtype=float), (self.probs.shape[0],))[:, None]
        above = 1.0 - np.clip((t - self.borders[:-1]) / self._widths, 0.0, 1.0)
        return np.asarray((self.probs * above).sum(axis=1))

    def expected_improvement(self, best: float) -> FloatArray:
        """E[max(y - best, 0)] for each query, shape ``(m,)``."""
        lo, hi = self.borders[:-1], self.borders[1:]
        c = np.clip(best, lo, hi)
        per_bucket = ((hi**2 - c**2) / 2 - best * (hi - c)) / self._widths
        return np.asarray(self.probs @ per_bucket)

    def log_density(self, y: FloatArray) -> FloatArray:
        """Log predictive density of observed values ``y`` (one per query, in [0, 1]), shape ``(m,)``.

        Raises:
            ValueError: ``y`` has another length or leaves [0, 1].
        """
        y = np.asarray(y, dtype=float)
        if y.shape != (self.probs.shape[0],) or not np.all((y >= 0.0) & (y <= 1.0)):
            raise ValueError(f"y must be {self.probs.shape[0]} values in [0, 1]")
        idx = np.clip(np.searchsorted(self.borders, y, side="left") - 1, 0, self.probs.shape[1] - 1)
        p = self.probs[np.arange(len(y)), idx]
        with np.errstate(divide="ignore"):
            return np.asarray(np.log(p) - np.log(self._widths[idx]))
