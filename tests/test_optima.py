"""Stored reference optima: every tabular task answers optimum() from them, and they agree with the tables.

The families' own tests (test_fcnet.py, test_tabular_families.py) check the stored values against
the source files read independently (Parquet with pandas, TaskSet JSON); here they are checked
against the benchmarks' table computation, per seed included, and the module's regeneration.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.types import Direction
from hpobench.data import registry
from hpobench.surrogates._dense import reference_of
from hpobench.surrogates._optima_data import OPTIMA
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.surrogates.optima import FAMILIES, render_optima, stored_optimum
from hpobench.surrogates.tabular import TabularBenchmark

TABULAR = [i.name for f in FAMILIES for i in registry.load_family(f).tasks()]


def test_every_tabular_task_has_stored_optima() -> None:
    assert sorted(OPTIMA) == sorted(TABULAR)
    assert len(TABULAR) == 27
    with pytest.raises(UnknownNameError):
        stored_optimum("fcnet/nope")
    for name in TABULAR:
        s = stored_optimum(name)
        sign = s.direction.sign
        # best <= median configuration <= the table's extreme, in loss orientation
        assert sign * s.best <= sign * s.worst <= sign * s.worst_observed
        assert len(s.best_per_seed) == len(s.worst_per_seed) >= 1
        assert s.reference().source.startswith("stored")


def test_reference_worst_is_the_median_configuration() -> None:
    signs = np.array([1.0, -1.0])
    values = np.array([[1.0, 5.0], [np.nan, 4.0], [3.0, np.inf], [2.0, 1.0], [1e18, 3.0]])
    ref = reference_of(values, names=("a", "b"), signs=signs, source="s", missing="m")
    # a (minimise): losses 1, inf, 3, 2, 1e18 -> best 1, lower median 3
    # b (maximise): losses -5, -4, inf, -1, -3 -> best 5, lower median -3 -> 3
    assert ref.best == {"a": 1.0, "b": 5.0}
    assert ref.worst == {"a": 3.0, "b": 3.0}
    half = reference_of(np.array([[1.0], [np.nan]]), names=("a",), signs=signs[:1], source="s", missing="m")
    assert half.worst == {"a": 1.0}  # the lower median: finite while at most half diverged
    with pytest.raises(DataError, match="m"):  # more than half diverged: no finite median
        reference_of(
            np.array([[1.0], [np.nan], [np.inf]]), names=("a",), signs=signs[:1], source="s", missing="m"
        )
    with pytest.raises(DataError, match="m"):
        reference_of(np.zeros((0, 1)), names=("a",), signs=signs[:1], source="s", missing="m")


@pytest.mark.data
@pytest.mark.parametrize("name", TABULAR)
def test_stored_optima_match_the_table(data_dir: Path, name: str) -> None:
    bench = registry.load_benchmark(name, data_dir=data_dir)
    assert isinstance(bench, (TabularBenchmark, CandidateBenchmark))
    stored = stored_optimum(name)
    assert stored.metric == bench.task.objective.name
    assert stored.direction is bench.task.objective.direction
    ref = bench.optimum()
    assert ref == stored.reference()  # answered from the stored values
    computed = bench.table_optimum()
    assert computed.best == ref.best
    assert computed.worst == ref.worst
    means = bench.reference_means()[:, 0]
    finite = means[np.isfinite(means)]
    extreme = finite.min() if stored.direction is Direction.MAXIMIZE else finite.max()
    best = finite.max() if stored.direction is Direction.MAXIMIZE else finite.min()
    assert (stored.best, stored.worst_observed) == (best, extreme)
    per_seed = bench.table_optimum_per_seed()
    assert tuple(r.best[stored.metric] for r in per_seed) == stored.best_per_seed
    assert tuple(r.worst[stored.metric] for r in per_seed) == stored.worst_per_seed
    assert [r.best for r in bench.optimum_per_seed()] == [r.best for r in per_seed]


@pytest.mark.data
def test_render_reproduces_the_stored_module(data_dir: Path) -> None:
    names = ["fcnet/protein_structure", TABULAR[-1]]
    text = render_optima([registry.load_benchmark(n, data_dir=data_dir) for n in names])
    namespace: dict[str, object] = {}
    exec(compile(text, "<optima>", "exec"), namespace)  # our own generated source, not untrusted data
    assert namespace["OPTIMA"] == {n: OPTIMA[n] for n in names}
