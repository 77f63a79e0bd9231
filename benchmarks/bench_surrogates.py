"""Batched throughput of the fitted surrogates' numpy inference versus torch, in one run.

For one shipped FCNet and one shipped TaskSet surrogate and batch sizes 1, 100 and 10,000,
measures configurations per second of:

* ``evaluate``: ``FittedSurrogate.evaluate`` (validation, encoding, one ensemble member, and
  :class:`~hpobench.contracts.types.Evaluation` objects);
* ``evaluate_arrays``: the same without objects (values and costs as arrays);
* ``numpy forward``: the network alone on pre-encoded inputs (:func:`~hpobench.surrogates.fitted.forward`);
* ``torch forward`` (baseline): the same network and weights evaluated by torch (CPU, same thread
  count), on the same pre-encoded inputs, under ``torch.inference_mode``.

``vs torch`` is the rate over the torch forward's. ``vs yahpo-gym`` is the rate over that of
the yahpo-gym package in the same run: ``BenchmarkSet.objective_function`` on a batch of the same
size of lcbench configurations (instance 3945, epoch 52, one thread; the YAHPO scenario closest
to these tasks: a continuous space with an epoch fidelity). yahpo-gym runs in a child process
through ``bench_yahpo.py``'s worker, in its own environment (``bench_yahpo.yahpo_python``:
``--yahpo-python``, ``$HPOBENCH_YAHPO_PYTHON`` as ``nox -s bench`` sets it, or
``/tmp/yahpo-venv``); without one the column is left empty. Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_surrogates.py --data-dir ../shared/data \
        [--yahpo-python PYTHON]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.types import Trial
from hpobench.data import registry
from hpobench.surrogates.fitted import FittedSurrogate, forward

TASKS = (
    "fitted/fcnet.protein_structure",
    "fitted/taskset.FixedTextRNNClassification_imdb_patch32_GRU128_bs128",
)
BATCHES = (1, 100, 10_000)
YAHPO_SCENARIO = "lcbench"


def best_time(fn: Callable[[], object], *, budget: float = 0.5, min_repeats: int = 3) -> float:
    """Best wall time of repeated calls (at least ``min_repeats``, about ``budget`` seconds)."""
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_repeats or time.perf_counter() - start < budget:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 10_000:
            break
    return min(times)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (numpy follows OMP_NUM_THREADS)"
    )
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("HPOBENCH_DATA_DIR", "../shared/data"))
    )
    parser.add_argument(
        "--yahpo-python",
        default=None,
        help="interpreter with yahpo-gym (default: as bench_yahpo.py finds one)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"torch threads {args.threads}, {platform.machine()}"
    )
    import bench_yahpo  # beside this script

    python, why = bench_yahpo.yahpo_python(args.yahpo_python)
    yahpo_s = None if python is None else yahpo_gym_seconds(args.data_dir.resolve(), python)
    if yahpo_s is None:
        print(f"vs yahpo-gym: skipped, {why}")
    else:
        rates = ", ".join(f"batch {n}: {n / t:,.0f} configs/s" for n, t in yahpo_s.items())
        print(f"yahpo-gym {YAHPO_SCENARIO}, same run, one thread: {rates}")
    print(f"{'task':<58} {'batch':>6} {'path':<16} {'configs/s':>12} {'vs torch':>9} {'vs yahpo-gym':>13}")
    for name in TASKS:
        model = registry.load_benchmark(name)
        assert isinstance(model, FittedSurrogate)
        for line in bench_task(name, model, torch, yahpo_s):
            print(line)


def yahpo_gym_seconds(data_dir: Path, python: str) -> dict[int, float]:
    """yahpo-gym's time for a batch of each size in :data:`BATCHES`, run by the interpreter ``python``."""
    import bench_yahpo  # beside this script

    from hpobench.surrogates import yahpo

    instance = bench_yahpo.INSTANCES[YAHPO_SCENARIO]
    bench = yahpo.load_yahpo(YAHPO_SCENARIO, instance, data_dir=data_dir)
    configs = bench.codec.sample(np.random.default_rng(0), max(BATCHES))
    spec = {**bench_yahpo.job_spec(bench, YAHPO_SCENARIO, instance, configs), "sizes": list(BATCHES)}
    out = bench_yahpo.run_worker(python, data_dir, {YAHPO_SCENARIO: spec}, repeat=3)
    return {int(k): float(v) for k, v in out[f"{YAHPO_SCENARIO}/sizes"].items()}


def bench_task(
    name: str, model: FittedSurrogate, torch: Any, yahpo_s: Mapping[int, float] | None
) -> list[str]:
    """Result lines of one surrogate at every batch size."""
    rng = np.random.default_rng(0)
    fid = model.task.fidelity
    layers = int(model.header["network"]["layers"])
    weights = [w[:1] for w in model._weights]  # member 0, as evaluate(seed=0)
    biases = [b[:1] for b in model._biases]
    tw = [torch.from_numpy(w) for w in weights]
    tb = [torch.from_numpy(b)[:, None, :] for b in biases]

    def torch_forward(x: Any) -> Any:
        with torch.inference_mode():
            h = x[None]
            for i, (w, b) in enumerate(zip(tw, tb, strict=True)):
                h = torch.baddbmm(b, h, w)
                if i < layers - 1:
                    h = torch.nn.functional.silu(h)
            return h

    lines = []
    for n in BATCHES:
        configs = model.codec.sample(rng, n)
        fids = [None] * n if fid is None else rng.integers(int(fid.low), int(fid.high) + 1, n).tolist()
        trials = [Trial(config=c, fidelity=f) for c, f in zip(configs, fids, strict=True)]
        x = model.encoding.encode(configs, np.array([1.0 if f is None else f for f in fids], dtype=float))
        xt = torch.from_numpy(x.astype(np.float64))  # the model holds float64 weights, as numpy uses
        ours = forward(x, weights, biases, activation="silu")
        np.testing.assert_allclose(ours, torch_forward(xt).numpy(), rtol=1e-4, atol=1e-5)
        t_torch = best_time(lambda xt=xt: torch_forward(xt))
        rows = {
            "evaluate": best_time(lambda t=trials: model.evaluate(t, seed=0)),
            "evaluate_arrays": best_time(
                lambda c=configs, f=fids: model.evaluate_arrays(c, seed=0, fidelities=f)
            ),
            "numpy forward": best_time(lambda x=x: forward(x, weights, biases, activation="silu")),
            "torch forward": t_torch,
        }
        for path, t in rows.items():
            versus = "-" if yahpo_s is None else f"{yahpo_s[n] / t:.1f}x"
            lines.append(
                f"{name[:58]:<58} {n:>6} {path:<16} {n / t:>12,.0f} {t_torch / t:>8.2f}x {versus:>13}"
            )
    return lines


if __name__ == "__main__":
    main()
