"""Train hpobench's own FT-PFN (the freeze-thaw curve surrogate of ifBO) with the ``ifbo`` prior.

The ``ifbo`` package (0.4.1, MIT) ships the FT-PFN prior, the model classes and a training loop,
but its trained weights are a download at run time that unpickles a whole module. We train our
own with the package's prior (``ifbo.priors.ftpfn_prior.get_batch``), encoder
(``ftpfn_prior.get_encoder()``), model (``ifbo.transformer.TransformerModel``) and criterion
(``ifbo.bar_distribution.BarDistribution`` over 1,000 bars on [0, 1]), exactly as
``ifbo.train.train`` builds them, with two changes for throughput: the prior -- about 1.5 s per
batch of 25 curves-sets of length 1,000 on one CPU thread, the bottleneck -- is sampled by
``--workers`` processes feeding a queue, and training is resumable across several GPU runs.

Outputs under ``--out DIR`` (written every ``--save-every`` minutes and at the end):

* ``ftpfn_v1.npz``: the model's ``state_dict`` as float32 arrays (loaded by
  :mod:`hpobench.methods._ftpfn` without unpickling),
* ``ftpfn_v1.json``: architecture, recipe, seed, steps, wall time, hardware, the training loss and
  a fixed held-out validation loss (nats per target, lower is better) at each save, sha256 of the npz,
* ``checkpoint/``: model, AdamW moments (one file each, each < 16 MiB at the default size) and
  ``state.json`` (step, schedule, history); ``--resume DIR/checkpoint`` continues from it.

Run (on the GPU machine; needs only torch, numpy, scipy and ifbo's own requirements)::

    python benchmarks/train_ftpfn.py --out OUT --minutes 8.5 --workers 15
    python benchmarks/train_ftpfn.py --out OUT2 --resume OUT/checkpoint --minutes 8.5 --workers 15

The prior batch of step ``k`` is drawn with seed ``batch_seed(seed, k)`` whichever worker draws it,
and the trainer consumes the workers' queues round-robin in step order, so the sequence of batches
depends only on ``--seed``. A resumed run continues exactly: on CPU, ``N`` steps in one run and
``k + (N - k)`` steps across a resume give bitwise equal weights (``tests/test_train_ftpfn.py``); on
CUDA only up to the non-determinism of its kernels. Nothing else in training draws random numbers
(dropout 0), so the checkpoint holds no RNG state beyond the step.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import platform
import queue
import sys
import time
import types
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _ftpfn_checkpoint import load_checkpoint, save

BORDERS = 1000
NUM_FEATURES = 12  # curve id, step, and up to 10 hyperparameters (as the official FT-PFN)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--resume", type=Path, default=None, help="a checkpoint/ folder of an earlier run")
    p.add_argument("--minutes", type=float, default=8.5, help="wall-clock budget of this run")
    p.add_argument("--save-every", type=float, default=2.0, help="minutes between saves")
    p.add_argument(
        "--workers",
        type=int,
        default=max(1, (os.cpu_count() or 2) - 1),
        help="prior sampling processes (0: sample in the training process, for debugging)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--emsize", type=int, default=256)
    p.add_argument("--nlayers", type=int, default=4)
    p.add_argument("--nhead", type=int, default=4)
    p.add_argument("--nhid", type=int, default=512)
    p.add_argument("--batch-size", type=int, default=25)
    p.add_argument("--seq-len", type=int, default=1000)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--warmup-steps", type=int, default=500)
    p.add_argument("--planned-steps", type=int, default=20000, help="length of the cosine schedule")
    p.add_argument("--val-batches", type=int, default=8, help="fixed held-out prior batches")
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps in all")
    args = p.parse_args(argv)
    if args.workers < 0:
        p.error("--workers must be >= 0")
    return args


def architecture(args: argparse.Namespace) -> dict[str, int]:
    return {
        "emsize": args.emsize,
        "nlayers": args.nlayers,
        "nhead": args.nhead,
        "nhid": args.nhid,
        "num_features": NUM_FEATURES,
        "num_bars": BORDERS,
        "seq_len": args.seq_len,
    }


class _Absent(types.ModuleType):
    """Stands in for a module that ``ifbo`` imports at package import but this script never uses.

    ``import ifbo`` imports ``requests`` (for its weight download) and ``cloudpickle`` (through
    ``submitit``, for its prior-chunk cache); neither runs here. On a machine where they are not
    installed (the GPU machine has only torch, numpy, scipy and ifbo's wheels with ``--no-deps``),
    this module object takes their place: attribute access works (for annotations and class
    bases evaluated at import), any call raises ImportError naming the missing package.
    """

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        name = self.__name__

        class Missing:
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                raise ImportError(f"{name}.{attr} needs the package {name!r}, which is not installed")

        Missing.__name__ = attr
        return Missing


def import_ifbo() -> None:
    """Import ``ifbo`` with only its runtime-needed dependencies installed (see ``_Absent``)."""
    import importlib

    for name in ("requests", "cloudpickle"):
        try:
            importlib.import_module(name)
        except ImportError:
            sys.modules[name] = _Absent(name)
    import ifbo  # noqa: F401


def build_model(arch: dict[str, int]) -> tuple[torch.nn.Module, torch.nn.Module]:
    """The ifbo ``TransformerModel`` and ``BarDistribution`` as ``ifbo.train.train`` builds them."""
    import_ifbo()
    from ifbo import encoders, positional_encodings
    from ifbo.bar_distribution import BarDistribution
    from ifbo.priors import ftpfn_prior
    from ifbo.transformer import TransformerModel

    criterion = BarDistribution(torch.linspace(0, 1, arch["num_bars"] + 1))
    model = TransformerModel(
        encoder=ftpfn_prior.get_encoder()(arch["num_features"], arch["emsize"]),
        ninp=arch["emsize"],
        nhead=arch["nhead"],
        nhid=arch["nhid"],
        nlayers=arch["nlayers"],
        dropout=0.0,
        y_encoder=encoders.Linear(1, arch["emsize"]),
        pos_encoder=positional_encodings.NoPositionalEncoding(arch["emsize"], arch["seq_len"] * 2),
        decoder_dict={"standard": (None, arch["num_bars"])},
        efficient_eval_masking=True,
    )
    return model, criterion


def sample_batch(*, seed: int, batch_size: int, seq_len: int) -> tuple[np.ndarray, np.ndarray, int]:
    """One prior batch: ``x (seq, batch, 12)``, ``y (seq, batch)`` and the single evaluation position."""
    import_ifbo()
    from ifbo.priors import ftpfn_prior

    # the ifbo prior draws from numpy's and torch's global generators: seed both
    np.random.seed(seed % 2**32)  # noqa: NPY002
    torch.manual_seed(seed)
    single_eval_pos = int(np.random.randint(0, seq_len))  # noqa: NPY002  # uniform, as PFN training samples it
    batch = ftpfn_prior.get_batch(
        batch_size=batch_size,
        seq_len=seq_len,
        num_features=NUM_FEATURES,
        single_eval_pos=single_eval_pos,
        device="cpu",
        hyperparameters={},
    )
    return batch.x.numpy(), batch.y.numpy(), single_eval_pos


def batch_seed(seed: int, step: int) -> int:
    """The prior seed of training step ``step`` (validation batches use seeds >= 10**12)."""
    return seed * 10**8 + step


def _worker(*, first_step: int, stride: int, seed: int, batch_size: int, seq_len: int, out: Any) -> None:
    """Sample the prior batches of steps ``first_step, first_step + stride, ...`` into ``out``."""
    torch.set_num_threads(1)
    step = first_step
    while True:
        out.put(sample_batch(seed=batch_seed(seed, step), batch_size=batch_size, seq_len=seq_len))
        step += stride


def lr_factor(step: int, *, warmup: int, planned: int) -> float:
    """Linear warmup, then cosine decay to zero at ``planned`` steps (ifbo's schedule)."""
    if step < warmup:
        return step / max(1, warmup)
    progress = min(1.0, (step - warmup) / max(1, planned - warmup))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * progress)))


def batch_loss(
    model: torch.nn.Module, criterion: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, sep: int
) -> torch.Tensor:
    """Mean negative log-likelihood of the targets after position ``sep``."""
    logits = model((x, y[:sep].unsqueeze(-1)), single_eval_pos=sep)
    loss: torch.Tensor = criterion(logits.float(), y[sep:]).mean()
    return loss


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    start = time.time()
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    device = args.device
    arch = architecture(args)
    recipe = {
        "optimizer": "AdamW",
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "warmup_steps": args.warmup_steps,
        "planned_steps": args.planned_steps,
        "schedule": "linear warmup, cosine to 0",
        "batch_size": args.batch_size,
        "seq_len": args.seq_len,
        "single_eval_pos": "uniform on [0, seq_len)",
        "grad_clip": 1.0,
        "precision": "bf16 autocast" if device.startswith("cuda") else "float32",
    }
    model, criterion = build_model(arch)
    model.to(device)
    criterion.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    state: dict[str, Any] = {
        "architecture": arch,
        "recipe": recipe,
        "seed": args.seed,
        "step": 0,
        "wall_seconds": 0.0,
        "runs": [],
        "history": [],
    }
    if args.resume is not None:
        state = load_checkpoint(args.resume, model, optimizer, device, arch)
        recipe = state["recipe"]
        if recipe["batch_size"] != args.batch_size:
            raise SystemExit(
                f"--resume {args.resume}: batch size {recipe['batch_size']} != --batch-size {args.batch_size}"
            )
    hardware = f"{platform.machine()} {os.cpu_count()} CPUs, torch {torch.__version__}"
    if device.startswith("cuda"):
        hardware += f", {torch.cuda.get_device_name(0)}"
    print(f"training {sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters on {hardware}")

    def validate() -> float:
        model.eval()
        losses = []
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
            for x, y, sep in val:
                sep = max(1, min(sep, args.seq_len - 1))
                xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
                losses.append(float(batch_loss(model, criterion, xt, yt, sep)))
        model.train()
        return float(np.mean(losses))

    # one queue per worker, read round-robin: step k's batch is batch_seed(seed, k) in any run
    ctx = mp.get_context("spawn")
    n_queues = max(1, args.workers)
    queues: list[Any] = [ctx.Queue(maxsize=4) for _ in range(n_queues)]
    first = state["step"]
    procs = [
        ctx.Process(
            target=_worker,
            kwargs={
                "first_step": first + w,
                "stride": args.workers,
                "seed": state["seed"],
                "batch_size": args.batch_size,
                "seq_len": args.seq_len,
                "out": queues[w],
            },
            daemon=True,
        )
        for w in range(args.workers)
    ]
    for proc in procs:
        proc.start()
    val = [  # sampled here while the workers start
        sample_batch(seed=10**12 + i, batch_size=args.batch_size, seq_len=args.seq_len)
        for i in range(args.val_batches)
    ]
    run = {"hardware": hardware, "start_step": state["step"], "workers": args.workers}
    deadline = start + 60 * args.minutes
    next_save = time.time() + 60 * args.save_every
    run_start, losses, waited = time.time(), [], 0.0
    model.train()
    try:
        while time.time() < deadline and (args.max_steps is None or state["step"] < args.max_steps):
            t0 = time.time()
            batch: tuple[np.ndarray, np.ndarray, int] | None
            if args.workers == 0:
                batch = sample_batch(
                    seed=batch_seed(state["seed"], state["step"]),
                    batch_size=args.batch_size,
                    seq_len=args.seq_len,
                )
            else:
                batch = _next_batch(queues[(state["step"] - first) % n_queues], procs, deadline)
            if batch is None:
                break
            x, y, sep = batch
            waited += time.time() - t0
            sep = max(1, min(sep, args.seq_len - 1))  # at least one context and one target
            xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
            for group in optimizer.param_groups:
                group["lr"] = recipe["lr"] * lr_factor(
                    state["step"], warmup=recipe["warmup_steps"], planned=recipe["planned_steps"]
                )
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.startswith("cuda")):
                loss = batch_loss(model, criterion, xt, yt, sep)
            optimizer.zero_grad(set_to_none=True)
            torch.autograd.backward(loss)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            state["step"] += 1
            losses.append(float(loss))
            if time.time() >= next_save and time.time() < deadline - 30:
                next_save = time.time() + 60 * args.save_every
                _record(state, losses, validate(), run_start, waited, run)
                losses = []
                save(out=args.out, model=model, optimizer=optimizer, state=state)
    finally:
        for proc in procs:
            proc.terminate()
    _record(state, losses, validate(), run_start, waited, run)
    state["runs"].append({**run, "end_step": state["step"], "seconds": round(time.time() - run_start, 1)})
    save(out=args.out, model=model, optimizer=optimizer, state=state)
    print(json.dumps(state["history"][-3:], indent=1))
    return 0


def _next_batch(q: Any, procs: list[Any], deadline: float) -> tuple[np.ndarray, np.ndarray, int] | None:
    """The next batch from ``q``; None at the deadline; an error if a prior worker died."""
    while time.time() < deadline:
        try:
            batch: tuple[np.ndarray, np.ndarray, int] = q.get(
                timeout=min(10.0, max(0.1, deadline - time.time()))
            )
            return batch
        except queue.Empty:
            dead = [p.exitcode for p in procs if not p.is_alive()]
            if dead:
                raise RuntimeError(
                    f"a prior worker exited with code {dead[0]}; see its traceback above"
                ) from None
    return None


def _record(
    state: dict[str, Any],
    losses: list[float],
    val_loss: float,
    run_start: float,
    waited: float,
    run: dict[str, Any],
) -> None:
    now = time.time()
    elapsed = now - run_start
    entry = {
        "step": state["step"],
        "train_loss": float(np.mean(losses)) if losses else None,
        "val_loss": val_loss,
        "run_seconds": round(elapsed, 1),
        "share_waiting_for_prior": round(waited / max(elapsed, 1e-9), 3),
        "hardware": run["hardware"],
    }
    state["history"].append(entry)
    state["wall_seconds"] = round(sum(r["seconds"] for r in state["runs"]) + elapsed, 1)
    print(json.dumps(entry), flush=True)


if __name__ == "__main__":
    sys.exit(main())
