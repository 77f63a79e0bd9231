"""Pareto dominance, non-dominated sorting and quality indicators of point sets.

Pure numpy functions on arrays of shape ``(n_points, n_objectives)``, all in **minimisation**:
convert a task's values first with :func:`to_minimisation`. A point ``a`` dominates ``b`` when it
is no worse in every objective and strictly better in one; equal points do not dominate each
other, so duplicates of a non-dominated point are all non-dominated.

- :func:`pareto_mask` and :func:`nondominated_ranks` (NSGA-II's fronts) and
  :func:`crowding_distance` (NSGA-II's diversity measure within a front) serve the methods.
- :func:`hypervolume` (exact, any number of objectives: an ``O(n log n)`` sweep for 2; for 3 and
  more moocore's C code where installed, else an incremental sweep in ``O(n log n)``-ish for 3 and
  slicing above) and :func:`igd_plus` (Ishibuchi et al. 2015) serve the scoring. Both are
  checked against moocore and pymoo in the tests.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hpobench.contracts.types import Direction

__all__ = [
    "crowding_distance",
    "hypervolume",
    "igd_plus",
    "nondominated_ranks",
    "pareto_mask",
    "to_minimisation",
]


def _points(values: ArrayLike, *, name: str = "values") -> NDArray[np.float64]:
    array = np.asarray(values, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array (points x objectives), got shape {array.shape}")
    if np.isnan(array).any():
        raise ValueError(f"{name} must not contain NaN")
    return array


def to_minimisation(values: ArrayLike, *, directions: Sequence[Direction]) -> NDArray[np.float64]:
    """Values with every maximised objective negated, so that lower is better in every column.

    Args:
        values: Shape ``(n, k)``, in the objectives' own units.
        directions: One :class:`~hpobench.contracts.types.Direction` per column.

    Returns:
        A new float array of the same shape.

    Raises:
        ValueError: ``values`` is not 2-d, or the number of directions is not its column count.
    """
    array = np.asarray(values, dtype=float)
    if array.ndim != 2 or array.shape[1] != len(directions):
        raise ValueError(f"values of shape {array.shape} do not match {len(directions)} directions")
    return np.asarray(array * np.array([d.sign for d in directions]), dtype=float)


def pareto_mask(values: ArrayLike) -> NDArray[np.bool_]:
    """Which points no other point dominates (minimisation).

    Args:
        values: Shape ``(n, k)``, no NaN (infinite values are compared as usual).

    Returns:
        Boolean array of length ``n``; duplicates of a non-dominated point are all ``True``.
    """
    points = _points(values)
    n = len(points)
    mask = np.ones(n, dtype=bool)
    if n < 2:
        return mask
    if points.shape[1] == 2:
        return _pareto_mask_2d(points)
    if points.shape[1] == 3:
        return _pareto_mask_3d(points)
    # A point cannot be dominated by one with a larger coordinate sum, so visiting points by
    # ascending sum lets each visited survivor remove what it dominates, once.
    order = np.lexsort(points.T[::-1])
    order = order[np.argsort(points[order].sum(axis=1), kind="stable")]
    alive = order
    i = 0
    while i < len(alive):
        p = points[alive[i]]
        rest = points[alive]
        dominated = np.all(rest >= p, axis=1) & np.any(rest > p, axis=1)
        alive = alive[~dominated]
        i += 1
    mask[:] = False
    mask[alive] = True
    return mask


def _pareto_mask_2d(points: NDArray[np.float64]) -> NDArray[np.bool_]:
    # On distinct points sorted by (x, y), a point is dominated exactly when an earlier one has
    # a y no larger: it is then no worse in both and differs in one.
    unique, inverse = np.unique(points, axis=0, return_inverse=True)  # sorted lexicographically
    # The first point has no earlier one and is never dominated (also when its y is infinite).
    earlier_min = np.minimum.accumulate(np.concatenate(([np.inf], unique[:-1, 1])))
    keep = unique[:, 1] < earlier_min
    keep[0] = True
    return np.asarray(keep[inverse.reshape(-1)], dtype=bool)


def nondominated_ranks(values: ArrayLike) -> NDArray[np.int64]:
    """Front index of every point: 0 for the non-dominated ones, 1 for those left after removing them, ...

    This is the ranking of NSGA-II's fast non-dominated sort (Deb et al. 2002).

    Args:
        values: Shape ``(n, k)`` in minimisation, no NaN.

    Returns:
        Integer array of length ``n``.
    """
    points = _points(values)
    ranks = np.full(len(points), -1, dtype=np.int64)
    remaining = np.arange(len(points))
    front = 0
    while len(remaining):
        mask = pareto_mask(points[remaining])
        ranks[remaining[mask]] = front
        remaining = remaining[~mask]
        front += 1
    return ranks


def crowding_distance(values: ArrayLike) -> NDArray[np.float64]:
    """NSGA-II crowding distance of the points of one front.

    Per objective the points are sorted; the two boundary points get ``inf`` and each inner point
    the gap between its neighbours divided by the objective's range; the distances are summed.

    Args:
        values: Shape ``(n, k)``, the points of one front, no NaN.

    Returns:
        Float array of length ``n`` (all ``inf`` when ``n <= 2``).
    """
    points = _points(values)
    n, k = points.shape
    distance = np.zeros(n)
    if n <= 2:
        return np.full(n, np.inf)
    for j in range(k):
        order = np.argsort(points[:, j], kind="stable")
        column = points[order, j]
        span = column[-1] - column[0]
        distance[order[0]] = distance[order[-1]] = np.inf
        if span > 0 and np.isfinite(span):
            distance[order[1:-1]] += (column[2:] - column[:-2]) / span
    return distance


_SMALL = 64
"""Up to this many points, the 2-d sweep runs on Python floats (numpy's per-call cost dominates)."""


def _hv2(points: NDArray[np.float64], reference: NDArray[np.float64]) -> float:
    """Two-objective hypervolume by a sweep in ascending first objective, ``O(n log n)``.

    Each point that lowers the best second objective so far adds the strip ``[x, rx] x [y, best)``;
    dominated points and ties add nothing.
    """
    rx, ry = float(reference[0]), float(reference[1])
    if len(points) <= _SMALL:
        area, best = 0.0, ry
        for x, y in sorted(points.tolist()):
            if y < best:
                area += (rx - x) * (best - y)
                best = y
        return area
    order = np.argsort(points[:, 0], kind="stable")
    best_y = np.minimum.accumulate(points[order, 1])
    above = np.concatenate(([ry], best_y[:-1]))
    return float((rx - points[order, 0]) @ (above - best_y))


class _Staircase:
    """The 2-d non-dominated set of the points added so far, and the area it dominates.

    Steps are kept sorted by ascending ``x`` (so descending ``y``); the area is bounded by
    ``(rx, ry)`` and updated per insertion in time proportional to the steps it removes.
    """

    def __init__(self, rx: float, ry: float) -> None:
        self.rx, self.ry = rx, ry
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.area = 0.0

    def add(self, px: float, py: float) -> bool:
        """Insert a point; return ``False`` (and change nothing) when a step weakly dominates it."""
        xs, ys = self.xs, self.ys
        pos = bisect_left(xs, px)
        if (pos > 0 and ys[pos - 1] <= py) or (pos < len(xs) and xs[pos] == px and ys[pos] <= py):
            return False
        end = pos
        while end < len(xs) and ys[end] >= py:
            end += 1
        # Area newly dominated between px and the next kept step: the staircase there was at the
        # previous step's height, then at each removed step's height.
        level = ys[pos - 1] if pos > 0 else self.ry
        left = px
        for j in range(pos, end):
            self.area += (xs[j] - left) * (level - py)
            left, level = xs[j], ys[j]
        right = xs[end] if end < len(xs) else self.rx
        self.area += (right - left) * (level - py)
        xs[pos:end] = [px]
        ys[pos:end] = [py]
        return True


def _pareto_mask_3d(points: NDArray[np.float64]) -> NDArray[np.bool_]:
    # On distinct points visited by ascending (z, x, y), a point is dominated exactly when an
    # earlier one is no worse in x and y: the staircase of the earlier points answers that.
    unique, inverse = np.unique(points[:, [2, 0, 1]], axis=0, return_inverse=True)
    stairs = _Staircase(np.inf, np.inf)
    keep = np.array([stairs.add(float(x), float(y)) for _, x, y in unique], dtype=bool)
    return np.asarray(keep[inverse.reshape(-1)], dtype=bool)


def _hv3(points: NDArray[np.float64], reference: NDArray[np.float64]) -> float:
    """Sweep over the third objective keeping the 2-d staircase of the points seen so far."""
    order = np.lexsort((points[:, 1], points[:, 0], points[:, 2]))
    stairs = _Staircase(float(reference[0]), float(reference[1]))
    zs = points[order, 2]
    volume = 0.0
    for idx, z, z_next in zip(order, zs, np.append(zs[1:], reference[2]), strict=True):
        stairs.add(float(points[idx, 0]), float(points[idx, 1]))
        volume += stairs.area * (float(z_next) - float(z))
    return volume


def _hv(points: NDArray[np.float64], reference: NDArray[np.float64]) -> float:
    k = points.shape[1]
    if len(points) == 0:
        return 0.0
    if k == 1:
        return float(reference[0] - points[:, 0].min())
    if k == 2:
        return _hv2(points, reference)
    if k == 3:
        return _hv3(points, reference)
    # Slice along the last objective: between consecutive levels the dominated set is the
    # (k-1)-dimensional dominated set of the points at or below that level.
    order = np.argsort(points[:, -1], kind="stable")
    levels = np.append(points[order, -1], reference[-1])
    volume = 0.0
    for i in range(len(order)):
        height = levels[i + 1] - levels[i]
        if height > 0:
            below = points[order[: i + 1], :-1]
            volume += height * _hv(below[pareto_mask(below)], reference[:-1])
    return volume


@cache
def _moocore() -> Any:
    """The ``moocore`` module where it is installed (the ``fast`` extra), else ``None``."""
    try:
        import moocore
    except ImportError:
        return None
    return moocore


def hypervolume(points: ArrayLike, *, reference: ArrayLike, use_moocore: bool | None = None) -> float:
    """Exact hypervolume dominated by ``points`` and bounded by ``reference`` (minimisation).

    Points that do not strictly dominate the reference point in every objective add nothing and
    are ignored; an empty set has hypervolume 0. Two objectives: an ``O(n log n)`` sweep; three
    or more: moocore's C code (Fonseca et al.'s HV3D+ for 3, WFG's algorithm above) where it is
    installed (``pip install hpobench[fast]``), else our sweep for 3 (``O(n log n)``-ish) and slicing
    above. Both agree to 1e-12 relative (tested), so a score does not depend on the choice
    beyond rounding; only scoring calls this, never a method, so runs never do.

    Args:
        points: Shape ``(n, k)``, finite, no NaN.
        reference: Length ``k``, finite.
        use_moocore: ``None``: moocore for three or more objectives where installed; ``False``:
            always our sweeps; ``True``: always moocore.

    Returns:
        The Lebesgue measure of the region dominated by the points and dominating ``reference``.

    Raises:
        ValueError: Shapes do not match, or a value is NaN or infinite.
        ImportError: ``use_moocore=True`` without moocore installed.
    """
    array = np.asarray(points, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if array.ndim != 2:
        raise ValueError(f"points must be a 2-d array (points x objectives), got shape {array.shape}")
    if ref.shape != (array.shape[1],):
        raise ValueError(f"reference of shape {ref.shape} does not match {array.shape[1]} objectives")
    if not (np.isfinite(array).all() and np.isfinite(ref).all()):
        if np.isnan(array).any():
            raise ValueError("points must not contain NaN")
        raise ValueError("points and reference must be finite")
    inside = array[(array < ref).all(axis=1)]
    if len(inside) == 0:
        return 0.0
    k = inside.shape[1]
    if use_moocore if use_moocore is not None else k >= 3:
        backend = _moocore()
        if backend is not None:
            return float(backend.hypervolume(inside, ref=ref))
        if use_moocore:
            raise ImportError("hypervolume(use_moocore=True) needs moocore: pip install hpobench[fast]")
    if k <= 3:  # the sweeps skip dominated points themselves
        return _hv(inside, ref)
    return _hv(inside[pareto_mask(inside)], ref)


def igd_plus(points: ArrayLike, *, front: ArrayLike) -> float:
    """Inverted generational distance plus (Ishibuchi et al. 2015) of ``points`` to ``front``.

    The mean over reference-front points ``r`` of ``min_a sqrt(sum_j max(a_j - r_j, 0)^2)``
    (minimisation): 0 when the points weakly dominate every front point. Weakly Pareto
    compliant, unlike plain IGD.

    Args:
        points: Shape ``(n, k)``, ``n >= 1``, no NaN.
        front: Shape ``(m, k)``, ``m >= 1``, the reference front.

    Returns:
        The IGD+ value (``inf`` when ``points`` is empty).

    Raises:
        ValueError: The column counts differ, ``front`` is empty, or a value is NaN.
    """
    array = _points(points, name="points")
    reference = _points(front, name="front")
    if array.shape[1] != reference.shape[1]:
        raise ValueError(f"points have {array.shape[1]} objectives, the front {reference.shape[1]}")
    if len(reference) == 0:
        raise ValueError("the reference front must not be empty")
    if len(array) == 0:
        return float("inf")
    array = array[pareto_mask(array)]
    chunk = max(1, 2_000_000 // max(1, len(array) * array.shape[1]))
    total = 0.0
    for start in range(0, len(reference), chunk):
        block = reference[start : start + chunk]
        gaps = np.maximum(array[None, :, :] - block[:, None, :], 0.0)
        total += float(np.sqrt((gaps**2).sum(axis=2)).min(axis=1).sum())
    return total / len(reference)
