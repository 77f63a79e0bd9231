"""Conformal quantile regression BO (Salinas, Golebiowski, Klein, Seeger & Archambeau 2023)."""

from __future__ import annotations

import numpy as np

from hpobench.contracts.types import Task
from hpobench.methods._cqr import conformal_quantiles, quantile_levels, thompson_pick
from hpobench.methods._encoding import Encoding, FloatArray, IntArray
from hpobench.methods._model import ModelMethod, check_number, to_ranks

__all__ = ["CQRBO", "check_cqr_params", "propose_cqr"]


def check_cqr_params(
    n_candidates: object, num_quantiles: object, calibration_fraction: object, kernel_width: object,
    prior_weight: object,
) -> None:  # fmt: skip
    """Validate the hyperparameters shared by :class:`CQRBO` and the multi-fidelity variant."""
    check_number("n_candidates", n_candidates, low=1, integer=True)
    check_number("num_quantiles", num_quantiles, low=1, integer=True)
    check_number("calibration_fraction", calibration_fraction, low=0.0, high=0.9)
    check_number("kernel_width", kernel_width, low=1e-6)
    check_number("prior_weight", prior_weight, low=0.0)


def propose_cqr(
    enc: Encoding,
    xn: FloatArray,
    xc: IntArray,
    losses: FloatArray,
    rng: np.random.Generator,
    *,
    n_candidates: int,
    num_quantiles: int,
    calibration_fraction: float,
    kernel_width: float,
    prior_weight: float,
) -> tuple[FloatArray, IntArray]:
    """One CQR proposal from observations ``(xn, xc, losses)``; failures (``inf``) rank last.

    Targets are Gaussian-copula transformed (ranks to normal quantiles) as in the paper;
    ``n_candidates`` uniform random candidates, rounded to valid configurations, are scored.
    """
    y = to_ranks(losses)
    cn, cc = enc.snap(*enc.sample(rng, n_candidates))
    quantiles = conformal_quantiles(
        enc.to_unit(xn, xc),
        y,
        enc.to_unit(cn, cc),
        quantile_levels(num_quantiles),
        rng,
        calibration_fraction=calibration_fraction,
        kernel_width=kernel_width,
        prior_weight=prior_weight,
    )
    best = thompson_pick(quantiles, rng)
    return cn[best : best + 1], cc[best : best + 1]


class CQRBO(ModelMethod):
    """CQR-BO: conformalized quantile regression with Thompson-like sampling of a quantile.

    After ``n_startup_trials`` random asks, each ask transforms the observed losses
    (``sign * value``; failures worst) to normal scores, predicts ``num_quantiles`` conditional
    quantiles at ``n_candidates`` random candidates with the kernel-weighted quantile regressor
    of :mod:`hpobench.methods._cqr` (documented substitute for the paper's gradient-boosted
    trees), corrects them by split conformal prediction on a held-out ``calibration_fraction``,
    draws one corrected quantile per candidate and returns the candidate with the smallest draw.
    Cost per ask: ``O(n_candidates * n * D)``.

    Asynchronous: trials in flight are ignored. Always asks at the maximal fidelity.

    Args:
        task: The task; read-only. Its space must have no conditions.
        seed: Seed of the private generator.
        n_startup_trials: Random configurations asked before the model is used.
        n_candidates: Random candidates scored per ask.
        num_quantiles: Number of predicted quantile levels ``j / (m + 1)``.
        calibration_fraction: Fraction of observations held out for the conformal correction.
        kernel_width: Scale of the kernel bandwidth of the quantile regressor.
        prior_weight: Weight (in observations) of the marginal distribution mixed into every
            prediction.

    Raises:
        ValueError: A hyperparameter is out of range, or the space cannot be encoded.
    """

    min_observations = 3

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        n_startup_trials: int = 10,
        n_candidates: int = 1000,
        num_quantiles: int = 5,
        calibration_fraction: float = 0.2,
        kernel_width: float = 0.25,
        prior_weight: float = 1.0,
    ) -> None:
        super().__init__(task, seed=seed)
        self.n_startup_trials = n_startup_trials
        self.n_candidates = n_candidates
        self.num_quantiles = num_quantiles
        self.calibration_fraction = calibration_fraction
        self.kernel_width = kernel_width
        self.prior_weight = prior_weight
        check_number("n_startup_trials", n_startup_trials, low=0, integer=True)
        check_cqr_params(n_candidates, num_quantiles, calibration_fraction, kernel_width, prior_weight)
        self._setup(int(n_startup_trials))

    def _propose(self) -> tuple[FloatArray, IntArray]:
        obs = self._obs
        return propose_cqr(
            self._enc,
            obs.xn,
            obs.xc,
            obs.losses,
            self._rng,
            n_candidates=int(self.n_candidates),
            num_quantiles=int(self.num_quantiles),
            calibration_fraction=float(self.calibration_fraction),
            kernel_width=float(self.kernel_width),
            prior_weight=float(self.prior_weight),
        )
