"""BOHB (Falkner, Klein & Hutter, ICML 2018): TPE-style kernel density models inside Hyperband."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities
from hpobench.contracts.types import Task, Trial
from hpobench.methods._brackets import (
    BracketMethod,
    hpbandster_brackets,
    resolve_fidelity_range,
    validate_eta,
)
from hpobench.methods._encoding import Encoding, FloatArray, IntArray
from hpobench.methods._model import Observations, check_number
from hpobench.methods._parzen import Parzen

__all__ = ["BOHB", "check_model_args", "sampling_categorical_bandwidth"]


def sampling_categorical_bandwidth(cat_bw: FloatArray, n_choices: IntArray) -> FloatArray:
    """Aitchison–Aitken ``b`` of HpBandSter's categorical proposal step, per coordinate.

    HpBandSter keeps the centre's choice with probability ``1 - bw`` and otherwise draws one of
    the ``k`` choices uniformly (the centre included), with the model's bandwidth ``bw`` unwidened
    (``bandwidth_factor`` applies to numeric coordinates only). That is a kernel that leaves the
    centre with probability ``min(bw, 1) * (k - 1) / k``.
    """
    k = np.maximum(n_choices, 1)
    return np.asarray(np.minimum(cat_bw, 1.0) * (k - 1) / k, dtype=float)


def check_model_args(
    *,
    min_points_in_model: int | None,
    top_n_percent: int,
    num_samples: int,
    random_fraction: float,
    bandwidth_factor: float,
    min_bandwidth: float,
) -> None:
    """Check BOHB's model arguments (shared by :class:`BOHB` and the HpBandSter adapter).

    Raises:
        ValueError: An argument is out of its range (see :func:`check_number`).
    """
    if min_points_in_model is not None:
        check_number("min_points_in_model", min_points_in_model, low=1, integer=True)
    check_number("top_n_percent", top_n_percent, low=1, high=99, integer=True)
    check_number("num_samples", num_samples, low=1, integer=True)
    check_number("random_fraction", random_fraction, low=0.0, high=1.0)
    check_number("bandwidth_factor", bandwidth_factor, low=1e-9)
    check_number("min_bandwidth", min_bandwidth, low=1e-9)


class BOHB(BracketMethod):
    """Hyperband whose new configurations come from kernel density models (BOHB).

    Promotion and the ask/tell protocol are those of :class:`~hpobench.methods.hyperband.Hyperband`;
    bracket sizes are HpBandSter's (:func:`~hpobench.methods._brackets.hpbandster_brackets`:
    ``floor((s_max + 1) / (s + 1)) * eta**s`` first-rung configurations). Every result is stored
    with the fidelity it was evaluated at. When a bracket starts, each of its first-rung
    configurations is, with probability ``random_fraction``, drawn from the prior; otherwise it
    comes from the model of the *largest fidelity with enough observations*: with ``n``
    results there, sorted by loss, the best ``n_good = max(n_min, top_n_percent * n // 100)``
    and the next
    ``n_bad = max(n_min, (100 - top_n_percent) * n // 100)`` each get a product-kernel density
    estimator (normal-reference bandwidth ``1.06 * std * n**(-1/(d+4))``, at least
    ``min_bandwidth``); a model needs more than ``d`` points in both sets, and ``n_min`` defaults
    to ``d + 1``. ``num_samples`` candidates are drawn from the good density with numeric
    bandwidths widened by ``bandwidth_factor`` and categorical ones not widened (as HpBandSter:
    keep the centre's choice with probability ``1 - bw``, else a uniform choice, see
    :func:`sampling_categorical_bandwidth`), and the one with the largest ``l(x) / g(x)`` is kept.
    Once a larger fidelity has a model, smaller ones are not refitted (as in HpBandSter).

    Deviation from HpBandSter: all first-rung configurations of a bracket are proposed when the
    bracket starts (the synchronous engine is unchanged), ordinals are modelled as numeric
    coordinates (bandwidth at least half a cell) rather than as unordered choices, and
    categorical bandwidths are clipped to ``(k - 1) / k`` in the densities. Evidence that they do
    not hurt: ``benchmarks/reference/reference_check.md`` (``fcnet_own``'s 3 tasks and
    ``lcbench_own/phoneme`` x 10 seeds, 20 multiples of the maximal fidelity) finds this BOHB
    not worse than HpBandSter's own generator (``bohb_hpbandster``) on any task (paired
    one-sided Wilcoxon, smallest p = 0.097). Trials are tagged like Hyperband's;
    :attr:`n_model_configs` counts the model-based proposals.

    Args:
        task: The task; it must have a fidelity and an unconditional space.
        seed: Seed of the private generator.
        eta: Halving rate, a number ``>= 2``.
        min_fidelity: Smallest fidelity; ``None`` for the task's lowest fidelity.
        max_fidelity: Largest fidelity; ``None`` for the task's maximal fidelity.
        min_points_in_model: ``n_min``; ``None`` for ``d + 1`` (smaller values are raised to it).
        top_n_percent: Percentage of observations in the good set.
        num_samples: Candidates drawn from the good density per configuration.
        random_fraction: Probability of a configuration drawn from the prior (``rho``).
        bandwidth_factor: Widening of the numeric bandwidths when sampling candidates.
        min_bandwidth: Smallest bandwidth (keeps diversity once the good set collapses).

    Raises:
        ValueError: A hyperparameter is invalid, the task has no fidelity, or the space cannot
            be encoded.
    """

    capabilities: ClassVar[Capabilities] = replace(BracketMethod.capabilities, conditional_spaces=False)

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        min_points_in_model: int | None = None,
        top_n_percent: int = 15,
        num_samples: int = 64,
        random_fraction: float = 1 / 3,
        bandwidth_factor: float = 3.0,
        min_bandwidth: float = 1e-3,
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self.min_points_in_model = min_points_in_model
        self.top_n_percent = top_n_percent
        self.num_samples = num_samples
        self.random_fraction = random_fraction
        self.bandwidth_factor = bandwidth_factor
        self.min_bandwidth = min_bandwidth
        eta_f = validate_eta(eta)
        fid, r_min, r_max = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        check_model_args(
            min_points_in_model=min_points_in_model,
            top_n_percent=top_n_percent,
            num_samples=num_samples,
            random_fraction=random_fraction,
            bandwidth_factor=bandwidth_factor,
            min_bandwidth=min_bandwidth,
        )
        self._enc = Encoding(task.space)
        d = self._enc.dim
        self._n_min = max(d + 1, 0 if min_points_in_model is None else int(min_points_in_model))
        self._by_fidelity: dict[float, Observations] = {}
        self._model: tuple[float, Parzen, Parzen] | None = None  # (fidelity, good, bad)
        self.n_model_configs = 0
        self._setup(hpbandster_brackets(eta=eta_f, r_min=r_min, r_max=r_max, integer=fid.integer))

    @property
    def model_fidelity(self) -> float | None:
        """Fidelity of the current model, ``None`` while there is none."""
        return None if self._model is None else self._model[0]

    def _observe(self, trial: Trial, loss: float) -> None:
        assert trial.fidelity is not None  # bracket methods always ask at an explicit fidelity
        fidelity = float(trial.fidelity)
        obs = self._by_fidelity.get(fidelity)
        if obs is None:
            obs = self._by_fidelity[fidelity] = Observations(self._enc.n_numeric, self._enc.n_categorical)
        xn, xc = self._enc.encode([trial.config])
        obs.append(xn[0], xc[0], loss)
        if self._model is not None and self._model[0] > fidelity:
            return
        model = self._fit(obs)
        if model is not None:
            self._model = (fidelity, *model)

    def _kde(self, xn: FloatArray, xc: IntArray) -> Parzen:
        enc = self._enc
        n, d = len(xn), enc.dim
        factor = 1.06 * n ** (-1.0 / (d + 4))
        floor = np.where(enc.n_levels > 0, 0.5 / np.maximum(enc.n_levels, 1), self.min_bandwidth)
        sigma = np.maximum(factor * xn.std(axis=0), np.maximum(floor, self.min_bandwidth))
        cat_bw = np.maximum(factor * xc.std(axis=0), self.min_bandwidth) if xc.size else np.zeros(0)
        return Parzen(
            mu=xn.copy(),
            sigma=sigma[None, :],
            centers=xc.copy(),
            cat_bw=np.minimum(cat_bw, (enc.n_choices - 1) / np.maximum(enc.n_choices, 1)),
            n_choices=enc.n_choices,
            weights=np.ones(n),
            prior_weight=0.0,
        )

    def _fit(self, obs: Observations) -> tuple[Parzen, Parzen] | None:
        n, d = len(obs), self._enc.dim
        if n < self._n_min + 2:
            return None
        n_good = max(self._n_min, int(self.top_n_percent) * n // 100)
        n_bad = max(self._n_min, (100 - int(self.top_n_percent)) * n // 100)
        order = np.argsort(obs.losses, kind="stable")
        good, bad = order[:n_good], order[n_good : n_good + n_bad]
        if len(good) <= d or len(bad) <= d:
            return None
        return self._kde(obs.xn[good], obs.xc[good]), self._kde(obs.xn[bad], obs.xc[bad])

    def proposal_density(self, good: Parzen) -> Parzen:
        """The density candidates are drawn from.

        It is ``good`` with numeric bandwidths times ``bandwidth_factor`` and categorical ones as
        HpBandSter samples them, not widened (:func:`sampling_categorical_bandwidth`).
        """
        return Parzen(
            mu=good.mu,
            sigma=good.sigma * float(self.bandwidth_factor),
            centers=good.centers,
            cat_bw=sampling_categorical_bandwidth(good.cat_bw, good.n_choices),
            n_choices=good.n_choices,
            weights=good.weights,
            prior_weight=0.0,
        )

    def _sample_configs(self, n: int) -> list[dict[str, Any]]:
        enc = self._enc
        xn, xc = enc.sample(self._rng, n)
        if self._model is None:
            return enc.decode(xn, xc)
        _, good, bad = self._model
        use_model = self._rng.random(n) >= float(self.random_fraction)
        wide = self.proposal_density(good)
        k = int(self.num_samples)
        for i in np.flatnonzero(use_model):
            cn, cc = wide.sample(self._rng, k)
            score = good.log_pdf(cn, cc) - bad.log_pdf(cn, cc)
            if not np.isfinite(score).any():
                continue
            best = int(np.nanargmax(np.where(np.isfinite(score), score, -math.inf)))
            xn[i], xc[i] = cn[best], cc[best]
            self.n_model_configs += 1
        return enc.decode(xn, xc)
