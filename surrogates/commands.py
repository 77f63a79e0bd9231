"""The ``hpobench surrogate fit`` and ``quality`` commands' arguments, without their dependencies.

The command line's parser is built on every ``hpobench`` call; this module lets it describe
the surrogate commands without importing numpy, ConfigSpace or the fitting code. It imports
nothing of the project: :mod:`hpobench.cli.surrogate` runs the commands.
"""

from __future__ import annotations

import argparse

__all__ = ["add_fit_arguments", "add_quality_arguments"]


def add_fit_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the fit command (shared by ``python -m`` and ``hpobench surrogate fit``)."""
    parser.add_argument("--family", required=True, help="registered tabular family, e.g. taskset or fcnet")
    parser.add_argument(
        "--tasks", nargs="*", default=None, help="task names within the family (default: all)"
    )
    parser.add_argument("--out", required=True, help="directory for the .npz files and index.json")
    parser.add_argument(
        "--data-dir", default=None, help="benchmark data directory (default: $HPOBENCH_DATA_DIR)"
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split, initialisation and data order"
    )
    parser.add_argument("--epochs", type=int, default=None, help="override the family's default epochs")


def add_quality_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of the quality command (shared by ``python -m`` and ``hpobench surrogate quality``).

    ``--models`` defaults to ``None``: :func:`hpobench.surrogates.quality.run` reads it as the
    shipped models directory.
    """
    parser.add_argument("--models", default=None, help="models directory (default: the shipped ones)")
    parser.add_argument(
        "--data-dir", default=None, help="benchmark data directory (default: $HPOBENCH_DATA_DIR)"
    )
    parser.add_argument("--out", default=None, help="write the Markdown report here (default: print it)")
