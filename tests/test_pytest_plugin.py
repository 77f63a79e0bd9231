"""The pytest plugin, driven through ``pytester``: a method author's benchmark file, run by pytest."""

from __future__ import annotations

import re
from pathlib import Path

import pandas.core.arrays.arrow.extension_types  # noqa: F401
import pytest

# pytester's in-process runs drop modules first imported inside them; import what the plugin uses
# here so that it stays loaded (pandas' Arrow extension types must not register twice)

pytest_plugins = ["pytester"]

CONFTEST = 'pytest_plugins = ["hpobench.testing.pytest_plugin"]\n'

SAMPLE = """
import pytest

from hpobench.testing.assertions import assert_beats, assert_not_worse

pytestmark = pytest.mark.hpo(benchmarks=["synthetic"])


def test_task_has_a_fidelity(hpo_benchmark):
    assert hpo_benchmark.task.fidelity is not None


@pytest.mark.hpo(methods=["hyperband", "random_search"])
def test_hyperband_beats_random_search(hpo_results):
    assert set(hpo_results["method"]) == {"hyperband", "random_search"}
    assert_beats("hyperband", "random_search", results=hpo_results)


@pytest.mark.hpo(methods=["random_search", "successive_halving"])
def test_not_worse_than_reference(hpo_benchmark, hpo_method, hpo_results, hpo_reference):
    assert set(hpo_results["benchmark"]) == {hpo_benchmark.task.name}
    assert set(hpo_results["method"]) == {hpo_method}
    assert_not_worse(hpo_results, hpo_reference(hpo_method))
"""

DEGRADED = """
import pytest

from hpobench.testing.assertions import assert_not_worse


@pytest.mark.hpo(benchmarks=["synthetic"], methods=["test_lazy_random_search"])
def test_new_version_not_worse(hpo_results, hpo_reference):
    assert_not_worse(hpo_results, hpo_reference("random_search"))


@pytest.mark.hpo(benchmarks=["synthetic"], methods=["test_same_random_search"])
def test_renamed_version_not_worse(hpo_results, hpo_reference):
    assert_not_worse(hpo_results, hpo_reference("random_search"))
"""


def planned(result: pytest.RunResult) -> tuple[int, int]:
    match = re.search(r"hpobench: (\d+) run\(s\) planned, (\d+) executed", result.stdout.str())
    assert match, result.stdout.str()
    return int(match[1]), int(match[2])


def test_sample_benchmark_file_runs_with_fixtures_markers_and_references(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider", "--hpo-seeds", "0-4")
    result.assert_outcomes(passed=3 + 1 + 6)
    # readable ids
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    ids = result.stdout.str()
    assert "test_task_has_a_fidelity[synthetic/branin]" in ids
    assert "test_not_worse_than_reference[synthetic/hartmann6-successive_halving]" in ids


def test_runs_are_planned_once_after_marker_and_keyword_selection(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_sample=SAMPLE)
    result = pytester.runpytest(
        "--strict-markers", "-p", "no:cacheprovider", "-m", "multifidelity", "-k", "branin"
    )
    result.assert_outcomes(passed=3, deselected=7)
    # branin only: random_search and successive_halving x 10 seeds (the hyperband test is deselected)
    assert planned(result) == (20, 20)
    again = pytester.runpytest("-p", "no:cacheprovider", "-k", "branin and random", "--hpo-seeds", "0-2")
    again.assert_outcomes(passed=1, deselected=9)
    assert planned(again) == (3, 3)


def test_markers_are_registered_for_strict_markers(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_marks="""
        import pytest

        @pytest.mark.fcnet
        @pytest.mark.tabular
        @pytest.mark.multifidelity
        @pytest.mark.surrogate
        @pytest.mark.synthetic
        @pytest.mark.taskset
        def test_marked():
            pass

        def test_tasks_carry_capability_marks(hpo_benchmark, request):
            names = {m.name for m in request.node.iter_markers()}
            family = hpo_benchmark.task.name.partition("/")[0]
            assert family in names
            assert ("multifidelity" in names) == (hpo_benchmark.task.fidelity is not None)
        """
    )
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider", "-m", "synthetic", "-v")
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["*test_marked PASSED*", "*test_tasks_carry_capability_marks?synthetic/branin? PASSED*"]
    )
    markers = pytester.runpytest("--markers").stdout.str()
    for name in ("hpo(", "multifidelity:", "tabular:", "fcnet:", "candidate_set:"):
        assert name in markers


def test_tasks_needing_data_skip_without_a_data_directory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HPOBENCH_DATA_DIR", raising=False)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_fc="def test_task(hpo_benchmark):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "-m", "fcnet", "-rs")
    assert result.ret == 0
    for task in ("naval_propulsion", "parkinsons_telemonitoring", "protein_structure", "slice_localization"):
        result.stdout.fnmatch_lines([f"SKIPPED*fcnet/{task} needs the benchmark data directory*"])


def test_degraded_plugin_fails_and_unchanged_passes(pytester: pytest.Pytester, regress_plugins: Path) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_degraded=DEGRADED)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_lazy_random_search is significantly worse than random_search (p = *",
            "*rank-biserial r = +1.00*",
        ]
    )


def test_update_reference_writes_the_store(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_ref="""
        import pytest
        from hpobench.testing.assertions import assert_not_worse

        @pytest.mark.hpo(benchmarks=["synthetic/branin"], methods=["hyperband"], seeds="0-2")
        def test_hb(hpo_results, hpo_reference):
            assert_not_worse(hpo_results, hpo_reference("hyperband"))
        """
    )
    store = tmp_path / "ref"
    missing = pytester.runpytest("-p", "no:cacheprovider", f"--hpo-reference-dir={store}")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*no reference runs in*"])
    update = pytester.runpytest(
        "-p", "no:cacheprovider", f"--hpo-reference-dir={store}", "--hpo-update-reference"
    )
    update.assert_outcomes(passed=1)
    update.stdout.fnmatch_lines(["*hpobench: updated reference hyperband (3 runs)*"])
    again = pytester.runpytest("-p", "no:cacheprovider", f"--hpo-reference-dir={store}")
    again.assert_outcomes(passed=1)
    other_budget = pytester.runpytest(
        "-p", "no:cacheprovider", f"--hpo-reference-dir={store}", "--hpo-budget", "5x"
    )
    other_budget.assert_outcomes(failed=1)
    other_budget.stdout.fnmatch_lines(["*no stored reference of hyperband at budget 5x*"])
