"""benchmarks/train_ftpfn.py: a tiny FT-PFN trains on CPU, saves npz + JSON + checkpoint, resumes exactly."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ifbo")
pytest.importorskip("torch")
import torch

from hpobench.methods._ftpfn import FTPFN

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "train_ftpfn.py"
TINY = ["--emsize", "16", "--nlayers", "1", "--nhead", "2", "--nhid", "32", "--batch-size", "2"]
TINY += ["--seq-len", "40", "--val-batches", "1", "--warmup-steps", "2", "--device", "cpu"]


def _train(tmp_path: Path, out: str, *extra: str) -> None:
    """Run the script's ``main`` in this process (its prior workers are spawned processes)."""
    spec = importlib.util.spec_from_file_location("train_ftpfn", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = sys.modules.get("train_ftpfn") or importlib.util.module_from_spec(spec)
    if "train_ftpfn" not in sys.modules:
        sys.modules["train_ftpfn"] = module  # spawned workers import it by name from sys.path
        sys.path.insert(0, str(SCRIPT.parent))
        spec.loader.exec_module(module)
    assert module.main(["--out", str(tmp_path / out), "--minutes", "3", *TINY, *extra]) == 0


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def test_train_saves_and_resumes_exactly(tmp_path: Path) -> None:
    # the batch of step k depends on the seed only: not on the number of workers, nor on a resume
    _train(tmp_path, "straight", "--max-steps", "4", "--workers", "2")
    _train(tmp_path, "first", "--max-steps", "2", "--workers", "0")
    ckpt = str(tmp_path / "first" / "checkpoint")
    _train(tmp_path, "resumed", "--max-steps", "4", "--workers", "0", "--resume", ckpt)

    straight = tmp_path / "straight"
    meta = json.loads((straight / "ftpfn_v1.json").read_text())
    assert meta["steps"] == 4
    assert meta["sha256"] == hashlib.sha256((straight / "ftpfn_v1.npz").read_bytes()).hexdigest()
    assert meta["architecture"]["emsize"] == 16
    assert "CPUs, torch" in meta["hardware"]
    assert meta["wall_seconds"] > 0
    assert meta["recipe"]["lr"] == 1e-4
    assert meta["architecture"]["num_bars"] == 1000
    assert all(np.isfinite(h["val_loss"]) for h in meta["history"])
    weights = _arrays(straight / "ftpfn_v1.npz")
    assert all(a.dtype == np.float32 for a in weights.values())
    assert weights["decoder_dict.standard.2.weight"].shape == (1000, 32)

    # every checkpoint file is plain tensors that load without unpickling arbitrary objects
    for name in ("model.pt", "exp_avg.pt", "exp_avg_sq.pt"):
        tensors = torch.load(straight / "checkpoint" / name, weights_only=True)
        assert tensors
        assert all(isinstance(t, torch.Tensor) for t in tensors.values())

    # the inference wrapper loads what the trainer writes (sha256 and architecture from the JSON)
    model = FTPFN.load(straight / "ftpfn_v1.npz")
    assert model.architecture.nhid == 32
    assert model.source.startswith("hpobench ftpfn_v1 (4 steps")

    # resume: 2 + 2 steps give bitwise the weights of 4 steps in one run
    resumed = _arrays(tmp_path / "resumed" / "ftpfn_v1.npz")
    assert resumed.keys() == weights.keys()
    for k, v in weights.items():
        np.testing.assert_array_equal(resumed[k], v, err_msg=k)
    first = _arrays(tmp_path / "first" / "ftpfn_v1.npz")
    assert any(not np.array_equal(first[k], v) for k, v in weights.items())  # it did train on
    meta_resumed = json.loads((tmp_path / "resumed" / "ftpfn_v1.json").read_text())
    assert meta_resumed["steps"] == 4
    assert [r["start_step"] for r in meta_resumed["runs"]] == [0, 2]

    # a checkpoint of another architecture is refused up front, naming both shapes
    with pytest.raises(SystemExit, match=r"architecture.*'emsize': 16"):
        _train(tmp_path, "other", "--workers", "0", "--emsize", "32", "--resume", ckpt)


BLOCK_IMPORTS = """
import os, runpy, sys
sys.path.insert(0, os.path.dirname(sys.argv[1]))  # as `python SCRIPT` does: its folder's helpers import
for name in ("requests", "cloudpickle", "tqdm", "hpobench"):
    sys.modules[name] = None  # as if not installed: import raises, find_spec gives None
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.slow
def test_train_runs_without_requests_cloudpickle_tqdm_or_hpobench(tmp_path: Path) -> None:
    """The GPU machine has only torch, numpy, scipy and ifbo's wheels installed with --no-deps."""
    cmd = [sys.executable, "-c", BLOCK_IMPORTS, str(SCRIPT), "--out", "out", *TINY, "--workers", "0"]
    proc = subprocess.run(
        [*cmd, "--max-steps", "1"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads((tmp_path / "out" / "ftpfn_v1.json").read_text())["steps"] == 1
