"""When a trained curve model (DPL, DyHPO) is rebuilt from scratch and when it is only refined.

Both reference implementations (``releaunifreiburg/DPL``, ``surrogate_models/power_law_surrogate.py``,
and ``releaunifreiburg/DyHPO``, ``hpo_method.py`` / ``surrogate_models/dyhpo.py``) train their
model from freshly initialised weights for the full number of epochs at the first 10 model
decisions, then refine the previous weights for a few epochs per decision, and train from scratch
again when the best observed value has not improved for ``int(1.2 * max_epochs)`` observations
(their "no improvement patience"). Each training (full or refinement) starts a fresh Adam.
"""

from __future__ import annotations

import numpy as np

from hpobench.contracts.method import MethodReport
from hpobench.methods._freeze_thaw import FloatArray

__all__ = ["RefitSchedule", "default_patience"]


def default_patience(n_steps: int) -> int:
    """The references' patience for ``n_steps`` fidelity steps: ``int(1.2 * n_steps)``."""
    return int(n_steps + 0.2 * n_steps)


class RefitSchedule:
    """Decides, at each model decision, between a full fit from scratch and a refinement.

    Mutable book-keeping owned by one method instance; :meth:`full` is called once per decision.

    Args:
        full_fits: The first ``full_fits`` decisions fit from scratch.
        patience: Fit from scratch again once the best value has not improved for ``patience``
            observations since the later of its last improvement and the last full fit
            (``0``: never).
    """

    def __init__(self, *, full_fits: int, patience: int) -> None:
        self.full_fits = full_fits
        self.patience = patience
        self.fits = 0
        self.restarts = 0  # full fits after the first ``full_fits``, for reports
        self._mark = 0  # number of observations at the last full fit
        self._fulls = 0

    def full(self, y: FloatArray) -> bool:
        """Whether this decision fits from scratch, given every observed value so far (higher is better).

        The incumbent's improvement is the first position of the maximum of ``y`` (ties do not
        improve it, as in the references).
        """
        n = int(y.size)
        improved = int(np.argmax(y)) + 1 if n else 0
        stale = n - max(improved, self._mark)
        full = self.fits < self.full_fits or (self.patience > 0 and stale >= self.patience)
        if full and self.fits >= self.full_fits:
            self.restarts += 1
        if full:
            self._mark = n
            self._fulls += 1
        self.fits += 1
        return full

    def report(self) -> MethodReport:
        """The counts for a method's report: ``full_fits`` (all fits from scratch) and ``restarts``."""
        return MethodReport(counts={"full_fits": self._fulls, "restarts": self.restarts})
