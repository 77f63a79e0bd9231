"""Contract tests for every registered plugin, parametrised over the registry itself.

A newly registered benchmark family or method is picked up here without editing this file.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.method import Method
from hpobench.data import registry
from hpobench.testing import check_benchmark, check_method

TASKS = [info for family in registry.family_names() for info in registry.load_family(family).tasks()]
METHODS = registry.method_names()


def _load_method_or_skip(name: str) -> type[Method]:
    """Load a registered method; skip when an optional dependency it declares is missing."""
    cls = registry.load_method(name)
    missing = [m for m in cls.requires if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"method {name!r} needs the optional package(s) {missing}, which are not installed")
    return cls


@pytest.mark.parametrize("info", TASKS, ids=[i.name for i in TASKS])
def test_every_registered_task_passes_the_benchmark_checks(
    info: object, request: pytest.FixtureRequest
) -> None:
    from hpobench.contracts.benchmark import TaskInfo

    assert isinstance(info, TaskInfo)
    data_dir: Path | None = request.getfixturevalue("data_dir") if info.needs_data else None
    benchmark = registry.load_benchmark(BenchmarkSpec.parse(info.name), data_dir=data_dir)
    assert benchmark.task.name == info.name
    assert benchmark.task.multi_fidelity == info.multi_fidelity
    check_benchmark(benchmark)


# Freeze-thaw methods that fit a neural curve model at every decision: the registry-wide check runs
# them at their defaults for fewer steps (instead of 50) to keep CI inside its time; the 30-step
# checks with small models are in tests/test_freeze_thaw.py and tests/test_ifbo.py. DPL and DyHPO
# fit from scratch (250 epochs / steps) at each of their first 10 model decisions, as their
# reference code, so their check stops after 8 steps (5 random starts, 3 model decisions).
FEWER_STEPS = {"dpl": 8, "dyhpo": 8, "ifbo": 15}
SMALLER_MODELS: dict[str, dict[str, Any]] = {
    # the checks test the contract, not the fit: smaller surrogate fits (their quality is tested in
    # test_freeze_thaw at the methods' defaults)
    "dpl": {"n_members": 2, "n_epochs": 40, "refit_epochs": 5},
    "dyhpo": {"n_steps": 40, "refit_steps": 5},
}


@pytest.mark.parametrize("name", METHODS)
def test_every_registered_method_passes_the_method_checks_on_a_multifidelity_task(name: str) -> None:
    benchmark = registry.load_benchmark("synthetic/hartmann3")
    steps = FEWER_STEPS.get(name, 50)
    check_method(
        _load_method_or_skip(name),
        benchmark.task,
        benchmark=benchmark,
        n_steps=steps,
        kwargs=SMALLER_MODELS.get(name),
    )


@pytest.mark.parametrize("name", METHODS)
def test_every_method_handles_a_real_grid_task_or_declares_it_cannot(name: str, data_dir: Path) -> None:
    benchmark = registry.load_benchmark("fcnet/protein_structure", data_dir=data_dir)
    cls = _load_method_or_skip(name)
    if cls.capabilities.incompatibility(benchmark.task) is not None:
        with pytest.raises(ValueError, match=r"fidelity|candidate|objective"):
            cls(benchmark.task, seed=0)
        return
    check_method(cls, benchmark.task, benchmark=benchmark, n_steps=30)


def test_registry_lists_builtins_without_importing_them() -> None:
    assert {"random_search", "successive_halving", "hyperband"} <= set(METHODS)
    assert {"synthetic", "fcnet"} <= set(registry.family_names())
