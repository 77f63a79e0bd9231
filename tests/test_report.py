from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_data import rewrite_record, synthesise

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import DataError
from hpobench.data import _files
from hpobench.execution.planning import plan_study
from hpobench.execution.store import (
    write_run,
)
from hpobench.execution.study import run_study
from hpobench.results.curves import anytime_curves, step_matrix
from hpobench.results.load import load_results
from hpobench.results.profiles import ecdf_profiles
from hpobench.results.ranks import final_ranks, ranks_over_time
from hpobench.results.regret import Incumbent, XAxis, add_regret, final_regret, resolve_references
from hpobench.results.report import write_report
from hpobench.results.speedup import speedups


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


def random_study(n_runs: int = 24, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs of uneven length on 2 benchmarks x 3 methods x 4 seeds, with failures."""
    rng = np.random.default_rng(seed)
    frames, metas = [], []
    i = 0
    for b in ("b0", "b1"):
        for m in ("m0", "m1", "random_search"):
            for s in range(4):
                n = int(rng.integers(3, 40))
                values = rng.uniform(0, 10, n)
                f = frame(list(values), list(values + rng.uniform(0, 1, n)), run=f"r{i:02d}")
                f["benchmark"], f["method"], f["seed"] = b, m, s
                f["fidelity_spent"] = np.cumsum(rng.uniform(0.1, 2, n))
                f["time"] = np.cumsum(rng.uniform(1, 5, n))
                f.loc[rng.random(n) < 0.1, "status"] = "failed"
                frames.append(f)
                metas.append(runs(worst=11.0, run=f"r{i:02d}"))
                i += 1
    return add_regret(pd.concat(frames, ignore_index=True), pd.concat(metas)), pd.concat(metas)


@pytest.mark.parametrize("axis", list(XAxis))
def test_step_matrix_equals_a_per_run_loop(axis: XAxis) -> None:
    df, _ = random_study()
    sm = step_matrix(df, axis=axis, points=50)
    for i, run in enumerate(sm.runs["run_id"]):
        r = df[df["run_id"] == run]
        x, y = r[axis.column].to_numpy(), r["normalized_regret"].to_numpy()
        idx = np.searchsorted(x, sm.grid[i], side="right") - 1
        expected = np.where(idx >= 0, y[np.clip(idx, 0, None)], np.nan)
        np.testing.assert_array_equal(sm.values[i], expected)


def test_regret_is_zero_exactly_at_the_optimum_for_maximisation_too() -> None:
    df = add_regret(frame([0.2, 0.95, 0.5], [0.2, 0.95, 0.5]), runs("maximize", best=0.95, worst=0.0))
    assert df["regret"].tolist()[1:] == [0.0, 0.0]
    assert df["normalized_regret"].tolist()[1:] == [0.0, 0.0]


def test_missing_reference_falls_back_to_the_best_observed_and_says_so() -> None:
    both = pd.concat([frame([4.0, 2.0], [4.0, 2.0], run="a"), frame([3.0, 1.5], [3.0, 1.5], run="b")])
    meta = pd.concat([runs(run="a"), runs(run="b")])
    meta["benchmark"], meta["ref_source"] = "b", "x"
    meta.loc[meta["run_id"] == "b", "ref_best"] = np.nan
    resolved, notes = resolve_references(meta, both)
    assert resolved["ref_fallback"].tolist() == [False, True]
    assert resolved["ref_best"].tolist() == [0.0, 1.5]
    assert notes
    assert "best (and worst) value observed" in notes[0]
    df = add_regret(both, resolved)
    assert df.loc[df["run_id"] == "b", "regret"].tolist() == [1.5, 0.0]


def test_ranks_over_time_equal_a_direct_pandas_computation() -> None:
    df, _ = random_study()
    sm = step_matrix(df, axis=XAxis.EVALS, points=20)
    ours = ranks_over_time(sm).set_index(["method", "position"])["rank"]
    long = sm.runs.loc[np.repeat(np.arange(len(sm.runs)), 20)].reset_index(drop=True)
    long["position"] = np.tile(np.arange(20), len(sm.runs))
    long["value"] = sm.values.ravel()
    long["rank"] = long.groupby(["benchmark", "seed", "position"])["value"].rank(method="average")
    expected = long.groupby(["method", "position"])["rank"].mean()
    pd.testing.assert_series_equal(ours.sort_index(), expected.sort_index(), check_names=False)
    final = final_regret(df)
    direct = final.pivot_table(index=["benchmark", "seed"], columns="method", values="normalized_regret")
    pd.testing.assert_series_equal(final_ranks(final), direct.rank(axis=1).mean(axis=0), check_names=False)


def test_anytime_curves_have_intervals_around_mean_and_median() -> None:
    df, _ = random_study()
    c = anytime_curves(df, axis=XAxis.BUDGET, points=30)
    assert set(c["method"]) == {"m0", "m1", "random_search"}
    ok = c[c["n"] > 1]
    assert (ok["lo"] <= ok["mean"] + 1e-12).all()
    assert (ok["mean"] <= ok["hi"] + 1e-12).all()
    assert (ok["median_lo"] <= ok["median"]).all()
    assert (ok["median"] <= ok["median_hi"]).all()


def test_ecdf_profiles_are_monotone_fractions() -> None:
    df, _ = random_study()
    p = ecdf_profiles(df, axis=XAxis.EVALS)
    for _, g in p.groupby("method"):
        f = g["fraction"].to_numpy()
        assert (np.diff(f) >= 0).all()
        assert f.min() >= 0
        assert f.max() <= 1


def test_speedup_of_random_search_is_one_and_a_faster_method_is_faster() -> None:
    # "fast" reaches each value in half the evaluations random search needs
    rs = frame([8.0, 6.0, 4.0, 2.0], [8.0, 6.0, 4.0, 2.0], run="rs")
    fast = frame([6.0, 2.0, 1.0, 1.0], [6.0, 2.0, 1.0, 1.0], run="fast")
    rs["method"], fast["method"] = "random_search", "fast"
    df = add_regret(pd.concat([rs, fast]), pd.concat([runs(run="rs"), runs(run="fast")]))
    s = speedups(df, axis=XAxis.EVALS).set_index("method")
    assert s.loc["random_search", "speedup"] == 1.0
    assert s.loc["fast", "speedup"] == 2.0  # target 0.2 reached after 2 instead of 4 evaluations


def test_full_report_writes_every_output(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=4, tasks=5, seeds=3, evals=30)
    report = write_report(tmp_path, axis=XAxis.EVALS)
    dest = tmp_path / "report"
    assert set(report.documents) == {"md", "latex", "html"}
    for name in ("regret", "summary", "cd", "ecdf"):
        assert (dest / f"{name}.png").read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in (dest / f"{name}.svg").read_bytes()[:2000]
    tex = (dest / "report.tex").read_text()
    assert r"\begin{tabular}" in tex
    assert r"\textbf{" in tex
    assert "random\\_search" in tex
    page = (dest / "report.html").read_text()
    assert page.count('src="data:image/png;base64,') == 4
    assert "http://" not in page
    assert "https://" not in page
    md = report.markdown
    for text in ("Friedman", "Wilcoxon", "Speed-up over random_search", "| average rank |", "(n=3)"):
        assert text in md
    assert not report.notes
    # the first report wrote the combined table; the second reads it and says the same
    assert (tmp_path / "combined" / "evaluations.parquet").is_file()
    assert write_report(tmp_path, axis=XAxis.EVALS).markdown == md


def test_task_without_reference_is_reported_with_a_fallback_note(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=3, tasks=2, seeds=2, evals=10, reference={"best": None, "source": "none"})
    report = write_report(tmp_path, formats=["md"])
    assert any("synthetic/t0: no reference optimum" in n for n in report.notes)
    assert "observed over all runs" in report.markdown
    assert "synthetic/t1: no reference" not in report.markdown


def test_mixed_objectives_and_partial_directories_report_what_is_there(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=3, tasks=2, seeds=2, evals=10)
    rewrite_record(tmp_path, "t1.m1.s0", lambda r: {**r, "task": {**r["task"], "direction": "maximize"}})
    (tmp_path / "runs" / "t1.m2.s1.parquet").unlink()  # partial: record without its table
    report = write_report(tmp_path, formats=["md", "html"])
    notes = " ".join(report.notes)
    assert "mixed objectives on synthetic/t1" in notes
    assert "t1.m1.s0" in notes
    assert "t1.m2.s1.parquet is missing" in notes
    assert "## Notes" in report.markdown
    assert "| synthetic/t1 |" in report.markdown


def test_report_with_two_methods_skips_friedman_with_a_note(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=2, seeds=2, evals=10)
    report = write_report(tmp_path, formats=["md"])
    assert any("Friedman test and CD diagram skipped" in n for n in report.notes)
    assert "Wilcoxon" in report.markdown
    assert not (tmp_path / "report" / "cd.png").exists()


def test_run_without_evaluations_and_failed_runs(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=3, tasks=1, seeds=2, evals=10)
    empty = pd.read_parquet(tmp_path / "runs" / "t0.m1.s0.parquet").iloc[:0]
    prov = {
        "run_id": "t0.m1.s9",
        "spec": {"benchmark": "synthetic/t0", "method": "m1", "seed": 9},
        "status": "failed",
        "error": "boom",
        "task": {"objective": "value", "direction": "minimize"},
    }
    write_run(tmp_path, "t0.m1.s9", empty, prov)
    mode = 0o666 & ~_files._umask()  # not mkstemp's 0600: others sharing the results can read them
    assert (tmp_path / "runs" / "t0.m1.s9.parquet").stat().st_mode & 0o777 == mode
    report = write_report(tmp_path, formats=["md"])
    assert "`t0.m1.s9`: boom" in report.markdown
    assert any("1 failed run(s)" in n for n in report.notes)


def test_cli_report_writes_the_chosen_format_on_the_time_axis(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hpobench.cli import main

    synthesise(tmp_path, methods=3, tasks=2, seeds=2, evals=10)
    assert main(["report", str(tmp_path), "--format", "latex", "--x", "time"]) == 0
    dest = tmp_path / "report"
    assert (dest / "report.tex").is_file()
    assert not (dest / "report.html").exists()
    assert not (dest / "report.md").exists()
    assert "report.tex" in capsys.readouterr().out
    assert (dest / "summary.svg").is_file()
    assert b"simulated time" in (dest / "summary.svg").read_bytes()


def test_unusable_references_and_all_failed_runs_are_reported_not_crashed_on(tmp_path: Path) -> None:
    # an empty reference range on one task: that task is named and left out of the scores
    empty = tmp_path / "empty"
    synthesise(empty, methods=3, tasks=2, seeds=2, evals=10, reference={"best": 5.0, "worst": 5.0})
    report = write_report(empty, formats=["md"])
    assert any("synthetic/t0: its reference range is empty" in n for n in report.notes)
    assert "| synthetic/t1 |" in report.markdown
    # a reference that is not the optimum: negative regret is named
    wrong = tmp_path / "wrong"
    synthesise(wrong, methods=3, tasks=2, seeds=2, evals=10, reference={"best": 2.0, "worst": 10.0})
    notes = write_report(wrong, formats=["md"]).notes
    assert any("synthetic/t0:" in n and "better than the reference optimum" in n for n in notes)
    assert not any("synthetic/t1:" in n for n in notes)
    # no usable reference anywhere (one constant run, no reference): a report of notes only
    flat = tmp_path / "flat"
    synthesise(flat, methods=1, tasks=1, seeds=1, evals=5, reference={"best": None})
    frame_ = pd.read_parquet(flat / "runs" / "t0.random_search.s0.parquet").assign(value=3.0, value_max=3.0)
    write_run(
        flat,
        "t0.random_search.s0",
        frame_,
        json.loads((flat / "runs" / "t0.random_search.s0.json").read_text()),
    )
    report = write_report(flat, formats=["md", "html"])
    assert "no task has a usable reference range" in report.markdown
    assert not report.figures
    # every run failed: the notes say so
    failed = tmp_path / "failed"
    synthesise(failed, methods=2, tasks=1, seeds=1, evals=5)
    for record in (failed / "runs").glob("*.json"):
        rewrite_record(failed, record.stem, lambda r: {**r, "status": "failed", "error": "boom"})
    report = write_report(failed, formats=["md"])
    assert "2 failed run(s) left out (listed at the end)" in report.notes
    assert "no evaluation of a successful run: nothing to score" in report.notes
    # records without tables: the error names them
    for table in (failed / "runs").glob("*.parquet"):
        table.unlink()
    with pytest.raises(DataError, match=r"2 unreadable: skipped t0\.\S+: its table .* is missing"):
        load_results(failed)


def test_max_fidelity_incumbent_ignores_low_fidelity_values() -> None:
    # a low-fidelity loss (0.1) beats every full-fidelity one but its configuration is bad at the
    # maximal fidelity (value_max 0.9): only the MAX_FIDELITY rule refuses it as incumbent
    evals = pd.DataFrame(
        {
            "run_id": ["r"] * 3,
            "eval": [0, 1, 2],
            "status": ["ok"] * 3,
            "value": [0.1, 0.5, 0.4],
            "value_max": [0.9, 0.5, 0.4],
            "fidelity": [1.0, 10.0, 10.0],
        }
    )
    runs = pd.DataFrame(
        {
            "run_id": ["r"],
            "direction": ["minimize"],
            "ref_best": [0.0],
            "ref_worst": [1.0],
            "fidelity_high": [10.0],
        }
    )
    anyf = add_regret(evals, runs)
    maxf = add_regret(evals, runs, incumbent=Incumbent.MAX_FIDELITY)
    assert anyf["regret"].tolist() == [0.9, 0.9, 0.9]
    assert np.isnan(maxf["regret"].iloc[0])
    assert maxf["regret"].tolist()[1:] == [0.5, 0.4]
    # tasks without a fidelity (NaN) count every evaluation under either rule
    no_fid = add_regret(evals, runs.assign(fidelity_high=np.nan), incumbent=Incumbent.MAX_FIDELITY)
    assert no_fid["regret"].tolist() == anyf["regret"].tolist()
