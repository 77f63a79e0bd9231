"""Gaussian-process Bayesian optimisation with expected improvement (numpy and scipy only)."""

from __future__ import annotations

import numpy as np

from hpobench.contracts.types import Task
from hpobench.methods._encoding import FloatArray, IntArray
from hpobench.methods._gp import GaussianProcess, default_theta, expected_improvement, fit_hyperparameters
from hpobench.methods._model import ModelMethod, check_number, finite_losses

__all__ = ["GPBO"]


class GPBO(ModelMethod):
    """GP-BO: ARD Matérn-5/2 Gaussian process on the encoded unit cube, expected improvement.

    Inputs are the numeric coordinates of the encoding plus one-hot categoricals, each with its
    own lengthscale. Losses (``sign * value``; failures imputed as the worst loss plus the
    observed range) are standardised. The first model-based ask and every ``refit_every``-th one
    after it refit the hyperparameters by maximising the log marginal likelihood with L-BFGS-B
    (analytic gradients, ``maxiter`` iterations) from the previous optimum and ``n_restarts``
    random starts; the asks in between reuse them. Each ask conditions the GP and returns the
    candidate with the largest expected improvement among ``n_candidates`` uniform random points
    and ``n_local`` Gaussian perturbations (scale ``local_scale``) of the ``5`` best
    observations. Candidates are rounded to valid configurations before scoring, so integer,
    ordinal and grid (candidate-set) spaces are handled.

    Cost control (documented deviation from exact GP-BO): hyperparameters are fitted on at most
    ``max_fit_points`` observations (a random subset that always holds the best tenth), and
    the posterior conditions on at most ``max_points`` (the best half of them plus a random
    subset of the rest). Below these sizes the method is exact. Per-ask cost is then bounded by
    ``O(max_fit_points**3 * maxiter)`` plus ``O(max_points**3)``.

    Asynchronous: trials in flight are ignored by the model. Always asks at the maximal fidelity.

    Args:
        task: The task; read-only. Its space must have no conditions.
        seed: Seed of the private generator.
        n_startup_trials: Random configurations asked before the model is used.
        n_candidates: Uniform random candidates per ask.
        n_local: Local perturbations of the best observations per ask.
        local_scale: Standard deviation of the local perturbations in the unit cube.
        n_restarts: Random restarts of the hyperparameter optimisation per ask.
        maxiter: L-BFGS-B iterations per start.
        refit_every: Hyperparameters are refitted on every ``refit_every``-th model-based ask.
        max_fit_points: Most observations used to fit hyperparameters.
        max_points: Most observations the posterior conditions on.

    Raises:
        ValueError: A hyperparameter is out of range, or the space cannot be encoded.
    """

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        n_startup_trials: int = 10,
        n_candidates: int = 1000,
        n_local: int = 500,
        local_scale: float = 0.05,
        n_restarts: int = 1,
        maxiter: int = 30,
        refit_every: int = 5,
        max_fit_points: int = 150,
        max_points: int = 1000,
    ) -> None:
        super().__init__(task, seed=seed)
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates
        self.n_local = n_local
        self.local_scale = local_scale
        self.n_restarts = n_restarts
        self.maxiter = maxiter
        self.refit_every = refit_every
        self.max_fit_points = max_fit_points
        self.max_points = max_points
        check_number("n_startup_trials", n_startup_trials, low=0, integer=True)
        check_number("n_candidates", n_candidates, low=1, integer=True)
        check_number("n_local", n_local, low=0, integer=True)
        check_number("local_scale", local_scale, low=1e-9)
        check_number("n_restarts", n_restarts, low=0, integer=True)
        check_number("maxiter", maxiter, low=1, integer=True)
        check_number("refit_every", refit_every, low=1, integer=True)
        check_number("max_fit_points", max_fit_points, low=2, integer=True)
        check_number("max_points", max_points, low=2, integer=True)
        self._setup(int(n_startup_trials))
        self._theta: FloatArray | None = None
        self._n_model_asks = 0

    def _subset(self, losses: FloatArray, size: int, keep_best: int) -> IntArray:
        n = len(losses)
        if n <= size:
            return np.arange(n)
        order = np.argsort(losses, kind="stable")
        rest = self._rng.choice(order[keep_best:], size=size - keep_best, replace=False)
        return np.sort(np.concatenate([order[:keep_best], rest]))

    def _candidates(self, losses: FloatArray) -> tuple[FloatArray, IntArray]:
        enc, obs = self._enc, self._obs
        xn, xc = enc.sample(self._rng, int(self.n_candidates))
        n_local = int(self.n_local)
        if n_local:
            top = np.argsort(losses, kind="stable")[:5]
            parent = top[self._rng.integers(len(top), size=n_local)]
            ln = obs.xn[parent] + float(self.local_scale) * self._rng.standard_normal(
                (n_local, enc.n_numeric)
            )
            lc = obs.xc[parent].copy()
            flip = self._rng.random(lc.shape) < 1.0 / max(enc.dim, 1)
            lc = np.where(flip, (self._rng.random(lc.shape) * enc.n_choices).astype(np.int64), lc)
            xn, xc = np.vstack([xn, np.clip(ln, 0.0, 1.0)]), np.vstack([xc, lc])
        return enc.snap(xn, xc)

    def _fit_theta(self, x_all: FloatArray, losses: FloatArray) -> FloatArray:
        dim = x_all.shape[1]
        fit_idx = self._subset(losses, int(self.max_fit_points), max(1, int(self.max_fit_points) // 10))
        y_fit = losses[fit_idx]
        y_fit = (y_fit - y_fit.mean()) / (float(y_fit.std()) or 1.0)
        starts = [default_theta(dim) if self._theta is None else self._theta]
        for _ in range(int(self.n_restarts)):
            log_ls = self._rng.uniform(np.log(0.05), np.log(2.0), dim)
            rest = [self._rng.uniform(-1.0, 1.0), self._rng.uniform(np.log(1e-5), np.log(1e-1))]
            starts.append(np.concatenate([log_ls, rest]))
        return fit_hyperparameters(x_all[fit_idx], y_fit, starts, maxiter=int(self.maxiter))

    def _propose(self) -> tuple[FloatArray, IntArray]:
        enc, obs = self._enc, self._obs
        losses = finite_losses(obs.losses)
        x_all = enc.to_unit(obs.xn, obs.xc)
        if self._theta is None or self._n_model_asks % int(self.refit_every) == 0:
            self._theta = self._fit_theta(x_all, losses)
        self._n_model_asks += 1
        assert self._theta is not None
        idx = self._subset(losses, int(self.max_points), int(self.max_points) // 2)
        y = losses[idx]
        mean, std = float(y.mean()), float(y.std()) or 1.0
        gp = GaussianProcess.fit(x_all[idx], (y - mean) / std, self._theta)
        cn, cc = self._candidates(losses)
        mu, sd = gp.predict(enc.to_unit(cn, cc))
        ei = expected_improvement(mu, sd, float((losses.min() - mean) / std))
        best = int(np.argmax(ei))
        return cn[best : best + 1], cc[best : best + 1]
