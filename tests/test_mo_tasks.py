"""Multi-objective tasks: registration, reference fronts (exact for tables, analytic for test
functions), stored fronts equal to the tables' fronts, the Pareto compliance checks, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.pareto import to_minimisation
from hpobench.contracts.types import Direction, Objective, ParetoReference, Trial
from hpobench.data import registry
from hpobench.surrogates import pareto_fronts, synthetic_mo, tables_mo
from hpobench.testing import check_benchmark
from hpobench.testing.pareto_checks import check_pareto_reference

MO_FAMILIES = [f for f in registry.family_names() if f.endswith("_mo")]


def _dominates(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``out[i, j]``: row ``a[i]`` dominates row ``b[j]`` (minimisation)."""
    return np.all(a[:, None, :] <= b[None, :, :], axis=2) & np.any(a[:, None, :] < b[None, :, :], axis=2)


def _assert_exact_front(values: np.ndarray, front: np.ndarray) -> None:
    """Brute force over every row: no row dominates a front point, every other row is dominated by
    (or equal to) a front point, and every front point is a row of the table."""
    values = values[np.isfinite(values).all(axis=1)]
    rows = {tuple(r) for r in values.tolist()}
    assert all(tuple(p) in rows for p in front.tolist())
    for start in range(0, len(values), 4096):
        block = values[start : start + 4096]
        assert not _dominates(block, front).any()
        covered = _dominates(front, block).any(axis=0) | np.all(block[:, None, :] == front[None], axis=2).any(
            axis=1
        )
        assert covered.all()


def test_at_least_40_multi_objective_tasks_are_registered_with_their_objectives() -> None:
    infos = [i for f in MO_FAMILIES for i in registry.load_family(f).tasks()]
    assert len(infos) >= 40, [i.name for i in infos]
    for info in infos:
        assert len(info.objectives) >= 2, info.name
        assert "multi-objective" in info.tags


@pytest.mark.parametrize("family", [f.name for f in tables_mo.FAMILIES])
def test_stored_table_fronts_are_the_exact_fronts_of_the_whole_tables(family: str, data_dir: Path) -> None:
    fam = registry.load_family(family)
    assert isinstance(fam, tables_mo.TableMOFamily)
    for info in fam.tasks():
        task = info.name.split("/", 1)[1]
        bench = registry.load_benchmark(BenchmarkSpec.parse(info.name), data_dir=data_dir)
        stored = bench.pareto_reference()
        assert stored == fam.reference_front(task, data_dir=data_dir)[0]
        assert stored.source.startswith("exact")
        directions = [o.direction for o in bench.task.objectives]
        means = bench.reference_means()  # type: ignore[attr-defined]
        front = to_minimisation(np.asarray(stored.front), directions=directions)
        _assert_exact_front(to_minimisation(means, directions=directions), front)


def test_table_objectives_are_computed_from_the_architecture_and_measured_cost(data_dir: Path) -> None:
    fc = registry.load_benchmark("fcnet_mo/naval_propulsion", data_dir=data_dir)
    config = {"activation_fn_1": "relu", "activation_fn_2": "tanh", "batch_size": 32, "dropout_1": 0.0,
              "dropout_2": 0.3, "init_lr": 0.001, "lr_schedule": "cosine", "n_units_1": 64,
              "n_units_2": 16}  # fmt: skip
    (ev,) = fc.evaluate([Trial(config=config)], seed=1)
    assert ev.values["n_params"] == 16 * 64 + 64 + 64 * 16 + 16 + 16 + 1
    single = registry.load_benchmark("fcnet/naval_propulsion", data_dir=data_dir)
    (base,) = single.evaluate([Trial(config=config)], seed=1)
    assert ev.values["valid_mse"] == base.values["valid_mse"]
    assert ev.cost == base.cost
    own = registry.load_benchmark("lcbench_own_mo/german")
    assert isinstance(own, tables_mo.ParetoCandidateBenchmark)
    trial = Trial(config=own.candidate_configs()[0], fidelity=7)
    (ev,) = own.evaluate([trial], seed=0)
    assert ev.values["train_seconds"] == ev.cost > 0


@pytest.mark.parametrize("name", ["zdt1", "zdt2", "zdt3", "dtlz2", "branin_currin"])
def test_synthetic_fronts_and_fidelity(name: str) -> None:
    bench = registry.load_benchmark(f"synthetic_mo/{name}")
    check_benchmark(bench)
    ref = bench.pareto_reference()
    front = np.asarray(ref.front)
    if name == "zdt1":
        np.testing.assert_allclose(front[:, 1], 1 - np.sqrt(front[:, 0]))
        # f1: the front's nadir plus 10 %; f2: the median Sobol point's value (worse than 1.1)
        assert ref.reference_point[0] == pytest.approx(1.1)
        assert ref.reference_point[1] == pytest.approx(bench.optimum().worst["f2"])
        assert ref.reference_point[1] > 3
        assert len(front) == 1001
    if name == "zdt2":
        np.testing.assert_allclose(front[:, 1], 1 - front[:, 0] ** 2)
    if name == "dtlz2":
        np.testing.assert_allclose(np.linalg.norm(front, axis=1), 1.0)
    if name == "zdt3":
        assert front[:, 1].min() < -0.77
        assert front[:, 0].max() > 0.85
    assert ref.source.startswith("estimated" if name == "branin_currin" else "exact")
    again = synthetic_mo.compute_pareto(name)  # the stored front is what the sampler gives (to rounding)
    np.testing.assert_allclose(np.asarray(again.front), front, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(again.reference_point, ref.reference_point, rtol=1e-12)
    configs = bench.codec.sample(np.random.default_rng(3), 64)
    low = np.array(
        [
            list(e.values.values())
            for e in bench.evaluate([Trial(config=c, fidelity=1.0) for c in configs], seed=0)
        ]
    )
    high = np.array(
        [list(e.values.values()) for e in bench.evaluate([Trial(config=c) for c in configs], seed=0)]
    )
    np.testing.assert_array_equal(high, bench.reference_values(configs))
    assert np.abs(low - high).max() > 1e-3  # the fidelity perturbs the objectives; none at the top


def test_stored_front_with_a_wrong_checksum_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    name = "fcnet_own_mo/naval_propulsion"
    raw = dict(pareto_fronts.stored_fronts()[name])
    raw["front"] = [[a * 1.000001, b] for a, b in raw["front"]]
    monkeypatch.setitem(pareto_fronts.stored_fronts(), name, raw)
    with pytest.raises(DataError, match="checksum"):
        pareto_fronts.stored_pareto(name)
    with pytest.raises(UnknownNameError):
        pareto_fronts.stored_pareto("fcnet_mo/no_such_task")


def test_bad_objective_names_and_unknown_tasks_are_rejected() -> None:
    base = registry.load_benchmark("fcnet_own_mo/naval_propulsion")
    good = base.pareto_reference()
    wrong = ParetoReference(objectives=("valid_mse", "wall_time"), front=good.front,
                            reference_point=good.reference_point, source=good.source)  # fmt: skip
    with pytest.raises(ValueError, match="wall_time"):
        tables_mo._StoredPareto()._set_pareto(wrong, base.task.objectives)
    with pytest.raises(UnknownNameError):
        registry.load_benchmark("synthetic_mo/zdt9")
    with pytest.raises(UnknownNameError):
        registry.load_benchmark("lcbench_own_mo/not_a_task")


class _Broken:
    """A benchmark stand-in whose Pareto reference can be made wrong."""

    def __init__(self, bench: object, reference: ParetoReference) -> None:
        self._bench, self._reference = bench, reference

    def __getattr__(self, name: str) -> object:
        return getattr(self._bench, name)

    def pareto_reference(self) -> ParetoReference:
        return self._reference


def test_pareto_compliance_check_catches_bad_references() -> None:
    bench = synthetic_mo.SyntheticMOBenchmark("zdt1")
    good = bench.pareto_reference()
    configs = bench.codec.sample(np.random.default_rng(0), 8)
    check_pareto_reference(bench, configs)
    near = ParetoReference(
        objectives=good.objectives, front=good.front, reference_point=(1.0, 1.1), source=good.source
    )
    with pytest.raises(AssertionError, match="strictly dominate the reference point"):
        check_pareto_reference(_Broken(bench, near), configs)  # type: ignore[arg-type]
    shifted = ParetoReference(
        objectives=good.objectives,
        front=((0.0, 1.0), (0.5, 0.5)),
        reference_point=(1.1, 1.1),
        source="exact: made up",
    )
    optimal = [{**configs[0], **{f"x{i}": 0.0 for i in range(1, 6)}, "x0": 0.25}]
    with pytest.raises(AssertionError, match="exact front is dominated"):
        check_pareto_reference(_Broken(bench, shifted), optimal)  # type: ignore[arg-type]
    dominated = ParetoReference(
        objectives=good.objectives,
        front=((0.1, 0.1), (0.2, 0.2)),
        reference_point=(1.1, 1.1),
        source="estimated",
    )
    with pytest.raises(AssertionError, match="dominated points"):
        check_pareto_reference(_Broken(bench, dominated), configs)  # type: ignore[arg-type]


def test_reference_point_rule() -> None:
    objectives = (
        Objective(name="a", direction=Direction.MINIMIZE),
        Objective(name="b", direction=Direction.MAXIMIZE),
    )
    front = np.array([[0.0, 1.0], [1.0, 3.0]])
    assert pareto_fronts.reference_point(front, objectives) == pytest.approx((1.1, 0.8))
    # the median configuration is worse than the front's nadir plus 10 %: the reference point is the median
    assert pareto_fronts.reference_point(front, objectives, typical=[5.0, 0.5]) == pytest.approx((5.0, 0.5))
    # per objective: a median better than the front's nadir (b) leaves the nadir rule
    assert pareto_fronts.reference_point(front, objectives, typical=[5.0, 2.0]) == pytest.approx((5.0, 0.8))
    unknown = pareto_fronts.reference_point(front, objectives, typical=[np.nan, 0.5])
    assert unknown == pytest.approx((1.1, 0.5))
    single = np.array([[2.0, 5.0]])
    assert pareto_fronts.reference_point(single, objectives, typical=[4.0, 1.0]) == pytest.approx((4.0, 1.0))
    # no range and a median no worse than the point: 1e-6 of the nadir beyond it
    assert pareto_fronts.reference_point(single, objectives, typical=[2.0, 5.0]) == pytest.approx(
        (2.0 + 2e-6, 5.0 - 5e-6)
    )


def test_stored_reference_points_are_no_better_than_the_median_configuration() -> None:
    """The rule's reason: a small front (lcbench-126025: 4 points) must not make an unreachable point."""
    from hpobench.surrogates import fitted_mo, yahpo_mo

    checked = 0
    for name, raw in pareto_fronts.stored_fronts().items():
        family, task = name.split("/", 1)
        if family == "yahpo_mo":
            objectives = yahpo_mo.OBJECTIVES[task.rsplit("-", 1)[0]]
        elif family == "fitted_mo":
            objectives = fitted_mo.OBJECTIVES
        else:  # tables and test functions store no median: their tests recompute the whole reference
            continue
        signs = np.array([o.direction.sign for o in objectives])
        point = np.asarray(raw["reference_point"]) * signs
        median = np.asarray([raw["worst"][o.name] for o in objectives]) * signs
        assert np.all(point >= median), name
        checked += 1
    assert checked == 23
    raw = pareto_fronts.stored_fronts()["yahpo_mo/lcbench-126025"]
    assert len(raw["front"]) == 4
    assert raw["reference_point"] == [raw["worst"]["val_accuracy"], raw["worst"]["time"]]


def test_yahpo_mo_tasks_answer_the_models_own_targets(data_dir: Path) -> None:
    pytest.importorskip("onnxruntime")
    from hpobench.surrogates import yahpo_mo

    for name in ("yahpo_mo/lcbench-167152", "yahpo_mo/rbv2_rpart-1476"):
        bench = registry.load_benchmark(name, data_dir=data_dir)
        check_benchmark(bench, n=8)
        ref = bench.pareto_reference()
        assert ref.source.startswith("estimated")
        assert len(ref.front) > 10
        single = registry.load_benchmark(name.replace("yahpo_mo/", "yahpo/"), data_dir=data_dir)
        configs = bench.codec.sample(np.random.default_rng(1), 4)
        mo = bench.evaluate([Trial(config=c, fidelity=bench.task.fidelity.low) for c in configs], seed=0)  # type: ignore[union-attr]
        so = single.evaluate([Trial(config=c, fidelity=bench.task.fidelity.low) for c in configs], seed=0)  # type: ignore[union-attr]
        for a, b in zip(mo, so, strict=True):
            outputs = {**b.values, **b.extras}
            assert a.cost == b.cost
            for objective, value in a.values.items():
                expected = outputs[objective]
                if objective in yahpo_mo.CLIPPED:
                    expected = max(expected, 0.0)
                assert value == expected
    bench = registry.load_benchmark("yahpo_mo/iaml_glmnet-1489", data_dir=data_dir)
    family = registry.load_family("yahpo_mo")
    assert isinstance(family, yahpo_mo.YahpoMOFamily)
    again, extras = family.reference_front("iaml_glmnet-1489", data_dir=data_dir)
    assert again == bench.pareto_reference()  # the stored estimate is what the estimator gives
    assert extras["worst"] == dict(bench.optimum().worst)
    assert [o.name for o in bench.task.objectives] == ["mmce", "nf"]
    base = registry.load_benchmark("yahpo/iaml_glmnet-1489", data_dir=data_dir)
    wrong = (
        Objective(name="mmce", direction=Direction.MINIMIZE),
        Objective(name="nf_", direction=Direction.MINIMIZE),
    )
    with pytest.raises(ValueError, match="nf_"):
        yahpo_mo.YahpoMOBenchmark(base=base, objectives=wrong, pareto=None, worst=None)  # type: ignore[arg-type]


def test_hpobench_list_shows_the_objectives_of_multi_objective_tasks(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "hpobench", "list", "--tasks"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(x for x in out.splitlines() if x.strip().startswith("hpobench_nn_mo/kc1 "))
    assert line.endswith("objectives: valid_balanced_accuracy (max), n_params (min)")
    single = next(x for x in out.splitlines() if x.strip().startswith("hpobench_nn/kc1 "))
    assert "objectives" not in single


def test_fitted_mo_adds_the_exact_parameter_count_to_the_fitted_surrogate() -> None:
    bench = registry.load_benchmark("fitted_mo/fcnet.parkinsons_telemonitoring")
    check_benchmark(bench, n=8)
    ref = bench.pareto_reference()
    assert ref.source.startswith("estimated")
    assert len(ref.front) > 10
    single = registry.load_benchmark("fitted/fcnet.parkinsons_telemonitoring")
    configs = bench.codec.sample(np.random.default_rng(2), 5)
    for seed in (0, 3):
        mo = bench.evaluate([Trial(config=c) for c in configs], seed=seed)
        so = single.evaluate([Trial(config=c) for c in configs], seed=seed)
        for c, a, b in zip(configs, mo, so, strict=True):
            n1, n2 = c["n_units_1"], c["n_units_2"]
            assert a.values["n_params"] == 20 * n1 + n1 + n1 * n2 + n2 + n2 + 1
            assert a.values["valid_mse"] == b.values["valid_mse"]
            assert a.cost == b.cost


def _needing_data() -> list[str]:
    return [f for f in registry.family_names() if any(i.needs_data for i in registry.load_family(f).tasks())]


@pytest.mark.parametrize("family", _needing_data())
def test_a_family_that_needs_data_names_its_manifest_dataset(family: str) -> None:
    from hpobench.data import datasets

    fam = registry.load_family(family)
    # UnknownNameError here: `hpobench list` could not say whether the family's files are present
    assert datasets.find_dataset(fam.dataset or fam.name).files
