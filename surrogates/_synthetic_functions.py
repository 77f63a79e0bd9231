"""The synthetic test functions themselves: multi-fidelity Branin and Hartmann-3/6, array and scalar forms.

Each :class:`SyntheticFunction` holds a function's domain, analytic optimum, cost scale and two
forms: ``function`` over a batch ``(n, d)`` and ``scalar`` of one point, equal bit for bit (the
same IEEE operations in the same order, the same numpy ufuncs). The formulas and their fidelity
bias are documented in :mod:`hpobench.surrogates.synthetic`; :data:`FUNCTIONS` lists them by
task name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

FloatArray = np.ndarray

_BRANIN_B = 5.1 / (4.0 * math.pi**2)


_BRANIN_C = 5.0 / math.pi


_BRANIN_T = 1.0 / (8.0 * math.pi)


_COS = np.cos  # the scalar forms call the same ufuncs as the array forms: equal bits on every machine


_EXP = np.exp


def _branin(x: FloatArray, z: FloatArray) -> FloatArray:
    x0, x1 = x[:, 0], x[:, 1]
    b = 5.1 / (4.0 * math.pi**2) - 0.01 * (1.0 - z)
    c = 5.0 / math.pi - 0.1 * (1.0 - z)
    t = 1.0 / (8.0 * math.pi) + 0.05 * (1.0 - z)
    return np.asarray((x1 - b * x0**2 + c * x0 - 6.0) ** 2 + 10.0 * (1.0 - t) * np.cos(x0) + 10.0)


def _branin_one(x: Sequence[float], z: float) -> float:
    """:func:`_branin` of one point, bit for bit: the same IEEE operations in the same order."""
    x0, x1 = x
    w = 1.0 - z
    b = _BRANIN_B - 0.01 * w
    c = _BRANIN_C - 0.1 * w
    t = _BRANIN_T + 0.05 * w
    r = x1 - b * (x0 * x0) + c * x0 - 6.0  # numpy squares for ``** 2``
    return r * r + 10.0 * (1.0 - t) * float(_COS(x0)) + 10.0


_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


_HARTMANN3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])


_HARTMANN3_P = 1e-4 * np.array(
    [[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381.5, 5743, 8828]], dtype=float
)


_HARTMANN6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)


_HARTMANN6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ],
    dtype=float,
)


def _hartmann(a: FloatArray, p: FloatArray) -> Callable[[FloatArray, FloatArray], FloatArray]:
    def function(x: FloatArray, z: FloatArray) -> FloatArray:
        alpha = _HARTMANN_ALPHA[None, :] - 0.1 * (1.0 - z)[:, None]  # (n, 4)
        inner = np.sum(a[None, :, :] * (x[:, None, :] - p[None, :, :]) ** 2, axis=2)  # (n, 4)
        return np.asarray(-np.sum(alpha * np.exp(-inner), axis=1))

    return function


def _hartmann_one(a: FloatArray, p: FloatArray) -> Callable[[Sequence[float], float], float]:
    """The scalar form of :func:`_hartmann`, bit for bit (numpy sums short rows left to right)."""
    rows = [list(zip(ar, pr, strict=True)) for ar, pr in zip(a.tolist(), p.tolist(), strict=True)]
    alphas = _HARTMANN_ALPHA.tolist()

    def function(x: Sequence[float], z: float) -> float:
        w = 0.1 * (1.0 - z)
        negated = []
        for row in rows:
            total = 0.0
            for j, (aj, pj) in enumerate(row):
                d = x[j] - pj
                total = aj * (d * d) if j == 0 else total + aj * (d * d)
            negated.append(-total)
        result = 0.0
        for i, e in enumerate(_EXP(negated).tolist()):
            result = (alphas[i] - w) * e if i == 0 else result + (alphas[i] - w) * e
        return -result

    return function


@dataclass(frozen=True, kw_only=True)
class SyntheticFunction:
    """One synthetic test function.

    Attributes:
        name: Task name within the family.
        lower: Lower bounds of the domain, one per dimension.
        upper: Upper bounds of the domain.
        optimum: Analytic minimum at the maximal fidelity.
        cost_scale: Simulated seconds of one evaluation at the maximal fidelity (``C``).
        function: ``(x of shape (n, d), z of shape (n,)) -> values of shape (n,)``.
        scalar: ``(x as d floats, z) -> value``: ``function`` of one point, equal bit for bit.
    """

    name: str
    lower: tuple[float, ...]
    upper: tuple[float, ...]
    optimum: float
    cost_scale: float
    function: Callable[[FloatArray, FloatArray], FloatArray]
    scalar: Callable[[Sequence[float], float], float]

    @property
    def dim(self) -> int:
        return len(self.lower)


FUNCTIONS: dict[str, SyntheticFunction] = {
    f.name: f
    for f in (
        SyntheticFunction(
            name="branin",
            lower=(-5.0, 0.0),
            upper=(10.0, 15.0),
            optimum=0.397887357729738,
            cost_scale=60.0,
            function=_branin,
            scalar=_branin_one,
        ),
        SyntheticFunction(
            name="hartmann3",
            lower=(0.0,) * 3,
            upper=(1.0,) * 3,
            optimum=-3.86278214782076,
            cost_scale=120.0,
            function=_hartmann(_HARTMANN3_A, _HARTMANN3_P),
            scalar=_hartmann_one(_HARTMANN3_A, _HARTMANN3_P),
        ),
        SyntheticFunction(
            name="hartmann6",
            lower=(0.0,) * 6,
            upper=(1.0,) * 6,
            # Literature value -3.32236801141551, refined to double precision so that no point of
            # the domain evaluates below it.
            optimum=-3.322368011415515,
            cost_scale=300.0,
            function=_hartmann(_HARTMANN6_A, _HARTMANN6_P),
            scalar=_hartmann_one(_HARTMANN6_A, _HARTMANN6_P),
        ),
    )
}
