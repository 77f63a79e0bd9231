"""hpobench.contracts.pareto: dominance, sorting and indicators, checked by brute force, moocore and pymoo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from hpobench.contracts import pareto
from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.pareto import (
    crowding_distance,
    hypervolume,
    igd_plus,
    nondominated_ranks,
    pareto_mask,
    to_minimisation,
)
from hpobench.contracts.types import Direction, ParetoReference

moocore = pytest.importorskip("moocore")


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def _brute_mask(points: np.ndarray) -> np.ndarray:
    return np.array([not any(_dominates(q, p) for q in points) for p in points])


def _grid_points(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    # Coarse integer grids give ties and duplicates, the cases sorting code gets wrong.
    return rng.integers(0, 6, size=(n, k)).astype(float)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_pareto_mask_matches_brute_force_with_ties(k: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(30):
        points = _grid_points(rng, int(rng.integers(1, 40)), k)
        np.testing.assert_array_equal(pareto_mask(points), _brute_mask(points))


def test_duplicates_of_a_nondominated_point_are_all_kept() -> None:
    points = np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [2.0, 2.0]])
    assert pareto_mask(points).tolist() == [True, True, True, False]


def test_ranks_peel_fronts_as_nsga2() -> None:
    rng = np.random.default_rng(0)
    points = _grid_points(rng, 60, 3)
    ranks = nondominated_ranks(points)
    for r in range(ranks.max() + 1):
        members = points[ranks == r]
        earlier = points[ranks < r]
        assert _brute_mask(members).all(), "a front must be mutually non-dominated"
        if r:  # every member of a later front is dominated by some point of the previous one
            previous = points[ranks == r - 1]
            assert all(any(_dominates(q, p) for q in previous) for p in members)
        assert not any(_dominates(p, q) for p in members for q in earlier)


def test_crowding_distance_boundaries_are_infinite_and_inner_points_summed() -> None:
    front = np.array([[0.0, 4.0], [1.0, 3.0], [3.0, 1.0], [4.0, 0.0]])
    distance = crowding_distance(front)
    assert np.isinf(distance[[0, 3]]).all()
    # point 1: neighbours 0 and 2 -> (3 - 0) / 4 in each objective
    assert distance[1] == pytest.approx(1.5)
    assert distance[2] == pytest.approx(1.5)
    assert np.isinf(crowding_distance(front[:2])).all()


@pytest.mark.parametrize("k", [2, 3, 4])
def test_hypervolume_equals_moocore(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    for n in (1, 5, 50, 300 if k < 4 else 60):
        points = rng.random((n, k))
        reference = np.full(k, 1.1)
        ours = hypervolume(points, reference=reference, use_moocore=False)
        theirs = float(moocore.hypervolume(points, ref=reference))
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-14)
        # the default takes moocore for three objectives and more (where installed)
        default = hypervolume(points, reference=reference)
        assert default == (theirs if k >= 3 else ours)


@pytest.mark.parametrize("k", [2, 3])
def test_hypervolume_on_grids_with_ties_equals_moocore(k: int) -> None:
    rng = np.random.default_rng(20 + k)
    for size in [int(n) for n in rng.integers(1, 30, size=20)] + [63, 64, 65, 200, 1000]:
        points = _grid_points(rng, size, k)  # ties and dominated points, both sides of _SMALL
        reference = np.full(k, 6.0)
        assert hypervolume(points, reference=reference, use_moocore=False) == pytest.approx(
            float(moocore.hypervolume(points, ref=reference)), rel=1e-12, abs=1e-9
        )


def test_hypervolume_falls_back_to_our_sweeps_without_moocore(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    points, reference = rng.random((200, 3)), np.full(3, 1.1)
    ours = hypervolume(points, reference=reference, use_moocore=False)
    monkeypatch.setattr(pareto, "_moocore", lambda: None)
    assert hypervolume(points, reference=reference) == ours
    with pytest.raises(ImportError, match=r"hpobench\[fast\]"):
        hypervolume(points, reference=reference, use_moocore=True)


def test_hypervolume_equals_pymoo_and_a_cell_count() -> None:
    pymoo_hv = pytest.importorskip("pymoo.indicators.hv")
    rng = np.random.default_rng(3)
    points = rng.integers(0, 5, size=(25, 3)).astype(float)
    reference = np.array([5.0, 5.0, 5.0])
    # Count unit cells of the 5x5x5 box that some point dominates (exact on an integer grid).
    cells = sum(
        1 for c in itertools.product(range(5), repeat=3) if np.any(np.all(points <= np.array(c), axis=1))
    )
    theirs = float(pymoo_hv.HV(ref_point=reference)(points))
    for use_moocore in (False, None):
        assert hypervolume(points, reference=reference, use_moocore=use_moocore) == pytest.approx(cells)
        assert hypervolume(points, reference=reference, use_moocore=use_moocore) == pytest.approx(theirs)
    # the 2-d sweep on the projection (the Python path and the numpy path)
    flat = points[:, :2]
    cells_2d = sum(
        1 for c in itertools.product(range(5), repeat=2) if np.any(np.all(flat <= np.array(c), axis=1))
    )
    assert hypervolume(flat, reference=reference[:2]) == cells_2d
    assert hypervolume(np.repeat(flat, 4, axis=0), reference=reference[:2]) == cells_2d


def test_points_outside_the_reference_add_nothing() -> None:
    reference = np.array([1.0, 1.0])
    assert hypervolume(np.array([[1.0, 0.0], [2.0, -5.0]]), reference=reference) == 0.0
    assert hypervolume(np.empty((0, 2)), reference=reference) == 0.0
    assert hypervolume(np.array([[0.5, 0.5], [1.5, 0.0]]), reference=reference) == pytest.approx(0.25)


def test_hypervolume_rejects_bad_shapes_and_values() -> None:
    with pytest.raises(ValueError, match="does not match"):
        hypervolume(np.zeros((2, 2)), reference=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="NaN"):
        hypervolume(np.array([[np.nan, 0.0]]), reference=[1.0, 1.0])
    with pytest.raises(ValueError, match="finite"):
        hypervolume(np.array([[0.0, 0.0]]), reference=[np.inf, 1.0])


def test_igd_plus_equals_moocore_and_is_zero_on_the_front() -> None:
    rng = np.random.default_rng(5)
    front = rng.random((40, 2))
    front = front[pareto_mask(front)]
    points = rng.random((30, 2))
    assert igd_plus(points, front=front) == pytest.approx(float(moocore.igd_plus(points, ref=front)))
    assert igd_plus(front, front=front) == 0.0
    assert igd_plus(front - 0.1, front=front) == 0.0  # dominating the front costs nothing
    with pytest.raises(ValueError, match="objectives"):
        igd_plus(points, front=rng.random((3, 3)))


def test_to_minimisation_flips_maximised_columns_only() -> None:
    values = np.array([[1.0, 2.0]])
    out = to_minimisation(values, directions=[Direction.MINIMIZE, Direction.MAXIMIZE])
    assert out.tolist() == [[1.0, -2.0]]
    with pytest.raises(ValueError, match="directions"):
        to_minimisation(values, directions=[Direction.MINIMIZE])


def test_pareto_reference_is_validated_and_pickles() -> None:
    import pickle

    ref = ParetoReference(
        objectives=("a", "b"), front=[[0.0, 1.0], [1.0, 0.0]], reference_point=[2, 2], source="x"
    )
    assert ref.front == ((0.0, 1.0), (1.0, 0.0))
    assert ref.reference_point == (2.0, 2.0)
    assert pickle.loads(pickle.dumps(ref)) == ref
    with pytest.raises(ValueError, match="two or more"):
        ParetoReference(objectives=("a",), front=[[0.0]], reference_point=[1.0], source="x")
    with pytest.raises(ValueError, match="empty"):
        ParetoReference(objectives=("a", "b"), front=[], reference_point=[1.0, 1.0], source="x")
    with pytest.raises(ValueError, match="2 values"):
        ParetoReference(objectives=("a", "b"), front=[[0.0, 1.0, 2.0]], reference_point=[1, 1], source="x")
    with pytest.raises(ValueError, match="finite"):
        ParetoReference(objectives=("a", "b"), front=[[0.0, np.nan]], reference_point=[1.0, 1.0], source="x")


def test_single_objective_benchmarks_have_no_pareto_reference() -> None:
    from hpobench.data.registry import load_benchmark

    bench: Benchmark = load_benchmark("synthetic/branin", data_dir=None)
    with pytest.raises(NotImplementedError, match="no Pareto reference"):
        bench.pareto_reference()


@pytest.mark.parametrize("k", [2, 3, 4])
def test_pareto_mask_equals_moocore_on_large_random_sets(k: int) -> None:
    rng = np.random.default_rng(30 + k)
    points = rng.random((800, k))
    points /= np.linalg.norm(points, axis=1, keepdims=True)  # many mutually non-dominated points
    points = np.vstack([points, points[:50] + 0.01, points[:20]])  # dominated copies and duplicates
    np.testing.assert_array_equal(pareto_mask(points), moocore.is_nondominated(points, keep_weakly=True))


@pytest.mark.parametrize("k", [2, 3, 4])
def test_infinite_duplicates_are_one_front_and_ranking_ends(k: int) -> None:
    # failed evaluations are all-infinite loss vectors; several of them must not hide each other
    inf = np.full((3, k), np.inf)
    finite = np.arange(2 * k, dtype=float).reshape(2, k)
    values = np.vstack([inf, finite])
    np.testing.assert_array_equal(pareto_mask(inf), [True, True, True])
    assert pareto_mask(values).tolist() == [False, False, False, True, False]
    assert nondominated_ranks(values).tolist() == [2, 2, 2, 0, 1]
    first_infinite = np.array([[0.0, np.inf] + [0.0] * (k - 2), [1.0, 5.0] + [0.0] * (k - 2)])
    assert pareto_mask(first_infinite).tolist() == [True, True]
