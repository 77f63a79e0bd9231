"""pytest plugin: benchmark files for HPO methods, run as ordinary pytest tests.

Opt-in, on purpose. Enable it in the ``conftest.py`` at the root of your test suite::

    pytest_plugins = ["hpobench.testing.pytest_plugin"]

or for one session with ``pytest -p hpobench.testing.pytest_plugin``. The plugin is *not* registered
under the ``pytest11`` entry point: such plugins load in every pytest session of every
environment where hpobench is installed, so unrelated test suites would get our markers and
collection hooks, pay for importing numpy/pandas/scipy at start-up, and could break on a name
clash (a ``tabular`` or ``synthetic`` marker of their own). A benchmark suite is a dependency
people install next to their own code; it should stay out of its way until asked. Only its
options are registered early, by :mod:`hpobench.pytest_options` (standard library only), so
that ``--hpo-data-dir DIR`` parses even when the plugin is enabled in a ``conftest.py``.

What it provides:

* Fixtures. ``hpo_benchmark`` (a loaded :class:`~hpobench.Benchmark`) and ``hpo_method`` (a
  registered method name) are parametrised over the registry, with readable ids
  (``fcnet/protein_structure``, ``hyperband``; a test that asks for both gets
  ``synthetic/branin-hyperband``) and marks derived from task capabilities. ``hpo_results`` is
  the score frame (one row per run: final normalised regret, see :mod:`hpobench.evaluation.scoring`) of the
  test's runs, ``hpo_reference(method)`` the stored reference runs of ``method`` on the same
  tasks, seeds and budget, ``hpo_study`` the session's study and ``hpo_options`` the options.
* Markers. ``@pytest.mark.hpo(methods=..., baselines=..., benchmarks=..., seeds=..., budget=...,
  method_kwargs=...)`` declares the study behind a test (on a test, class or module; the closest
  value of each key wins). Task markers (registered, so ``--strict-markers`` works):
  ``tabular``, ``surrogate``, ``synthetic``, ``multifidelity``, ``candidate_set``,
  ``learning_curves``, ``multi_objective`` (tasks scored by hypervolume regret: ``hpo_results``
  then holds it in ``normalized_regret``, with ``metric == "hv_regret"``) and one per family
  name (``fcnet``, ``taskset``, ...): select with ``-m "multifidelity and not synthetic"`` and
  ``-k protein``.
* Options. ``--hpo-seeds`` (default ``0-9``, the stored reference seeds), ``--hpo-budget``
  (default ``30x``, the reference budget), ``--hpo-jobs`` (joblib processes),
  ``--hpo-data-dir`` (default ``$HPOBENCH_DATA_DIR``), ``--hpo-update-reference`` (store this
  session's results as the reference instead of comparing), ``--hpo-out`` (keep and resume the
  runs) and ``--hpo-reference-dir`` (or the ini key ``hpo_reference_dir``; default: the
  reference store shipped with hpobench). Options override the marker's seeds and budget.

Lifecycle: after collection (so after ``-m``/``-k`` deselection) the plugin plans the runs of
every selected test; the first test that needs results executes the whole plan once, fanned
out over ``--hpo-jobs`` processes; every test then asserts on its own slice of the results.

Rooms: this module holds the hooks and fixtures; the markers are in ``_plugin_markers``, the
options in ``_plugin_options``, a test's declaration and runs and the session study in
``_plugin_study`` (all in :mod:`hpobench.testing`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from hpobench.contracts.benchmark import Benchmark, BenchmarkSpec
from hpobench.contracts.errors import HpobenchError
from hpobench.data import registry
from hpobench.execution.planning import StudyPlan
from hpobench.execution.runspec import RunSpec
from hpobench.pytest_options import add_hpo_options
from hpobench.testing._plugin_markers import HPO_MARKER, hpo_marker_names, task_markers
from hpobench.testing._plugin_options import HpoOptions
from hpobench.testing._plugin_study import (
    ItemStudy,
    SessionStudy,
    declaration_of,
    declared_benchmarks,
    declared_methods,
    item_study,
    unrunnable,
)

__all__ = ["HpoOptions", "SessionStudy", "hpo_marker_names", "task_markers"]

_STUDY_FIXTURES = ("hpo_results", "hpo_reference")


def _options(config: pytest.Config) -> HpoOptions:
    return config.stash[_STATE].options


@dataclass
class _State:
    options: HpoOptions
    items: dict[str, ItemStudy] = field(default_factory=dict)
    plan: StudyPlan = field(default_factory=lambda: StudyPlan(runs=()))
    updated: list[str] = field(default_factory=list)
    study: SessionStudy | None = None


_STATE = pytest.StashKey[_State]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``--hpo-*`` options unless :mod:`hpobench.pytest_options` already did."""
    add_hpo_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers and read the options."""
    options = HpoOptions.from_config(config)
    for name, text in hpo_marker_names(options.data_dir).items():
        config.addinivalue_line("markers", HPO_MARKER if name == "hpo" else f"{name}: {text}")
    config.stash[_STATE] = _State(options=options)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``hpo_benchmark`` / ``hpo_method`` over the registry (or the ``hpo`` marker)."""
    wants_b = "hpo_benchmark" in metafunc.fixturenames
    wants_m = "hpo_method" in metafunc.fixturenames
    if not (wants_b or wants_m):
        return
    options = _options(metafunc.config)
    decl = declaration_of(metafunc.definition)
    specs: list[BenchmarkSpec | None] = (
        list(declared_benchmarks(decl, metafunc.definition, options.data_dir)) if wants_b else [None]
    )
    methods: list[str | None] = list(declared_methods(decl)) if wants_m else [None]
    params = []
    for spec in specs:
        for method in methods:
            marks, reason = unrunnable(spec, method, options)
            if reason is not None:
                marks.append(pytest.mark.skip(reason=reason))
            value = tuple(v for v in (spec.name if spec else None, method) if v is not None)
            params.append(pytest.param(*value, marks=marks, id="-".join(value)))
    names = [n for n, w in (("hpo_benchmark", wants_b), ("hpo_method", wants_m)) if w]
    metafunc.parametrize(names, params, indirect=True)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Plan the runs of every selected test that needs results (after -m/-k deselection)."""
    state = session.config.stash[_STATE]
    runs: dict[str, RunSpec] = {}
    for item in session.items:
        if not any(f in getattr(item, "fixturenames", ()) for f in _STUDY_FIXTURES):
            continue
        if item.get_closest_marker("skip") is not None:
            continue
        study = item_study(item, state.options)
        state.items[item.nodeid] = study
        for run in study.runs:
            runs.setdefault(run.run_id, run)
    state.plan = StudyPlan(runs=tuple(runs.values()))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Say how many runs the session planned and executed, and which references it updated."""
    state = config.stash.get(_STATE, None)
    if state is None or not state.plan.runs:
        return
    study = state.study
    line = f"hpobench: {len(state.plan.runs)} run(s) planned"
    if study is not None and study.summary is not None:
        summary = study.summary
        line += f", {summary.executed} executed, {summary.resumed} resumed, {len(summary.failed)} failed"
        line += f" (in {study.out})"
    terminalreporter.write_line(line)
    for text in state.updated:
        terminalreporter.write_line(f"hpobench: updated reference {text}")


@pytest.fixture(scope="session")
def hpo_options(pytestconfig: pytest.Config) -> HpoOptions:
    """The session's hpobench options."""
    return _options(pytestconfig)


@pytest.fixture(scope="session")
def hpo_study(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> SessionStudy:
    """The session's study: every selected test's runs, executed once on first use."""
    state = pytestconfig.stash[_STATE]
    out = state.options.out or tmp_path_factory.mktemp("hpobench-study")
    study = SessionStudy(plan=state.plan, out=out, options=state.options)
    state.study = study
    return study


_LOADED: dict[tuple[str, str], Benchmark] = {}


@pytest.fixture
def hpo_benchmark(request: pytest.FixtureRequest, hpo_options: HpoOptions) -> Benchmark:
    """The parametrised task, loaded (once per session and task)."""
    name = str(request.param)
    key = (name, str(hpo_options.data_dir))
    if key not in _LOADED:
        _LOADED[key] = registry.load_benchmark(name, data_dir=hpo_options.data_dir)
    return _LOADED[key]


@pytest.fixture
def hpo_method(request: pytest.FixtureRequest) -> str:
    """The parametrised method name."""
    return str(request.param)


def _this_study(request: pytest.FixtureRequest) -> ItemStudy:
    study = request.config.stash[_STATE].items.get(request.node.nodeid)
    if study is None:  # pragma: no cover - only when the planning hook did not run
        pytest.fail("hpobench: this test was not planned (is the plugin loaded as a plugin?)")
    if study.error is not None:
        pytest.fail(f"hpobench: {study.error}", pytrace=False)
    if not study.runs:
        pytest.skip("hpobench: no runnable pairing: " + "; ".join(study.skipped))
    return study


@pytest.fixture
def hpo_results(request: pytest.FixtureRequest, hpo_study: SessionStudy) -> pd.DataFrame:
    """Score frame of this test's runs (its tasks x methods x seeds at its budget).

    One row per run with ``benchmark``, ``method``, ``method_name``, ``seed``, ``budget``,
    ``status``, ``normalized_regret``, ... (:data:`hpobench.evaluation.scoring.SCORE_COLUMNS`).
    """
    study = _this_study(request)
    return hpo_study.scores([r.run_id for r in study.runs])


@pytest.fixture
def hpo_reference(
    request: pytest.FixtureRequest, hpo_study: SessionStudy, hpo_options: HpoOptions
) -> Callable[[str], pd.DataFrame]:
    """``hpo_reference(method)``: the stored reference runs of ``method`` for this test's runs.

    Selects the stored runs on this test's tasks and seeds at its budget; fails when some are
    missing. With ``--hpo-update-reference`` it first stores this session's results of
    ``method`` (replacing stored runs of the same task and seed) and returns them.
    """
    from hpobench.evaluation.reference import ReferenceStore, default_reference_dir
    from hpobench.evaluation.regress import align_reference

    study = _this_study(request)
    store = ReferenceStore(hpo_options.reference_dir or default_reference_dir())
    state = request.config.stash[_STATE]

    def reference(method: str) -> pd.DataFrame:
        own = hpo_study.scores([r.run_id for r in study.runs if r.method == method])
        if hpo_options.update_reference:
            if own.empty:
                pytest.fail(f"hpobench: {method} is not among this test's methods {study.methods}")
            store.upsert(own.assign(method=method), {"updated_by": "pytest --hpo-update-reference"})
            state.updated.append(f"{method} ({len(own)} runs) in {store.path}")
        try:
            stored = store.select(method, benchmarks=study.benchmarks, seeds=study.seeds)
        except HpobenchError as exc:
            pytest.fail(f"hpobench: {exc}", pytrace=False)
        stored = stored[stored["budget"].astype(str) == str(study.budget)]
        pairs = {(r.benchmark.name, r.seed) for r in study.runs if own.empty or r.method == method}
        have = set(zip(stored["benchmark"], stored["seed"].astype(int), strict=True))
        missing = sorted(pairs - have)
        if missing:
            shown = ", ".join(f"{b} seed {s}" for b, s in missing[:5])
            pytest.fail(
                f"hpobench: no stored reference of {method} at budget {study.budget} for {len(missing)} "
                f"(task, seed) pair(s) ({shown}, ...) in {store.path}; "
                "store them with --hpo-update-reference",
                pytrace=False,
            )
        current = own if not own.empty else hpo_study.scores([r.run_id for r in study.runs])
        try:
            return align_reference(stored, current)
        except HpobenchError as exc:
            pytest.fail(f"hpobench: {exc}", pytrace=False)

    return reference


def pytest_unconfigure(config: pytest.Config) -> None:
    """Forget loaded benchmarks (they can be large tables)."""
    _LOADED.clear()
