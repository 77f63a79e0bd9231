"""The shipped generated tables: registered, loadable without a data directory, sane curves."""

from __future__ import annotations

import numpy as np
import pytest

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.contracts.types import Trial
from hpobench.data import registry
from hpobench.surrogates.candidates import CandidateBenchmark
from hpobench.surrogates.own_tables import FCNET_OWN, LCBENCH_OWN
from hpobench.surrogates.tabular import TabularBenchmark


def test_families_are_registered_and_need_no_data() -> None:
    for family in ("fcnet_own", "lcbench_own"):
        infos = registry.load_family(family).tasks()
        assert infos
        assert all(i.multi_fidelity and not i.needs_data for i in infos)


def test_fcnet_own_is_a_grid_with_learning_curves() -> None:
    bench = registry.load_benchmark(BenchmarkSpec.parse("fcnet_own/naval_propulsion"), data_dir=None)
    assert isinstance(bench, TabularBenchmark)
    assert bench.n_configs == 1728
    assert bench.n_seeds == 4
    assert bench.n_fidelities == 100
    config = bench.config_at(0)
    early, late = bench.evaluate(
        [Trial(config=config, fidelity=1), Trial(config=config, fidelity=100)], seed=0
    )
    assert early.cost < late.cost
    assert set(late.extras) == {"train_mse", "test_mse"}
    best = bench.optimum().best["valid_mse"]
    assert 0 < best < 0.1  # standardised targets: the best models explain almost all variance


def test_lcbench_own_candidates_have_sensible_accuracies() -> None:
    bench = LCBENCH_OWN.load("segment", data_dir=None)
    assert isinstance(bench, CandidateBenchmark)
    assert bench.n_candidates == 2000
    assert bench.n_fidelities == 50
    ref = bench.optimum()
    assert 0.8 < ref.best["valid_accuracy"] <= 1.0  # 7 classes: chance is about 0.14


def test_unknown_and_missing_tables_raise(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    with pytest.raises(UnknownNameError):
        FCNET_OWN.load("protein_nope", data_dir=None)
    monkeypatch.setenv("HPOBENCH_OWN_TABLES", str(tmp_path))
    with pytest.raises(DataError, match="missing"):
        LCBENCH_OWN.load("vehicle", data_dir=None)


def test_shipped_files_hold_no_objects() -> None:
    from hpobench.surrogates.own_tables import PACKAGE_DATA

    files = sorted(PACKAGE_DATA.glob("*/*.npz"))
    assert len(files) == 11
    for path in files:
        with np.load(path, allow_pickle=False) as z:
            assert all(z[k].dtype != object for k in z.files)
