"""A throwaway third-party plugin distribution, installed into a temporary folder for tests.

It registers misbehaving methods (and a benchmark family with failing evaluations) through real
entry points, exactly as an outside package would, so the runner's failure handling is tested
through the same path as real plugins, in worker processes and subprocesses too.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

MODULE = "hpobench_testplugins"

SOURCE = '''
from __future__ import annotations

import ctypes
import os
import time

import ConfigSpace as CS
import numpy as np

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo
from hpobench.contracts.method import Capabilities, Method
from hpobench.contracts.space import SpaceCodec
from hpobench.contracts.types import (
    Direction,
    Evaluation,
    Fidelity,
    Objective,
    Reference,
    Status,
    Task,
    Trial,
)


class _Sampler(Method):
    capabilities = Capabilities(multi_fidelity=False)

    def __init__(self, task, *, seed, fail_after=3):
        super().__init__(task, seed=seed)
        self.fail_after = fail_after
        self._rng = np.random.default_rng(seed)
        self._n = 0

    def _next(self):
        self._n += 1
        return Trial(config=SpaceCodec(self.task.space).sample(self._rng, 1)[0])

    def tell(self, evaluation):
        pass


class Raising(_Sampler):
    def ask(self):
        if self._n >= self.fail_after:
            raise RuntimeError("deliberate failure in ask")
        return self._next()


class InvalidConfig(_Sampler):
    def ask(self):
        if self._n >= self.fail_after:
            name = list(self.task.space.keys())[0]
            return Trial(config={name: 1e9})
        return self._next()


class InvalidFidelity(_Sampler):
    def ask(self):
        trial = self._next()
        high = self.task.fidelity.high if self.task.fidelity else 1.0
        return Trial(config=trial.config, fidelity=high * 10) if self._n > self.fail_after else trial


class Stalling(_Sampler):
    def ask(self):
        return None if self._n >= self.fail_after else self._next()


class Hanging(_Sampler):
    def ask(self):
        if self._n >= self.fail_after:
            time.sleep(3600)
        return self._next()


class Exiting(_Sampler):
    """Ends its process in the middle of the run (as a C library calling exit() would)."""

    def ask(self):
        if self._n >= self.fail_after:
            os._exit(3)
        return self._next()


class Segfaulting(_Sampler):
    """Dereferences a null pointer: the process dies with SIGSEGV."""

    def ask(self):
        if self._n >= self.fail_after:
            ctypes.string_at(0)
        return self._next()


class Stubborn(_Sampler):
    """Research code at its worst: a loop that swallows every exception, KeyboardInterrupt too."""

    def ask(self):
        while self._n >= self.fail_after:
            try:
                time.sleep(0.01)
            except BaseException:
                pass
        return self._next()


class CatchingException(_Sampler):
    """A loop that catches ``Exception`` (common in research code) and never ends on its own."""

    def ask(self):
        while self._n >= self.fail_after:
            try:
                time.sleep(0.01)
            except Exception:
                pass
        return self._next()


class MemoryHog(_Sampler):
    """Keeps 20 MB more of touched memory for every trial it asks, without end."""

    def __init__(self, task, *, seed, fail_after=3):
        super().__init__(task, seed=seed, fail_after=fail_after)
        self._hoard = []

    def ask(self):
        if self._n >= self.fail_after:
            while True:
                self._hoard.append(np.ones(20 * 2**20 // 8))
                time.sleep(0.005)
        return self._next()


class NeedsFix(_Sampler):
    """Fails until $HPOBENCH_TEST_FIXED is set (as a run fails until a missing extra is installed)."""

    def ask(self):
        if not os.environ.get("HPOBENCH_TEST_FIXED"):
            raise ImportError("the optional dependency is missing")
        return self._next()


class Slow(_Sampler):
    """Well-behaved but slow: $HPOBENCH_TEST_SLOW seconds (default 0.2) of wall time per trial."""

    def ask(self):
        time.sleep(float(os.environ.get("HPOBENCH_TEST_SLOW", "0.2")))
        return self._next()


class Counting(_Sampler):
    """Well-behaved: records how many failed evaluations it was told about."""

    def ask(self):
        return self._next()

    def tell(self, evaluation):
        if evaluation.status is Status.FAILED:
            assert np.isnan(evaluation.values["loss"])


class _NanBenchmark(Benchmark):
    def __init__(self):
        space = CS.ConfigurationSpace({"x": (0.0, 1.0)})
        self._task = Task(
            name="flaky/nan_half",
            space=space,
            objectives=(Objective(name="loss", direction=Direction.MINIMIZE),),
            tags=frozenset({"test"}),
        )

    @property
    def task(self):
        return self._task

    def evaluate(self, trials, *, seed):
        self.check_trials(trials)
        out = []
        for t in trials:
            x = t.config["x"]
            ok = x >= 0.5
            out.append(
                Evaluation(
                    trial=t,
                    values={"loss": x if ok else float("nan")},
                    cost=1.0,
                    status=Status.OK if ok else Status.FAILED,
                )
            )
        return out

    def optimum(self):
        return Reference(best={"loss": 0.5}, worst={"loss": 1.0}, source="analytic")

    def reference_values(self, configs):
        for c in configs:
            self.codec.validate(c)
        return np.array([[c["x"] if c["x"] >= 0.5 else np.nan] for c in configs])


class _Family(BenchmarkFamily):
    name = "flaky"

    def tasks(self):
        return (TaskInfo(name="flaky/nan_half", multi_fidelity=False, needs_data=False),)

    def load(self, task, *, data_dir):
        return _NanBenchmark()


FAMILY = _Family()
'''

ENTRY_POINTS = """
[hpobench.methods]
test_raising = hpobench_testplugins:Raising
test_invalid_config = hpobench_testplugins:InvalidConfig
test_invalid_fidelity = hpobench_testplugins:InvalidFidelity
test_stalling = hpobench_testplugins:Stalling
test_hanging = hpobench_testplugins:Hanging
test_counting = hpobench_testplugins:Counting
test_exiting = hpobench_testplugins:Exiting
test_segfaulting = hpobench_testplugins:Segfaulting
test_stubborn = hpobench_testplugins:Stubborn
test_catching_exception = hpobench_testplugins:CatchingException
test_memory_hog = hpobench_testplugins:MemoryHog
test_slow = hpobench_testplugins:Slow
test_needs_fix = hpobench_testplugins:NeedsFix
test_broken_import = hpobench_testplugins_missing:Nothing

[hpobench.benchmarks]
flaky = hpobench_testplugins:FAMILY
"""


def write_plugin_dist(dest: Path) -> Path:
    """Write the plugin module and its dist-info into ``dest``; return ``dest`` (a sys.path entry)."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / f"{MODULE}.py").write_text(textwrap.dedent(SOURCE))
    info = dest / "hpobench_testplugins-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: hpobench-testplugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return dest


def activate(dest: Path) -> None:
    """Put the plugin folder on sys.path and make the registry see it."""
    from hpobench.data import registry

    if str(dest) not in sys.path:
        sys.path.insert(0, str(dest))
    registry.refresh()


def deactivate(dest: Path) -> None:
    """Undo :func:`activate`."""
    from hpobench.data import registry

    if str(dest) in sys.path:
        sys.path.remove(str(dest))
    sys.modules.pop(MODULE, None)
    registry.refresh()
