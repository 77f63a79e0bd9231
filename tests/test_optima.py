"""Stored reference optima agree with the tables (so a changed data file is noticed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpobench import registry
from hpobench.errors import UnknownNameError
from hpobench.surrogates._optima_data import OPTIMA
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.surrogates.optima import stored_optimum
from hpobench.surrogates.tabular import TabularBenchmark

TABULAR = [
    i.name for f in ("fcnet", "hpobench_nn", "nb201", "taskset") for i in registry.load_family(f).tasks()
]


def test_every_tabular_task_has_stored_optima() -> None:
    assert sorted(OPTIMA) == sorted(TABULAR)
    assert len(TABULAR) == 27
    with pytest.raises(UnknownNameError):
        stored_optimum("fcnet/nope")


@pytest.mark.data
@pytest.mark.parametrize("name", TABULAR)
def test_stored_optima_match_the_table(data_dir: Path, name: str) -> None:
    bench = registry.load_benchmark(name, data_dir=data_dir)
    stored = stored_optimum(name)
    assert stored.metric == bench.task.objective.name
    assert stored.direction is bench.task.objective.direction
    assert isinstance(bench, (TabularBenchmark, CandidateBenchmark))
    ref = bench.optimum()
    assert ref.best[stored.metric] == pytest.approx(stored.best, rel=1e-12)
    assert ref.worst[stored.metric] == pytest.approx(stored.worst, rel=1e-12)
    assert stored.reference().best == ref.best
    per_seed = bench.optimum_per_seed()
    assert [r.best[stored.metric] for r in per_seed] == pytest.approx(stored.best_per_seed, rel=1e-12)
    assert [r.worst[stored.metric] for r in per_seed] == pytest.approx(stored.worst_per_seed, rel=1e-12)
