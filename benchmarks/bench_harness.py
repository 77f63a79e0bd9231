"""Harness overhead per trial: hpobench's runner against hpoglue's loop, measured in the same run.

Random search on Branin, ``--trials`` trials per run. For each harness the overhead per trial
is ``wall - method - objective``: the time the harness itself spends per trial, whatever its
method and objective cost.

* ``hpobench``: :func:`hpobench.execution.runner.execute_run` (budget accounting, noise seeds, failure
  handling, the result table with reference values, provenance); its method and benchmark
  seconds are the ones it records itself. The objective's time is the benchmark's: its
  evaluations and its reference values (``value_max``, the noise-free value at the maximal
  fidelity that regret is computed from: one more vectorised Branin pass over the run's
  configurations, which hpoglue does not make); the reference time is printed on its own line.
* ``hpoglue``: ``hpoglue.run`` (its trial-budget loop and the DataFrame it returns) with a
  random-search optimizer and a Branin query function written for it here; their own time
  is measured inside them and subtracted.
* ``bare loop``: the same optimizer and function as hpoglue's, called in a plain ``for`` loop:
  what any harness must at least spend (the physical limit; its own ask/tell and function
  time are subtracted too, so what is left is the loop).

hpobench's overhead is split by part from the run's own provenance timings: the event loop (the
simulation's wall time less the method's and the benchmark's), the result table (without the
reference values), and the rest (set-up, provenance).

Also: one ``Benchmark.evaluate`` of one Branin trial against the plain Branin function and
against ``inlined evaluate``: the same checks, cost model, formula and ``Evaluation`` object
written out by hand for Branin, with no loop or call left (the floor of an ``evaluate`` that
validates and returns an ``Evaluation``; it asserts the same answer). The 20,000 results of each
timing are kept, as a run keeps its evaluations, under the runner's garbage-collector policy
(young collections only, :func:`hpobench.execution.simulator.young_collections_only`).

All cases run interleaved (:mod:`_timing`), min and median over ``--repeats``. hpoglue comes
from the ``nox -s bench`` environment; without it, its row says why it is unavailable.

Usage: python benchmarks/bench_harness.py [--trials 2000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import numpy as np
from _timing import goal_line, interleaved, peer, unavailable

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.contracts.types import Evaluation, Trial
from hpobench.data.registry import load_benchmark
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec
from hpobench.execution.simulator import young_collections_only


def branin(x1: float, x2: float) -> float:
    """The Branin function (the same formula as hpobench's synthetic/branin)."""
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


class _Clock:
    """Seconds spent inside the peer's optimizer and objective (subtracted from its wall time)."""

    inside = 0.0


class _Sampler:
    """Uniform random search over Branin's box, with its ask and tell timed."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def ask_values(self) -> dict[str, float]:
        return {"x1": float(self.rng.uniform(-5, 10)), "x2": float(self.rng.uniform(0, 15))}


_BRANIN_LOW, _BRANIN_HIGH = (-5.0, 0.0), (10.0, 15.0)
_B, _C, _T = 5.1 / (4.0 * math.pi**2), 5.0 / math.pi, 1.0 / (8.0 * math.pi)


def _inlined_evaluate(trials: list[Trial], *, seed: int) -> list[Evaluation] | None:
    """``synthetic/branin``'s ``evaluate`` of one noise-free trial at the maximal fidelity, inlined.

    The work any ``evaluate`` with the contract's guarantees must do, every loop and call written
    out by hand for Branin: the seed's type, the configuration's names, types and bounds, the
    fidelity, the cost model, the formula with numpy's ``cos`` (so the value is hpobench's, bit for
    bit) and one read-only :class:`Evaluation` (hpobench's own fast constructor). ``None`` for any
    other trial (the benchmark runs only this one).
    """
    if type(seed) is not int or seed < 0 or len(trials) != 1:
        return None
    trial = trials[0]
    config = trial.config
    if len(config) != 2 or trial.fidelity is not None:
        return None
    x0, x1 = config.get("x0"), config.get("x1")
    if type(x0) is not float or type(x1) is not float:
        return None
    if not (_BRANIN_LOW[0] <= x0 <= _BRANIN_HIGH[0] and _BRANIN_LOW[1] <= x1 <= _BRANIN_HIGH[1]):
        return None
    unit = (x0 - _BRANIN_LOW[0]) / 15.0 + (x1 - _BRANIN_LOW[1]) / 15.0
    cost = 60.0 * (0.05 + 0.95 * 1.0) * (1.0 + 0.2 * (unit / 2))
    r = x1 - _B * (x0 * x0) + _C * x0 - 6.0
    value = r * r + 10.0 * (1.0 - _T) * float(np.cos(x0)) + 10.0
    return [Evaluation._owned(trial, {"value": value}, cost)]


def _hpoglue_case(hpoglue: Any, trials: int) -> tuple[Any, Any]:
    """``run()`` of hpoglue random search on Branin, and the optimizer class (for the bare loop)."""
    from ConfigSpace import ConfigurationSpace

    space = ConfigurationSpace({"x1": (-5.0, 10.0), "x2": (0.0, 15.0)})

    class RandomSearch(hpoglue.Optimizer):  # type: ignore[misc, name-defined]
        name = "random_search"
        support = hpoglue.Problem.Support()

        def __init__(self, *, problem: Any, seed: int, working_directory: Any, **_: Any) -> None:
            self.sampler = _Sampler(seed)
            self.n = 0

        def ask(self) -> Any:
            start = time.perf_counter()
            self.n += 1
            config = hpoglue.Config(config_id=str(self.n), values=self.sampler.ask_values())
            query = hpoglue.Query(config=config, fidelity=None)
            _Clock.inside += time.perf_counter() - start
            return query

        def tell(self, result: Any) -> None:
            return None  # random search learns nothing (an empty call is not timed)

    def query(q: Any) -> Any:
        start = time.perf_counter()
        values = q.config.values
        result = hpoglue.Result(query=q, fidelity=None, values={"value": branin(values["x1"], values["x2"])})
        _Clock.inside += time.perf_counter() - start
        return result

    bench = hpoglue.FunctionalBenchmark(
        name="branin",
        metrics={"value": hpoglue.Measure.metric((0.0, math.inf), minimize=True)},
        query=query,
        config_space=space,
    )

    def run() -> float:
        _Clock.inside = 0.0
        start = time.perf_counter()
        frame = hpoglue.run(
            optimizer=RandomSearch, benchmark=bench, budget=trials, seed=0, continuations=False
        )
        wall = time.perf_counter() - start
        assert len(frame) == trials
        return wall - _Clock.inside

    return run, RandomSearch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    n = args.trials
    overheads: dict[str, list[float]] = {"hpobench": [], "hpoglue": [], "bare loop": []}

    def new_spec() -> RunSpec:
        # a spec per run, made before the run as a study's planning makes it: its run id and
        # seeds are derived once per spec, inside the run
        return RunSpec(
            benchmark=BenchmarkSpec.parse("synthetic/branin"),
            method="random_search",
            seed=0,
            budget=Budget.parse(str(n)),
        )

    # hpobench's overhead by part, per repeat: the event loop (the simulation's wall time less
    # the method's and the benchmark's), the result table, and the rest (set-up, provenance)
    parts: dict[str, list[float]] = {"event loop": [], "result table": [], "set-up and provenance": []}
    references: list[float] = []  # the benchmark's reference values (objective time, not overhead)

    def ours() -> None:
        spec = new_spec()
        start = time.perf_counter()
        outcome = execute_run(spec, threads=1)
        wall = time.perf_counter() - start
        assert not outcome.failed, outcome.provenance.get("error")
        timing = outcome.provenance["timing"]
        inside = timing["method_seconds"] + timing["benchmark_seconds"]
        references.append(timing["reference_seconds"])
        overheads["hpobench"].append(wall - inside - timing["reference_seconds"])
        parts["event loop"].append(timing["simulation_seconds"] - inside)
        parts["result table"].append(timing["record_seconds"])
        outside = timing["simulation_seconds"] + timing["reference_seconds"] + timing["record_seconds"]
        parts["set-up and provenance"].append(wall - outside)

    def bare() -> None:
        sampler = _Sampler(0)
        inside = 0.0
        start = time.perf_counter()
        for _ in range(n):
            t0 = time.perf_counter()
            values = sampler.ask_values()
            branin(values["x1"], values["x2"])
            inside += time.perf_counter() - t0
        overheads["bare loop"].append(time.perf_counter() - start - inside)

    cases = {"hpobench": ours, "bare loop": bare}
    hpoglue, reason = peer("hpoglue")
    if hpoglue is not None:
        glue_run, _ = _hpoglue_case(hpoglue, n)
        cases["hpoglue"] = lambda: overheads["hpoglue"].append(glue_run())
    timings = interleaved(cases, repeats=args.repeats)
    for series in (*overheads.values(), *parts.values(), references):  # drop the warm-up call's numbers
        del series[: len(series) - args.repeats]

    # one Branin evaluation: hpobench's Benchmark.evaluate against the plain function, and against
    # the same checks and result object written out by hand for Branin (the floor of the design)
    bench = load_benchmark("synthetic/branin")
    trial = Trial(config={"x0": 1.0, "x1": 2.0})
    assert _inlined_evaluate([trial], seed=0) == bench.evaluate([trial], seed=0)
    calls = 20_000
    # the results are kept (as a run keeps its evaluations), under the runner's garbage-collector
    # policy: without it, one full collection (~60 ms, a walk over every object of the process)
    # lands in whichever case happens to cross the threshold and adds ~3 us a call to that case
    with young_collections_only():
        single = interleaved(
            {
                "evaluate": lambda: [bench.evaluate([trial], seed=0) for _ in range(calls)],
                "inlined evaluate": lambda: [_inlined_evaluate([trial], seed=0) for _ in range(calls)],
                "plain function": lambda: [branin(1.0, 2.0) for _ in range(calls)],
            },
            repeats=args.repeats,
        )

    print(f"random search on Branin, {n} trials, {args.repeats} interleaved repeats (min / median)")
    print(f"{'harness':<12} {'wall us/trial':>16} {'overhead us/trial':>20}")
    for name, over in overheads.items():
        if name not in timings:
            print(f"{name:<12} {'peer unavailable: ' + reason}")
            continue
        o = sorted(over)
        med = o[len(o) // 2]
        print(f"{name:<12} {timings[name].per(n):>16} {1e6 * o[0] / n:>9.3g} / {1e6 * med / n:<9.3g}")
    print("hpobench's overhead by part, us/trial (min / median):")
    for name, series in parts.items():
        o = sorted(series)
        print(f"  {name:<22} {1e6 * o[0] / n:>7.3g} / {1e6 * o[len(o) // 2] / n:<7.3g}")
    r = sorted(references)
    print(
        f"the benchmark's reference values (objective time, not overhead): "
        f"{1e6 * r[0] / n:.3g} / {1e6 * r[len(r) // 2] / n:.3g} us/trial"
    )
    print(
        f"one evaluation: evaluate {single['evaluate'].per(calls)} us, inlined evaluate "
        f"{single['inlined evaluate'].per(calls)} us, plain function "
        f"{single['plain function'].per(calls)} us (min / median)"
    )
    measure = "overhead per trial (wall - method - objective), random search, Branin"
    ours_us = 1e6 * min(overheads["hpobench"]) / n
    ref_us = 1e6 * min(references) / n
    if hpoglue is None:
        print(unavailable(measure, reason))
    else:
        glue_us = 1e6 * min(overheads["hpoglue"]) / n
        print(
            goal_line(
                measure,
                value=f"{ours_us:.3g} us (the reference values' {ref_us:.3g} us counted as objective)",
                peer_text=f"hpoglue {glue_us:.3g} us",
                goal=f"<= 1/5 of hpoglue ({glue_us / 5:.3g} us)",
                met=ours_us <= glue_us / 5,
            )
        )
    evaluate_us = 1e6 * single["evaluate"].min / calls
    print(
        goal_line(
            "Branin evaluate, one trial",
            value=f"{evaluate_us:.3g} us",
            peer_text=(
                f"plain function {1e6 * single['plain function'].min / calls:.3g} us; the same checks "
                f"and Evaluation inlined by hand {1e6 * single['inlined evaluate'].min / calls:.3g} us"
            ),
            goal="<= 2 us",
            met=evaluate_us <= 2.0,
        )
    )


if __name__ == "__main__":
    main()
