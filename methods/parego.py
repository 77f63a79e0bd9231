"""ParEGO: multi-objective Bayesian optimisation by random augmented Chebyshev scalarisations.

Knowles, "ParEGO: A hybrid algorithm with on-line landscape approximation for expensive
multiobjective optimization problems", IEEE Transactions on Evolutionary Computation 10(1), 2006.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._encoding import FloatArray
from hpobench.methods._model import ModelMethod, check_number
from hpobench.methods._objectives import loss_vector, normalised
from hpobench.methods.gp_bo import GPBO
from hpobench.methods.tpe import TPE

__all__ = ["ParEGO", "chebyshev", "simplex_lattice"]

_MODELS: dict[str, type[ModelMethod]] = {"gp": GPBO, "tpe": TPE}


def simplex_lattice(k: int, s: int) -> FloatArray:
    """All weight vectors of ``k`` components in ``{0, 1/s, ..., 1}`` that sum to 1 (Knowles' set)."""
    rows = [c for c in itertools.product(range(s + 1), repeat=k) if sum(c) == s]
    return np.array(rows, dtype=float) / s


def chebyshev(losses: FloatArray, weights: FloatArray, *, rho: float) -> FloatArray:
    """Augmented Chebyshev scalarisation ``max_j w_j f_j + rho * sum_j w_j f_j`` of each row.

    Rows with a non-finite entry scalarise to ``+inf``.
    """
    out = np.full(len(losses), np.inf)
    ok = np.isfinite(losses).all(axis=1)
    weighted = losses[ok] * weights
    out[ok] = weighted.max(axis=1) + rho * weighted.sum(axis=1)
    return out


class ParEGO(Method):
    """ParEGO (Knowles 2006) over this package's GP-BO or TPE.

    Before each model-based proposal, a weight vector ``w`` is drawn uniformly from the simplex
    lattice with ``divisions`` steps per objective (:func:`simplex_lattice`; Knowles uses 10
    steps for two objectives, 11 vectors, and 4 for three, 15 vectors; these are the defaults,
    3 steps above three objectives). Every observed objective vector is normalised to ``[0, 1]``
    per objective by the observed minimum and maximum (Knowles normalises by known ranges, which
    HPO tasks do not have), scalarised by the augmented Chebyshev function (:func:`chebyshev`,
    ``rho = 0.05`` as in the paper), and the single-objective model (``model="gp"``:
    :class:`~hpobench.methods.gp_bo.GPBO`, expected improvement with a Matérn-5/2 GP; ``"tpe"``:
    :class:`~hpobench.methods.tpe.TPE`) proposes the next configuration for these losses.
    ``model_kwargs`` go to the model's constructor, e.g. ``{"n_startup_trials": 20}``.

    Deviations from the paper: the initial design is the model's random startup (10 uniform
    configurations by default; Knowles uses ``11 d - 1`` Latin hypercube points, pass
    ``model_kwargs={"n_startup_trials": 11 * d - 1}`` for that size), and the acquisition is
    maximised by the model's candidate search instead of a genetic algorithm. On a
    single-objective task the scalarisation is the normalised loss, so ParEGO is the model
    itself.

    Asynchronous as its model (trials in flight are ignored). Failed evaluations are ``+inf``
    for the model (imputed as its failures are). Always asks at the maximal fidelity.

    Args:
        task: The task; read-only. Its space must have no conditions.
        seed: Seed of the model and of the weight draws.
        model: ``"gp"`` or ``"tpe"``.
        rho: Weight of the linear term of the augmented Chebyshev function.
        divisions: Steps per objective of the weight lattice; ``None`` for Knowles' values.
        model_kwargs: Keyword hyperparameters of the model (not ``seed``).

    Raises:
        ValueError: Unknown ``model``, a hyperparameter out of range, or bad ``model_kwargs``.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_objective=True, candidate_set=True, asynchronous=True, conditional_spaces=False
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        model: str = "gp",
        rho: float = 0.05,
        divisions: int | None = None,
        model_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.model = model
        self.rho = rho
        self.divisions = divisions
        self.model_kwargs = model_kwargs
        if model not in _MODELS:
            raise ValueError(f"model must be one of {sorted(_MODELS)}, got {model!r}")
        check_number("rho", rho, low=0.0)
        if divisions is not None:
            check_number("divisions", divisions, low=1, high=100, integer=True)
        kwargs = dict(model_kwargs or {})
        if "seed" in kwargs:
            raise ValueError("pass the seed through `seed`, not model_kwargs")
        k = len(task.objectives)
        steps = int(divisions) if divisions is not None else {1: 1, 2: 10, 3: 4}.get(k, 3)
        self._weights = simplex_lattice(k, steps)
        try:
            self._inner = _MODELS[model](task, seed=seed, **kwargs)
        except TypeError as exc:  # an unknown keyword
            raise ValueError(f"bad model_kwargs for model {model!r}: {exc}") from exc
        # the weight draws have their own stream, derived from the seed, so the model's is untouched
        self._rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
        self._losses: list[FloatArray] = []

    def ask(self) -> Trial:
        """Scalarise the results with fresh random weights, then ask the model (never ``None``)."""
        if self._inner.model_based and self._losses:
            weights = self._weights[self._rng.integers(len(self._weights))]
            scalar = chebyshev(normalised(np.stack(self._losses)), weights, rho=float(self.rho))
            self._inner.relabel(scalar)
        return self._inner.ask()

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result's objective vector.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        self._inner.tell(evaluation)
        self._losses.append(loss_vector(evaluation, self.task))
