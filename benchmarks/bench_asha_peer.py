"""Simulated ASHA with 32 workers: hpobench's simulator against Syne Tune's, in the same run.

Both simulate ASHA (random search, reduction factor 3, epochs 1..100) with ``--workers``
simulated workers on the same table, ``fcnet_own/protein_structure`` (embedded; its recorded
cost from scratch at each epoch is the elapsed time both simulators charge), for
``--sim-seconds`` of simulated time:

* ``hpobench``: :func:`hpobench.execution.runner.execute_run` of method ``asha`` (the whole run: result
  table and provenance included);
* ``Syne Tune``: its ``Tuner`` with ``UserBlackboxBackend`` over a ``BlackboxTabular`` built from
  the same table, its ``ASHA`` baseline and ``SimulatorCallback`` (its simulator), or
  "peer unavailable: <reason>" without syne-tune.

The two count their work differently (hpobench: one evaluation per rung a trial reaches; Syne
Tune: one report per epoch), so the figure to compare is the simulated time per wall second.
Printed: wall seconds (min / median over interleaved repeats, :mod:`_timing`), evaluations,
and simulated seconds per wall second. The issue's ASHA goal (24 simulated hours in <= 3 s on
TaskSet) is measured by ``bench_simulator.py``; this script gives its peer.

Usage: python benchmarks/bench_asha_peer.py [--sim-seconds 120] [--workers 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import tempfile
import time
from typing import Any

import numpy as np
import pandas as pd
from _timing import interleaved, peer

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.data.registry import load_benchmark
from hpobench.execution.runner import execute_run
from hpobench.execution.runspec import RunSpec

TASK = "fcnet_own/protein_structure"


def _syne_tune_run(sim_seconds: float, workers: int) -> tuple[Any, str]:
    """A call that runs Syne Tune's simulation and returns its number of evaluations."""
    module, reason = peer("syne_tune")
    if module is None:
        return None, reason
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular
    from syne_tune.blackbox_repository.simulated_tabular_backend import UserBlackboxBackend
    from syne_tune.config_space import choice, randint
    from syne_tune.optimizer.baselines import ASHA

    bench = load_benchmark(TASK)
    high = int(bench.task.fidelity.high)
    configs = np.arange(bench.n_configs)[:, None, None]
    seeds = np.arange(bench.n_seeds)[None, :, None]
    epochs = np.arange(high)[None, None, :]
    values = bench.lookup(configs, seeds, epochs)[..., :1]
    cost = bench.lookup_cost(configs[..., 0], 0, epochs[..., 0, :])  # from scratch, per epoch
    elapsed = np.broadcast_to(cost[:, None, :], values.shape[:3])[..., None]
    hps = pd.DataFrame({name: np.asarray(v).tolist() for name, v in bench.grid_columns().items()})
    blackbox = BlackboxTabular(
        hyperparameters=hps,
        configuration_space={name: choice(sorted(set(hps[name]))) for name in hps.columns},
        fidelity_space={"epoch": randint(1, high)},
        objectives_evaluations=np.concatenate([values, elapsed], axis=-1),
        objectives_names=["loss", "elapsed_time"],
    )

    logging.getLogger("syne_tune").setLevel(logging.WARNING)

    def run() -> str:
        os.environ.setdefault("SYNETUNE_FOLDER", tempfile.mkdtemp(prefix="syne-tune-"))
        backend = UserBlackboxBackend(blackbox=blackbox, elapsed_time_attr="elapsed_time")
        scheduler = ASHA(
            config_space=blackbox.configuration_space,
            metric="loss",
            time_attr="epoch",
            max_t=high,
            random_seed=0,
        )
        tuner = Tuner(
            trial_backend=backend,
            scheduler=scheduler,
            stop_criterion=StoppingCriterion(max_wallclock_time=sim_seconds),
            n_workers=workers,
            sleep_time=0,
            callbacks=[SimulatorCallback()],
            save_tuner=False,
            results_update_interval=3600,
            print_update_interval=3600,
        )
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):  # its per-trial lines
            tuner.run()
        status = tuner.tuning_status
        reports = status.overall_metric_statistics.count
        return f"{status.num_trials_started} trials, {reports} epoch reports"

    return run, ""


def compare(*, sim_seconds: float, workers: int, repeats: int) -> tuple[dict[str, Any], dict[str, str], str]:
    """Time hpobench's and (if importable) Syne Tune's simulated ASHA, interleaved.

    Returns:
        ``(timings, counts, reason)``: :class:`_timing.Timing` per simulator, the work each did,
        and why Syne Tune was not measured (empty when it was).
    """
    spec = RunSpec(
        benchmark=BenchmarkSpec.parse(TASK),
        method="asha",
        seed=0,
        budget=Budget.parse(f"{sim_seconds:g}s"),
        workers=workers,
    )
    counts: dict[str, str] = {}

    def ours() -> None:
        outcome = execute_run(spec, threads=1)
        assert not outcome.failed, outcome.provenance.get("error")
        counts["hpobench"] = f"{outcome.provenance['evaluations']} evaluations (rungs)"

    cases: dict[str, Any] = {"hpobench": ours}
    theirs, reason = _syne_tune_run(sim_seconds, workers)
    if theirs is not None:
        cases["Syne Tune"] = lambda: counts.__setitem__("Syne Tune", theirs())
    return interleaved(cases, repeats=repeats, warmup=False), counts, reason


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim-seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    start = time.perf_counter()
    timings, counts, reason = compare(
        sim_seconds=args.sim_seconds, workers=args.workers, repeats=args.repeats
    )
    print(
        f"ASHA, {args.workers} simulated workers, {args.sim_seconds:g} simulated s on {TASK}, "
        f"{args.repeats} interleaved repeats ({time.perf_counter() - start:.0f} s in all)"
    )
    print(f"{'simulator':<12} {'wall s (min / median)':>22} {'simulated s per wall s':>24}  work done")
    for name, t in timings.items():
        rate = args.sim_seconds / t.min
        print(f"{name:<12} {t.min:>10.3g} / {t.median:<10.3g} {rate:>24.3g}  {counts.get(name, '?')}")
    if "Syne Tune" not in timings:
        print(f"Syne Tune: peer unavailable: {reason}")
    else:
        ratio = timings["Syne Tune"].min / timings["hpobench"].min
        print(f"hpobench simulates the same ASHA {ratio:.1f}x faster than Syne Tune's simulator (same run)")


if __name__ == "__main__":
    main()
