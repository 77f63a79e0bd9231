"""ifBO: in-context freeze-thaw BO with the FT-PFN curve model.

Rakotoarison, Adriaensen, Mallik, Garibov, Bergman & Hutter, "In-Context Freeze-Thaw Bayesian
Optimization for Hyperparameter Optimization", ICML 2024.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from hpobench.contracts.types import Task
from hpobench.methods._freeze_thaw import CurveData, FloatArray, FreezeThawMethod

if TYPE_CHECKING:
    from hpobench.methods._ftpfn import FTPFN

__all__ = ["IfBO", "horizon_threshold"]

MAX_CURVES = 1000
"""FT-PFN's context limit: curves in one prediction (observed and queried together)."""
MAX_DIM = 10
"""FT-PFN's limit on the number of hyperparameters."""


class IfBO(FreezeThawMethod):
    """ifBO: FT-PFN predictions and probability of improvement at a random horizon and threshold.

    At each decision (Rakotoarison et al. 2024, Section 4.2, "MFPI-random") one horizon ``h``
    is drawn uniformly from ``1 .. n_steps`` fidelity steps and one exponent ``u`` uniformly
    from ``[-4, -1]``; with ``y*`` the best value observed so far, the threshold is
    ``y* + 10**u * (1 - y*)``. Every configuration that can advance (and every unstarted
    candidate) is scored by FT-PFN's probability that its curve exceeds the threshold at
    ``min(current step + h, last step)``, and the best one advances by one fidelity step (loop,
    steps and the ``[0, 1]`` normalisation are those of :mod:`hpobench.methods._freeze_thaw`; the
    model sees ``t = b / max``). FT-PFN is in-context: nothing is fitted, one forward pass per
    decision. Hyperparameters are given to it as the numeric encoding in ``[0, 1]`` (categoricals
    as ``(index + 0.5) / choices``), at most 10 of them. When more than 1,000 curves would be in
    one prediction, the context keeps the curves updated most recently (a deviation: ifBO's own
    code has the same limit and is used below it).

    Weights: ``checkpoint=None`` loads hpobench's own FT-PFN (``FTPFN.load()``, which raises a
    clear error while the shipped weights are missing); ``checkpoint=PATH`` loads the official
    ifBO checkpoint the user has (``FTPFN.load_official``); ``checkpoint="random"`` uses seeded
    random weights (tests only, the predictions mean nothing). :meth:`report` names the weights
    that ran, so they are in the run's provenance.

    Args:
        task: The task; it must have a fidelity and at most 10 hyperparameters.
        seed: Seed of the private generator (candidates, horizons and thresholds).
        checkpoint: ``None``, a path to the official checkpoint, or ``"random"``.
        n_candidates: Unstarted random candidates kept in the pool.
        n_initial: Random starts before the model is used.
        max_steps: Largest number of fidelity steps.
        continuation: ``None``: continue checkpoints exactly when the task supports it;
            ``True``: it must; ``False``: retrain from scratch at every step.

    Raises:
        IncompatibleError: The task has no fidelity.
        ValueError: A hyperparameter is invalid or the space has more than 10 hyperparameters.
        FileNotFoundError: The weights file is missing.
    """

    requires: ClassVar[tuple[str, ...]] = ("torch",)
    _prefix: ClassVar[str] = "ifbo"

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        checkpoint: str | None = None,
        n_candidates: int = 256,
        n_initial: int = 1,
        max_steps: int = 50,
        continuation: bool | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.checkpoint = checkpoint
        self.n_candidates = n_candidates
        self.n_initial = n_initial
        self.max_steps = max_steps
        self.continuation = continuation
        if checkpoint is not None and not isinstance(checkpoint, str):
            raise ValueError(f"checkpoint must be None, a path or 'random', got {checkpoint!r}")
        self._setup(
            n_candidates=n_candidates, n_initial=n_initial, max_steps=max_steps, continuation=continuation
        )
        if n_candidates >= MAX_CURVES:
            raise ValueError(f"n_candidates must be below FT-PFN's {MAX_CURVES} curves, got {n_candidates!r}")
        dim = self._encoding.dim
        if not 1 <= dim <= MAX_DIM:
            raise ValueError(f"ifbo: FT-PFN takes 1 to {MAX_DIM} hyperparameters and {task.name!r} has {dim}")
        self._model: FTPFN = self._load(checkpoint, seed)
        self._xm = np.zeros((0, dim))  # the model's encoding of every configuration of the pool
        self._updated: dict[int, int] = {}  # configuration -> order of its latest result

    @staticmethod
    def _load(checkpoint: str | None, seed: int) -> FTPFN:
        from hpobench.methods._ftpfn import FTPFN

        if checkpoint is None:
            return FTPFN.load()
        if checkpoint == "random":
            return FTPFN.random(seed=seed)
        return FTPFN.load_official(checkpoint)

    def report(self) -> Any:
        """A warning when the weights are random (tests); the checkpoint parameter names the others."""
        from hpobench.contracts.method import MethodReport

        return MethodReport(
            warnings=(f"FT-PFN weights: {self._model.source}",) if self.checkpoint == "random" else ()
        )

    def _model_x(self, data: CurveData) -> FloatArray:
        n = data.x.shape[0]
        if self._xm.shape[0] < n:
            configs = [self._entries[i].config for i in range(self._xm.shape[0], n)]
            xn, xc = self._encoding.encode(configs)
            extra = np.hstack([xn, (xc + 0.5) / np.maximum(self._encoding.n_choices, 1)])
            self._xm = np.vstack([self._xm, extra])
        return self._xm

    def _acquisition(self, data: CurveData) -> FloatArray:
        x = self._model_x(data)
        last = len(data.budgets) - 1
        horizon, threshold = horizon_threshold(self._rng, n_steps=len(data.budgets), best=float(data.y.max()))
        ids, t, y = data.ids, data.t, data.y
        queries = data.query_ids
        started = np.unique(ids)
        room = MAX_CURVES - int(np.setdiff1d(queries, started).size)
        if started.size > room:  # keep the curves updated most recently
            order = np.argsort([-self._latest(int(c), data) for c in started], kind="stable")
            keep = np.sort(started[order[:room]])
            mask = np.isin(ids, keep)
            ids, t, y = ids[mask], t[mask], y[mask]
            known = np.isin(queries, keep) | ~np.isin(queries, started)
        else:
            known = np.ones(queries.shape, dtype=bool)
        target = np.minimum(data.query_steps - 1 + horizon, last)
        scores = np.full(queries.shape, -np.inf)
        if known.any():
            prediction = self._model.predict(
                ids_train=ids,
                t_train=t,
                x_train=x[ids],
                y_train=np.clip(y, 0.0, 1.0),
                ids_test=queries[known],
                t_test=data.budgets[target[known]],
                x_test=x[queries[known]],
            )
            scores[known] = prediction.prob_greater(min(threshold, 1.0 - 1e-12))
        return scores

    @staticmethod
    def _latest(config: int, data: CurveData) -> int:
        positions = np.flatnonzero(data.ids == config)
        return int(positions[-1]) if positions.size else -1


def horizon_threshold(rng: np.random.Generator, *, n_steps: int, best: float) -> tuple[int, float]:
    """One draw of ifBO's random horizon (``1 .. n_steps``) and threshold above ``best``."""
    horizon = int(rng.integers(1, n_steps + 1))
    return horizon, best + 10.0 ** float(rng.uniform(-4.0, -1.0)) * (1.0 - best)
