"""Lookup speed of every tabular family: hpobench versus pandas and a Python dict, in one run.

For one task per family (FCNet, HPOBench-NN, NAS-Bench-201, TaskSet) and the same random
queries, measures single-query latency (one query per call, microseconds) and batched throughput
(evaluations per second for one batch of ``--batch`` queries) of:

* ``evaluate``: ``Benchmark.evaluate`` (validates, builds :class:`Evaluation` objects with cost,
  status and extras);
* ``evaluate_arrays``: the array form of ``evaluate`` (same validation, seed and fidelity
  rules; objective values with NaN for failures and costs as arrays, no objects);
* ``evaluate_arrays (cols)``: the same with the configurations given as columns (one array per
  hyperparameter, :mod:`hpobench.contracts.columns`), matched in numpy instead of per value;
* ``dict values (floor)``: only reading each configuration's values out of its dict (one
  ``itemgetter`` call per configuration): the floor of any path that takes dicts;
* ``config_index+lookup``: the raw vectorised API (validated configuration -> index, then one
  numpy gather of all metrics);
* ``lookup (indices)``: the numpy gather alone on precomputed indices;
* ``pandas .loc``: a pandas Series on a sorted MultiIndex (hyperparameters + seed or step);
* ``python dict``: a dict keyed by value tuples.

* ``Syne Tune BlackboxTabular``: Syne Tune's own tabular blackbox built from the same table
  (grid families; it has no batch query, so its batch is a loop of single queries over the
  first 2,000), measured in the same run; "peer unavailable: <reason>" without syne-tune.

Every row is timed interleaved with the others (:mod:`_timing`), min over ``--repeats``. The
targets (issue 17): a single ``evaluate`` at least 20x faster than Syne Tune, and the FCNet
batch of 10k at >= 3 M evaluations/s (``evaluate_arrays`` >= 20 M/s; printed for columns and for
dicts, whose floor the ``dict values`` row measures), the numpy gather on precomputed indices
being the physical limit; the GOAL lines at the end say MET/MISSES.
Garbage collection stays on (its cost is part of building objects). ``--clock cpu`` measures this
thread's CPU time instead of wall time: use it on a shared machine, where other processes take
the CPU away mid-measurement (all rows, baselines included, use the same clock). Run::

    python benchmarks/bench_tabular.py --data-dir ../shared/data [--clock cpu]
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from _timing import goal_line, interleaved, peer

from hpobench.contracts.types import Trial
from hpobench.data import registry
from hpobench.data.datadir import resolve_data_dir

FALLBACK = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TASKS = (
    "fcnet/protein_structure",
    "hpobench_nn/phoneme",
    "nb201/cifar100",
    "taskset/FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
)
SYNE_TUNE_QUERIES = 2_000
"""Queries per Syne Tune timing (single and batch: it is about 100x slower per query)."""


CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.thread_time}
CLOCK = CLOCKS["wall"]


@dataclass
class Case:
    """Queries and baselines of one task."""

    name: str
    bench: Any
    configs: list[dict[str, Any]]
    trials: list[Trial]
    seeds: list[int]  # per single query: the seed index (grid) or 0 (taskset)
    fids: list[int]  # fidelity index per query
    cidx: np.ndarray
    keys: list[tuple[Any, ...]]  # pandas / dict keys of the single queries
    batch_keys: list[tuple[Any, ...]]  # keys of the batch (seed fixed to batch_seed)
    series: pd.Series
    table: dict[tuple[Any, ...], float]


def _grid_case(name: str, bench: Any, n: int, batch_seed: int, rng: np.random.Generator) -> Case:
    cols = bench.grid_columns()
    names = list(cols)
    metric = bench.task.objective.name
    raw = bench.lookup(np.arange(bench.n_configs)[:, None], np.arange(bench.n_seeds)[None, :], 0)[..., 0]
    frame = pd.DataFrame({hp: np.repeat(v, bench.n_seeds) for hp, v in cols.items()})
    frame["seed"] = np.tile(np.arange(bench.n_seeds), bench.n_configs)
    frame[metric] = raw.reshape(-1)
    series = frame.set_index([*names, "seed"])[metric].sort_index()
    table = dict(zip(series.index, series.to_numpy().tolist(), strict=True))
    cidx = rng.integers(bench.n_configs, size=n)
    seeds = rng.integers(bench.n_seeds, size=n).tolist()
    configs = [bench.config_at(int(i)) for i in cidx]
    keys = [(*c.values(), s) for c, s in zip(configs, seeds, strict=True)]
    batch_keys = [(*c.values(), batch_seed) for c in configs]
    trials = [Trial(config=c) for c in configs]
    return Case(name, bench, configs, trials, seeds, [0] * n, cidx, keys, batch_keys, series, table)


def _candidate_case(name: str, bench: Any, n: int, rng: np.random.Generator) -> Case:
    listed = bench.candidate_configs()
    names = list(listed[0])
    metric = bench.task.objective.name
    n_steps = len(bench.fidelity_values)
    raw = bench.lookup(np.arange(len(listed))[:, None], 0, np.arange(n_steps)[None, :])[..., 0]
    frame = pd.DataFrame([c for c in listed for _ in range(n_steps)])
    frame["step"] = np.tile(np.arange(1, n_steps + 1), len(listed))
    frame[metric] = raw.reshape(-1)
    series = frame.set_index([*names, "step"])[metric].sort_index()
    table = dict(zip(series.index, series.to_numpy().tolist(), strict=True))
    cidx = rng.integers(len(listed), size=n)
    fids = rng.integers(n_steps, size=n).tolist()
    configs = [listed[int(i)] for i in cidx]
    keys = [(*c.values(), f + 1) for c, f in zip(configs, fids, strict=True)]
    trials = [Trial(config=c, fidelity=f + 1) for c, f in zip(configs, fids, strict=True)]
    return Case(name, bench, configs, trials, [0] * n, fids, cidx, keys, keys, series, table)


def measure(
    case: Case, ns: int, nsp: int, nb: int, repeats: int, batch_seed: int
) -> dict[str, tuple[float, float]]:
    """Return method -> (single seconds per query, batch evaluations per second)."""
    bench = case.bench
    grid = case.batch_keys is not case.keys
    metric = bench.task.objective.name
    s_trials = [[t] for t in case.trials[:ns]]
    s_configs = [[c] for c in case.configs[:ns]]
    seeds, fids = case.seeds[:ns], case.fids[:ns]
    bseed = batch_seed if grid else 0
    b_trials, b_configs, b_idx, b_fids = (
        case.trials[:nb],
        case.configs[:nb],
        case.cidx[:nb],
        np.array(case.fids[:nb]),
    )

    # sanity: every path answers the same values (NaN-safe)
    ev = [bench.evaluate(t, seed=s)[0].values[metric] for t, s in zip(s_trials[:200], seeds, strict=False)]
    ref = [case.table[k] for k in case.keys[:200]]
    np.testing.assert_array_equal(ev, ref)
    np.testing.assert_array_equal(
        bench.lookup(bench.config_index(b_configs), bseed, b_fids)[:, 0],
        case.series.loc[case.batch_keys[:nb]].to_numpy(),
    )

    def hp_single() -> None:
        for t, s in zip(s_trials, seeds, strict=True):
            bench.evaluate(t, seed=s)

    fvals: list[float | None] = [None if grid else float(f + 1) for f in case.fids[:nb]]
    s_fvals = [[None if grid else float(f + 1)] for f in fids]

    def arrays_single() -> None:
        for c, s, f in zip(s_configs, seeds, s_fvals, strict=True):
            bench.evaluate_arrays(c, seed=s, fidelities=f)

    names = list(case.configs[0])
    b_columns = {hp: np.array([c[hp] for c in b_configs]) for hp in names}
    s_columns = [{hp: np.array([c[hp]]) for hp in names} for c in case.configs[:ns]]
    values_of = itemgetter(*names)

    def columns_single() -> None:
        for c, s, f in zip(s_columns, seeds, s_fvals, strict=True):
            bench.evaluate_arrays(c, seed=s, fidelities=f)

    def keys_single() -> None:
        for c in case.configs[:ns]:
            values_of(c)

    def raw_single() -> None:
        for c, s, f in zip(s_configs, seeds, fids, strict=True):
            bench.lookup(bench.config_index(c), s, f)

    def idx_single() -> None:
        for c, s, f in zip(case.cidx[:ns].tolist(), seeds, fids, strict=True):
            bench.lookup(c, s, f)

    def pandas_single() -> None:
        for k in case.keys[:nsp]:
            case.series.loc[k]

    def dict_single() -> None:
        for k in case.keys[:ns]:
            case.table[k]

    cases: dict[str, tuple[Callable[[], object], int, Callable[[], object], int]] = {
        "evaluate": (hp_single, ns, lambda: bench.evaluate(b_trials, seed=bseed), nb),
        "evaluate_arrays": (
            arrays_single,
            ns,
            lambda: bench.evaluate_arrays(b_configs, seed=bseed, fidelities=fvals),
            nb,
        ),
        "evaluate_arrays (cols)": (
            columns_single,
            ns,
            lambda: bench.evaluate_arrays(b_columns, seed=bseed, fidelities=fvals),
            nb,
        ),
        "dict values (floor)": (keys_single, ns, lambda: list(map(values_of, b_configs)), nb),
        "config_index+lookup": (
            raw_single,
            ns,
            lambda: bench.lookup(bench.config_index(b_configs), bseed, b_fids),
            nb,
        ),
        "lookup (indices)": (idx_single, ns, lambda: bench.lookup(b_idx, bseed, b_fids), nb),
        "pandas .loc": (
            pandas_single,
            nsp,
            lambda: case.series.loc[case.batch_keys[:nb]].to_numpy(),
            nb,
        ),
        "python dict": (dict_single, ns, lambda: [case.table[k] for k in case.batch_keys[:nb]], nb),
    }
    syne = _syne_tune(case, bseed) if grid else None
    if syne is not None:
        cases["Syne Tune BlackboxTabular"] = syne
    calls: dict[str, Callable[[], object]] = {}
    for name, (single, _, batch, _) in cases.items():
        calls[f"{name} single"] = single
        calls[f"{name} batch"] = batch
    times = interleaved(calls, repeats=repeats, clock=CLOCK)
    return {
        name: (times[f"{name} single"].min / n_single, n_batch / times[f"{name} batch"].min)
        for name, (_, n_single, _, n_batch) in cases.items()
    }


SYNE_TUNE_REASON = ""


def _syne_tune(
    case: Case, batch_seed: int
) -> tuple[Callable[[], object], int, Callable[[], object], int] | None:
    """Single and batch queries of Syne Tune's ``BlackboxTabular`` built from the case's table."""
    global SYNE_TUNE_REASON
    module, SYNE_TUNE_REASON = peer("syne_tune.blackbox_repository.blackbox_tabular")
    if module is None:
        return None
    from syne_tune.config_space import choice, randint

    bench = case.bench
    cols = bench.grid_columns()
    hps = pd.DataFrame({name: np.asarray(values).tolist() for name, values in cols.items()})
    space = {name: choice(sorted(set(hps[name]))) for name in hps.columns}
    table = bench.lookup(np.arange(bench.n_configs)[:, None], np.arange(bench.n_seeds)[None, :], 0)
    blackbox = module.BlackboxTabular(
        hyperparameters=hps,
        configuration_space=space,
        fidelity_space={"fidelity": randint(1, 1)},
        objectives_evaluations=table[:, :, None, :],
    )
    n = SYNE_TUNE_QUERIES
    configs = [dict(c) for c in case.configs[:n]]
    seeds = case.seeds[:n]
    fidelity = {"fidelity": 1}
    got = [blackbox(c, fidelity=fidelity, seed=s)["y0"] for c, s in zip(configs[:200], seeds, strict=False)]
    np.testing.assert_array_equal(got, [case.table[k] for k in case.keys[:200]])  # the same values

    def single() -> None:
        for c, s in zip(configs, seeds, strict=True):
            blackbox(c, fidelity=fidelity, seed=s)

    def batch() -> None:  # no batch query: one call per configuration
        for c in configs:
            blackbox(c, fidelity=fidelity, seed=batch_seed)

    return single, n, batch, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--n-single", type=int, default=20_000, help="single queries per timing")
    parser.add_argument("--n-single-pandas", type=int, default=1_000, help="single pandas queries per timing")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    args = parser.parse_args()
    global CLOCK
    CLOCK = CLOCKS[args.clock]
    data_dir = resolve_data_dir(args.data_dir) or FALLBACK
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}; single: {args.n_single} queries ({args.n_single_pandas} for pandas), "
        f"min of {args.repeats} interleaved; batch: {args.batch} queries; {args.clock} clock"
    )
    header = (
        f"{'task':<26} {'method':<21} {'single us/query':>15} {'x pandas':>9} "
        f"{'batch evals/s':>14} {'x pandas':>9}"
    )
    print(header)
    print("-" * len(header))
    n = max(args.n_single, args.batch)
    summary = []
    goals: list[str] = []
    for name in TASKS:
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        bench = registry.load_benchmark(name, data_dir=data_dir)
        load_s = time.perf_counter() - t0
        if hasattr(bench, "grid_columns"):
            case = _grid_case(name, bench, n, 1, rng)
        else:
            case = _candidate_case(name, bench, n, rng)
        rows = measure(case, args.n_single, args.n_single_pandas, args.batch, args.repeats, 1)
        base_s, base_b = rows["pandas .loc"]
        short = name if len(name) <= 26 else name[:23] + "..."
        for method, (single, batch) in rows.items():
            print(
                f"{short:<26} {method:<21} {single * 1e6:>15.2f} {base_s / single:>8.1f}x "
                f"{batch:>14,.0f} {batch / base_b:>8.1f}x"
            )
        ev_single = rows["evaluate"][0] * 1e6
        if "Syne Tune BlackboxTabular" in rows:
            syne_us = rows["Syne Tune BlackboxTabular"][0] * 1e6
            print(
                f"{'':<26} load {load_s:.2f} s; evaluate is {syne_us / ev_single:.0f}x faster than Syne Tune"
            )
            goals.append(
                goal_line(
                    f"{short} single evaluate vs Syne Tune BlackboxTabular",
                    value=f"{ev_single:.3g} us",
                    peer_text=f"Syne Tune {syne_us:.3g} us",
                    goal=">= 20x faster",
                    met=syne_us / ev_single >= 20,
                )
            )
        elif hasattr(bench, "grid_columns"):
            print(f"{'':<26} load {load_s:.2f} s; Syne Tune: peer unavailable: {SYNE_TUNE_REASON}")
        if name.startswith("fcnet/"):
            gather = f"numpy gather {rows['lookup (indices)'][1] / 1e6:.3g} M/s"
            floor_rate = rows["dict values (floor)"][1] / 1e6
            floor = f"reading the values out of the dicts alone {floor_rate:.3g} M/s"
            for method, goal, peer_text in (
                ("evaluate", 3e6, f"{gather}; {floor}"),
                ("evaluate_arrays (cols)", 20e6, gather),
                ("evaluate_arrays", 20e6, f"{gather}; {floor}"),
            ):
                goals.append(
                    goal_line(
                        f"FCNet batched {method}, {args.batch} queries",
                        value=f"{rows[method][1] / 1e6:.3g} M/s",
                        peer_text=peer_text,
                        goal=f">= {goal / 1e6:.0f} M/s",
                        met=rows[method][1] >= goal,
                    )
                )
        ev_batch, arr_batch = rows["evaluate"][1], rows["evaluate_arrays"][1]
        summary.append(
            f"{short:<26} single {ev_single:5.2f} us ({'meets' if ev_single <= 5.5 else 'MISSES'} <= 5.5 us; "
            f"{rows['python dict'][0] * 1e6 / ev_single:.2f}x dict, {base_s * 1e6 / ev_single:.1f}x pandas)  "
            f"batch {ev_batch / 1e6:.2f} M/s ({'meets' if ev_batch >= 1e6 else 'MISSES'} >= 1 M/s; "
            f"{ev_batch / rows['python dict'][1]:.2f}x dict, {ev_batch / base_b:.1f}x pandas)  "
            f"evaluate_arrays {arr_batch / 1e6:.2f} M/s ({'meets' if arr_batch >= 1e6 else 'MISSES'})"
        )
    print(
        "evaluate validates and returns Evaluation objects (values, cost, status, extras); the other rows "
        "return bare floats. TaskSet queries vary the step (fidelity); grid queries vary the seed."
    )
    print("\nevaluate against the targets (Nx dict / pandas: speed relative to that baseline):")
    for line in summary:
        print(line)
    for line in goals:
        print(line)


if __name__ == "__main__":
    main()
