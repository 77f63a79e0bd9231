"""Quality of an FT-PFN on real learning curves it was not trained on: extrapolation and log-likelihood.

FT-PFN is trained on synthetic prior curves only, so every real curve is held out. For each task,
``--reps`` times: draw ``--curves`` configurations, observe each curve's first fraction ``f`` of
epochs (f in ``--fractions``, default 0.1, 0.2, 0.3, 0.5) as the context, then ask the model for

* the final value of every curve (t = 1): ``mae``, the mean absolute error of the predictive mean,
  against ``mae_last``, the last-value baseline (the last observed value is the prediction);
* every unobserved point of every curve: ``ll``, the mean log predictive density (nats; on the
  [0, 1] value scale, so a uniform prediction scores 0, higher is better), and ``ll_final`` at t = 1.

Tasks (values mapped to [0, 1], higher is better, per task with fixed bounds):

* ``taskset/*``: the real TaskSet IMDB RNN curves (DyHPO's subset, 51 steps, 8 Adam
  hyperparameters), ``<data-dir>/taskset/*.json``; y = 1 - (loss - min) / (m1 - min), clipped to [0, 1], where
  m1 is the median loss after the first step (about chance level, ln 2).
* ``lcbench_own/*``: hpobench's own LCBench-style MLP curves (50 epochs, 7 hyperparameters,
  shipped in ``surrogates/own_data``); y = validation accuracy. Curves with a missing point skipped.
* ``fcnet_own/*``: hpobench's own FCNet-style curves (100 epochs, 9 hyperparameters, seed 0); y = 1 -
  (log mse - min) / (m1 - min), clipped, m1 the median log mse after the first epoch.

Hyperparameters are scaled to [0, 1] per task (log scale where the family searches it on one; grid
values by their index). The real LCBench ``data_2k.json`` is not read (not in the data directory).
Run::

    OMP_NUM_THREADS=1 python benchmarks/ftpfn_quality.py --weights OUT/ftpfn_v1.npz --out quality.json
    python benchmarks/ftpfn_quality.py --official PATH/bopfn_broken_unisep_1000curves_10params_2M.pt
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hpobench.methods._ftpfn import FTPFN
from hpobench.surrogates import lcbench, taskset

OWN = Path(__file__).resolve().parents[1] / "surrogates" / "own_data"
Task = tuple[str, np.ndarray, np.ndarray]  # name, unit hyperparameters (n, d), curves (n, epochs) in [0, 1]


def _unit(columns: list[np.ndarray], log: list[bool]) -> np.ndarray:
    out = []
    for col, lg in zip(columns, log, strict=True):
        v = np.log(col) if lg else col.astype(float)
        span = v.max() - v.min()
        out.append((v - v.min()) / span if span > 0 else np.full(len(v), 0.5))
    return np.column_stack(out)


def _loss_to_unit(loss: np.ndarray) -> np.ndarray:
    """1 at the task's lowest loss, 0 at (or above) the median loss after the first epoch."""
    lo, hi = float(np.min(loss)), float(np.median(loss[:, 0]))
    return np.asarray(np.clip(1.0 - (loss - lo) / (hi - lo), 0.0, 1.0))


def taskset_tasks(data_dir: Path, limit: int) -> Iterator[Task]:
    """The real TaskSet curves of the data directory (valid loss)."""
    for path in sorted((data_dir / "taskset").glob("*.json"))[:limit]:
        candidates, table = taskset.parse_taskset(json.loads(path.read_text()), what=str(path))
        loss = table[:, 0, :, taskset.METRICS.index("valid_loss")]
        ok = np.all(np.isfinite(loss), axis=1)
        hps = _unit(
            [candidates[h][ok] for h in taskset.HYPERPARAMETERS],
            [h in taskset.LOG for h in taskset.HYPERPARAMETERS],
        )
        yield f"taskset/{path.stem}", hps, _loss_to_unit(loss[ok])


def own_tasks(family: str, limit: int) -> Iterator[Task]:
    """hpobench's own generated tables (``surrogates/own_data/<family>``), seed 0."""
    for path in sorted((OWN / family).glob("*.npz"))[:limit]:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        metrics = [str(m) for m in arrays["metrics"]]
        if family == "fcnet_own":
            grid = {k.removeprefix("grid__"): v for k, v in arrays.items() if k.startswith("grid__")}
            idx = np.indices([len(v) for v in grid.values()]).reshape(len(grid), -1).T  # row-major
            hps = idx / np.maximum(np.array([len(v) - 1 for v in grid.values()]), 1)
            mse = arrays["table"][:, 0, :, metrics.index("valid_mse")].astype(float)
            ok = np.all(np.isfinite(mse) & (mse > 0), axis=1)
            yield f"{family}/{path.stem}", hps[ok], _loss_to_unit(np.log(mse[ok]))
        else:
            cand = {
                k.removeprefix("candidates__"): v for k, v in arrays.items() if k.startswith("candidates__")
            }
            acc = arrays["table"][:, 0, :, metrics.index("valid_accuracy")].astype(float)
            ok = np.all(np.isfinite(acc), axis=1)
            hps = _unit([v[ok] for v in cand.values()], [h in lcbench.LOG for h in cand])
            yield f"{family}/{path.stem}", hps, np.clip(acc[ok], 0.0, 1.0)


def evaluate(
    model: FTPFN, task: Task, *, fraction: float, curves: int, reps: int, seed: int
) -> dict[str, Any]:
    """Extrapolation and log-likelihood scores of ``model`` on one task at one observed fraction."""
    name, hps, ys = task
    n_epochs = ys.shape[1]
    cut = min(max(1, round(fraction * n_epochs)), n_epochs - 1)
    t = np.arange(1, n_epochs + 1) / n_epochs
    rows = []
    for rep in range(reps):
        rng = np.random.default_rng([seed, rep, zlib.crc32(name.encode())])
        pick = rng.choice(len(ys), size=min(curves, len(ys)), replace=False)
        ids = np.repeat(pick, cut)
        context = {"ids_train": ids, "t_train": np.tile(t[:cut], len(pick)), "x_train": hps[ids]}
        context["y_train"] = ys[pick, :cut].ravel()
        held = np.repeat(pick, n_epochs - cut)
        pred = model.predict(**context, ids_test=held, t_test=np.tile(t[cut:], len(pick)), x_test=hps[held])
        y_held = ys[pick, cut:].ravel()
        final = np.arange(len(pick)) * (n_epochs - cut) + (n_epochs - cut - 1)
        mean = pred.mean()[final]
        rows.append(
            {
                "mae": float(np.mean(np.abs(mean - ys[pick, -1]))),
                "mae_last": float(np.mean(np.abs(ys[pick, cut - 1] - ys[pick, -1]))),
                "ll": float(np.mean(pred.log_density(y_held))),
                "ll_final": float(np.mean(pred.log_density(y_held)[final])),
                "n_context": len(ids),
            }
        )
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]} | {"task": name, "fraction": fraction}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--weights", type=Path, default=None, help="our .npz (default: the shipped weights)")
    which.add_argument("--official", type=Path, default=None, help="the official ifBO checkpoint")
    which.add_argument("--random", type=int, default=None, metavar="SEED", help="random weights (a floor)")
    p.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("HPOBENCH_DATA_DIR", "../shared/data"))
    )
    p.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.2, 0.3, 0.5])
    p.add_argument("--curves", type=int, default=20, help="curves per context (<= 1000 points in all)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--tasks-per-family", type=int, default=4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=None, help="JSON file of all results")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.official is not None:
        model = FTPFN.load_official(args.official)
    elif args.random is not None:
        model = FTPFN.random(seed=args.random)
    else:
        model = FTPFN.load(args.weights)
    k = args.tasks_per_family
    tasks = [*taskset_tasks(args.data_dir, k), *own_tasks("lcbench_own", k), *own_tasks("fcnet_own", k)]
    if not tasks:
        raise SystemExit("no tasks found (is --data-dir right?)")
    print(f"# weights: {model.source}; {args.curves} curves x {args.reps} reps per task and fraction")
    print("| task | f | context | MAE final | MAE last-value | LL held-out | LL final |")
    print("|---|---|---|---|---|---|---|")
    start, results = time.time(), []
    for task in tasks:
        for f in args.fractions:
            r = evaluate(model, task, fraction=f, curves=args.curves, reps=args.reps, seed=args.seed)
            results.append(r)
            print(
                f"| {r['task']} | {f:g} | {r['n_context']:.0f} | {r['mae']:.4f} | {r['mae_last']:.4f}"
                f" | {r['ll']:.3f} | {r['ll_final']:.3f} |",
                flush=True,
            )
    summary = {}
    for family in sorted({r["task"].split("/")[0] for r in results}):
        for f in args.fractions:
            rs = [r for r in results if r["task"].startswith(family + "/") and r["fraction"] == f]
            summary[f"{family} f={f:g}"] = {
                k: float(np.mean([r[k] for r in rs])) for k in ("mae", "mae_last", "ll", "ll_final")
            }
    print(
        "\n| family, fraction | MAE final | MAE last-value | LL held-out | LL final |\n|---|---|---|---|---|"
    )
    for key, s in summary.items():
        print(f"| {key} | {s['mae']:.4f} | {s['mae_last']:.4f} | {s['ll']:.3f} | {s['ll_final']:.3f} |")
    if args.out is not None:
        meta = {
            "weights": model.source,
            "args": {k: str(v) for k, v in vars(args).items()},
            "seconds": time.time() - start,
        }
        args.out.write_text(json.dumps({**meta, "summary": summary, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
