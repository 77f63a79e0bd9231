"""Task caches: registered, emptied together, and emptied by a study worker when it changes task."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.caching import release_task_caches, task_cache
from hpobench.data.registry import load_benchmark
from hpobench.execution import study
from hpobench.surrogates import fcnet


def test_task_cache_caches_and_release_empties_it() -> None:
    calls: list[int] = []

    @task_cache(maxsize=2)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    assert [square(3), square(3), square(4)] == [9, 9, 16]
    assert calls == [3, 4]
    assert release_task_caches() >= 2
    assert square.cache_info().currsize == 0
    assert square(3) == 9
    assert calls == [3, 4, 3]  # loaded again after the release


@pytest.mark.parametrize("maxsize", [0, -1, True, 1.5, None])
def test_task_cache_refuses_an_unbounded_or_empty_size(maxsize: object) -> None:
    with pytest.raises(ValueError, match="maxsize"):
        task_cache(maxsize=maxsize)  # type: ignore[arg-type]


def test_a_worker_releases_the_task_it_has_left_only(data_dir: Path) -> None:
    first, second = (
        BenchmarkSpec.parse("fcnet/naval_propulsion"),
        BenchmarkSpec.parse("fcnet/slice_localization"),
    )
    study._worker_task.clear()
    fcnet._load.cache_clear()
    study._keep_to(first.name)
    load_benchmark(first, data_dir=data_dir)
    study._keep_to(first.name)  # another run of the same task keeps it
    assert fcnet._load.cache_info().currsize == 1
    study._keep_to(second.name)  # moving on releases it
    assert fcnet._load.cache_info().currsize == 0
    study._worker_task.clear()
