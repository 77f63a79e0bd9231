"""Benchmark FCNet lookups: hpobench's dense tables versus a pandas MultiIndex and a Python dict.

Measures, in one process and on the same table and queries:

* single-query latency (microseconds per query, one query per call), and
* batched throughput (evaluations per second for one batch of ``--batch`` queries),

for ``TabularBenchmark.evaluate`` (validates, builds :class:`Evaluation` objects with cost and
status), the raw ``config_index`` + ``lookup`` API (validated indices, then one numpy gather),
``lookup`` alone on precomputed indices, a pandas ``Series.loc`` on a sorted MultiIndex
(hyperparameters + seed) and a plain dict keyed by value tuples. Ratios are speed-ups over pandas
(higher is faster). Run::

    python benchmarks/bench_lookup.py --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from hpobench.contracts.types import Trial
from hpobench.data.datadir import resolve_data_dir
from hpobench.surrogates.fcnet import FAMILY, GRID

FALLBACK = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Best wall time of ``repeats`` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--task", default="protein_structure")
    parser.add_argument("--n-single", type=int, default=20_000, help="single queries per timing")
    parser.add_argument("--n-single-pandas", type=int, default=2_000, help="single pandas queries per timing")
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    data_dir = resolve_data_dir(args.data_dir) or FALLBACK

    t0 = time.perf_counter()
    bench = FAMILY.load(args.task, data_dir=data_dir)
    load_s = time.perf_counter() - t0
    names = list(GRID)
    df = pq.read_table(data_dir / "tabular" / "fcnet" / f"{args.task}.parquet").to_pandas()
    series = df.set_index([*names, "seed"])["valid_mse"].sort_index()
    table = dict(zip(series.index, series.to_numpy().tolist(), strict=True))

    rng = np.random.default_rng(0)
    n = max(args.n_single, args.batch)
    cidx = rng.integers(bench.n_configs, size=n)
    seeds = rng.integers(bench.n_seeds, size=n)
    configs = [bench.config_at(int(i)) for i in cidx]
    trials = [Trial(config=c) for c in configs]
    keys = [(*c.values(), int(s)) for c, s in zip(configs, seeds, strict=True)]
    batch_seed = 1
    batch_trials, batch_configs = trials[: args.batch], configs[: args.batch]
    batch_keys = [(*c.values(), batch_seed) for c in batch_configs]
    batch_idx = cidx[: args.batch]

    # sanity: every path answers the same values
    expected = [table[k] for k in keys[:200]]
    assert [
        bench.evaluate([t], seed=int(s))[0].values["valid_mse"] for t, s in zip(trials, seeds, strict=False)
    ][:200] == expected
    assert [float(series.loc[k]) for k in keys[:200]] == expected
    got = bench.lookup(bench.config_index(batch_configs), batch_seed, 0)[:, 0]
    assert got.tolist() == series.loc[batch_keys].to_numpy().tolist()

    ns, nsp = args.n_single, args.n_single_pandas
    single_trials = [[t] for t in trials[:ns]]
    single_seeds = seeds[:ns].tolist()
    single_configs = [[c] for c in configs[:ns]]

    def hp_single() -> None:
        for t, s in zip(single_trials, single_seeds, strict=True):
            bench.evaluate(t, seed=s)

    def raw_single() -> None:
        for c, s in zip(single_configs, single_seeds, strict=True):
            bench.lookup(bench.config_index(c), s, 0)

    def pandas_single() -> None:
        for k in keys[:nsp]:
            series.loc[k]

    def dict_single() -> None:
        for k in keys[:ns]:
            table[k]

    single = {
        "hpobench evaluate": best_time(hp_single, args.repeats) / ns,
        "hpobench config_index+lookup": best_time(raw_single, args.repeats) / ns,
        "hpobench lookup (indices)": best_time(
            lambda: [bench.lookup(int(c), s, 0) for c, s in zip(cidx[:ns], single_seeds, strict=True)],
            args.repeats,
        )
        / ns,
        "pandas MultiIndex .loc": best_time(pandas_single, args.repeats) / nsp,
        "python dict": best_time(dict_single, args.repeats) / ns,
    }
    nb = args.batch
    batched = {
        "hpobench evaluate": nb
        / best_time(lambda: bench.evaluate(batch_trials, seed=batch_seed), args.repeats),
        "hpobench config_index+lookup": nb
        / best_time(lambda: bench.lookup(bench.config_index(batch_configs), batch_seed, 0), args.repeats),
        "hpobench lookup (indices)": nb
        / best_time(lambda: bench.lookup(batch_idx, batch_seed, 0), args.repeats),
        "pandas MultiIndex .loc": nb / best_time(lambda: series.loc[batch_keys].to_numpy(), args.repeats),
        "python dict": nb / best_time(lambda: [table[k] for k in batch_keys], args.repeats),
    }

    print(
        f"FCNet {args.task}: {bench.n_configs} configs x {bench.n_seeds} seeds; hpobench load {load_s:.2f} s"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, pandas {pd.__version__}, "
        f"{platform.machine()}"
    )
    print(f"single: {ns} queries ({nsp} for pandas), best of {args.repeats}; batch: {nb} queries, one seed")
    header = f"{'method':<30} {'single us/query':>16} {'x pandas':>9} {'batch evals/s':>15} {'x pandas':>9}"
    print(header)
    print("-" * len(header))
    base_single, base_batch = single["pandas MultiIndex .loc"], batched["pandas MultiIndex .loc"]
    for name in single:
        print(
            f"{name:<30} {single[name] * 1e6:>16.2f} {base_single / single[name]:>8.1f}x "
            f"{batched[name]:>15,.0f} {batched[name] / base_batch:>8.1f}x"
        )
    print(
        "evaluate validates the configs and returns Evaluation objects (values, cost, status); "
        "the other rows return bare floats."
    )


if __name__ == "__main__":
    main()
