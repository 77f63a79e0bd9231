"""Small synthetic studies in the real store format, for the reporting tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hpobench.execution.store import write_run


def run_frame(
    run_id: str, bench: str, method: str, seed: int, true: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    n = len(true)
    fidelity = rng.choice([1.0, 3.0, 9.0], n)
    cost = fidelity * rng.uniform(0.5, 1.5, n)
    end = np.cumsum(cost)
    return pd.DataFrame(
        {
            "run_id": run_id,
            "benchmark": bench,
            "method": method,
            "seed": seed,
            "eval": np.arange(n),
            "config": "{}",
            "fidelity": fidelity,
            "tag": "",
            "status": "ok",
            "value": true + rng.normal(0, 0.001, n),
            "value_max": true,
            "cost": cost,
            "start": end - cost,
            "time": end,
            "worker": 0,
            "fidelity_spent": np.cumsum(fidelity) / 9.0,
        }
    )


def synthesise(
    out: Path,
    *,
    methods: int = 4,
    tasks: int = 5,
    seeds: int = 3,
    evals: int = 30,
    reference: dict[str, Any] | None = None,
) -> None:
    """Method ``i`` (``random_search`` first) converges faster with ``i``; reference best 0, worst 10.

    ``reference`` replaces the provenance's reference record of every run of task 0.
    """
    for t in range(tasks):
        bench = f"synthetic/t{t}"
        for m in range(methods):
            name = "random_search" if m == 0 else f"m{m}"
            for s in range(seeds):
                rng = np.random.default_rng([t, m, s])
                gap = np.minimum.accumulate(rng.uniform(0, 1, evals) ** (1 + 2 * m))
                true = 10.0 * gap
                run_id = f"t{t}.{name}.s{s}"
                ref: dict[str, Any] = {"best": 0.0, "worst": 10.0, "source": "synthetic"}
                if t == 0 and reference is not None:
                    ref = reference
                prov = {
                    "run_id": run_id,
                    "spec": {"benchmark": bench, "method": name, "seed": s, "budget": str(evals)},
                    "status": "ok",
                    "task": {"objective": "value", "direction": "minimize"},
                    "reference": ref,
                }
                write_run(out, run_id, run_frame(run_id, bench, name, s, true, rng), prov)


def rewrite_record(out: Path, run_id: str, edit: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Store run ``run_id`` again with its provenance record passed through ``edit``.

    For studies that need a record unlike what a run writes (another direction, a failure):
    editing the file in place would be caught as damage (the record carries its own checksum).
    """
    runs = out / "runs"
    record = json.loads((runs / f"{run_id}.json").read_text())
    record.pop("table", None)
    write_run(out, run_id, pd.read_parquet(runs / f"{run_id}.parquet"), edit(record))
