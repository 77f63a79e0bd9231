"""A freeze-thaw baseline: continue the configuration whose extrapolated final value is best.

The floor that learning-curve methods (DyHPO, DPL, ifBO) must beat, in the spirit of Swersky
et al., "Freeze-Thaw Bayesian Optimization" (2014), without a probabilistic model.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from hpobench.contracts.types import Task
from hpobench.methods._freeze_thaw import CurveData, FloatArray, FreezeThawMethod
from hpobench.methods._model import check_number

__all__ = ["FreezeThaw", "extrapolate_power_law"]

_EXPONENTS = np.geomspace(0.05, 4.0, 24)
"""The grid of power-law exponents ``c`` tried by :func:`extrapolate_power_law`."""


def extrapolate_power_law(t: FloatArray, y: FloatArray, *, at: float = 1.0) -> float:
    """Least-squares fit of ``y = a - b * t**(-c)`` (``b >= 0``) and its value at ``t = at``.

    ``c`` runs over a fixed geometric grid of 24 exponents in ``[0.05, 4]``; for each, ``a`` and
    ``b`` have the closed-form least-squares solution, and the fit with the smallest squared
    error wins. A fit with ``b < 0`` (a falling curve) is replaced by the constant mean. Fewer
    than three points (or all at one budget) give the last value.

    Args:
        t: Budgets in ``(0, 1]``, in the order observed.
        y: Values, higher is better.
        at: The budget to extrapolate to.
    """
    if t.size < 3 or np.ptp(t) <= 0:
        return float(y[-1])
    u = t[None, :] ** (-_EXPONENTS[:, None])  # (n_c, n)
    um = u.mean(axis=1, keepdims=True)
    ym = float(y.mean())
    du = u - um
    var = (du * du).sum(axis=1)
    b = -(du * (y - ym)).sum(axis=1) / np.where(var > 0, var, 1.0)
    b = np.where((var > 0) & (b > 0), b, 0.0)
    a = ym + b * um[:, 0]
    sse = ((a[:, None] - b[:, None] * u - y) ** 2).sum(axis=1)
    best = int(np.argmin(sse))
    return float(a[best] - b[best] * at ** (-_EXPONENTS[best]))


class FreezeThaw(FreezeThawMethod):
    """Freeze-thaw baseline: extrapolate every curve, continue the best, start new ones sometimes.

    Each decision (see :mod:`hpobench.methods._freeze_thaw` for the loop, fidelity steps and the
    ``[0, 1]`` normalisation) extrapolates the observed curve of every configuration that can
    advance to the maximal fidelity, either by its last value (``extrapolation="last_value"``)
    or by :func:`extrapolate_power_law` (``"power_law"``, the default), and advances the
    configuration with the best extrapolated value by one step. With probability
    ``random_fraction`` (and whenever no started configuration can advance) it starts a new
    random configuration instead.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator (candidates and the random-start draws).
        extrapolation: ``"power_law"`` or ``"last_value"``.
        random_fraction: Probability of a new random start at each decision, in ``[0, 1]``.
        n_initial: Random starts before extrapolating (at least 1).
        max_steps: Largest number of fidelity steps.
        continuation: ``None``: continue checkpoints exactly when the task supports it;
            ``True``: it must; ``False``: retrain from scratch at every step.

    Raises:
        IncompatibleError: The task has no fidelity.
        ValueError: A hyperparameter is invalid.
    """

    _prefix: ClassVar[str] = "freeze_thaw"

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        extrapolation: str = "power_law",
        random_fraction: float = 0.1,
        n_initial: int = 8,
        max_steps: int = 50,
        continuation: bool | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.extrapolation = extrapolation
        self.random_fraction = random_fraction
        self.n_initial = n_initial
        self.max_steps = max_steps
        self.continuation = continuation
        if extrapolation not in ("power_law", "last_value"):
            raise ValueError(f"extrapolation must be 'power_law' or 'last_value', got {extrapolation!r}")
        check_number("random_fraction", random_fraction, low=0.0, high=1.0)
        self._setup(n_candidates=1, n_initial=n_initial, max_steps=max_steps, continuation=continuation)

    def _acquisition(self, data: CurveData) -> FloatArray:
        new = data.query_steps == 0
        explore = bool(self._rng.random() < float(self.random_fraction))
        scores = np.full(data.query_ids.shape, -np.inf)
        if explore or new.all():
            scores[new] = 0.0
            return scores
        for j in np.flatnonzero(~new):
            config = int(data.query_ids[j])
            mask = data.ids == config
            order = np.argsort(data.steps[mask], kind="stable")
            t, y = data.t[mask][order], data.y[mask][order]
            if self.extrapolation == "last_value":
                scores[j] = float(y[-1])
            else:
                scores[j] = extrapolate_power_law(t, y)
        return scores
