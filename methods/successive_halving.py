"""Successive halving (Jamieson & Talwalkar 2016; Li et al. 2018) as a synchronous ask/tell method."""

from __future__ import annotations

from hpobench.contracts.types import Task
from hpobench.methods._brackets import (
    BracketMethod,
    is_positive_int,
    resolve_fidelity_range,
    successive_halving_bracket,
    validate_eta,
)

__all__ = ["SuccessiveHalving"]


class SuccessiveHalving(BracketMethod):
    """Synchronous successive halving, repeated with fresh configurations until the budget ends.

    One bracket samples ``n_configs`` configurations from the space's prior, evaluates them at
    ``max_fidelity * eta**-s_max`` (``s_max = floor(log_eta(max_fidelity / min_fidelity))``),
    keeps the best ``floor(n / eta)`` (at least one) and multiplies the fidelity by ``eta``, up to
    ``max_fidelity``. Fidelities are rounded to integers for integer fidelities. See
    :class:`~hpobench.methods._brackets.BracketMethod` for the ask/tell protocol, ranking and tags.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator that samples configurations.
        eta: Halving rate, a number ``>= 2``.
        min_fidelity: Smallest fidelity to use; ``None`` for the task's lowest fidelity.
        max_fidelity: Fidelity of the last rung; ``None`` for the task's maximal fidelity.
        n_configs: Configurations in the first rung; ``None`` for ``ceil(eta**s_max)``, the size of
            Hyperband's most aggressive bracket (one configuration survives to the last rung).

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
        n_configs: int | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self.n_configs = n_configs
        eta_f = validate_eta(eta)
        fid, r_min, r_max = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        if n_configs is not None and not is_positive_int(n_configs):
            raise ValueError(f"n_configs must be a positive integer or None, got {n_configs!r}")
        bracket = successive_halving_bracket(
            eta=eta_f,
            r_min=r_min,
            r_max=r_max,
            integer=fid.integer,
            n_configs=None if n_configs is None else int(n_configs),
        )
        self._setup((bracket,))
