"""Milliseconds per FT-PFN prediction: hpobench's ``FTPFN.predict`` versus the ``ifbo`` package's call.

For context sizes 50, 200 and 1,000 observed curve points (from ``--curves`` partially observed
curves, d = 7 hyperparameters) and ``--queries`` query points (every curve at t = 1, as one
freeze-thaw decision asks), times in one process, interleaved, with the same weights and inputs:

* ``ours``: :meth:`hpobench.methods._ftpfn.FTPFN.predict` (validation, id mapping, forward pass,
  float64 bucket probabilities);
* ``ours net``: the forward pass of :class:`~hpobench.methods._ftpfn_net.FTPFNNet` alone on tokens;
* ``ifbo``: ``ifbo.surrogate.FTPFN.forward`` 0.4.1 (input checks, id remap, ifbo's
  ``TransformerModel``) on the same tokens -- ifbo's own surrogate call minus its download, with
  our weights loaded into its model; its logits are checked equal to ours first.

Then a simulated ``--run-evaluations`` run (default 200): decision k predicts ``--candidates``
queries (default 256) from k - 1 observations; ours and ifbo's call interleaved per decision, summed.

All under ``torch.inference_mode`` with ``--threads`` torch threads (default 1). Weights: ``--weights``
(our npz), else seeded random weights of the default architecture (speed depends on the shape only).
Run::

    OMP_NUM_THREADS=1 python benchmarks/bench_ftpfn.py [--weights PATH] [--repeats 7] [--run-evaluations 200]
"""

from __future__ import annotations

import argparse
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _timing import interleaved, peer

from hpobench.methods._ftpfn import FTPFN

CONTEXTS = (50, 200, 1000)


def inputs(n_context: int, *, n_curves: int, d: int, seed: int) -> dict[str, np.ndarray]:
    """``n_context`` observations spread over ``n_curves`` curves, and one query per curve at t = 1."""
    rng = np.random.default_rng(seed)
    counts = np.full(n_curves, n_context // n_curves) + (np.arange(n_curves) < n_context % n_curves)
    ids = np.repeat(np.arange(n_curves), counts)
    step = np.concatenate([np.arange(1, c + 1) for c in counts])
    configs = rng.uniform(0, 1, (n_curves, d))
    queries = np.arange(n_curves)
    return {
        "ids_train": ids,
        "t_train": np.minimum(step / 100.0, 1.0),
        "x_train": configs[ids],
        "y_train": np.clip(0.5 + 0.3 * np.tanh(step / 30.0) + 0.02 * rng.normal(size=n_context), 0, 1),
        "ids_test": queries,
        "t_test": np.ones(len(queries)),
        "x_test": configs[queries],
    }


def ifbo_call(model: FTPFN) -> tuple[Any, str]:
    """ifbo's surrogate around an ifbo ``TransformerModel`` holding ``model``'s weights."""
    surrogate_mod, reason = peer("ifbo.surrogate")
    if surrogate_mod is None:
        return None, reason
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from train_ftpfn import build_model

    arch = model.architecture
    shape = {"emsize": arch.emsize, "nlayers": arch.nlayers, "nhead": arch.nhead, "nhid": arch.nhid}
    shape |= {"num_features": arch.num_features, "num_bars": arch.num_bars, "seq_len": 1000}
    ifbo_model, _ = build_model(shape)
    ifbo_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.net.state_arrays().items()})
    surrogate = surrogate_mod.FTPFN.__new__(surrogate_mod.FTPFN)  # its __init__ downloads weights
    torch.nn.Module.__init__(surrogate)
    surrogate.model, surrogate.device, surrogate.version = ifbo_model.eval(), None, "0.0.1"
    return surrogate, ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", type=Path, default=None, help="our .npz (default: random weights)")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--curves", type=int, default=100, help="partially observed curves (= queries)")
    p.add_argument("--run-evaluations", type=int, default=200, help="length of the simulated run (0: skip)")
    p.add_argument("--candidates", type=int, default=256, help="queries per decision of the simulated run")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model = FTPFN.load(args.weights) if args.weights else FTPFN.random(seed=0)
    surrogate, reason = ifbo_call(model)
    print(
        f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, {args.threads} thread(s)"
    )
    print(f"# weights: {model.source}; {args.curves} curves, one query each at t = 1")
    print(f"# ifbo: {'ifbo.surrogate.FTPFN.forward 0.4.1' if surrogate is not None else reason}")
    print("| context points | ours ms (min / median) | ours net ms | ifbo ms | ifbo / ours (median) |")
    print("|---|---|---|---|---|")
    for n in CONTEXTS:
        kw = inputs(n, n_curves=min(args.curves, n), d=7, seed=n)
        xt, yt, xq = model._tokens(tuple(kw.values()))
        cases: dict[str, Any] = {
            "ours": lambda kw=kw: model.predict(**kw),
            "ours net": lambda xt=xt, yt=yt, xq=xq: model.net(xt, yt, xq),
        }
        if surrogate is not None:
            args_ifbo = (xt[:, 0].clone(), yt[:, 0].clone(), xq[:, 0].clone())
            with torch.inference_mode():
                theirs = surrogate(*args_ifbo)[:, 0]
                ours = model.net(xt, yt, xq)[:, 0]
            diff = float((theirs - ours).abs().max())
            if diff > 1e-3:
                raise SystemExit(f"ifbo and ours disagree at context {n}: max |logit diff| {diff}")
            cases["ifbo"] = lambda a=args_ifbo: surrogate(a[0].clone(), a[1].clone(), a[2].clone())
        with torch.inference_mode():
            t = interleaved(cases, repeats=args.repeats)
        ms = {k: f"{1e3 * v.min:.1f} / {1e3 * v.median:.1f}" for k, v in t.items()}
        ratio = f"{t['ifbo'].median / t['ours'].median:.2f}" if "ifbo" in t else "n/a"
        print(f"| {n} | {ms['ours']} | {ms['ours net']} | {ms.get('ifbo', 'n/a')} | {ratio} |")
    if args.run_evaluations:
        run_table(model, surrogate, evaluations=args.run_evaluations, candidates=args.candidates)
    return 0


def run_table(model: FTPFN, surrogate: Any, *, evaluations: int, candidates: int) -> None:
    """Seconds of FT-PFN calls in a freeze-thaw run: decision k sees k - 1 observed points.

    Each decision predicts ``candidates`` queries (the curves in progress and fresh configurations,
    at t = 1); the observations are spread over at most 50 curves. The cases are interleaved per
    decision (each decision times ours, then ifbo's), and the seconds are summed over the run.
    """
    configs = np.random.default_rng(0).uniform(0, 1, (candidates, 7))
    queries = {"ids_test": np.arange(candidates), "t_test": np.ones(candidates), "x_test": configs}
    total = {"ours": 0.0, "ifbo": 0.0}
    with torch.inference_mode():
        for k in range(1, evaluations):
            kw = inputs(k, n_curves=min(50, k), d=7, seed=k)
            train = {name: v for name, v in kw.items() if name.endswith("_train")}
            cases: dict[str, Any] = {"ours": lambda train=train: model.predict(**train, **queries)}
            if surrogate is not None:
                xt, yt, xq = model._tokens((*train.values(), *queries.values()))
                cases["ifbo"] = lambda a=(xt[:, 0], yt[:, 0], xq[:, 0]): surrogate(*(x.clone() for x in a))
            for name, timing in interleaved(cases, repeats=1, warmup=k == 1).items():
                total[name] += timing.min
    line = ", ".join(f"{k} {v:.1f} s" for k, v in total.items() if k == "ours" or surrogate is not None)
    print(f"\n# a {evaluations}-evaluation run, {candidates} queries per decision: FT-PFN calls take {line}")


if __name__ == "__main__":
    sys.exit(main())
