"""The training problem of a fitted surrogate: its settings, inputs and targets, and the torch training.

:class:`FitSettings` holds every network and training setting (frozen, checked, recorded in each
model file). :func:`training_inputs` and :func:`standardised_targets` turn a
:class:`~hpobench.surrogates._fitting_data.TableData` into arrays (the target transforms are
described in :mod:`hpobench.surrogates.fitting`); :func:`train` fits the MLP ensemble with
torch (imported only there), deterministically for a seed, and returns numpy arrays.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from hpobench.contracts.types import Direction
from hpobench.surrogates._fitting_data import TableData

REFERENCE_SAMPLES = 1 << 15
"""Random configurations (besides every table configuration) searched for the reference optimum."""


@dataclass(frozen=True, kw_only=True)
class FitSettings:
    """Network and training settings (recorded in every model file).

    Attributes:
        members: Ensemble members (the surrogate's seeds).
        hidden: Width of each hidden layer.
        activation: ``"silu"`` or ``"relu"``.
        epochs: Passes over each member's training rows.
        batch_size: Rows per member and step.
        learning_rate: Initial Adam learning rate (cosine decay to 0).
        weight_decay: Adam L2 penalty.
        holdout: Fraction of configurations held out for the quality report.
        clip_quantile: Quantile of the training targets at which the bad tail is clipped
            (``target="clip"`` only).
        target: ``"clip"`` (standardised clipped targets) or ``"quantile"`` (normal scores of
            the ranks, see the module docstring).
        quantile_knots: Knots of the stored quantile function (``target="quantile"`` only).
        threads: torch CPU threads.
        reference_samples: Random configurations searched (besides the table's) for the
            reference optimum.
    """

    members: int = 5
    hidden: tuple[int, ...] = (64, 64)
    activation: str = "silu"
    epochs: int = 40
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 0.0
    holdout: float = 0.2
    clip_quantile: float = 0.98
    target: str = "clip"
    quantile_knots: int = 1025
    threads: int = 1
    reference_samples: int = REFERENCE_SAMPLES

    def __post_init__(self) -> None:
        if self.members < 1 or self.epochs < 1 or self.batch_size < 1 or not self.hidden:
            raise ValueError("members, epochs and batch_size must be positive and hidden non-empty")
        if self.activation not in ("silu", "relu"):
            raise ValueError(f"activation must be 'silu' or 'relu', got {self.activation!r}")
        if not (0.0 <= self.holdout < 1.0 and 0.5 < self.clip_quantile <= 1.0):
            raise ValueError("need 0 <= holdout < 1 and 0.5 < clip_quantile <= 1")
        if self.target not in ("clip", "quantile") or self.quantile_knots < 2:
            raise ValueError(f"target must be 'clip' or 'quantile' (got {self.target!r}), knots >= 2")


@dataclass(frozen=True, kw_only=True)
class TargetStats:
    """Transformed and standardised targets with the statistics to undo it."""

    log: bool
    low: float
    high: float
    mean: float
    std: float
    cost_mean: float
    cost_std: float
    knots: tuple[np.ndarray, np.ndarray] | None = None


def _normal_scores(y: np.ndarray, *, knots: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Normal scores of the average ranks of ``y``, and the knots ``(z, value)`` of their inverse."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    n = y.size
    scores = ndtri((rankdata(y.reshape(-1)) - 0.5) / n).reshape(y.shape)
    p = np.linspace(0.5 / n, 1.0 - 0.5 / n, min(knots, n)) if n > 1 else np.array([0.25, 0.75])
    value = np.quantile(y.reshape(-1), p, method="hazen")
    return scores, (np.asarray(ndtri(p), dtype=np.float64), np.maximum.accumulate(value))


def standardised_targets(
    data: TableData, train: np.ndarray, settings: FitSettings
) -> tuple[TargetStats, np.ndarray]:
    """Standardised ``(n_seeds, n_train * n_fidelities, 2)`` targets and their transform."""
    raw = data.values[train]
    finite = raw[np.isfinite(raw)]
    if finite.size == 0:
        raise ValueError(f"{data.name!r}: no finite objective value to fit")
    minimise = data.objective.direction is Direction.MINIMIZE
    log = minimise and bool(np.all(finite > 0))
    t = np.log(finite) if log else finite
    if minimise:
        low, high = float(t.min()), float(np.quantile(t, settings.clip_quantile))
    else:
        low, high = float(np.quantile(t, 1.0 - settings.clip_quantile)), float(t.max())
    knots = None
    if settings.target == "quantile":
        low, high = float(t.min()), float(t.max())
    worst = high if minimise else low
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.log(raw) if log else raw.copy()
    y = np.clip(np.where(np.isfinite(y), y, worst), low, high)
    if settings.target == "quantile":
        y, knots = _normal_scores(y, knots=settings.quantile_knots)
        mean, std = 0.0, 1.0
    else:
        mean, std = float(y.mean()), float(y.std()) or 1.0
    c = np.log(np.maximum(data.costs[train], 1e-12))
    c_mean, c_std = float(c.mean()), float(c.std()) or 1.0
    # (n_train, seeds, fids) -> (seeds, n_train * fids): rows are config-major, fidelity fastest
    stacked = np.stack([(y - mean) / std, (c - c_mean) / c_std], axis=-1).transpose(1, 0, 2, 3)
    stats = TargetStats(
        log=log, low=low, high=high, mean=mean, std=std, cost_mean=c_mean, cost_std=c_std, knots=knots
    )
    return stats, stacked.reshape(raw.shape[1], -1, 2).astype(np.float32)


def training_inputs(data: TableData, train: np.ndarray) -> np.ndarray:
    """Encoded ``(n_train * n_fidelities, width)`` inputs, config-major, fidelity fastest."""
    configs = [data.configs[i] for i in train.tolist()]
    nf = len(data.fidelity_values)
    rows = [c for c in configs for _ in range(nf)]
    fids = np.tile(data.fidelity_values, len(configs))
    return np.asarray(data.encoding.encode(rows, fids))


def train(
    x: np.ndarray, y: np.ndarray, *, settings: FitSettings, seed: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Train the MLP ensemble with torch; deterministic given ``seed``.

    Args:
        x: Inputs ``(rows, width)``, shared by every member.
        y: Targets ``(n_seeds, rows, 2)``; member ``m`` fits ``y[m % n_seeds]``.
        settings: Network and training settings.
        seed: Seeds the initialisation and the data order.

    Returns:
        ``(weights, biases)`` as float32 numpy arrays, per layer ``(members, fan_in, fan_out)`` and
        ``(members, fan_out)``.
    """
    import torch

    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(settings.threads)
    try:
        gen = torch.Generator().manual_seed(seed)
        m = settings.members
        sizes = [x.shape[1], *settings.hidden, 2]
        weights, biases = [], []
        for fan_in, fan_out in itertools.pairwise(sizes):
            bound = math.sqrt(6.0 / (fan_in + fan_out))
            w = (torch.rand(m, fan_in, fan_out, generator=gen) * 2.0 - 1.0) * bound
            weights.append(w.requires_grad_())
            biases.append(torch.zeros(m, 1, fan_out, requires_grad=True))
        xt, yt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))
        source = torch.arange(m) % y.shape[0]
        rows = x.shape[0]
        batch = min(settings.batch_size, rows)
        steps = max(1, rows // batch)
        total = steps * settings.epochs
        opt = torch.optim.Adam(
            [*weights, *biases], lr=settings.learning_rate, weight_decay=settings.weight_decay
        )
        act = torch.nn.functional.silu if settings.activation == "silu" else torch.relu
        step = 0
        for _ in range(settings.epochs):
            perm = torch.stack([torch.randperm(rows, generator=gen) for _ in range(m)])
            for b in range(steps):
                idx = perm[:, b * batch : (b + 1) * batch]
                h = xt[idx]
                for i, (w, bias) in enumerate(zip(weights, biases, strict=True)):
                    h = torch.baddbmm(bias, h, w)
                    if i < len(weights) - 1:
                        h = act(h)
                target = yt[source[:, None], idx]
                loss = ((h - target) ** 2).mean() * m
                for group in opt.param_groups:
                    group["lr"] = settings.learning_rate * 0.5 * (1.0 + math.cos(math.pi * step / total))
                opt.zero_grad()
                loss.backward()  # type: ignore[no-untyped-call]
                opt.step()
                step += 1
        return (
            [w.detach().numpy().astype(np.float32) for w in weights],
            [b.detach()[:, 0, :].numpy().astype(np.float32) for b in biases],
        )
    finally:
        torch.use_deterministic_algorithms(previous)
