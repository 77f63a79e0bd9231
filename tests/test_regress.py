"""``hpobench regress``: stored reference runs, the paired test, and a degraded plugin that must fail."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hpobench import cli
from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.errors import HpobenchError
from hpobench.data.registry import load_method, task_info
from hpobench.evaluation import reference, regress, suites
from hpobench.testing.assertions import assert_beats, assert_not_worse, paired_comparison

SMOKE = ["--suite", "smoke", "--seeds", "0-9"]


def test_degraded_plugin_fails_regress(regress_plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["regress", "test_lazy_random_search", "--against", "random_search", *SMOKE])
    out = capsys.readouterr().out
    assert status == 1, out
    assert "REGRESSION: test_lazy_random_search is significantly worse than random_search" in out
    # the table names every task, then the test with its effect size
    for task in suites.SUITES["smoke"].benchmarks:
        assert task in out
    assert "one-sided Wilcoxon signed-rank" in out
    assert "rank-biserial r = +1.00" in out  # it is never better: it sees a prefix of the same draws


def test_unchanged_plugin_passes_regress(regress_plugins: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = cli.main(["regress", "test_same_random_search", "--against", "random_search", *SMOKE])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "ok: no significant regression" in out
    assert "p = 1," in out  # common random numbers: every (task, seed) pair reproduces its reference


def test_regress_needs_a_reference_to_compare_with(
    regress_plugins: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["regress", "test_same_random_search", *SMOKE]) == 2
    err = capsys.readouterr().err
    assert "no stored reference runs for method 'test_same_random_search'" in err
    assert "--against NAME" in err


def test_regress_rejects_seeds_outside_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["regress", "random_search", "--suite", "smoke", "--seeds", "10-11"]) == 2
    assert "stored seeds" in capsys.readouterr().err


def test_shipped_reference_covers_every_shipped_method_and_stays_small() -> None:
    store = reference.ReferenceStore(reference.default_reference_dir())
    total = sum(p.stat().st_size for p in store.path.iterdir())
    assert total < 2_000_000
    scores = store.scores()
    record = store.record()
    assert record["budget"] == str(suites.REFERENCE_BUDGET)
    assert record["seeds"] == list(suites.REFERENCE_SEEDS)
    shipped = reference.shipped_methods()
    assert set(reference.NOT_IN_SHIPPED_REFERENCE) <= set(shipped)  # every exclusion names a real method
    available = [
        m for m in shipped if reference._available(m) and m not in reference.NOT_IN_SHIPPED_REFERENCE
    ]
    assert sorted(scores["method"].unique()) == available
    for method in available:
        assert method in record["methods"]
        assert record["methods"][method]["runs"] > 0
        caps = load_method(method).capabilities
        for task in suites.SUITES["default"].benchmarks:
            runnable = not caps.requires_fidelity or task_info(BenchmarkSpec.parse(task)).multi_fidelity
            rows = scores[(scores["method"] == method) & (scores["benchmark"] == task)]
            assert len(rows) == (len(suites.REFERENCE_SEEDS) if runnable else 0), (method, task)
    assert (scores["status"] == "ok").all()
    assert np.isfinite(scores["normalized_regret"]).all()


def test_update_reference_then_regress_against_it(tmp_path: Path) -> None:
    store = reference.ReferenceStore(tmp_path / "ref")
    for method in ("random_search", "hyperband"):
        reference.update_reference(methods=[method], suite="smoke", seeds=[0, 1, 2], store=store, log=print)
    assert store.methods() == ["hyperband", "random_search"]  # the second update kept the first
    record = json.loads((store.path / "reference.json").read_text())
    assert set(record["methods"]) == {"hyperband", "random_search"}
    assert record["methods"]["hyperband"]["params"]["eta"] == 3
    same = regress.regress("hyperband", suite="smoke", seeds=[0, 1, 2], store=store)
    assert not same.regression
    assert same.comparison.n_tied == 9
    # random search, compared with the stored Hyperband runs, is a regression
    worse = regress.regress("random_search", against="hyperband", suite="smoke", store=store)
    assert worse.comparison.n_pairs == 9
    assert worse.regression, regress.format_result(worse)
    assert worse.comparison.n_worse > worse.comparison.n_better


def test_assert_not_worse_message_has_effect_size_and_p_value() -> None:
    rows = [
        {"benchmark": f"t{t}", "seed": s, "method": "m", "normalized_regret": 0.1 * t + 0.01 * s}
        for t in range(3)
        for s in range(6)
    ]
    reference = pd.DataFrame(rows)
    worse = reference.assign(method="m2", normalized_regret=reference["normalized_regret"] + 0.05)
    with pytest.raises(AssertionError) as info:
        assert_not_worse(worse, reference, alpha=0.05)
    message = str(info.value)
    assert "m2 is significantly worse than m" in message
    assert re.search(r"\(p = [0-9.e-]+ < alpha = 0.05", message)
    assert "difference +0.0500" in message
    assert "rank-biserial r = +1.00" in message
    assert "t2" in message  # the per-task table
    assert_not_worse(worse, reference, margin=0.06)  # within the margin
    assert_not_worse(reference, worse)
    assert_beats(reference, worse)
    with pytest.raises(AssertionError, match="does not significantly beat"):
        assert_beats(worse, reference)


def test_paired_comparison_needs_matching_budgets_and_pairs() -> None:
    a = pd.DataFrame({"benchmark": ["t"] * 3, "seed": [0, 1, 2], "method": "a", "normalized_regret": 0.1})
    with pytest.raises(ValueError, match="budgets differ"):
        paired_comparison(a.assign(budget="30x"), a.assign(budget="10x"))
    with pytest.raises(ValueError, match="share no"):
        paired_comparison(a, a.assign(seed=[5, 6, 7]))
    with pytest.raises(ValueError, match="several rows"):
        paired_comparison(pd.concat([a, a]), a)
    ties = paired_comparison(a, a)
    assert ties.pvalue == 1.0
    assert ties.n_tied == 3


def test_align_reference_refuses_a_moved_optimum() -> None:
    stored = pd.DataFrame(
        {"benchmark": ["t"], "seed": [0], "regret": [0.2], "normalized_regret": [0.1], "ref_best": [1.0],
         "ref_worst": [3.0]}
    )  # fmt: skip
    now = stored.assign(ref_worst=5.0)
    assert regress.align_reference(stored, now)["normalized_regret"].iloc[0] == pytest.approx(0.05)
    with pytest.raises(HpobenchError, match="optimum of t changed"):
        regress.align_reference(stored, now.assign(ref_best=0.5))


def test_regress_names_the_versions_that_differ_from_the_references_record(tmp_path: Path) -> None:
    store = reference.ReferenceStore(tmp_path / "ref")
    reference.update_reference(methods=["random_search"], suite="smoke", seeds=[0], store=store, log=print)
    same = regress.regress("random_search", suite="smoke", seeds=[0], store=store)
    assert same.environment == ()
    assert "note:" not in regress.format_result(same)
    path = store.path / "reference.json"
    record = json.loads(path.read_text())
    versions = record["methods"]["random_search"]["versions"]
    current = versions["numpy"]
    versions.update({"numpy": "0.0.1", "platform": "another machine", "only_in_the_reference": "1.0"})
    path.write_text(json.dumps(record))
    other = regress.regress("random_search", suite="smoke", seeds=[0], store=store)
    assert not other.regression  # the same runs: only the note changes
    (note,) = other.environment
    assert note.startswith(
        f"the stored reference of random_search was made with other versions than these runs: "
        f"numpy 0.0.1 -> {current}; only_in_the_reference 1.0 -> unrecorded; "
    )
    assert "platform" not in note  # the kernel's build differs between machines of one kind
    assert f"note: {note}" in regress.format_result(other)


def test_environment_notes_compare_what_the_reference_records() -> None:
    ref = {"numpy": "2.4.6", "pandas": "2.3.3", "python": "3.11.7", "platform": "a"}
    runs = [{"numpy": "2.4.6", "pandas": "3.1.1", "python": "3.11.7", "platform": "b", "torch": "2.13.0"}] * 2
    (note,) = regress.environment_notes(ref, runs, against="gp_bo")
    assert "pandas 2.3.3 -> 3.1.1;" in note
    assert "torch 2" not in note  # not in the reference's record: nothing to compare with
    assert regress.environment_notes(ref, [{**ref, "platform": "c"}], against="gp_bo") == ()
    assert regress.environment_notes(None, runs, against="gp_bo") == ()
    assert regress.environment_notes(ref, [], against="gp_bo") == ()
