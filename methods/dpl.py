"""DPL: deep power laws (Kadra et al., "Scaling Laws for Hyperparameter Optimization", NeurIPS 2023)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from hpobench.contracts.method import MethodReport
from hpobench.contracts.types import Task
from hpobench.methods._freeze_thaw import CurveData, FloatArray, FreezeThawMethod, expected_improvement_max
from hpobench.methods._model import check_number
from hpobench.methods._refit import RefitSchedule, default_patience

if TYPE_CHECKING:
    from hpobench.methods._torch_curves import PowerLawEnsemble

__all__ = ["DPL"]


class DPL(FreezeThawMethod):
    """DPL: an ensemble of power-law networks, EI at the maximal budget, one step at a time.

    Each of ``n_members`` networks maps a configuration through ``layers`` layers of ``width``
    LeakyReLU units to ``(alpha, beta, gamma)`` and predicts ``y(t) = alpha + beta * t**(-gamma)``
    at the normalised budget ``t = b / max`` (``gamma > 0`` through a softplus), as in Kadra et
    al. (2023) and their reference code (``releaunifreiburg/DPL``) with its defaults: 5 members,
    2 layers of 128, L1 loss, minibatches of 64, a fresh Adam (learning rate 1e-3) per training,
    float32. Schedule (:class:`~hpobench.methods._refit.RefitSchedule`): the first ``full_fits``
    decisions train freshly initialised members for ``n_epochs`` epochs; later decisions refine
    the previous weights for ``refit_epochs`` epochs on all points with the newest observation
    added to every minibatch; training starts from scratch again when the best value has not
    improved for ``restart_patience`` observations. The members are trained together as one
    batched model (stacked weights, one optimiser). Each decision scores every configuration that
    can advance and every unstarted candidate by expected improvement at the maximal budget
    (mean and standard deviation over the ensemble) over the best value observed so far, and
    advances the best one by one fidelity step (the loop, steps and ``[0, 1]`` normalisation are
    those of :mod:`hpobench.methods._freeze_thaw`). Deviation: the paper scores the benchmark's
    whole candidate set; here the pool is the started configurations plus ``n_candidates``
    random ones. Needs torch (CPU); members' initial weights and each decision's minibatch order
    come from the method's generator. :meth:`report` counts the full fits and restarts.

    Args:
        task: The task; it must have a fidelity.
        seed: Seed of the private generator (candidates, weights, minibatches).
        n_members: Ensemble size.
        width: Units per hidden layer.
        layers: Number of hidden layers.
        n_epochs: Epochs of a fit from scratch.
        refit_epochs: Epochs of refinement at the other decisions.
        full_fits: Decisions at the start that fit from scratch (at least 1).
        restart_patience: Observations without improvement of the best value after which the
            next decision fits from scratch; ``None``: ``int(1.2 * fidelity steps)`` as the
            reference code; ``0``: never.
        batch_size: Minibatch size.
        learning_rate: Adam's learning rate.
        n_candidates: Unstarted random candidates kept in the pool.
        n_initial: Random starts before the model is used.
        max_steps: Largest number of fidelity steps.
        continuation: ``None``: continue checkpoints exactly when the task supports it;
            ``True``: it must; ``False``: retrain from scratch at every step.

    Raises:
        IncompatibleError: The task has no fidelity.
        ValueError: A hyperparameter is invalid.
    """

    requires: ClassVar[tuple[str, ...]] = ("torch",)
    _prefix: ClassVar[str] = "dpl"

    def __init__(
        self,
        task: Task,
        *,
        seed: int,
        n_members: int = 5,
        width: int = 128,
        layers: int = 2,
        n_epochs: int = 250,
        refit_epochs: int = 20,
        full_fits: int = 10,
        restart_patience: int | None = None,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        n_candidates: int = 256,
        n_initial: int = 5,
        max_steps: int = 50,
        continuation: bool | None = None,
    ) -> None:
        super().__init__(task, seed=seed)
        self.n_members = n_members
        self.width = width
        self.layers = layers
        self.n_epochs = n_epochs
        self.refit_epochs = refit_epochs
        self.full_fits = full_fits
        self.restart_patience = restart_patience
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_candidates = n_candidates
        self.n_initial = n_initial
        self.max_steps = max_steps
        self.continuation = continuation
        for name in ("n_members", "width", "layers", "n_epochs", "batch_size", "full_fits"):
            check_number(name, getattr(self, name), low=1, integer=True)
        check_number("refit_epochs", refit_epochs, low=0, integer=True)
        if restart_patience is not None:
            check_number("restart_patience", restart_patience, low=0, integer=True)
        check_number("learning_rate", learning_rate, low=0.0)
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
        import torch  # noqa: F401  -- fail at construction when the optional dependency is missing

        self._setup(
            n_candidates=n_candidates, n_initial=n_initial, max_steps=max_steps, continuation=continuation
        )
        patience = default_patience(len(self.fidelities)) if restart_patience is None else restart_patience
        self._schedule = RefitSchedule(full_fits=int(full_fits), patience=int(patience))
        self._net: PowerLawEnsemble | None = None

    def report(self) -> MethodReport:
        """Counts of the model's fits from scratch (``full_fits``) and of its ``restarts``."""
        return self._schedule.report()

    def _acquisition(self, data: CurveData) -> FloatArray:
        import torch

        from hpobench.methods._torch_curves import PowerLawEnsemble

        generator = torch.Generator().manual_seed(int(self._rng.integers(2**62)))
        full = self._schedule.full(data.y) or self._net is None
        if full:
            self._net = PowerLawEnsemble(
                dim=data.x.shape[1],
                members=int(self.n_members),
                width=int(self.width),
                layers=int(self.layers),
                generator=generator,
            )
        assert self._net is not None
        optimizer = torch.optim.Adam(self._net.parameters(), lr=float(self.learning_rate), foreach=True)
        self._net.fit(
            data.x[data.ids],
            data.t,
            data.y,
            epochs=int(self.n_epochs if full else self.refit_epochs),
            batch_size=int(self.batch_size),
            optimizer=optimizer,
            generator=generator,
            newest=None if full else data.ids.size - 1,
        )
        mean, std = self._net.predict(data.x[data.query_ids], 1.0)
        best = float(data.y.max())
        return expected_improvement_max(mean, std, best)
