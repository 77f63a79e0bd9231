"""Checkpoints and shipped weights of ``benchmarks/train_ftpfn.py`` (its file formats, in one place).

A run writes, under ``--out DIR``: ``ftpfn_v1.npz`` (the model's float32 state_dict as plain
arrays) with its sidecar ``ftpfn_v1.json`` (sha256, architecture, recipe, runs, history), and
``checkpoint/`` to resume from: ``model.pt``, ``exp_avg.pt`` and ``exp_avg_sq.pt`` (plain tensor
dicts, read back with ``torch.load(weights_only=True)``) and ``state.json``. Every file is written
to a temporary name and moved into place.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

NAME = "ftpfn_v1"


def _save_tensors(path: Path, tensors: dict[str, torch.Tensor]) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save({k: v.detach().cpu().contiguous() for k, v in tensors.items()}, tmp)
    os.replace(tmp, path)


def save(
    *,
    out: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.AdamW,
    state: dict[str, Any],
) -> None:
    """Write the npz + JSON weights and the resumable checkpoint (atomically, file by file)."""
    ckpt = out / "checkpoint"
    ckpt.mkdir(parents=True, exist_ok=True)
    names = [n for n, _ in model.named_parameters()]
    params = dict(model.named_parameters())
    _save_tensors(ckpt / "model.pt", dict(model.state_dict()))
    for moment in ("exp_avg", "exp_avg_sq"):
        moments = {}
        for n in names:
            st = optimizer.state.get(params[n], {})
            if moment in st:
                moments[n] = st[moment]
        _save_tensors(ckpt / f"{moment}.pt", moments)
    steps = {n: float(optimizer.state[params[n]]["step"]) for n in names if params[n] in optimizer.state}
    (ckpt / "state.json").write_text(json.dumps({**state, "adam_steps": steps}, indent=1))
    arrays = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    npz = out / f"{NAME}.npz"
    with open(out / f"{NAME}.npz.tmp", "wb") as fh:
        np.savez(fh, **arrays)
    os.replace(out / f"{NAME}.npz.tmp", npz)
    digest = hashlib.sha256(npz.read_bytes()).hexdigest()
    meta = {
        "name": NAME,
        "format": "npz of the ifbo TransformerModel state_dict (float32); keys as in the state_dict",
        "sha256": digest,
        "architecture": state["architecture"],
        "recipe": state["recipe"],
        "seed": state["seed"],
        "steps": state["step"],
        "wall_seconds": state["wall_seconds"],
        "hardware": "; ".join(
            dict.fromkeys([r["hardware"] for r in state["runs"]] + [h["hardware"] for h in state["history"]])
        ),
        "runs": state["runs"],
        "history": state["history"],
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "trainer": "benchmarks/train_ftpfn.py",
        "prior": "ifbo==0.4.1 ifbo.priors.ftpfn_prior.get_batch, hyperparameters={}",
    }
    (out / f"{NAME}.json").write_text(json.dumps(meta, indent=1))


def load_checkpoint(
    path: Path, model: torch.nn.Module, optimizer: torch.optim.AdamW, device: str, arch: dict[str, int]
) -> dict[str, Any]:
    """Restore model and AdamW state from ``path`` (plain tensors, ``weights_only=True``).

    Raises:
        SystemExit: the checkpoint is missing or of another architecture than ``arch``.
    """
    if not (path / "state.json").is_file():
        raise SystemExit(f"--resume {path}: no state.json (expected a checkpoint/ folder of train_ftpfn.py)")
    state: dict[str, Any] = json.loads((path / "state.json").read_text())
    if state["architecture"] != arch:
        raise SystemExit(f"--resume {path}: architecture {state['architecture']} != this run's {arch}")
    model.load_state_dict(torch.load(path / "model.pt", map_location=device, weights_only=True))
    params = dict(model.named_parameters())
    moments = {
        m: torch.load(path / f"{m}.pt", map_location=device, weights_only=True)
        for m in ("exp_avg", "exp_avg_sq")
    }
    for n, step in state.pop("adam_steps").items():
        optimizer.state[params[n]] = {
            "step": torch.tensor(step),
            # moments may have been stored in bfloat16 to fit a transfer limit: back to the parameter's dtype
            "exp_avg": moments["exp_avg"][n].to(params[n].dtype),
            "exp_avg_sq": moments["exp_avg_sq"][n].to(params[n].dtype),
        }
    return state
