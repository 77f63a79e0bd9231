from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpobench.benchmark import BenchmarkSpec
from hpobench.budget import Budget
from hpobench.errors import DataError
from hpobench.results.load import load_results
from hpobench.results.regret import XAxis, add_regret, anytime_curves, final_regret
from hpobench.results.report import write_report
from hpobench.study import plan_study, run_study


def frame(
    values: list[float], value_max: list[float], status: list[str] | None = None, run: str = "r"
) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "run_id": run,
            "benchmark": "b",
            "method": "m",
            "seed": 0,
            "eval": np.arange(n),
            "status": status or ["ok"] * n,
            "value": values,
            "value_max": value_max,
            "fidelity_spent": np.arange(1, n + 1, dtype=float),
            "time": np.arange(1, n + 1, dtype=float),
        }
    )


def runs(direction: str = "minimize", best: float = 0.0, worst: float = 10.0, run: str = "r") -> pd.DataFrame:
    return pd.DataFrame([{"run_id": run, "direction": direction, "ref_best": best, "ref_worst": worst}])


def test_incumbent_is_chosen_by_observed_value_and_scored_at_max_fidelity() -> None:
    # eval 1 looks best (biased low fidelity) but its max-fidelity value is 4
    df = add_regret(frame([5.0, 1.0, 3.0, 2.0], [5.0, 4.0, 3.0, 2.0]), runs())
    assert df["regret"].tolist() == [5.0, 4.0, 4.0, 4.0]
    assert df["normalized_regret"].tolist() == [0.5, 0.4, 0.4, 0.4]


def test_regret_is_zero_exactly_at_the_optimum_and_never_negative() -> None:
    df = add_regret(frame([3.0, 0.0, 1.0], [3.0, 0.0, 1.0]), runs())
    assert df["regret"].tolist() == [3.0, 0.0, 0.0]
    assert (df["regret"] >= 0).all()


def test_maximisation_flips_the_sign() -> None:
    df = add_regret(frame([0.5, 0.9, 0.7], [0.5, 0.9, 0.7]), runs("maximize", best=1.0, worst=0.0))
    np.testing.assert_allclose(df["regret"], [0.5, 0.1, 0.1])
    np.testing.assert_allclose(df["normalized_regret"], [0.5, 0.1, 0.1])


def test_failed_evaluations_never_become_incumbent() -> None:
    df = add_regret(frame([np.nan, 2.0, -100.0], [np.nan, 2.0, 0.0], ["failed", "ok", "failed"]), runs())
    assert np.isnan(df["regret"].iloc[0])
    assert df["regret"].tolist()[1:] == [2.0, 2.0]


def test_ties_keep_the_earlier_incumbent() -> None:
    df = add_regret(frame([1.0, 1.0], [3.0, 2.0]), runs())
    assert df["regret"].tolist() == [3.0, 3.0]


def test_runs_are_kept_apart() -> None:
    both = pd.concat([frame([1.0, 5.0], [1.0, 5.0], run="a"), frame([9.0, 2.0], [9.0, 2.0], run="b")])
    meta = pd.concat([runs(run="a"), runs(run="b")])
    df = add_regret(both, meta)
    assert df["regret"].tolist() == [1.0, 1.0, 9.0, 2.0]
    assert final_regret(df)["normalized_regret"].tolist() == [0.1, 0.2]


def test_anytime_curves_average_step_functions() -> None:
    both = pd.concat([frame([4.0, 2.0], [4.0, 2.0], run="a"), frame([6.0, 6.0], [6.0, 6.0], run="b")])
    df = add_regret(both, pd.concat([runs(run="a"), runs(run="b")]))
    curves = anytime_curves(df, axis=XAxis.EVALS, column="regret")
    assert curves["x"].tolist() == [1.0, 2.0]
    assert curves["mean"].tolist() == [5.0, 4.0]
    assert curves["n"].tolist() == [2, 2]


def test_report_on_a_real_study(tmp_path: Path) -> None:
    plan = plan_study(
        benchmarks=[BenchmarkSpec(family="synthetic", task="branin")],
        methods=["random_search", "hyperband"],
        seeds=[0, 1, 2],
        budget=Budget.parse("10x"),
    )
    run_study(plan, out=tmp_path, progress=False)
    report = write_report(tmp_path)
    assert "| synthetic/branin |" in report.markdown
    assert "(n=3)" in report.markdown
    assert report.plot_path.read_bytes().startswith(b"\x89PNG")
    # a damaged run file is reported, the rest still is
    victim = next((tmp_path / "runs").glob("*.parquet"))
    victim.write_bytes(b"not parquet")
    damaged = load_results(tmp_path)
    assert len(damaged.runs) == 5
    assert any(victim.stem in p for p in damaged.problems)
    assert "could not be read" in write_report(tmp_path).markdown


def test_report_of_empty_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no finished run found"):
        load_results(tmp_path)
