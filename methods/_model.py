"""Book-keeping shared by the model-based methods: observations, number checks, the base class.

:class:`ModelMethod` is the base of single-fidelity, asynchronous model-based methods (TPE,
GP-BO, CQR-BO, regularized evolution). It owns the private generator, the
:class:`~hpobench.methods._encoding.Encoding` of the space, the history of encoded observations
with their losses, and the trials in flight (:class:`~hpobench.methods._pending.PendingTrials`,
the one tracker all methods share). Subclasses implement :meth:`ModelMethod._propose`.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from typing import ClassVar

import numpy as np

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.types import Evaluation, Trial
from hpobench.methods._encoding import Encoding, FloatArray, IntArray
from hpobench.methods._pending import PendingTrials, loss_of

__all__ = ["ModelMethod", "Observations", "check_number", "finite_losses", "to_ranks"]


def check_number(
    name: str, value: object, *, low: float, high: float = math.inf, integer: bool = False
) -> None:
    """Raise ``ValueError`` unless ``value`` is a real (integer if asked) in ``[low, high]``."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok and integer:
        ok = float(value).is_integer()  # type: ignore[arg-type]
    if not ok or not (low <= float(value) <= high):  # type: ignore[arg-type]
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name} must be {kind} in [{low}, {high}], got {value!r}")


def finite_losses(losses: FloatArray) -> FloatArray:
    """Replace non-finite losses by the worst finite one plus its range (worst of all); 0 if none."""
    ok = np.isfinite(losses)
    if ok.all():
        return losses
    if not ok.any():
        return np.zeros_like(losses)
    lo, hi = float(losses[ok].min()), float(losses[ok].max())
    out = losses.copy()
    out[~ok] = hi + max(hi - lo, 1.0)
    return out


def to_ranks(losses: FloatArray) -> FloatArray:
    """Gaussian copula transform: ranks mapped to normal quantiles (ties broken by order)."""
    from scipy.special import ndtri

    n = len(losses)
    ranks = np.empty(n)
    ranks[np.argsort(losses, kind="stable")] = np.arange(n)
    return np.asarray(ndtri((ranks + 0.5) / n), dtype=float)


class Observations:
    """Growing arrays of encoded configurations and their losses (amortised appends)."""

    def __init__(self, n_numeric: int, n_categorical: int) -> None:
        self._xn = np.empty((16, n_numeric))
        self._xc = np.empty((16, n_categorical), dtype=np.int64)
        self._y = np.empty(16)
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def append(self, xn: FloatArray, xc: IntArray, loss: float) -> None:
        """Add one observation (``xn`` and ``xc`` are 1-d)."""
        if self.n == len(self._y):
            self._xn = np.concatenate([self._xn, np.empty_like(self._xn)])
            self._xc = np.concatenate([self._xc, np.empty_like(self._xc)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._xn[self.n] = xn
        self._xc[self.n] = xc
        self._y[self.n] = loss
        self.n += 1

    @property
    def xn(self) -> FloatArray:
        """Numeric coordinates, ``(n, n_numeric)`` (a view)."""
        return self._xn[: self.n]

    @property
    def xc(self) -> IntArray:
        """Categorical indices, ``(n, n_categorical)`` (a view)."""
        return self._xc[: self.n]

    @property
    def losses(self) -> FloatArray:
        """Losses, ``+inf`` for failures (a view)."""
        return self._y[: self.n]

    def relabel(self, losses: FloatArray) -> None:
        """Replace the losses of all observations (same length, same order)."""
        if len(losses) != self.n:
            raise ValueError(f"relabel needs {self.n} losses, got {len(losses)}")
        self._y[: self.n] = losses


class ModelMethod(Method):
    """Base of single-fidelity asynchronous model-based methods.

    Subclasses store their hyperparameters, then call :meth:`_setup`. :meth:`ask` returns a
    random configuration for the first ``n_startup`` asks (or while fewer than ``min_observations``
    results are known) and :meth:`_propose` afterwards; it never returns ``None``. Trials are asked
    at the maximal fidelity (``fidelity=None``). :meth:`tell` stores the encoded configuration
    with ``loss = sign * value`` (``+inf`` for failures).
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        candidate_set=True, asynchronous=True, conditional_spaces=False
    )
    min_observations: ClassVar[int] = 2

    def _setup(self, n_startup: int) -> None:
        self._n_startup = n_startup
        self._rng = np.random.default_rng(self.seed)
        self._enc = Encoding(self.task.space)
        self._obs = Observations(self._enc.n_numeric, self._enc.n_categorical)
        self._pending: PendingTrials[tuple[FloatArray, IntArray]] = PendingTrials(type(self).__name__)
        self._n_asked = 0

    @property
    def model_based(self) -> bool:
        """Whether the next :meth:`ask` uses the model (startup is over and enough results are in)."""
        return self._n_asked >= self._n_startup and len(self._obs) >= self.min_observations

    def relabel(self, losses: FloatArray) -> None:
        """Replace the losses the model learns from, one per result told so far, in order.

        For wrappers that optimise a changing scalarisation of several objectives (ParEGO): the
        next :meth:`ask` models these losses (``+inf`` marks a failure).
        """
        self._obs.relabel(np.asarray(losses, dtype=float))

    def ask(self) -> Trial:
        """Propose the next configuration at the maximal fidelity (never ``None``)."""
        if not self.model_based:
            xn, xc = self._enc.sample(self._rng, 1)
            tag = "random"
        else:
            xn, xc = self._propose()
            tag = "model"
        config = self._enc.decode(xn, xc)[0]
        sn, sc = self._enc.encode([config])
        trial = Trial(config=config, tag=tag)
        self._pending.add(trial, (sn[0], sc[0]))
        self._n_asked += 1
        return trial

    def tell(self, evaluation: Evaluation) -> None:
        """Record the result of an asked trial.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        xn, xc = self._pending.pop(evaluation.trial)
        self._obs.append(xn, xc, loss_of(evaluation, self.task))

    @abstractmethod
    def _propose(self) -> tuple[FloatArray, IntArray]:
        """Return one encoded proposal ``(xn, xc)`` (shapes ``(1, n_numeric)``, ``(1, n_categorical)``)."""
