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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from hpobench.contracts.benchmark import Benchmark, BenchmarkSpec, TaskInfo
from hpobench.contracts.budget import Budget
from hpobench.contracts.errors import HpobenchError
from hpobench.data import registry
from hpobench.data.datadir import ENV_VAR, resolve_data_dir
from hpobench.evaluation.scoring import score_study
from hpobench.execution.planning import StudyPlan, plan_study
from hpobench.execution.runspec import RunSpec
from hpobench.execution.study import StudySummary, run_study
from hpobench.pytest_options import DEFAULT_BUDGET, DEFAULT_SEEDS, add_hpo_options

__all__ = ["HpoOptions", "SessionStudy", "hpo_marker_names"]

CAPABILITY_MARKERS = {
    "tabular": "tasks answered from tables of recorded training runs",
    "surrogate": "tasks answered by a fitted surrogate model",
    "synthetic": "synthetic test functions",
    "multifidelity": "tasks with a fidelity (epochs, steps, subsets)",
    "candidate_set": "tasks whose space is a finite list of configurations",
    "learning_curves": "tasks with recorded learning curves",
    "multi_objective": "tasks with several objectives (scored by hypervolume regret)",
}
_HPO_MARKER = (
    "hpo(methods=(), baselines=(), benchmarks=(), seeds=None, budget=None, method_kwargs=None): "
    "the hpobench study behind a test (hpobench.testing.pytest_plugin)"
)
_STUDY_FIXTURES = ("hpo_results", "hpo_reference")


def _parse_seeds(text: str) -> tuple[int, ...]:
    seeds: list[int] = []
    for part in str(text).split(","):
        lo, sep, hi = part.strip().partition("-")
        seeds.extend(range(int(lo), int(hi) + 1) if sep else [int(lo)])
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds must be non-negative integers, got {text!r}")
    return tuple(dict.fromkeys(seeds))


def _marker_name(tag: str) -> str:
    return tag.replace("multi-fidelity", "multifidelity").replace("-", "_")


def task_markers(info: TaskInfo) -> list[str]:
    """Marker names of a task: its family, its tags, and its capabilities.

    ``multifidelity`` if it has a fidelity, ``multi_objective`` if its family declares it
    multi-objective (:attr:`~hpobench.contracts.benchmark.TaskInfo.multi_objective`).
    """
    names = {info.name.partition("/")[0], *(_marker_name(t) for t in info.tags)}
    if info.multi_fidelity:
        names.add("multifidelity")
    if info.multi_objective:
        names.add("multi_objective")
    return sorted(n for n in names if n.isidentifier())


def _all_tasks(data_dir: Path | None = None) -> list[TaskInfo]:
    out: list[TaskInfo] = []
    for family in registry.family_names(data_dir=data_dir):
        try:
            out.extend(registry.load_family(family, data_dir=data_dir).tasks())
        except HpobenchError:  # a broken third-party family must not break every session
            continue
    return out


def hpo_marker_names(data_dir: Path | None = None) -> dict[str, str]:
    """Every marker the plugin registers, with its description (table folders of ``data_dir`` too)."""
    markers = {"hpo": _HPO_MARKER.partition(": ")[2], **CAPABILITY_MARKERS}
    for info in _all_tasks(data_dir):
        for name in task_markers(info):
            markers.setdefault(name, f"hpobench tasks tagged {name!r}")
    return markers


@dataclass(frozen=True, kw_only=True)
class HpoOptions:
    """The session's hpobench options.

    Attributes:
        seeds: ``--hpo-seeds`` (``None``: the marker's or :data:`DEFAULT_SEEDS`).
        budget: ``--hpo-budget`` (``None``: the marker's or :data:`DEFAULT_BUDGET`).
        jobs: ``--hpo-jobs``.
        data_dir: ``--hpo-data-dir`` or ``$HPOBENCH_DATA_DIR``.
        update_reference: ``--hpo-update-reference``.
        out: ``--hpo-out`` (``None``: a session temporary directory).
        reference_dir: ``--hpo-reference-dir`` / ini ``hpo_reference_dir`` (``None``: packaged).
    """

    seeds: tuple[int, ...] | None
    budget: Budget | None
    jobs: int
    data_dir: Path | None
    update_reference: bool
    out: Path | None
    reference_dir: Path | None

    @classmethod
    def from_config(cls, config: pytest.Config) -> HpoOptions:
        """Read the options (raising ``pytest.UsageError`` for bad values)."""
        try:
            seeds = config.getoption("hpo_seeds")
            budget = config.getoption("hpo_budget")
            ref = config.getoption("hpo_reference_dir") or config.getini("hpo_reference_dir") or None
            out = config.getoption("hpo_out")
            return cls(
                seeds=None if seeds is None else _parse_seeds(seeds),
                budget=None if budget is None else Budget.parse(budget),
                jobs=int(config.getoption("hpo_jobs")),
                data_dir=resolve_data_dir(config.getoption("hpo_data_dir")),
                update_reference=bool(config.getoption("hpo_update_reference")),
                out=None if out is None else Path(out),
                reference_dir=None if ref is None else Path(config.rootpath, str(ref)),
            )
        except (ValueError, HpobenchError) as exc:
            raise pytest.UsageError(f"hpobench: {exc}") from exc


@dataclass(frozen=True, kw_only=True)
class _Declaration:
    methods: tuple[str, ...] = ()
    baselines: tuple[str, ...] = ()
    benchmarks: tuple[str, ...] = ()
    seeds: tuple[int, ...] | None = None
    budget: Budget | None = None
    method_kwargs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


_KEYS = ("methods", "baselines", "benchmarks", "seeds", "budget", "method_kwargs")


def _declaration(node: Any) -> _Declaration:
    """Merge the ``hpo`` markers of a test and its parents (closest value of each key wins)."""
    found: dict[str, Any] = {}
    for mark in node.iter_markers("hpo"):
        if mark.args:
            raise pytest.UsageError(f"{node.nodeid}: use keyword arguments in @pytest.mark.hpo({_KEYS})")
        unknown = set(mark.kwargs) - set(_KEYS)
        if unknown:
            raise pytest.UsageError(f"{node.nodeid}: unknown @pytest.mark.hpo keys {sorted(unknown)}")
        for key, value in mark.kwargs.items():
            found.setdefault(key, value)
    try:
        seeds = found.get("seeds")
        budget = found.get("budget")
        return _Declaration(
            methods=_names(found.get("methods", ())),
            baselines=_names(found.get("baselines", ())),
            benchmarks=_names(found.get("benchmarks", ())),
            seeds=None if seeds is None else _parse_seeds(",".join(map(str, _names(seeds)))),
            budget=None if budget is None else Budget.parse(str(budget)),
            method_kwargs=dict(found.get("method_kwargs") or {}),
        )
    except ValueError as exc:
        raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.hpo: {exc}") from exc


def _names(value: str | int | Sequence[Any]) -> tuple[Any, ...]:
    if isinstance(value, (str, int)):
        return (value,)
    return tuple(value)


def _benchmarks(decl: _Declaration, node: Any, data_dir: Path | None) -> list[BenchmarkSpec]:
    try:
        if decl.benchmarks:
            return registry.expand_benchmarks(list(decl.benchmarks), data_dir=data_dir)
        return [BenchmarkSpec.parse(i.name) for i in _all_tasks(data_dir)]
    except HpobenchError as exc:
        raise pytest.UsageError(f"{node.nodeid}: @pytest.mark.hpo: {exc}") from exc


def _methods(decl: _Declaration) -> tuple[str, ...]:
    return decl.methods or tuple(registry.method_names())


def _unrunnable(
    spec: BenchmarkSpec | None, method: str | None, options: HpoOptions
) -> tuple[list[Any], str | None]:
    """Marks for a parameter and why it cannot run here (``None`` if it can)."""
    marks: list[Any] = []
    reason = None
    if spec is not None:
        info = registry.task_info(spec, data_dir=options.data_dir)
        marks += [getattr(pytest.mark, name) for name in task_markers(info)]
        if info.needs_data and options.data_dir is None:
            reason = f"{spec.name} needs the benchmark data directory (--hpo-data-dir or ${ENV_VAR})"
    if method is not None and reason is None:
        try:
            cls = registry.load_method(method)
        except HpobenchError as exc:
            return marks, str(exc)
        missing = [m for m in cls.requires if _find_spec(m) is None]
        if missing:
            reason = f"{method} needs the optional package(s) {', '.join(missing)}"
        elif (
            spec is not None
            and cls.capabilities.requires_fidelity
            and not registry.task_info(spec, data_dir=options.data_dir).multi_fidelity
        ):
            reason = f"{method} needs a multi-fidelity task and {spec.name} has no fidelity"
    return marks, reason


def _find_spec(module: str) -> object:
    import importlib.util

    return importlib.util.find_spec(module)


def _options(config: pytest.Config) -> HpoOptions:
    return config.stash[_STATE].options


class SessionStudy:
    """The runs of every selected test, planned once after collection and executed once.

    Attributes:
        plan: Union of the runs of every selected test (deduplicated), in collection order.
        out: The study directory.
    """

    def __init__(self, *, plan: StudyPlan, out: Path, options: HpoOptions) -> None:
        self.plan = plan
        self.out = out
        self.options = options
        self.summary: StudySummary | None = None
        self._scores: pd.DataFrame | None = None

    def scores(self, run_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """Score frame of ``run_ids`` (all planned runs by default), executing the plan first.

        The first call runs every planned run (``--hpo-jobs`` processes); later calls only select.
        """
        if self._scores is None:
            if self.plan.runs:
                self.summary = run_study(
                    self.plan,
                    out=self.out,
                    jobs=self.options.jobs,
                    data_dir=self.options.data_dir,
                    progress=False,
                )
                self._scores = score_study(self.out, run_ids=[r.run_id for r in self.plan.runs])
            else:
                self._scores = pd.DataFrame()
        if run_ids is None:
            return self._scores
        return self._scores[self._scores["run_id"].isin(list(run_ids))].reset_index(drop=True)


@dataclass(frozen=True, kw_only=True)
class _ItemStudy:
    benchmarks: tuple[str, ...]
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    budget: Budget
    runs: tuple[RunSpec, ...]
    skipped: tuple[str, ...]
    error: str | None = None


@dataclass
class _State:
    options: HpoOptions
    items: dict[str, _ItemStudy] = field(default_factory=dict)
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
        config.addinivalue_line("markers", _HPO_MARKER if name == "hpo" else f"{name}: {text}")
    config.stash[_STATE] = _State(options=options)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrise ``hpo_benchmark`` / ``hpo_method`` over the registry (or the ``hpo`` marker)."""
    wants_b = "hpo_benchmark" in metafunc.fixturenames
    wants_m = "hpo_method" in metafunc.fixturenames
    if not (wants_b or wants_m):
        return
    options = _options(metafunc.config)
    decl = _declaration(metafunc.definition)
    specs: list[BenchmarkSpec | None] = (
        list(_benchmarks(decl, metafunc.definition, options.data_dir)) if wants_b else [None]
    )
    methods: list[str | None] = list(_methods(decl)) if wants_m else [None]
    params = []
    for spec in specs:
        for method in methods:
            marks, reason = _unrunnable(spec, method, options)
            if reason is not None:
                marks.append(pytest.mark.skip(reason=reason))
            value = tuple(v for v in (spec.name if spec else None, method) if v is not None)
            params.append(pytest.param(*value, marks=marks, id="-".join(value)))
    names = [n for n, w in (("hpo_benchmark", wants_b), ("hpo_method", wants_m)) if w]
    metafunc.parametrize(names, params, indirect=True)


def _item_study(item: pytest.Item, options: HpoOptions) -> _ItemStudy:
    decl = _declaration(item)
    params = getattr(getattr(item, "callspec", None), "params", {})
    budget = options.budget or decl.budget or Budget.parse(DEFAULT_BUDGET)
    seeds = options.seeds or decl.seeds or _parse_seeds(DEFAULT_SEEDS)
    if "hpo_benchmark" in params:
        specs = [BenchmarkSpec.parse(params["hpo_benchmark"])]
    else:
        specs = [
            s for s in _benchmarks(decl, item, options.data_dir) if _unrunnable(s, None, options)[1] is None
        ]
    methods = (params["hpo_method"],) if "hpo_method" in params else decl.methods
    methods = tuple(dict.fromkeys((*methods, *decl.baselines)))
    names = tuple(s.name for s in specs)
    if not methods:
        return _ItemStudy(
            benchmarks=names,
            seeds=seeds,
            budget=budget,
            methods=(),
            runs=(),
            skipped=(),
            error="name the methods: @pytest.mark.hpo(methods=[...])",
        )
    kwargs = {m: decl.method_kwargs[m] for m in methods if m in decl.method_kwargs}
    try:
        plan = plan_study(
            benchmarks=specs,
            methods=list(methods),
            seeds=seeds,
            budget=budget,
            method_kwargs=kwargs,
            data_dir=options.data_dir,
        )
    except (HpobenchError, ValueError) as exc:
        return _ItemStudy(
            benchmarks=names, seeds=seeds, budget=budget, methods=methods, runs=(), skipped=(), error=str(exc)
        )
    skipped = tuple(f"{s.benchmark} x {s.method}: {s.reason}" for s in plan.skipped)
    return _ItemStudy(
        benchmarks=names, seeds=seeds, budget=budget, methods=methods, runs=plan.runs, skipped=skipped
    )


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
        study = _item_study(item, state.options)
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


def _this_study(request: pytest.FixtureRequest) -> _ItemStudy:
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
