"""The multi-objective section of the report: attainment surfaces, tables, figures, HTML in Chromium."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mo_plugin import pythonpath
from test_cli import hpobench
from test_html import CHROMIUM, colourful, screenshot

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution.planning import plan_study
from hpobench.execution.scalarization import Scalarization
from hpobench.execution.study import run_study
from hpobench.results.attainment import attainment_levels, attainment_surface
from hpobench.results.regret import XAxis
from hpobench.results.report import write_report

pytestmark = pytest.mark.usefixtures("mo_family")

METHODS = ["random_search", "tpe", "test_lazy_random_search"]
SCALAR = Scalarization.parse("chebyshev:f1=1,f2=1")  # an objective not named (score) weighs 0
TPE = "tpe [scalarised: chebyshev f1=1,f2=1]"


def test_attainment_surfaces_by_hand() -> None:
    a = np.array([[1.0, 3.0], [3.0, 1.0]])
    b = np.array([[2.0, 2.0]])
    np.testing.assert_array_equal(attainment_surface([a, b], 1), [[1, 3], [2, 2], [3, 1]])
    np.testing.assert_array_equal(attainment_surface([a, b], 2), [[2, 3], [3, 2]])
    assert attainment_surface([a, np.empty((0, 2))], 2).shape == (0, 2)  # a run found nothing
    assert attainment_levels(4) == [1, 2, 3]
    assert attainment_levels(5) == [2, 3, 4]
    with pytest.raises(ValueError, match=r"k must be in 1\.\.2"):
        attainment_surface([a, b], 3)


def test_attainment_surface_bounds_exactly_what_k_runs_attain() -> None:
    rng = np.random.default_rng(3)
    fronts = [rng.integers(0, 8, size=(int(rng.integers(1, 6)), 2)).astype(float) for _ in range(5)]
    grid = np.array([(x, y) for x in np.arange(-0.5, 9) for y in np.arange(-0.5, 9)])
    attained = np.array([[np.any(np.all(f <= p, axis=1)) for f in fronts] for p in grid]).sum(axis=1)
    for k in range(1, 6):
        corners = attainment_surface(fronts, k)
        inside = np.array([np.any(np.all(corners <= p, axis=1)) for p in grid])
        np.testing.assert_array_equal(inside, attained >= k)


@pytest.fixture(scope="module")
def mo_study(tmp_path_factory: pytest.TempPathFactory, regress_plugins: Path, mo_family: Path) -> Path:
    out = tmp_path_factory.mktemp("mo-report") / "study"
    plan = plan_study(
        benchmarks=[BenchmarkSpec.parse(b) for b in ("testmo/zdt1", "testmo/dtlz2_fid", "synthetic/branin")],
        methods=METHODS,
        seeds=[0, 1, 2],
        budget=Budget.parse("25x"),
        scalarizations={"tpe": SCALAR},
    )
    run_study(plan, out=out, jobs=1, progress=False)
    return out


def test_report_has_a_multi_objective_section_in_every_format(mo_study: Path, tmp_path: Path) -> None:
    report = write_report(mo_study, dest=tmp_path / "report", axis=XAxis.EVALS)
    md = report.markdown
    assert "## Final normalised regret" in md  # the single-objective task keeps its part
    single = md.split("## Final normalised regret", 1)[1].split("##", 1)[0]
    assert "synthetic/branin" in single
    assert "testmo" not in single
    assert "## Multi-objective tasks: final hypervolume regret" in md
    hv = md.split("## Multi-objective tasks: final hypervolume regret", 1)[1]
    assert "| testmo/dtlz2_fid |" in hv
    assert "| testmo/zdt1 |" in hv
    assert "Friedman" in hv
    assert "Paired Wilcoxon" in hv
    assert "f1 (min), f2 (min), score (max)" in hv  # the tasks and their references
    assert f"their runs are scored like the others): {TPE}." in hv  # labelled as such
    assert f"| benchmark | random_search | test_lazy_random_search | {TPE} |" in hv
    latex = report.documents["latex"].read_text()
    assert "tab:final-hv-regret" in latex
    assert "tab:final-igd-plus" in latex
    assert "tab:final-regret" in latex
    html = report.documents["html"].read_text()
    for title in ("critical-difference diagram", "empirical attainment surfaces", "found fronts"):
        assert f"Multi-objective: {title}" in html
    names = {p.name for p in report.figures}
    assert {"mo_regret.png", "mo_fronts.png", "mo_attainment.png", "mo_cd.png", "regret.png"} <= names
    final = pd.read_csv(tmp_path / "report" / "mo_final.csv")
    assert len(final) == 2 * 3 * 3
    assert final["hv_regret"].between(0, 1).all()
    # the lazy random search wastes half its evaluations: never better than random search
    pivot = final.pivot_table(index=["benchmark", "seed"], columns="method", values="hv_regret")
    assert (pivot["test_lazy_random_search"] >= pivot["random_search"] - 1e-12).all()
    surfaces = pd.read_csv(tmp_path / "report" / "mo_attainment.csv")
    assert set(surfaces["benchmark"]) == {"testmo/zdt1"}  # two objectives only
    assert set(surfaces["quantile"]) == {0.25, 0.5, 0.75}
    assert set(surfaces["runs"]) == {3}
    curves = pd.read_csv(tmp_path / "report" / "mo_curves.csv")
    assert set(curves["benchmark"]) == {"testmo/zdt1", "testmo/dtlz2_fid"}


def _mo_runs_only(study: Path, dest: Path) -> Path:
    """A copy of the study's multi-objective runs alone."""
    (dest / "runs").mkdir(parents=True)
    for f in (study / "runs").iterdir():
        if f.name.startswith("testmo."):
            shutil.copy(f, dest / "runs" / f.name)
    return dest


def test_report_of_a_multi_objective_study_alone(mo_study: Path, tmp_path: Path) -> None:
    only = _mo_runs_only(mo_study, tmp_path / "only")
    report = write_report(only, axis=XAxis.BUDGET, formats=["md", "latex"])
    assert "## Final normalised regret" not in report.markdown
    assert "no evaluation" not in report.markdown
    assert "## Multi-objective tasks: final hypervolume regret" in report.markdown
    assert report.plot_path.name == "mo_regret.png"
    assert report.plot_path.is_file()


@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason=f"{CHROMIUM} is not installed")
def test_multi_objective_html_report_renders_its_plots_in_chromium(mo_study: Path, tmp_path: Path) -> None:
    only = _mo_runs_only(mo_study, tmp_path / "only")
    report = write_report(only, axis=XAxis.EVALS, formats=["html"])
    page = report.documents["html"]
    shown = screenshot(page, tmp_path / "page.png", tmp_path / "profile-a")
    bare = tmp_path / "bare.html"
    bare.write_text(re.sub(r'<img [^>]*src="data:image/png;base64,[^"]*">', "", page.read_text()))
    blank = screenshot(bare, tmp_path / "bare.png", tmp_path / "profile-b")
    assert colourful(blank) < 500, "the page without images should be black on white"
    assert colourful(shown) > 5_000, "the multi-objective plots did not render"
    assert np.any(np.abs(shown - blank) > 30, axis=2).mean() > 0.05


def test_cli_runs_and_reports_a_multi_objective_study(mo_family: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": pythonpath(mo_family), "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    run = hpobench(
        "run",
        "--benchmarks",
        "testmo/zdt1",
        "synthetic/branin",
        "--methods",
        "random_search",
        "tpe",
        "--scalarize",
        "tpe=weighted_sum:f1=1,f2=1",
        "--seeds",
        "0-1",
        "--budget",
        "10",
        "--jobs",
        "2",
        "--out",
        "study",
        cwd=tmp_path,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    report = hpobench("report", "study", "--format", "md", cwd=tmp_path, env=env)
    assert report.returncode == 0, report.stderr
    text = (tmp_path / "study" / "report" / "report.md").read_text()
    assert "| benchmark | random_search | tpe [scalarised: weighted_sum f1=1,f2=1] |" in text
    assert "| synthetic/branin | " in text  # the single-objective task, with plain tpe
