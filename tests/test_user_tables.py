"""Your own benchmark from tables: table folders and ``hpobench.tabular`` (functions: see
test_function_benchmark.py).

The data is a real learning-curve table made by training scikit-learn's MLP on the digits data
(``tests/sklearn_curves.py``), not a table of the project.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

import hpobench
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import DataError
from hpobench.contracts.types import Trial
from hpobench.data import registry
from hpobench.execution.planning import plan_study
from hpobench.execution.study import run_study
from hpobench.testing import check_benchmark

sys.path.insert(0, str(Path(__file__).parent))
from sklearn_curves import mlp_curves

pytest_plugins = ["pytester"]

META = {
    "hyperparameters": {"learning_rate_init": {"log": True}, "alpha": {"log": True}, "width": {}},
    "fidelity": "epoch",
    "objectives": {"valid_error": "minimize", "train_loss": "minimize"},
    "cost": "seconds",
    "seed": "seed",
    "provenance": "sklearn MLPClassifier on sklearn's digits, tests/sklearn_curves.py",
}


@pytest.fixture(scope="module")
def curves() -> pd.DataFrame:
    return mlp_curves()


def _folder(
    root: Path, frame: pd.DataFrame, *, name: str = "mlp", meta: dict | None = None, csv: bool = False
) -> Path:
    folder = root / "tables" / name
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text(json.dumps(meta or META))
    if csv:
        frame.to_csv(folder / "digits.csv", index=False)
    else:
        frame.to_parquet(folder / "digits.parquet", index=False)
    return folder


def test_folder_is_a_family_listed_loaded_and_checked(tmp_path: Path, curves: pd.DataFrame) -> None:
    _folder(tmp_path, curves)
    assert "mlp" in registry.family_names(data_dir=str(tmp_path))
    (info,) = registry.load_family("mlp", data_dir=tmp_path).tasks()
    assert info.name == "mlp/digits"
    assert info.multi_fidelity
    assert info.continuation
    assert [o.name for o in info.objectives] == ["valid_error", "train_loss"]
    bench = registry.load_benchmark("mlp/digits", data_dir=str(tmp_path))  # a str works
    check_benchmark(bench)
    task = bench.task
    assert task.objective.name == "valid_error"
    assert task.candidates == 12
    assert task.fidelity is not None
    assert (task.fidelity.low, task.fidelity.high) == (1, 10)
    # the table answers exactly what the training run recorded
    row = curves[(curves.seed == 1) & (curves.epoch == 4) & (curves.width == 32)].iloc[0]
    config = {"learning_rate_init": row.learning_rate_init, "alpha": row.alpha, "width": 32}
    (ev,) = bench.evaluate([Trial(config=config, fidelity=4)], seed=1)
    assert ev.values["valid_error"] == row.valid_error
    assert ev.extras["train_loss"] == row.train_loss
    assert ev.cost == row.seconds
    # optimum: the family-wide rule (best mean over seeds at the maximal fidelity)
    last = curves[curves.epoch == 10].groupby(["learning_rate_init", "alpha", "width"]).valid_error.mean()
    assert bench.optimum().best["valid_error"] == pytest.approx(last.min())


def test_csv_and_python_api_agree_with_the_folder(tmp_path: Path, curves: pd.DataFrame) -> None:
    _folder(tmp_path, curves, csv=True)
    from_csv = registry.load_benchmark("mlp/digits", data_dir=tmp_path)
    from_frame = hpobench.tabular(
        curves,
        hyperparameters=META["hyperparameters"],
        objectives=META["objectives"],
        fidelity="epoch",
        cost="seconds",
        seed="seed",
        name="mlp/digits",
    )
    configs = [from_frame.config_at(i) for i in range(12)]
    np.testing.assert_array_equal(from_csv.reference_values(configs), from_frame.reference_values(configs))
    assert from_csv.optimum() == from_frame.optimum()


def test_sha256_recorded_on_first_use_and_checked(tmp_path: Path, curves: pd.DataFrame) -> None:
    folder = _folder(tmp_path, curves)
    assert not (folder / "SHA256SUMS.json").exists()
    registry.load_benchmark("mlp/digits", data_dir=tmp_path)
    pins = json.loads((folder / "SHA256SUMS.json").read_text())["files"]
    assert set(pins) == {"meta.json", "digits.parquet"}
    curves.assign(valid_error=curves.valid_error + 0.01).to_parquet(folder / "digits.parquet", index=False)
    with pytest.raises(DataError, match=r"digits.parquet.*changed since its sha256 was recorded"):
        registry.load_benchmark("mlp/digits", data_dir=tmp_path)
    assert registry.load_benchmark("mlp/digits", data_dir=tmp_path, verify=False) is not None
    from hpobench.cli.table import check_folder

    lines = check_folder(str(folder), record=True)
    assert any("recorded the sha256 of 2 file(s)" in line for line in lines)
    registry.load_benchmark("mlp/digits", data_dir=tmp_path)  # accepted again


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda f, m: (f.drop(columns="alpha"), m),
            r"digits.csv: column 'alpha' \(hyperparameter\) is named",
        ),
        (
            lambda f, m: (f, {**m, "objectives": {"valid_error": "lower"}}),
            r"objective 'valid_error' has direction 'lower'; use 'minimize' or 'maximize'",
        ),
        (
            lambda f, m: (pd.concat([f, f.iloc[[5]].assign(valid_error=0.5)]), m),
            r"rows 6 and 241 are the same cell \(learning_rate_init=0.0003, alpha=0.0001, width=8, seed=0, "
            r"epoch=6\) with different values in column 'valid_error': [0-9.]+ and 0.5",
        ),
        (
            lambda f, m: (f.assign(valid_error=f.valid_error.where(f.index != 7)), m),
            r"'valid_error' \(objective\), row 8: NaN",
        ),
        (
            lambda f, m: (
                f.astype({"epoch": object}).assign(epoch=lambda d: d.epoch.where(d.index != 3, "ten")),
                m,
            ),
            r"column 'epoch' \(fidelity\), row 4: 'ten' is not a number",
        ),
        (lambda f, m: (f[f.index != 9], m), r"no row for configuration \(.*\) at seed=0, epoch=10"),
    ],
    ids=[
        "missing-column",
        "bad-direction",
        "conflicting-duplicate",
        "nan-objective",
        "text-fidelity",
        "short-curve",
    ],
)
def test_bad_input_names_file_column_and_row(tmp_path: Path, curves: pd.DataFrame, edit, message) -> None:
    frame, meta = edit(curves.copy(), dict(META))
    folder = _folder(tmp_path, frame, meta=meta, csv=True)
    with pytest.raises(DataError, match=message):
        registry.load_benchmark("mlp/digits", data_dir=tmp_path)
    assert not (folder / "SHA256SUMS.json").exists()  # nothing recorded for a bad table


def test_identical_duplicates_are_kept_once(tmp_path: Path, curves: pd.DataFrame) -> None:
    _folder(tmp_path, pd.concat([curves, curves.iloc[:5]]))
    assert registry.load_benchmark("mlp/digits", data_dir=tmp_path).task.candidates == 12


def test_a_random_sweep_becomes_a_candidate_set(tmp_path: Path, curves: pd.DataFrame) -> None:
    keep = curves.groupby(["learning_rate_init", "alpha", "width"]).ngroup() % 3 != 0
    _folder(tmp_path, curves[keep])
    bench = registry.load_benchmark("mlp/digits", data_dir=tmp_path)
    assert "candidate-set" in bench.task.tags
    assert bench.task.candidates == 8
    check_benchmark(bench)


def test_folder_colliding_with_a_shipped_family_is_refused(tmp_path: Path, curves: pd.DataFrame) -> None:
    kwargs = {"hyperparameters": ["alpha", "learning_rate_init", "width"], "objectives": "valid_error"}
    frame = curves[(curves.seed == 0) & (curves.epoch == 10)]
    with pytest.raises(DataError, match="collides with the installed benchmark family 'synthetic'"):
        hpobench.tabular(frame, name="synthetic/mine", data_dir=tmp_path, **kwargs)
    assert not (tmp_path / "tables").exists()  # refused before anything was written
    _folder(tmp_path, curves, name="synthetic")
    with pytest.raises(DataError, match="collides with the installed benchmark family 'synthetic'"):
        registry.load_family("synthetic", data_dir=tmp_path)
    assert registry.load_family("synthetic").tasks()  # without the data dir: the shipped one


def test_tabular_rewrite_records_the_new_files(tmp_path: Path, curves: pd.DataFrame) -> None:
    kwargs = {"hyperparameters": ["alpha", "learning_rate_init", "width"], "objectives": "valid_error"}
    frame = curves[(curves.seed == 0) & (curves.epoch == 10)]
    hpobench.tabular(frame, name="mine/last", data_dir=tmp_path, **kwargs)
    first = registry.load_benchmark("mine/last", data_dir=tmp_path).optimum()
    hpobench.tabular(
        frame.assign(valid_error=frame.valid_error / 2), name="mine/last", data_dir=tmp_path, **kwargs
    )
    again = registry.load_benchmark("mine/last", data_dir=tmp_path).optimum()
    assert again.best["valid_error"] == pytest.approx(first.best["valid_error"] / 2)
    assert registry.load_benchmark("mine/last", data_dir=tmp_path).task.fidelity is None


def test_study_over_a_folder_family_and_report(tmp_path: Path, curves: pd.DataFrame) -> None:
    hpobench.tabular(
        curves,
        hyperparameters=META["hyperparameters"],
        objectives=META["objectives"],
        fidelity="epoch",
        cost="seconds",
        seed="seed",
        name="mlp/digits",
        data_dir=str(tmp_path),
    )
    specs = registry.expand_benchmarks(["mlp"], data_dir=str(tmp_path))
    plan = plan_study(
        benchmarks=specs,
        methods=["random_search", "hyperband"],
        seeds=[0, 1],
        budget=Budget.parse("5x"),
        data_dir=str(tmp_path),
    )
    out = tmp_path / "study"
    summary = run_study(plan, out=str(out), jobs=2, data_dir=str(tmp_path), progress=False)
    assert summary.still_failed == ()
    record = json.loads(next((out / "runs").glob("*.json")).read_text())
    assert record["plugins"]["benchmark"] == {"name": "mlp", "table_folder": str(tmp_path / "tables" / "mlp")}
    assert list(record["data_files"].values()) == [
        json.loads((tmp_path / "tables" / "mlp" / "SHA256SUMS.json").read_text())["files"]["digits.parquet"]
    ]
    from hpobench.results.report import write_report

    write_report(out)
    text = (out / "report" / "report.md").read_text()
    assert "mlp/digits" in text
    assert "hyperband" in text


def test_cli_table_init_check_list_and_run(tmp_path: Path, curves: pd.DataFrame) -> None:
    folder = tmp_path / "data" / "tables" / "mlp"
    folder.mkdir(parents=True)
    curves.to_csv(folder / "digits.csv", index=False)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "hpobench", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )

    init = cli("table", "init", str(folder / "digits.csv"))
    assert init.returncode == 0, init.stderr
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["fidelity"] == "epoch"
    assert meta["seed"] == "seed"
    assert meta["cost"] == "seconds"
    assert meta["objectives"] == {"valid_error": "minimize", "train_loss": "minimize"}
    assert meta["hyperparameters"]["learning_rate_init"] == {"log": True}
    check = cli("table", "check", str(folder))
    assert check.returncode == 0, check.stderr
    assert "optimised objective: valid_error (minimize)" in check.stdout
    assert "further objectives, kept as extra metrics: train_loss" in check.stdout
    assert "fidelity epoch: 10 values in [1, 10] (integer)" in check.stdout
    assert "sha256 of digits.csv, meta.json recorded in" in check.stdout
    listing = cli("list", "--data-dir", "data")
    assert any(line.split()[:3] == ["mlp", "1", "task"] for line in listing.stdout.splitlines()), (
        listing.stdout
    )
    assert "mlp/digits" in cli("list", "--tasks", "--data-dir", "data").stdout
    run = cli(
        "run",
        "--benchmarks",
        "mlp",
        "--methods",
        "random_search",
        "--seeds",
        "0",
        "--budget",
        "3x",
        "--data-dir",
        "data",
        "--out",
        "out",
        "--jobs",
        "1",
    )
    assert run.returncode == 0, run.stderr
    bad = folder / "meta.json"
    bad.write_text(json.dumps({**meta, "objectives": {"valid_error": "down"}}))
    check = cli("table", "check", str(folder))
    assert check.returncode == 2
    assert "direction 'down'" in check.stderr


@pytest.mark.data
def test_public_entry_points_take_str(data_dir: Path, tmp_path: Path, curves: pd.DataFrame) -> None:
    bench = registry.load_benchmark("fcnet/naval_propulsion", data_dir=str(data_dir))
    assert bench.task.name == "fcnet/naval_propulsion"
    from hpobench.evaluation.protocols import held_out_seeds

    _folder(tmp_path, curves)
    result = held_out_seeds(
        benchmark="mlp/digits",
        method="random_search",
        seed=0,
        budget=Budget.parse("5"),
        tuning_seeds=[0],
        test_seeds=[1],
        data_dir=str(tmp_path),
    )
    assert result.evaluations == 5
    plan = plan_study(
        benchmarks=registry.expand_benchmarks(["mlp"], data_dir=str(tmp_path)),
        methods=["random_search"],
        seeds=[0],
        budget=Budget.parse("3"),
        data_dir=str(tmp_path),
    )
    out = str(tmp_path / "study")
    run_study(plan, out=out, jobs=1, data_dir=str(tmp_path), progress=False)
    from hpobench.results.load import load_results
    from hpobench.results.report import write_report

    assert len(load_results(out).runs) == 1
    write_report(out, dest=str(tmp_path / "report"), formats=["md"])
    assert (tmp_path / "report" / "report.md").is_file()


def test_pytest_plugin_runs_a_table_folder(pytester: pytest.Pytester, curves: pd.DataFrame) -> None:
    _folder(pytester.path / "data", curves)
    pytester.makeconftest('pytest_plugins = ["hpobench.testing.pytest_plugin"]\n')
    pytester.makepyfile(
        test_mine="""
import pytest

@pytest.mark.hpo(methods=["random_search"], benchmarks=["mlp"], budget="5")
def test_runs(hpo_benchmark, hpo_results):
    assert hpo_benchmark.task.name == "mlp/digits"
    assert set(hpo_results["benchmark"]) == {"mlp/digits"}
"""
    )
    result = pytester.runpytest_subprocess(
        "--strict-markers",
        "-p",
        "no:cacheprovider",
        "--hpo-seeds",
        "0-1",
        "--hpo-data-dir",
        "data",
        "-m",
        "mlp",
    )
    result.assert_outcomes(passed=1)


def _kinds(curves: pd.DataFrame) -> pd.DataFrame:
    return curves.assign(width=curves.width.map({8: "narrow", 32: "wide"}))


def test_string_hyperparameter_is_categorical(tmp_path: Path, curves: pd.DataFrame) -> None:
    _folder(tmp_path, _kinds(curves))
    bench = registry.load_benchmark("mlp/digits", data_dir=tmp_path)
    assert bench.task.space["width"].choices == ("narrow", "wide")
    check_benchmark(bench)


@pytest.mark.parametrize(
    ("frame", "options", "message"),
    [
        (
            lambda c: _kinds(c)[~((c.width == 8) & (c.alpha == 0.01) & (c.learning_rate_init == 0.03))],
            {},
            r"the grid point \(learning_rate_init=0.03, alpha=0.01, width='narrow'\) has no rows",
        ),
        (lambda c: c, {"width": {"values": [8, 16, 32]}}, r"the grid point \(.*width=16\) has no rows"),
        (
            lambda c: c,
            {"width": {"high": 16}},
            r"column 'width' \(hyperparameter\), row 21: 32 is outside the declared range \[None, 16.0\]",
        ),
        (
            lambda c: c,
            {"width": {"values": [8]}},
            r"column 'width' \(hyperparameter\), row 21: 32 is not among",
        ),
    ],
    ids=["categorical-gap", "declared-value-without-rows", "outside-range", "undeclared-value"],
)
def test_declared_grids_and_ranges_are_enforced(
    tmp_path: Path, curves: pd.DataFrame, frame, options, message
) -> None:
    hps = {**META["hyperparameters"], **options}
    _folder(tmp_path, frame(curves), meta={**META, "hyperparameters": hps})
    with pytest.raises(DataError, match=message):
        registry.load_benchmark("mlp/digits", data_dir=tmp_path)
