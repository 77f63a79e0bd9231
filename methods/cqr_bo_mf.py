"""Multi-fidelity CQR-BO: conformal quantile regression proposals inside asynchronous successive halving."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._brackets import resolve_fidelity_range, validate_eta
from hpobench.methods._encoding import Encoding
from hpobench.methods._model import Observations, check_number
from hpobench.methods._pending import PendingTrials, loss_of
from hpobench.methods.asha import PromotionRung, asha_rung_fidelities
from hpobench.methods.cqr_bo import check_cqr_params, propose_cqr

__all__ = ["CQRBOMF"]


class CQRBOMF(Method):
    """CQR-BO inside ASHA (the multi-fidelity variant of Salinas et al. 2023).

    Scheduling is asynchronous successive halving with promotion (Li et al., MLSys 2020): rungs
    at fidelities ``max_fidelity * eta**-(s_max - k)`` for ``k = 0..s_max`` (rounded for integer
    fidelities). Each ask first looks for a promotable configuration, from the highest rung
    down: one that finished rung ``k``, is among the best ``floor(n_k / eta)`` of the ``n_k``
    results there and was not promoted yet; the best such one is asked at rung ``k + 1``.
    Otherwise a new configuration starts at rung 0: random while no rung holds
    ``min_points_in_model`` results, else proposed by CQR (see
    :class:`~hpobench.methods.cqr_bo.CQRBO`) fitted on the results of the *highest* rung that
    holds at least ``min_points_in_model`` of them. Never returns ``None``.

    Trials are tagged ``"rung=<k>"``; losses are ``sign * value``, failures count as ``+inf``
    (never promoted ahead of a success).

    Args:
        task: The task; it must have a fidelity and an unconditional space.
        seed: Seed of the private generator.
        eta: Reduction factor, a number ``>= 2``.
        min_fidelity: Smallest fidelity; ``None`` for the task's lowest fidelity.
        max_fidelity: Largest fidelity; ``None`` for the task's maximal fidelity.
        min_points_in_model: Results a rung needs before the model is fitted on it.
        n_candidates: Random candidates scored per model-based proposal.
        num_quantiles: Number of predicted quantile levels.
        calibration_fraction: Fraction of observations held out for the conformal correction.
        kernel_width: Scale of the kernel bandwidth of the quantile regressor.
        prior_weight: Weight of the marginal distribution mixed into every prediction.

    Raises:
        ValueError: A hyperparameter is invalid, the task has no fidelity, or the space cannot
            be encoded.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True,
        requires_fidelity=True,
        candidate_set=True,
        asynchronous=True,
        conditional_spaces=False,
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        min_points_in_model: int = 10,
        n_candidates: int = 1000,
        num_quantiles: int = 5,
        calibration_fraction: float = 0.2,
        kernel_width: float = 0.25,
        prior_weight: float = 1.0,
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self.min_points_in_model = min_points_in_model
        self.n_candidates = n_candidates
        self.num_quantiles = num_quantiles
        self.calibration_fraction = calibration_fraction
        self.kernel_width = kernel_width
        self.prior_weight = prior_weight
        eta_f = validate_eta(eta)
        fid, r_min, r_max = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        check_number("min_points_in_model", min_points_in_model, low=3, integer=True)
        check_cqr_params(n_candidates, num_quantiles, calibration_fraction, kernel_width, prior_weight)
        self._eta = eta_f
        # ASHA's rungs r_min * eta**k, as Syne Tune's CQR-BO scheduler uses (see asha.py).
        self._fidelities = asha_rung_fidelities(eta=eta_f, r_min=r_min, r_max=r_max, integer=fid.integer)
        self._rng = np.random.default_rng(seed)
        self._enc = Encoding(task.space)
        self._configs: list[dict[str, Any]] = []  # config id -> configuration
        # each rung's results ordered by (loss, config id): the promotion query in O(log n) per result
        self._rungs = [PromotionRung(eta_f) for _ in self._fidelities]
        self._obs = [Observations(self._enc.n_numeric, self._enc.n_categorical) for _ in self._fidelities]
        self._pending: PendingTrials[tuple[int, int]] = PendingTrials(type(self).__name__)
        self.n_model_configs = 0

    @property
    def fidelities(self) -> tuple[float, ...]:
        """Fidelities of the rungs, lowest first."""
        return self._fidelities

    def model_rung(self) -> int | None:
        """The rung the model would be fitted on now, ``None`` while no rung has enough results."""
        for k in range(len(self._fidelities) - 1, -1, -1):
            if len(self._obs[k]) >= int(self.min_points_in_model):
                return k
        return None

    def ask(self) -> Trial:
        """Promote a configuration if one qualifies, else start a new one at rung 0."""
        for k in range(len(self._fidelities) - 2, -1, -1):
            cid = self._rungs[k].promote()  # the best of the top floor(n / eta) not promoted yet
            if cid is not None:
                return self._trial(cid, k + 1)
        self._configs.append(self._new_config())
        return self._trial(len(self._configs) - 1, 0)

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result in its rung.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        cid, k = self._pending.pop(evaluation.trial)
        loss = loss_of(evaluation, self.task)
        self._rungs[k].add(loss, cid, cid)
        xn, xc = self._enc.encode([self._configs[cid]])
        self._obs[k].append(xn[0], xc[0], loss)

    def _trial(self, cid: int, k: int) -> Trial:
        trial = Trial(config=self._configs[cid], fidelity=self._fidelities[k], tag=f"rung={k}")
        self._pending.add(trial, (cid, k))
        return trial

    def _new_config(self) -> dict[str, Any]:
        k = self.model_rung()
        if k is None:
            xn, xc = self._enc.sample(self._rng, 1)
        else:
            obs = self._obs[k]
            xn, xc = propose_cqr(
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
            self.n_model_configs += 1
        return self._enc.decode(xn, xc)[0]
