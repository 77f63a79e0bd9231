"""Adapter: HpBandSter's BOHB model (Falkner, Klein & Hutter 2018), the reference for ``bohb``.

``hpbandster`` (with ``statsmodels``) is an optional dependency, imported when the adapter is
constructed: ``pip install 'hpobench[hpbandster]'`` (HpBandSter 0.7.4 also declares
``netifaces``, used only by its network name server: ``pip install --no-deps hpbandster`` then
``pip install statsmodels Pyro4 serpent`` avoids building it). Only HpBandSter's *config generator*
(``hpbandster.optimizers.config_generators.bohb.BOHB``) runs here: its distributed master,
Pyro name server and workers are replaced by the suite's synchronous bracket engine with
HpBandSter's own bracket sizes (:func:`~hpobench.methods._brackets.hpbandster_brackets`).
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace
from typing import Any, ClassVar

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.method import Capabilities
from hpobench.contracts.space import to_python
from hpobench.contracts.types import Task, Trial
from hpobench.methods._brackets import (
    BracketMethod,
    hpbandster_brackets,
    resolve_fidelity_range,
    validate_eta,
)
from hpobench.methods.bohb import check_model_args

__all__ = ["HpBandSterBOHB"]


def _import_generator() -> Any:
    try:
        module = importlib.import_module("hpbandster.optimizers.config_generators.bohb")
    except ImportError as exc:
        raise ImportError(
            "the 'bohb_hpbandster' method needs hpbandster and statsmodels: "
            "pip install 'hpobench[hpbandster]'"
        ) from exc
    return module.BOHB


def _integer_space(space: CS.ConfigurationSpace, seed: int) -> CS.ConfigurationSpace:
    """A copy of ``space`` with each ordinal as an integer over its positions.

    HpBandSter refuses ordinal hyperparameters and asks for them to be encoded as integers.
    """
    out = CS.ConfigurationSpace(seed=seed)
    for hp in space.values():
        if isinstance(hp, CS.OrdinalHyperparameter):
            out.add(CS.UniformIntegerHyperparameter(hp.name, 0, len(hp.sequence) - 1))
        else:
            out.add(hp)
    if space.conditions or space.forbidden_clauses:
        raise ValueError("the 'bohb_hpbandster' adapter supports unconditional spaces only")
    return out


class HpBandSterBOHB(BracketMethod):
    """HpBandSter's BOHB config generator driven by synchronous successive halving.

    Each configuration of a bracket's first rung comes from the generator's ``get_config``; every
    result is passed to its ``new_result`` (losses ``sign * value``; failures ``+inf``). Ordinals
    are integers over their positions for HpBandSter (see :func:`_integer_space`). HpBandSter
    draws from numpy's global generator: the adapter keeps a private state seeded by ``seed``
    and swaps it in only around its calls, so runs are deterministic and nothing else sees it.

    Args:
        task: The task; it must have a fidelity and an unconditional space.
        seed: Seed of the generator's random state and of its configuration space.
        eta: Halving rate.
        min_fidelity: Smallest fidelity; ``None`` for the task's lowest fidelity.
        max_fidelity: Largest fidelity; ``None`` for the task's maximal fidelity.
        min_points_in_model: ``None`` for HpBandSter's ``d + 1``.
        top_n_percent: Percentage of observations in the good set.
        num_samples: Candidates drawn per model-based configuration.
        random_fraction: Fraction of configurations drawn from the prior.
        bandwidth_factor: Widening of numeric bandwidths when sampling candidates.
        min_bandwidth: Smallest bandwidth.

    Raises:
        ImportError: ``hpbandster`` or ``statsmodels`` is not installed.
        ValueError: A hyperparameter is invalid or the task has no fidelity.
    """

    capabilities: ClassVar[Capabilities] = replace(BracketMethod.capabilities, conditional_spaces=False)

    requires: ClassVar[tuple[str, ...]] = ("hpbandster", "statsmodels")

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
        _import_generator()
        self._generator: Any = None  # built at the first ask
        self._global_state: Any = np.random.RandomState(int(seed) % 2**32).get_state()
        self._n_jobs = 0
        self._setup(hpbandster_brackets(eta=eta_f, r_min=r_min, r_max=r_max, integer=fid.integer))

    @contextmanager
    def _own_global_rng(self) -> Iterator[None]:
        # HpBandSter draws from numpy's legacy global generator; swap our private state in.
        saved = np.random.get_state()  # noqa: NPY002 (HpBandSter's global generator)
        np.random.set_state(self._global_state)  # noqa: NPY002 (HpBandSter's global generator)
        try:
            with warnings.catch_warnings():  # HpBandSter calls ConfigSpace APIs deprecated in 1.x
                warnings.simplefilter("ignore", DeprecationWarning)
                yield
        finally:
            self._global_state = np.random.get_state()  # noqa: NPY002 (HpBandSter's global generator)
            np.random.set_state(saved)  # noqa: NPY002 (HpBandSter's global generator)

    def _get_generator(self) -> Any:
        if self._generator is None:
            space = _integer_space(self.task.space, int(self.seed) % 2**32)
            logger = logging.getLogger("hpobench.methods.hpbandster_adapter")
            with self._own_global_rng():
                self._generator = _import_generator()(
                    configspace=space,
                    min_points_in_model=self.min_points_in_model,
                    top_n_percent=int(self.top_n_percent),
                    num_samples=int(self.num_samples),
                    random_fraction=float(self.random_fraction),
                    bandwidth_factor=float(self.bandwidth_factor),
                    min_bandwidth=float(self.min_bandwidth),
                    logger=logger,
                )
        return self._generator

    def _to_task(self, config: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in config.items():
            hp = self.task.space[name]
            out[name] = hp.sequence[int(value)] if isinstance(hp, CS.OrdinalHyperparameter) else value
        return {k: to_python(v) for k, v in out.items()}

    def _to_generator(self, config: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in config.items():
            hp = self.task.space[name]
            out[name] = list(hp.sequence).index(value) if isinstance(hp, CS.OrdinalHyperparameter) else value
        return out

    def _sample_configs(self, n: int) -> list[dict[str, Any]]:
        bracket = self.brackets[self._n_started % len(self.brackets)]
        generator = self._get_generator()
        with self._own_global_rng():
            return [self._to_task(generator.get_config(bracket.rungs[0].fidelity)[0]) for _ in range(n)]

    def _observe(self, trial: Trial, loss: float) -> None:
        job = SimpleNamespace(
            id=(self._n_jobs, 0, 0),
            result={"loss": loss},
            exception=None,
            kwargs={"budget": trial.fidelity, "config": self._to_generator(dict(trial.config))},
        )
        self._n_jobs += 1
        generator = self._get_generator()
        with self._own_global_rng():
            generator.new_result(job)
