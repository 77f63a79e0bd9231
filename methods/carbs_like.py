"""A CARBS-style cost-aware method: local search around the performance-cost Pareto set.

Fetterman, Kitanidis, Albrecht, Polizzi, Fommesberger, Qiu, Thomas, Nado, Kunkel and
Mnih, "Tune As You Scale: Hyperparameter Optimization For Compute Efficient Training",
arXiv:2306.08055, 2023 (CARBS: Cost-Aware pareto-Region Bayesian Search).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.pareto import pareto_mask
from hpobench.contracts.types import Evaluation, Status, Task, Trial
from hpobench.methods._encoding import Encoding, FloatArray, IntArray
from hpobench.methods._gp import GaussianProcess, default_theta, expected_improvement, fit_hyperparameters
from hpobench.methods._model import check_number
from hpobench.methods._objectives import loss_vector, objective_index
from hpobench.methods._pending import PendingTrials

__all__ = ["CARBSLike", "pareto_baseline"]


def pareto_baseline(front_cost: FloatArray, front_loss: FloatArray, cost: FloatArray) -> FloatArray:
    """The Pareto front's loss at each ``cost``: linear interpolation between front points.

    ``front_cost`` ascending with ``front_loss`` descending (a 2-d front); costs outside the
    front's range take its end values.
    """
    return np.asarray(np.interp(cost, front_cost, front_loss), dtype=float)


class CARBSLike(Method):
    """CARBS-style search (Fetterman et al. 2023) for performance against cost.

    *Performance* is the task's first objective (as a loss). *Cost* is, with ``cost="auto"``,
    the task's second objective on a two-objective task (e.g. training time or model size) and
    the evaluation's simulated cost (``Evaluation.cost``, seconds) on a single-objective task;
    ``cost="evaluation"`` always takes the evaluation's cost, and any other string names the
    objective to use. Costs are modelled and compared in log scale when all observed costs are
    positive, linearly otherwise.

    After ``n_startup_trials`` uniform random configurations (CARBS starts around a
    user-given search centre, which HPO tasks do not have), each ask:

    1. takes the Pareto set of the successful observations in (cost, loss);
    2. draws ``n_candidates_per_dim * dim`` candidates, each a Pareto-set member (uniformly)
       plus a Gaussian step of standard deviation ``search_radius`` in the encoded unit cube
       (categoricals are redrawn with probability ``search_radius``), and weighs each by its
       search prior ``exp(-d^2 / (2 r^2))``, ``d`` the distance to the nearest Pareto member;
    3. fits two GPs (:mod:`hpobench.methods._gp`): one on the standardised losses, one on the
       standardised (log) costs, each with its own hyperparameters (refitted every
       ``refit_every`` asks);
    4. scores a candidate by the expected improvement of its predicted loss over the Pareto
       front's loss at its predicted cost (:func:`pareto_baseline`), where, as CARBS does to
       favour more expensive regions, the baseline is clamped to the front's value at a cost
       drawn log-uniformly between the front's cheapest and dearest member, times the search
       prior; the best candidate is asked.

    Deviations from CARBS: no success-probability classifier (failed evaluations only leave
    the Pareto set out), no resampling of Pareto members (the benchmarks here are evaluated
    under a fixed seed), no "cost" hyperparameters treated specially. On a two-objective task
    it is a general bi-objective method whose second objective is called cost.

    Asynchronous: trials in flight are ignored by the models. Always asks at the maximal
    fidelity. Tags: ``"random"`` or ``"pareto"``.

    Args:
        task: The task; one objective, or two. Its space must have no conditions.
        seed: Seed of the private generator.
        cost: ``"auto"``, ``"evaluation"`` or the name of an objective.
        n_startup_trials: Random configurations before the models are used (``>= 2``).
        search_radius: Standard deviation of the steps around the Pareto set (unit cube).
        n_candidates_per_dim: Candidates per encoded dimension and ask (CARBS: 100).
        refit_every: GP hyperparameters are refitted every ``refit_every``-th model-based ask.
        max_points: Most observations each GP conditions on (the most recent ones beyond).

    Raises:
        ValueError: A hyperparameter is out of range, the task has more than two objectives,
            ``cost`` names no objective of the task, or the space cannot be encoded.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_objective=True,
        candidate_set=True,
        asynchronous=True,
        conditional_spaces=False,
        max_objectives=2,
    )

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        cost: str = "auto",
        n_startup_trials: int = 10,
        search_radius: float = 0.15,
        n_candidates_per_dim: int = 100,
        refit_every: int = 5,
        max_points: int = 300,
    ) -> None:
        super().__init__(task, seed=seed)
        self.cost = cost
        self.n_startup_trials = n_startup_trials
        self.search_radius = search_radius
        self.n_candidates_per_dim = n_candidates_per_dim
        self.refit_every = refit_every
        self.max_points = max_points
        check_number("n_startup_trials", n_startup_trials, low=2, integer=True)
        check_number("search_radius", search_radius, low=1e-6, high=10.0)
        check_number("n_candidates_per_dim", n_candidates_per_dim, low=1, integer=True)
        check_number("refit_every", refit_every, low=1, integer=True)
        check_number("max_points", max_points, low=2, integer=True)
        k = len(task.objectives)
        if k > 2:
            raise ValueError(
                f"carbs_like optimises performance against cost: {task.name!r} has {k} objectives"
            )
        if not isinstance(cost, str):
            raise ValueError(f"cost must be 'auto', 'evaluation' or an objective name, got {cost!r}")
        if cost == "auto":
            self._cost_column: int | None = 1 if k == 2 else None
        elif cost == "evaluation":
            self._cost_column = None
        else:
            self._cost_column = objective_index(task, cost)
            if self._cost_column == 0:
                raise ValueError(f"cost {cost!r} is the performance objective (the first one)")
        if k == 2 and self._cost_column is None:
            raise ValueError(f"{task.name!r} has two objectives: its cost must be the second one")
        self._rng = np.random.default_rng(seed)
        self._enc = Encoding(task.space)
        self._x: list[FloatArray] = []  # unit-cube vectors of successful observations
        self._xn: list[FloatArray] = []
        self._xc: list[IntArray] = []
        self._loss: list[float] = []
        self._cost: list[float] = []
        self._n_asked = 0
        self._n_model_asks = 0
        self._theta: tuple[FloatArray, FloatArray] | None = None
        self._pending: PendingTrials[tuple[FloatArray, IntArray]] = PendingTrials("CARBSLike")

    def ask(self) -> Trial:
        """Propose a configuration near the performance-cost Pareto set (never ``None``)."""
        if self._n_asked < int(self.n_startup_trials) or len(self._loss) < 2:
            xn, xc = self._enc.sample(self._rng, 1)
            tag = "random"
        else:
            xn, xc = self._propose()
            tag = "pareto"
        self._n_asked += 1
        config = self._enc.decode(xn, xc)[0]
        sn, sc = self._enc.snap(xn, xc)
        return self._pending.add(Trial(config=config, tag=tag), (sn[0], sc[0]))

    def tell(self, evaluation: Evaluation) -> None:
        """Record a result; failed ones (or with a non-finite loss or cost) are not modelled.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        xn, xc = self._pending.pop(evaluation.trial)
        losses = loss_vector(evaluation, self.task)
        cost = float(evaluation.cost) if self._cost_column is None else float(losses[self._cost_column])
        if evaluation.status is not Status.OK or not (math.isfinite(losses[0]) and math.isfinite(cost)):
            return
        self._xn.append(xn)
        self._xc.append(xc)
        self._x.append(self._enc.to_unit(xn[None, :], xc[None, :])[0])
        self._loss.append(float(losses[0]))
        self._cost.append(cost)

    def _gp(self, x: FloatArray, y: FloatArray, which: int) -> GaussianProcess:
        assert self._theta is not None
        return GaussianProcess.fit(x, y, self._theta[which])

    def _propose(self) -> tuple[FloatArray, IntArray]:
        rng, enc = self._rng, self._enc
        loss, cost = np.array(self._loss), np.array(self._cost)
        log = bool((cost > 0).all())
        c = np.log(cost) if log else cost
        keep = np.arange(len(loss))[-int(self.max_points) :]
        x = np.stack([self._x[i] for i in keep])
        yl, yc = loss[keep], c[keep]
        zl = (yl - yl.mean()) / (float(yl.std()) or 1.0)
        zc = (yc - yc.mean()) / (float(yc.std()) or 1.0)
        if self._theta is None or self._n_model_asks % int(self.refit_every) == 0:
            start = default_theta(x.shape[1])
            old = (start, start) if self._theta is None else self._theta
            self._theta = (
                fit_hyperparameters(x, zl, [old[0]], maxiter=30),
                fit_hyperparameters(x, zc, [old[1]], maxiter=30),
            )
        self._n_model_asks += 1
        gp_loss, gp_cost = self._gp(x, zl, 0), self._gp(x, zc, 1)
        # the Pareto set in (cost, loss), ordered by cost
        front = np.flatnonzero(pareto_mask(np.column_stack([c, loss])))
        front = front[np.lexsort((loss[front], c[front]))]
        n = int(self.n_candidates_per_dim) * max(enc.dim, 1)
        origin = front[rng.integers(len(front), size=n)]
        radius = float(self.search_radius)
        cn = np.stack([self._xn[i] for i in origin]) + radius * rng.standard_normal((n, enc.n_numeric))
        cc = np.stack([self._xc[i] for i in origin])
        redraw = rng.random(cc.shape) < radius
        cc = np.where(redraw, (rng.random(cc.shape) * enc.n_choices).astype(np.int64), cc)
        cn, cc = enc.snap(cn, cc)
        xq = enc.to_unit(cn, cc)
        d2 = ((xq[:, None, :] - np.stack([self._x[i] for i in front])[None, :, :]) ** 2).sum(axis=2)
        prior = np.exp(-d2.min(axis=1) / (2.0 * radius * radius))
        mu, sd = gp_loss.predict(xq)
        cost_hat = gp_cost.predict(xq)[0] * (float(yc.std()) or 1.0) + yc.mean()
        baseline = pareto_baseline(c[front], loss[front], cost_hat)
        threshold = rng.uniform(c[front[0]], c[front[-1]])
        baseline = np.minimum(baseline, pareto_baseline(c[front], loss[front], np.array([threshold]))[0])
        z_baseline = (baseline - yl.mean()) / (float(yl.std()) or 1.0)
        score = expected_improvement(mu, sd, z_baseline)
        best = int(np.argmax(score * prior))
        return cn[best : best + 1], cc[best : best + 1]
