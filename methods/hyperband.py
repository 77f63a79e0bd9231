"""Hyperband (Li et al., JMLR 2018) as a synchronous ask/tell method."""

from __future__ import annotations

from hpobench.contracts.types import Task
from hpobench.methods._brackets import BracketMethod, hyperband_brackets, resolve_fidelity_range, validate_eta

__all__ = ["Hyperband"]


class Hyperband(BracketMethod):
    """Hyperband: successive-halving brackets of decreasing aggressiveness, cycled until the budget ends.

    With ``s_max = floor(log_eta(max_fidelity / min_fidelity))``, bracket ``s`` (for
    ``s = s_max..0``) samples ``n = ceil((s_max + 1) / (s + 1) * eta**s)`` configurations from the
    space's prior and runs successive halving from fidelity ``max_fidelity * eta**-s`` up to
    ``max_fidelity``, keeping the best ``floor(n_i / eta)`` configurations of each rung. After bracket
    0 the cycle starts again at ``s_max``. Fidelities are rounded to integers for integer
    fidelities. See :class:`~hpobench.methods._brackets.BracketMethod` for the ask/tell protocol,
    ranking and tags.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        eta: Halving rate, a number ``>= 2``.
        min_fidelity: Smallest fidelity (``r_min``); ``None`` for the task's lowest fidelity.
        max_fidelity: Largest fidelity (``R``); ``None`` for the task's maximal fidelity.

    Raises:
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        eta_f = validate_eta(eta)
        fid, r_min, r_max = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        self._setup(hyperband_brackets(eta=eta_f, r_min=r_min, r_max=r_max, integer=fid.integer))
