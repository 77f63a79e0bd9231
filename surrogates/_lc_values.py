"""The values the batched learning-curve trainer takes and returns (frozen; arrays per model).

:class:`Split` is one dataset split on the training device; :class:`GroupConfigs` the settings
of the ``K`` models of one group (padded widths, true widths, activations, dropout, optimiser
settings); :class:`GroupResult` a group's per-epoch metrics, named by :func:`metric_names`.
The trainer is :func:`hpobench.surrogates._lc_models.train_groups`, which re-exports these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

Loss = Literal["mse", "xent"]


Optimizer = Literal["adam", "sgd"]


@dataclass(frozen=True, kw_only=True)
class Split:
    """One dataset split on the training device.

    Attributes:
        x: Inputs, float32 ``(n, d)``.
        y: Targets: float32 ``(n,)`` for MSE, int64 class indices for cross-entropy.
    """

    x: torch.Tensor
    y: torch.Tensor


@dataclass(frozen=True, kw_only=True)
class GroupConfigs:
    """The models of one group (numpy arrays of length ``K`` / shape ``(K, n_hidden)``).

    Attributes:
        batch_size: Minibatch size shared by the group (capped at the training-set size).
        widths: Padded width of each hidden layer (may be empty: a linear model).
        units: True width of each hidden layer of each model, ``<= widths``.
        relu: Whether each hidden layer of each model uses ReLU (else tanh).
        dropout: Dropout probability of each hidden layer of each model, in ``[0, 1)``.
        lr: Initial learning rate of each model.
        momentum: SGD momentum, or Adam's first-moment decay (beta1).
        weight_decay: L2 weight decay (added to the gradient, as ``torch.optim.SGD`` does).
        cosine: Whether each model anneals its learning rate with a cosine over the epochs.
        optimizer: ``"adam"`` or ``"sgd"``.
    """

    batch_size: int
    widths: tuple[int, ...]
    units: np.ndarray
    relu: np.ndarray
    dropout: np.ndarray
    lr: np.ndarray
    momentum: np.ndarray
    weight_decay: np.ndarray
    cosine: np.ndarray
    optimizer: Optimizer

    @property
    def size(self) -> int:
        """Number of models ``K``."""
        return len(self.lr)

    def n_params(self, n_in: int, n_out: int) -> np.ndarray:
        """True number of weights and biases of each model."""
        dims = np.column_stack([np.full(self.size, n_in), self.units, np.full(self.size, n_out)])
        return np.asarray(np.sum(dims[:, :-1] * dims[:, 1:] + dims[:, 1:], axis=1))


@dataclass(frozen=True, kw_only=True)
class GroupResult:
    """Per-epoch results of one group.

    Attributes:
        metrics: ``(epochs, K, n_metrics)`` float64, in the order of :func:`metric_names`.
        epoch_seconds: ``(epochs,)`` measured seconds of each epoch of the group (training and
            evaluation; on CUDA the elapsed time between events on the group's stream).
    """

    metrics: np.ndarray
    epoch_seconds: np.ndarray


def metric_names(loss: Loss) -> tuple[str, ...]:
    """Names of the recorded metrics: training loss first, then validation and test metrics."""
    if loss == "mse":
        return ("train_mse", "valid_mse", "test_mse")
    parts = ("accuracy", "balanced_accuracy", "cross_entropy")
    return ("train_cross_entropy", *(f"valid_{p}" for p in parts), *(f"test_{p}" for p in parts))
