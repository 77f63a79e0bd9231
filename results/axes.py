"""The x-axes of anytime curves (no dependencies: the command line's parser lists them)."""

from __future__ import annotations

from enum import Enum

__all__ = ["XAxis"]


class XAxis(Enum):
    """The x-axis of anytime curves."""

    EVALS = "evals"
    BUDGET = "budget"
    TIME = "time"

    @property
    def column(self) -> str:
        """Column of the evaluation frame (after :func:`add_regret`) that holds this axis."""
        return {"evals": "n_evals", "budget": "fidelity_spent", "time": "time"}[self.value]

    @property
    def label(self) -> str:
        """Axis label for plots."""
        return {
            "evals": "evaluations",
            "budget": "fidelity spent (multiples of the maximal fidelity)",
            "time": "simulated time (s)",
        }[self.value]
