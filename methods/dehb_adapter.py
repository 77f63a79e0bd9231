"""Adapter: the reference DEHB implementation (the ``dehb`` package, Awad et al. 2021).

``dehb`` is an optional dependency (``pip install 'hpobench[dehb]'``), imported when the adapter
is constructed. Note: ``dehb`` 0.1.2 pins ``numpy<2`` and pulls ``dask``/``distributed``; it is not
part of the ``test`` extra.
"""

from __future__ import annotations

import copy
import importlib
import math
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import to_python
from hpobench.contracts.types import Evaluation, Task, Trial
from hpobench.methods._brackets import resolve_fidelity_range, validate_eta
from hpobench.methods._pending import PendingTrials, loss_of

__all__ = ["DEHBPackage"]


def _import_dehb() -> Any:
    try:
        return importlib.import_module("dehb")
    except ImportError as exc:
        raise ImportError("the 'dehb_package' method needs dehb: pip install 'hpobench[dehb]'") from exc


@contextmanager
def _quiet() -> Iterator[None]:
    # dehb 0.1.2 calls ConfigSpace APIs deprecated in ConfigSpace 1.x on every ask and tell
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


class DEHBPackage(Method):
    """The ``dehb`` package's ``DEHB`` optimizer driven through its ask/tell interface.

    The optimizer is built with ``n_workers=1`` (no Dask cluster), a copy of the task's space
    (``dehb`` re-seeds the space it is given), ``seed % 2**32`` and the package's defaults for
    everything not listed below. Its logs and checkpoints go to a temporary directory that is
    removed right away; ``save_freq="end"`` keeps it from writing during a run. Fidelities of
    integer tasks are rounded to the nearest integer (``dehb`` spaces them geometrically as
    floats). Failed or NaN results are told as fitness ``+inf``; losses are ``sign * value``.

    Args:
        task: The task; it must have a fidelity range with ``min < max``.
        seed: Seed of the optimizer.
        eta: Halving rate.
        min_fidelity: Smallest fidelity; ``None`` for the task's lowest fidelity.
        max_fidelity: Largest fidelity; ``None`` for the task's maximal fidelity.
        mutation_factor: DE scale factor.
        crossover_prob: DE crossover probability.

    Raises:
        ImportError: ``dehb`` is not installed.
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    capabilities: ClassVar[Capabilities] = Capabilities(
        multi_fidelity=True, requires_fidelity=True, conditional_spaces=False
    )
    requires: ClassVar[tuple[str, ...]] = ("dehb",)

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        eta: float = 3,
        min_fidelity: float | None = None,
        max_fidelity: float | None = None,
        mutation_factor: float = 0.5,
        crossover_prob: float = 0.5,
    ) -> None:
        super().__init__(task, seed=seed)
        self.eta = eta
        self.min_fidelity = min_fidelity
        self.max_fidelity = max_fidelity
        self.mutation_factor = mutation_factor
        self.crossover_prob = crossover_prob
        self._eta = validate_eta(eta)
        self._fid, self._low, self._high = resolve_fidelity_range(task, min_fidelity, max_fidelity)
        if self._low >= self._high:
            raise ValueError("the dehb package needs min_fidelity < max_fidelity")
        _import_dehb()
        self._optimizer: Any = None  # built at the first ask
        self._pending: PendingTrials[dict[str, Any]] = PendingTrials("DEHBPackage")

    def _get_optimizer(self) -> Any:
        if self._optimizer is None:
            dehb = _import_dehb()
            out = tempfile.mkdtemp(prefix="hpobench-dehb-")
            try:
                with _quiet():
                    self._optimizer = dehb.DEHB(
                        cs=copy.deepcopy(self.task.space),
                        min_fidelity=self._low,
                        max_fidelity=self._high,
                        eta=self._eta,
                        mutation_factor=float(self.mutation_factor),
                        crossover_prob=float(self.crossover_prob),
                        seed=int(self.seed) % 2**32,
                        n_workers=1,
                        output_path=out,
                        save_freq="end",
                        log_level="ERROR",
                    )
            finally:
                shutil.rmtree(out, ignore_errors=True)
        return self._optimizer

    def _fidelity(self, raw: float) -> float:
        value = min(max(float(raw), self._low), self._high)
        if self._fid.integer:
            value = min(max(float(math.floor(value + 0.5)), self._low), self._high)
        return value

    def ask(self) -> Trial:
        """Ask ``dehb`` for its next job (it starts a new bracket rather than wait)."""
        with _quiet():
            job = self._get_optimizer().ask()
        config = {k: to_python(v) for k, v in dict(job["config"]).items()}
        info = {k: v for k, v in job.items() if k != "config"} | {"config": None}
        trial = Trial(
            config=config, fidelity=self._fidelity(job["fidelity"]), tag=f"bracket={job['bracket_id']}"
        )
        return self._pending.add(trial, info)

    def tell(self, evaluation: Evaluation) -> None:
        """Tell ``dehb`` the loss (``+inf`` for failed or NaN results) and the cost.

        Raises:
            ValueError: The trial was not asked by this method or was already told.
        """
        info = self._pending.pop(evaluation.trial)
        result = {"fitness": loss_of(evaluation, self.task), "cost": float(evaluation.cost)}
        with _quiet():
            self._get_optimizer().tell(info, result)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._optimizer is not None:  # dehb drops its logger when pickled
            self._optimizer.logger = importlib.import_module("loguru").logger
