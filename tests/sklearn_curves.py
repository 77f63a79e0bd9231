"""A real learning-curve table for the tests: scikit-learn's MLPClassifier trained on the digits data.

Not a fixture file: the table is made by training (about 2-4 s on one core), from data that
scikit-learn ships (``sklearn.datasets.load_digits``: 1,797 8x8 images of handwritten digits, UCI
ML hand-written digits, Alpaydin & Kaynak 1998), so nothing is downloaded and nothing of it is
committed. Grid: 3 learning rates x 2 L2 strengths x 2 hidden widths = 12 configurations, 2
seeds (weight initialisation and batch order), 10 epochs of ``partial_fit`` each. Columns:
the hyperparameters, ``seed``, ``epoch``, ``valid_error`` (1 - accuracy on a fixed 25 %
held-out split), ``train_loss`` (the MLP's own loss) and ``seconds`` (measured cumulative
training time up to that epoch, so the cost column is real wall-clock time).
"""

from __future__ import annotations

import time
import warnings
from itertools import product

import numpy as np
import pandas as pd

GRID = {"learning_rate_init": [0.0003, 0.003, 0.03], "alpha": [0.0001, 0.01], "width": [8, 32]}
SEEDS = (0, 1)
EPOCHS = 10


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    split = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return split[0], split[1], split[2], split[3]


def train_mlp(config: dict, *, fidelity: float, seed: int) -> dict[str, float]:
    """Train one MLP for ``fidelity`` epochs; a training function for function_benchmark too."""
    from sklearn.neural_network import MLPClassifier

    x_train, x_valid, y_train, y_valid = digits_split()
    model = MLPClassifier(
        hidden_layer_sizes=(int(config["width"]),),
        learning_rate_init=float(config["learning_rate_init"]),
        alpha=float(config["alpha"]),
        batch_size=64,
        random_state=seed,
    )
    classes = np.unique(y_train)
    for _ in range(int(fidelity)):
        model.partial_fit(x_train, y_train, classes=classes)
    error = 1.0 - float(model.score(x_valid, y_valid))
    return {"valid_error": error, "train_loss": float(model.loss_), "seconds": 0.01 * int(fidelity)}


def mlp_curves() -> pd.DataFrame:
    """Train every configuration and seed once, recording each epoch (the long table)."""
    from sklearn.neural_network import MLPClassifier

    x_train, x_valid, y_train, y_valid = digits_split()
    classes = np.unique(y_train)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for (lr, alpha, width), seed in product(product(*GRID.values()), SEEDS):
            model = MLPClassifier(
                hidden_layer_sizes=(width,),
                learning_rate_init=lr,
                alpha=alpha,
                batch_size=64,
                random_state=seed,
            )
            seconds = 0.0
            for epoch in range(1, EPOCHS + 1):
                start = time.perf_counter()
                model.partial_fit(x_train, y_train, classes=classes)
                seconds += time.perf_counter() - start
                rows.append(
                    {
                        "learning_rate_init": lr,
                        "alpha": alpha,
                        "width": width,
                        "seed": seed,
                        "epoch": epoch,
                        "valid_error": 1.0 - float(model.score(x_valid, y_valid)),
                        "train_loss": float(model.loss_),
                        "seconds": seconds,
                    }
                )
    return pd.DataFrame(rows)
