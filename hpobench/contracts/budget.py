"""Run budgets: number of evaluations, fidelity spent, or simulated seconds.

Text forms (used by the CLI and in result files):

* ``"100"`` or ``"100evals"`` — 100 evaluations at any fidelity;
* ``"20x"`` — fidelity worth 20 evaluations at the maximal fidelity (each evaluation spends
  ``fidelity / max_fidelity``; single-fidelity tasks spend 1 per evaluation);
* ``"3600s"``, ``"90m"``, ``"2h"`` — simulated seconds, the sum of the benchmark's recorded costs.

A run stops as soon as the spent amount reaches the budget; the evaluation that crosses it is
kept (it was started within budget).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["Budget", "BudgetKind"]


class BudgetKind(Enum):
    """What a budget counts."""

    EVALUATIONS = "evaluations"
    FIDELITY = "fidelity"
    SECONDS = "seconds"


_PATTERN = re.compile(r"^\s*(?P<amount>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>evals?|x|s|m|h)?\s*$")
_SECONDS = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, kw_only=True)
class Budget:
    """How much a run may spend.

    Attributes:
        kind: What is counted.
        amount: How much of it; positive and finite (an integer for evaluations).
    """

    kind: BudgetKind
    amount: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.amount) and self.amount > 0):
            raise ValueError(f"a budget must be positive and finite, got {self.amount!r}")
        if self.kind is BudgetKind.EVALUATIONS and not float(self.amount).is_integer():
            raise ValueError(f"an evaluation budget must be a whole number, got {self.amount!r}")

    @classmethod
    def parse(cls, text: str) -> Budget:
        """Parse a text budget such as ``"100"``, ``"20x"`` or ``"2h"``.

        Raises:
            ValueError: The text is not a budget.
        """
        match = _PATTERN.match(text)
        if match is None:
            raise ValueError(
                f"cannot read budget {text!r}: use N or Nevals (evaluations), Nx (multiples of the "
                "maximal fidelity) or Ns/Nm/Nh (simulated time)"
            )
        amount = float(match["amount"])
        unit = match["unit"] or "evals"
        if unit.startswith("eval"):
            return cls(kind=BudgetKind.EVALUATIONS, amount=amount)
        if unit == "x":
            return cls(kind=BudgetKind.FIDELITY, amount=amount)
        return cls(kind=BudgetKind.SECONDS, amount=amount * _SECONDS[unit])

    def __str__(self) -> str:
        if self.kind is BudgetKind.EVALUATIONS:
            return f"{int(self.amount)}evals"
        if self.kind is BudgetKind.FIDELITY:
            return f"{self.amount:g}x"
        return f"{self.amount:g}s"

    def exhausted(self, *, evaluations: int, fidelity: float, seconds: float) -> bool:
        """Return whether the spent amounts reach this budget."""
        spent = {
            BudgetKind.EVALUATIONS: float(evaluations),
            BudgetKind.FIDELITY: fidelity,
            BudgetKind.SECONDS: seconds,
        }[self.kind]
        return spent >= self.amount
