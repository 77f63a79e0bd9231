"""Compliance checks for HPO method plugins, in the spirit of scikit-learn's ``check_estimator``.

A method author runs them on their own plugin, on a task the method can handle::

    from hpobench.testing.methods import check_method

    check_method(MyMethod, task, kwargs={"eta": 3})

or gets one pytest test per check::

    @pytest.mark.parametrize(("name", "check"), list(method_checks(MyMethod, task)))
    def test_compliance(name, check):
        check()

Every check raises :class:`AssertionError` with a message that names the violated contract.
Without a benchmark, trials are evaluated by a small deterministic objective of the encoded
configuration values (no use of Python's salted ``hash``) with cost 1.0.

The harness the checks drive a method with (objectives, setup, the ask/tell loop) is in
:mod:`hpobench.testing._method_harness`; this module holds the checks.
"""

from __future__ import annotations

import functools
import inspect
import multiprocessing
import os
import pickle
import random
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import Benchmark
from hpobench.contracts.errors import InvalidConfigError
from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.types import Task, Trial
from hpobench.testing._method_harness import (
    Failing,
    Setup,
    drive,
    first_difference,
    trajectory_in_child,
)

__all__ = ["check_method", "method_checks"]


def _equal(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # e.g. numpy arrays have no single truth value
        return False


# ---------------------------------------------------------------------------------------------
# The checks. Each takes the setup and raises AssertionError on a violation.


def _check_init_params(setup: Setup) -> None:
    """``__init__`` takes keyword-only hyperparameters and stores each under its own name."""
    cls = setup.method_cls
    if not isinstance(cls.capabilities, Capabilities):
        raise AssertionError(f"{cls.__name__}.capabilities must be a Capabilities instance")
    signature = inspect.signature(cls.__init__)
    seed = signature.parameters.get("seed")
    if seed is None or seed.kind is not inspect.Parameter.KEYWORD_ONLY:
        raise AssertionError(f"{cls.__name__}.__init__ must take `seed` as a keyword-only parameter")
    try:
        names = cls.param_names()
    except TypeError as exc:
        raise AssertionError(str(exc)) from None
    unknown = sorted(set(setup.kwargs) - set(names))
    if unknown:
        raise AssertionError(f"{cls.__name__}.__init__ has no keyword hyperparameter(s) {unknown}")
    method = setup.make()
    if method.task is not setup.task or method.seed != setup.seed:
        raise AssertionError(f"{cls.__name__}.__init__ must pass task and seed to Method.__init__")
    try:
        params = method.params()
    except AttributeError as exc:
        raise AssertionError(
            f"{cls.__name__} must store each __init__ hyperparameter under an attribute of the same "
            f"name: {exc}"
        ) from None
    for name in names:
        given = name in setup.kwargs
        expected = setup.kwargs[name] if given else signature.parameters[name].default
        if expected is inspect.Parameter.empty:
            continue
        if not _equal(params[name], expected):
            what = "given" if given else "default"
            raise AssertionError(
                f"{cls.__name__}.params()[{name!r}] is {params[name]!r}, not the {what} value {expected!r}; "
                "constructors must store hyperparameters unchanged (derive state under private names)"
            )
    again = cls(setup.task, seed=setup.seed, **params).params()
    if not all(_equal(again[k], params[k]) for k in names):
        raise AssertionError(f"{cls.__name__}(**params()) does not reproduce params(): {again} vs {params}")


def _check_proposals_valid(setup: Setup) -> None:
    """Proposals lie in the space and the fidelity range; ``None`` only while trials are in flight."""
    drive(setup.make(), setup.objective(), setup.n_steps)


def _check_parallel_workers(setup: Setup) -> None:
    """With four workers and out-of-order results, the method neither stalls nor raises."""
    drive(setup.make(), setup.objective(), setup.n_steps, n_workers=4)


def _check_deterministic(setup: Setup) -> None:
    """The same seed gives the same trajectory."""
    first = drive(setup.make(), setup.objective(), setup.n_steps)
    second = drive(setup.make(), setup.objective(), setup.n_steps)
    if first != second:
        raise AssertionError(
            f"two runs with seed={setup.seed} differ ({first_difference(first, second)}); all "
            "randomness must come from a generator created from `seed`"
        )


_SPAWNED: dict[str, Any] = {}
"""The one-process "spawn" pool of :func:`_spawned_pool` and the start-up state it was made with."""


def _spawned_pool() -> ProcessPoolExecutor:
    """A pool of one process started with "spawn", kept for later checks of this process.

    Starting an interpreter and importing a method's packages (torch, say) costs seconds, so the
    process is reused while what a spawned process inherits is unchanged: ``sys.path``, the
    working folder and the environment (but pytest's ``PYTEST_CURRENT_TEST``, which names the
    test that is running); when any of them changed (another plugin folder, say),
    a new one is started, and after the process died, too.
    """
    environ = sorted((k, v) for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST")
    state = (tuple(sys.path), os.getcwd(), tuple(environ))
    pool = _SPAWNED.get("pool")
    if pool is None or _SPAWNED.get("state") != state:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        _SPAWNED.update(pool=pool, state=state)
    return pool


def _check_deterministic_in_spawned_process(setup: Setup) -> None:
    """The same seed gives the same trajectory in another interpreter, started with "spawn".

    That interpreter shares no state with this one and salts ``hash()`` differently. It is kept
    for the checks that follow (:func:`_spawned_pool`); what earlier runs there leave behind
    could only matter to a method that :func:`_check_deterministic` already fails. Uses the
    internal objective on both sides, so the benchmark need not be picklable.
    """
    plain = Setup(
        method_cls=setup.method_cls, task=setup.task, benchmark=None, seed=setup.seed,
        n_steps=setup.n_steps, kwargs=dict(setup.kwargs),
    )  # fmt: skip
    here = trajectory_in_child(plain)
    try:
        there = _spawned_pool().submit(trajectory_in_child, plain).result()
    except BrokenProcessPool:
        _SPAWNED.clear()  # the process died: the next check starts another
        raise
    if here != there:
        raise AssertionError(
            f"the trajectory for seed={setup.seed} differs in a fresh process "
            f"({first_difference(here, there)}); "
            "do not depend on Python's salted hash(), set iteration order or process-global state"
        )


def _check_seed_matters(setup: Setup) -> None:
    """Different seeds give different trajectories."""
    first = drive(setup.make(), setup.objective(), setup.n_steps)
    other = drive(setup.make(setup.seed + 1), setup.objective(), setup.n_steps)
    if first == other:
        raise AssertionError(
            f"seeds {setup.seed} and {setup.seed + 1} give identical trajectories; use `seed`"
        )


def _check_no_global_rng(setup: Setup) -> None:
    """Neither construction nor a run touches numpy's or Python's global random state."""
    np_state = pickle.dumps(np.random.get_state())  # noqa: NPY002  # the global state is what we watch
    py_state = random.getstate()
    drive(setup.make(), setup.objective(), setup.n_steps)
    np_after = pickle.dumps(np.random.get_state())  # noqa: NPY002  # see above
    if np_after != np_state or random.getstate() != py_state:
        raise AssertionError(
            f"{setup.method_cls.__name__} used the global random state; draw from "
            "np.random.default_rng(seed) owned by the instance"
        )


def _check_failed_evaluations(setup: Setup) -> None:
    """FAILED evaluations with NaN values are accepted, and the method keeps proposing."""
    drive(setup.make(), Failing(setup.objective(), setup.task, every=3), setup.n_steps, n_workers=2)
    drive(setup.make(), Failing(setup.objective(), setup.task, every=1), setup.n_steps)


def _check_pickle_mid_run(setup: Setup) -> None:
    """A method pickled mid-run (between a tell and the next ask) continues exactly like the original."""
    name = setup.method_cls.__name__
    method = setup.make()
    evaluate = setup.objective()
    in_flight: list[Trial] = []
    half = setup.n_steps // 2
    drive(method, evaluate, half, n_workers=2, in_flight=in_flight)
    while in_flight:  # drain: in-flight trials are the runner's objects and need not pickle
        method.tell(evaluate(in_flight.pop()))
    try:
        clone = pickle.loads(pickle.dumps(method))
    except Exception as exc:
        raise AssertionError(
            f"{name} cannot be pickled mid-run ({type(exc).__name__}: {exc}); store no lambdas, "
            "generators or open resources as state"
        ) from None
    rest = drive(method, evaluate, setup.n_steps - half, n_workers=2)
    clone_rest = drive(clone, evaluate, setup.n_steps - half, n_workers=2)
    if rest != clone_rest:
        raise AssertionError(
            f"{name} continues differently after pickling ({first_difference(rest, clone_rest)})"
        )


class _Promises:
    """Checks, after each ask, that no promised trial is asked out of order, and takes the new promise."""

    def __init__(self, method: Method) -> None:
        self.method = method
        self.promised: list[Trial] = []

    def __call__(self, trial: Trial) -> None:
        name = type(self.method).__name__
        if self.promised and trial is self.promised[0]:
            self.promised.pop(0)
        elif any(trial is promised for promised in self.promised):
            raise AssertionError(
                f"{name}.upcoming() promised {self.promised[0]} before {trial}, but ask() returned the "
                "latter first; promised trials must be asked in the order promised (other trials "
                "may come in between), whatever is told in between"
            )
        fresh = list(self.method.upcoming())
        if not all(isinstance(t, Trial) for t in fresh):
            raise AssertionError(f"{name}.upcoming() must return Trial objects, got {fresh!r}")
        for old, new in zip(self.promised, fresh, strict=False):
            if old is not new:
                raise AssertionError(
                    f"{name}.upcoming() promised {old} and later {new} at the same place: a promise "
                    "cannot be taken back"
                )
        if len(fresh) > len(self.promised):
            self.promised = fresh


def _check_promises_kept(setup: Setup) -> None:
    """Trials listed by ``upcoming()`` are asked in that order, and listing them changes nothing.

    With one worker and with four (results told out of order), after every ask: a promised trial
    asked is the first one still promised (the same object; other trials may come in between)
    and a new promise does not contradict the old; the proposals equal those of a run that never
    asks for promises.
    """
    name = setup.method_cls.__name__
    for n_workers in (1, 4):
        promises = _Promises(setup.make())
        steps = drive(
            promises.method, setup.objective(), setup.n_steps, n_workers=n_workers, after_ask=promises
        )
        plain = drive(setup.make(), setup.objective(), setup.n_steps, n_workers=n_workers)
        if steps != plain:
            raise AssertionError(
                f"{name} proposes differently when upcoming() is called after each ask "
                f"({first_difference(steps, plain)}); listing promised trials must not change the "
                "method's proposals or random state"
            )


def _is_grid(space: Any) -> bool:
    kinds = (CS.CategoricalHyperparameter, CS.OrdinalHyperparameter, CS.Constant)
    return all(isinstance(space[name], kinds) for name in space)


def _check_candidates(setup: Setup) -> None:
    """On a finite candidate-set task (``task.candidates`` set), every proposal is a candidate.

    A candidate is a configuration the benchmark maps to one of its ``task.candidates`` listed
    configurations: through ``benchmark.config_index`` when the benchmark has one (it may snap to
    the nearest listed configuration, see :mod:`hpobench.surrogates.candidates`), else, on a
    grid space (categoricals, ordinals and constants only), any configuration of the grid.
    Tasks without candidates, or whose candidates cannot be told apart, pass trivially.
    """
    task = setup.task
    if task.candidates is None:
        return
    index = getattr(setup.benchmark, "config_index", None)
    if not callable(index) and not _is_grid(task.space):
        return
    name = setup.method_cls.__name__
    distinct = set()
    for step in drive(setup.make(), setup.objective(), setup.n_steps):
        config = dict(step[0])
        if callable(index):
            try:
                found = int(np.asarray(index([config]))[0])
            except InvalidConfigError as exc:
                raise AssertionError(
                    f"{name} proposed a configuration that is not a candidate: {exc}"
                ) from None
            if not 0 <= found < task.candidates:
                raise AssertionError(f"{name} proposed {config}, which maps to no listed candidate")
        distinct.add(step[0])
    if len(distinct) > task.candidates:
        raise AssertionError(
            f"{name} proposed {len(distinct)} distinct configurations on a task of "
            f"{task.candidates} candidates"
        )


_CHECKS: tuple[Callable[[Setup], None], ...] = (
    _check_init_params,
    _check_proposals_valid,
    _check_parallel_workers,
    _check_deterministic,
    _check_deterministic_in_spawned_process,
    _check_seed_matters,
    _check_no_global_rng,
    _check_failed_evaluations,
    _check_pickle_mid_run,
    _check_candidates,
    _check_promises_kept,
)


def method_checks(
    method_cls: type[Method],
    task: Task,
    *,
    benchmark: Benchmark | None = None,
    seed: int = 0,
    n_steps: int = 50,
    kwargs: Mapping[str, Any] | None = None,
) -> Iterator[tuple[str, Callable[[], None]]]:
    """Yield ``(name, check)`` pairs; calling ``check()`` runs one compliance check.

    Meant for ``pytest.mark.parametrize`` so that each check shows as its own test. Arguments are
    as in :func:`check_method`.

    Raises:
        ValueError: The method declares that it cannot handle ``task``, or ``n_steps < 2``.
    """
    if not (isinstance(method_cls, type) and issubclass(method_cls, Method)):
        raise TypeError(f"method_cls must be a Method subclass, got {method_cls!r}")
    reason = method_cls.capabilities.incompatibility(task)
    if reason is not None:
        raise ValueError(f"cannot check {method_cls.__name__} on this task: {reason}")
    if n_steps < 2:
        raise ValueError(f"n_steps must be at least 2, got {n_steps}")
    setup = Setup(
        method_cls=method_cls,
        task=task,
        benchmark=benchmark,
        seed=seed,
        n_steps=n_steps,
        kwargs=dict(kwargs or {}),
    )
    for check in _CHECKS:
        yield check.__name__.removeprefix("_"), functools.partial(check, setup)


def check_method(
    method_cls: type[Method],
    task: Task,
    *,
    benchmark: Benchmark | None = None,
    seed: int = 0,
    n_steps: int = 50,
    kwargs: Mapping[str, Any] | None = None,
) -> None:
    """Run every compliance check on ``method_cls``; raise on the first violation.

    Args:
        method_cls: The method class under test.
        task: A task the method declares it can handle.
        benchmark: Evaluates trials if given (with ``seed`` as its noise seed); otherwise a small
            deterministic objective of the configuration is used.
        seed: The method seed; ``seed + 1`` is used as the "different" seed.
        n_steps: Number of results told per run.
        kwargs: Keyword hyperparameters passed to the constructor.

    Raises:
        AssertionError: A check failed; the message names the check and the contract.
        ValueError: The method declares that it cannot handle ``task``.
    """
    for name, check in method_checks(
        method_cls, task, benchmark=benchmark, seed=seed, n_steps=n_steps, kwargs=kwargs
    ):
        try:
            check()
        except AssertionError as exc:
            raise AssertionError(f"{method_cls.__name__} failed {name}: {exc}") from exc
