"""FT-PFN inference: weights loading (our npz, the official ifBO checkpoint) and curve prediction.

:class:`FTPFN` answers "what will curve ``c`` reach at fidelity ``t``" for a set of partially
observed learning curves, in one forward pass of the in-context model (no fitting). It runs on CPU
with torch under ``torch.inference_mode``; the caller pins the threads.

Weights:

* :meth:`FTPFN.load` -- hpobench's own FT-PFN (``benchmarks/train_ftpfn.py``), shipped as
  ``ftpfn_weights/ftpfn_v1.npz`` + ``ftpfn_v1.json`` (architecture, recipe, sha256). Plain float32
  arrays read with ``allow_pickle=False`` after the sha256 check; nothing is downloaded.
* :meth:`FTPFN.load_official` -- the official ifBO checkpoint, only from a path the user gives.
* :meth:`FTPFN.random` -- seeded random weights, for tests.

:attr:`FTPFN.source` says which weights ran (for provenance).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hpobench.methods._curve_prediction import CurvePrediction
from hpobench.methods._ftpfn_net import MAX_CURVE_ID, Architecture, FTPFNNet, expected_shapes

__all__ = ["DEFAULT_WEIGHTS", "FTPFN", "CurvePrediction"]

DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "ftpfn_weights" / "ftpfn_v1.npz"
QUERY_CHUNK = 2000  # queries per forward pass (as ifbo's surrogate); queries are independent


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _shape_summary(arch: Architecture) -> str:
    shapes = expected_shapes(arch)
    keys = ["encoder.idcurve_enc.weight", "transformer_encoder.layers.0.linear1.weight"]
    keys.append("decoder_dict.standard.2.weight")
    return f"{arch}: {len(shapes)} arrays, e.g. " + ", ".join(f"{k} {shapes[k]}" for k in keys)


class FTPFN:
    """The FT-PFN curve model with loaded weights; build it with a ``load*`` or ``random`` classmethod.

    Attributes:
        net: the torch network (eval mode, no gradients).
        source: which weights these are, e.g. ``"hpobench ftpfn_v1 (12000 steps, sha256 1a2b...)"``.
    """

    def __init__(self, *, net: FTPFNNet, source: str) -> None:
        self.net = net.eval()
        self.source = source
        self.borders = np.linspace(0.0, 1.0, net.arch.num_bars + 1)

    @property
    def architecture(self) -> Architecture:
        """The network's shape."""
        return self.net.arch

    @classmethod
    def load(cls, path: str | Path | None = None) -> FTPFN:
        """Load hpobench's FT-PFN weights (``.npz`` + JSON sidecar of the same stem).

        Args:
            path: the ``.npz`` file; None for the shipped ``ftpfn_weights/ftpfn_v1.npz``.

        Raises:
            FileNotFoundError: the npz or its JSON sidecar is missing.
            ValueError: the sha256 differs from the sidecar's (corrupt file), or the arrays do not
                form the sidecar's architecture (the message names the file and expected shapes).
        """
        npz = Path(path) if path is not None else DEFAULT_WEIGHTS
        sidecar = npz.with_suffix(".json")
        if not npz.is_file():
            hint = (
                " hpobench ships no FT-PFN weights yet; train them with benchmarks/train_ftpfn.py"
                " or use FTPFN.load_official(PATH) with the official ifBO checkpoint"
                if path is None
                else ""
            )
            raise FileNotFoundError(f"FT-PFN weights {npz} not found.{hint}")
        if not sidecar.is_file():
            raise FileNotFoundError(
                f"FT-PFN weights {npz}: its sidecar {sidecar} (sha256, architecture) is missing"
            )
        try:
            meta: dict[str, Any] = json.loads(sidecar.read_text())
            arch = Architecture(**{f.name: int(meta["architecture"][f.name]) for f in fields(Architecture)})
            expected_sha = str(meta["sha256"])
        except (ValueError, KeyError, TypeError) as err:
            raise ValueError(f"FT-PFN sidecar {sidecar} is not valid: {err}") from err
        actual = _sha256(npz)
        if actual != expected_sha:
            raise ValueError(
                f"FT-PFN weights {npz} are corrupt: sha256 {actual} != {expected_sha} in {sidecar}"
            )
        try:
            with np.load(npz, allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
            net = FTPFNNet.from_arrays(arch, arrays)
        except ValueError as err:
            raise ValueError(f"FT-PFN weights {npz}: {err}; expected {_shape_summary(arch)}") from err
        steps = meta.get("steps", "?")
        return cls(
            net=net, source=f"hpobench {meta.get('name', npz.stem)} ({steps} steps, sha256 {actual[:12]})"
        )

    @classmethod
    def load_official(cls, path: str | Path, *, nhead: int | None = None) -> FTPFN:
        """Load the official ifBO checkpoint (``bopfn_broken_unisep_1000curves_10params_2M.pt``).

        The file is read with ``torch.load(weights_only=True)``: a plain state dict loads as is; the
        official file, a pickled ifbo ``TransformerModel``, loads through torch's restricted
        unpickler with only the ifbo and torch module classes it consists of allowed (this needs
        the ``ifbo`` package: ``pip install "hpobench[ifbo]"``), so no arbitrary code runs.

        Args:
            path: the checkpoint file the user has.
            nhead: attention heads; read from the module when the file is one, else default 4.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file is neither (the message names it and the expected shapes).
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"official FT-PFN checkpoint {path} not found")
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            obj = _load_pickled_ifbo_model(path)
        if isinstance(obj, torch.nn.Module):
            layers = getattr(getattr(obj, "transformer_encoder", None), "layers", None)
            if nhead is None and layers is not None and len(layers):
                nhead = int(layers[0].self_attn.num_heads)
            obj = obj.state_dict()
        if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
            raise ValueError(f"official FT-PFN checkpoint {path}: not a model or a dict of tensors")
        arch = _infer_architecture(obj, nhead=nhead if nhead is not None else 4, path=path)
        try:
            net = FTPFNNet.from_arrays(arch, obj)
        except ValueError as err:
            raise ValueError(
                f"official FT-PFN checkpoint {path}: {err}; expected {_shape_summary(arch)}"
            ) from err
        return cls(net=net, source=f"official ifBO checkpoint {path.name} (sha256 {_sha256(path)[:12]})")

    @classmethod
    def random(cls, *, seed: int, architecture: Architecture | None = None) -> FTPFN:
        """Seeded random weights (tests only; its predictions mean nothing)."""
        arch = architecture if architecture is not None else Architecture()
        return cls(net=FTPFNNet.random(arch, seed=seed), source=f"random weights (seed {seed}; tests only)")

    def predict(
        self,
        *,
        ids_train: np.ndarray,
        t_train: np.ndarray,
        x_train: np.ndarray,
        y_train: np.ndarray,
        ids_test: np.ndarray,
        t_test: np.ndarray,
        x_test: np.ndarray,
    ) -> CurvePrediction:
        """Predict the value of curve ``ids_test[j]`` at fidelity ``t_test[j]`` given the observed curves.

        Args:
            ids_train: ``(n,)`` int curve ids of the observations (any ints; at most 1,000 curves).
            t_train: ``(n,)`` fidelity of each observation as a fraction of the maximum, in (0, 1].
            x_train: ``(n, d)`` hyperparameters of each observation's curve, scaled to [0, 1],
                ``1 <= d <= 10``.
            y_train: ``(n,)`` observed values in [0, 1], higher is better.
            ids_test: ``(m,)`` curve ids of the queries; an id absent from ``ids_train`` is a new curve.
            t_test: ``(m,)`` query fidelities in (0, 1].
            x_test: ``(m, d)`` hyperparameters of the queries' curves.

        Returns:
            The predictive distribution of the ``m`` queries (independent of one another).

        Raises:
            ValueError: shapes disagree, a value leaves its range, no observation, or > 1,000 curves.
        """
        xt, yt, xq = self._tokens((ids_train, t_train, x_train, y_train, ids_test, t_test, x_test))
        chunks = []
        with torch.inference_mode():
            for start in range(0, xq.shape[0], QUERY_CHUNK):
                logits = self.net(xt, yt, xq[start : start + QUERY_CHUNK])
                chunks.append(torch.log_softmax(logits[:, 0].double(), dim=-1).exp())
        probs = torch.cat(chunks).numpy() if chunks else np.zeros((0, len(self.borders) - 1))
        return CurvePrediction(probs=probs, borders=self.borders.copy())

    def _tokens(self, arrays: tuple[np.ndarray, ...]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Validate the arrays of :meth:`predict` (in its order) and build the model's tokens."""
        ids_train, ids_test = np.asarray(arrays[0]), np.asarray(arrays[4])
        t_train, x_train, y_train, t_test, x_test = (
            np.asarray(arrays[i], dtype=float) for i in (1, 2, 3, 5, 6)
        )
        n, m = len(ids_train), len(ids_test)
        if n == 0:
            raise ValueError("FT-PFN needs at least one observation (ids_train is empty)")
        for name, a in (("ids_train", ids_train), ("ids_test", ids_test)):
            if a.ndim != 1 or not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"{name} must be a 1-d int array, got {a.dtype} {a.shape}")
        d_max = self.net.arch.max_hyperparameters
        for name, a, rows in (("x_train", x_train, n), ("x_test", x_test, m)):
            if a.ndim != 2 or a.shape[0] != rows or not 1 <= a.shape[1] <= d_max:
                raise ValueError(f"{name} must have shape ({rows}, d) with 1 <= d <= {d_max}, got {a.shape}")
            if not np.all((a >= 0.0) & (a <= 1.0)):
                raise ValueError(f"{name} must be scaled to [0, 1]")
        if x_train.shape[1] != x_test.shape[1]:
            raise ValueError(f"x_train has {x_train.shape[1]} columns, x_test {x_test.shape[1]}")
        for name, a, rows in (("t_train", t_train, n), ("t_test", t_test, m), ("y_train", y_train, n)):
            if a.shape != (rows,):
                raise ValueError(f"{name} must have shape ({rows},), got {a.shape}")
        if not np.all((t_train > 0.0) & (t_train <= 1.0)) or not np.all((t_test > 0.0) & (t_test <= 1.0)):
            raise ValueError("t_train and t_test must lie in (0, 1] (fractions of the maximal fidelity)")
        if not np.all((y_train >= 0.0) & (y_train <= 1.0)):
            raise ValueError("y_train must lie in [0, 1] (higher is better)")
        uniq, first = np.unique(ids_train, return_index=True)
        order = uniq[np.argsort(first)]  # curve ids by first appearance -> 1..k
        if len(order) > MAX_CURVE_ID:
            raise ValueError(f"FT-PFN takes at most {MAX_CURVE_ID} curves in its context, got {len(order)}")
        lookup = {int(c): i + 1 for i, c in enumerate(order)}
        tid = np.array([lookup[int(c)] for c in ids_train], dtype=float)
        qid = np.array([lookup.get(int(c), 0) for c in ids_test], dtype=float)
        xt = np.column_stack([tid, t_train, x_train])
        xq = np.column_stack([qid, t_test, x_test]) if m else np.zeros((0, 2 + x_test.shape[1]))
        return (
            torch.from_numpy(xt).float().unsqueeze(1),
            torch.from_numpy(y_train).float().unsqueeze(1),
            torch.from_numpy(xq).float().unsqueeze(1),
        )


def _infer_architecture(state: dict[str, torch.Tensor], *, nhead: int, path: Path) -> Architecture:
    """The architecture a state dict was trained with, from its parameter shapes."""
    try:
        emsize = int(state["y_encoder.weight"].shape[0])
        nhid = int(state["decoder_dict.standard.0.weight"].shape[0])
        num_bars = int(state["decoder_dict.standard.2.weight"].shape[0])
        d = int(state["encoder.configuration_enc.base_encoder.weight"].shape[1])
    except KeyError as err:
        expected = _shape_summary(Architecture.official())
        raise ValueError(f"FT-PFN checkpoint {path}: missing parameter {err}; expected {expected}") from err
    nlayers = len({k.split(".")[2] for k in state if k.startswith("transformer_encoder.layers.")})
    return Architecture(
        emsize=emsize, nlayers=nlayers, nhead=nhead, nhid=nhid, num_bars=num_bars, num_features=d + 2
    )


def _module_classes(*modules: Any) -> list[Any]:
    """The ``torch.nn.Module`` subclasses defined in (or exported by) ``modules``."""
    return [
        v
        for m in modules
        for v in vars(m).values()
        if isinstance(v, type) and issubclass(v, torch.nn.Module) and not v.__module__.startswith("torch.ao")
    ]


def _load_pickled_ifbo_model(path: Path) -> Any:
    """Unpickle a whole ifbo model with torch's weights-only unpickler and an explicit class allowlist.

    Allowed: the module classes of ifbo's model files and of ``torch.nn`` (a restored module gets its
    attributes set, and its ``__setstate__`` runs), the activation functions GELU/ReLU, OrderedDict
    and set. No other callable can be named by the file.
    """
    try:
        from ifbo import bar_distribution, encoders, layer, positional_encodings, transformer
        from ifbo.priors import ftpfn_prior
    except ImportError as err:
        raise ValueError(
            f"official FT-PFN checkpoint {path} is a pickled ifbo module; reading it (without running"
            f" arbitrary code) needs the ifbo package: pip install 'hpobench[ifbo]' ({err})"
        ) from err
    from collections import OrderedDict

    ifbo_files = (bar_distribution, encoders, layer, positional_encodings, transformer, ftpfn_prior)
    allowed = _module_classes(*ifbo_files, torch.nn, torch.nn.modules.linear)
    allowed += [torch.nn.functional.gelu, torch.nn.functional.relu, OrderedDict, set]
    try:
        with torch.serialization.safe_globals(allowed):
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        raise ValueError(
            f"official FT-PFN checkpoint {path} holds objects outside the ifbo/torch model classes"
            f" hpobench reads (nothing was executed): {str(err).splitlines()[0]}"
        ) from err
