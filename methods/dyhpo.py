"""DyHPO: a deep-kernel GP over configuration, budget and learning curve, one step at a time.

Wistuba, Kadra & Grabocka, "Supervising the Multi-Fidelity Race of Hyperparameter
Configurations", NeurIPS 2022.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from hpobench.contracts.method import MethodReport
from hpobench.contracts.types import Task
from hpobench.methods._freeze_thaw import CurveData, FloatArray, FreezeThawMethod, expected_improvement_max
from hpobench.methods._model import check_number
from hpobench.methods._refit import RefitSchedule, default_patience

if TYPE_CHECKING:
    from hpobench.methods._torch_curves import DeepKernelGP

__all__ = ["DyHPO", "curve_inputs"]


def curve_inputs(data: CurveData, configs: Any, steps: Any, length: int) -> FloatArray:
    """The curve each point sees: values of its configuration at steps ``< step``, zero-padded.

    Args:
        data: The observed curves.
        configs: Configuration index per row.
        steps: Step index per row (the curve before it is used).
        length: Row length (``>= 1``); longer curves keep their last ``length`` values.

    Returns:
        Array of shape ``(len(configs), length)``.
    """
    out = np.zeros((len(configs), length))
    curves: dict[int, FloatArray] = {}
    for row, (config, step) in enumerate(zip(configs, steps, strict=True)):
        c = int(config)
        if c not in curves:
            curves[c] = data.curve(c)
        before = curves[c][: int(step)][-length:]
        out[row, : before.size] = before
    return out


class DyHPO(FreezeThawMethod):
    """DyHPO: multi-fidelity expected improvement of a deep-kernel GP, one budget step at a time.

    The surrogate (:class:`~hpobench.methods._torch_curves.DeepKernelGP`) models the value of
    configuration ``x`` at normalised budget ``t`` given the curve observed before ``t``; it is
    trained on every observed curve point by maximising the exact marginal likelihood with a
    fresh Adam per training (learning rate ``learning_rate``), full batch. Schedule, as the
    reference code (``releaunifreiburg/DyHPO``; :class:`~hpobench.methods._refit.RefitSchedule`):
    the first ``full_fits`` decisions train freshly initialised weights for ``n_steps`` steps;
    later decisions refine the previous weights for ``refit_steps`` steps; training starts from
    scratch again when the best value has not improved for ``restart_patience`` observations.
    Each decision scores every
    configuration that can advance by expected improvement at its next step ``b + 1`` over the
    best value observed at that step (the best value observed at any step while none was), and
    the unstarted candidates at the first step, and advances the best one by one step (Wistuba et
    al. 2022, Eq. 5; loop, steps and ``[0, 1]`` normalisation as in
    :mod:`hpobench.methods._freeze_thaw`). Deviations: the reference code trains for more steps
    (1,000 from scratch, 50 refinement) and scores the whole candidate set of a tabular
    benchmark; here the pool is the started configurations plus ``n_candidates`` random ones.
    The curve input keeps the last ``max_steps - 1`` values. Needs torch (CPU, float64).
    :meth:`report` counts the full fits and restarts.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator (candidates, initial weights).
        n_features: Number of learned features the kernel sees.
        n_steps: Optimizer steps of a fit from scratch.
        refit_steps: Optimizer steps of a refinement.
        full_fits: Decisions at the start that fit from scratch (at least 1).
        restart_patience: Observations without improvement of the best value after which the
            next decision fits from scratch; ``None``: ``int(1.2 * fidelity steps)`` as the
            reference code; ``0``: never.
        learning_rate: Adam's learning rate.
        n_candidates: Unstarted random candidates kept in the pool.
        n_initial: Random starts before the model is used.
        max_steps: Largest number of fidelity steps.
        continuation: ``None``: continue checkpoints exactly when the task supports it;
            ``True``: it must; ``False``: retrain from scratch at every step.

    Raises:
        IncompatibleError: The task has no fidelity.
        ValueError: A hyperparameter is invalid.
    """

    requires: ClassVar[tuple[str, ...]] = ("torch",)
    _prefix: ClassVar[str] = "dyhpo"

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        n_features: int = 16,
        n_steps: int = 250,
        refit_steps: int = 20,
        full_fits: int = 10,
        restart_patience: int | None = None,
        learning_rate: float = 1e-2,
        n_candidates: int = 256,
        n_initial: int = 5,
        max_steps: int = 50,
        continuation: bool | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.n_features = n_features
        self.n_steps = n_steps
        self.refit_steps = refit_steps
        self.full_fits = full_fits
        self.restart_patience = restart_patience
        self.learning_rate = learning_rate
        self.n_candidates = n_candidates
        self.n_initial = n_initial
        self.max_steps = max_steps
        self.continuation = continuation
        check_number("n_features", n_features, low=1, integer=True)
        check_number("n_steps", n_steps, low=1, integer=True)
        check_number("refit_steps", refit_steps, low=0, integer=True)
        check_number("full_fits", full_fits, low=1, integer=True)
        if restart_patience is not None:
            check_number("restart_patience", restart_patience, low=0, integer=True)
        check_number("learning_rate", learning_rate, low=0.0)
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
        import torch  # noqa: F401  -- fail at construction when the optional dependency is missing

        self._setup(
            n_candidates=n_candidates, n_initial=n_initial, max_steps=max_steps, continuation=continuation
        )
        self._length = max(3, len(self.fidelities) - 1)
        patience = default_patience(len(self.fidelities)) if restart_patience is None else restart_patience
        self._schedule = RefitSchedule(full_fits=int(full_fits), patience=int(patience))
        self._gp: DeepKernelGP | None = None

    def report(self) -> MethodReport:
        """Counts of the model's fits from scratch (``full_fits``) and of its ``restarts``."""
        return self._schedule.report()

    def _acquisition(self, data: CurveData) -> FloatArray:
        import torch

        from hpobench.methods._torch_curves import DeepKernelGP

        full = self._schedule.full(data.y) or self._gp is None
        if full:
            generator = torch.Generator().manual_seed(int(self._rng.integers(2**62)))
            self._gp = DeepKernelGP(
                dim=data.x.shape[1], curve_length=self._length, out=int(self.n_features), generator=generator
            )
        assert self._gp is not None
        optimizer = torch.optim.Adam(self._gp.parameters(), lr=float(self.learning_rate), foreach=True)
        steps = int(self.n_steps if full else self.refit_steps)
        x, curves = data.x[data.ids], curve_inputs(data, data.ids, data.steps, self._length)
        self._gp.fit(x, data.t, curves, data.y, steps=steps, optimizer=optimizer)
        xq = data.x[data.query_ids]
        tq = data.budgets[data.query_steps]
        cq = curve_inputs(data, data.query_ids, data.query_steps, self._length)
        mean, std = self._gp.predict(x, data.t, curves, data.y, xq, tq, cq)
        best_at = np.full(data.budgets.shape, -np.inf)
        np.maximum.at(best_at, data.steps, data.y)
        best = np.where(np.isfinite(best_at), best_at, float(data.y.max()))[data.query_steps]
        return expected_improvement_max(mean, std, best)
