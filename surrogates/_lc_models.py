"""Many small MLPs trained at once: batched weight tensors, manual backprop, per-model settings.

A *group* is ``K`` MLPs with the same (padded) layer widths and batch size, each with its own
learning rate, momentum (SGD) or first-moment decay (Adam), weight decay, per-layer dropout,
per-layer activation (ReLU or tanh), true layer widths (units past a model's width are masked
to zero, so a padded model computes exactly the narrower one), learning-rate schedule (constant
or cosine annealing over epochs) and its own shuffling of the training set. Layers are
``baddbmm`` over the model axis; gradients are written by hand (no autograd) into one flat
``(K, n_params)`` buffer, so an optimiser step is a few element-wise kernels for all models.

On CUDA, :func:`train_groups` captures ``graph_steps`` training steps of a group in one CUDA
graph and replays it, and gives the groups their own streams so small groups run concurrently;
on CPU the same step runs eagerly (slow, for tests and tiny grids).

Lifecycle: built and used by :mod:`hpobench.surrogates.lcgen`; torch is imported by the caller's
module import of this one (the ``surrogates`` extra).

The values it takes and returns (:class:`Split`, :class:`GroupConfigs`, :class:`GroupResult`,
:func:`metric_names`) are defined in :mod:`hpobench.surrogates._lc_values` and re-exported here.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Iterator, Sequence

import numpy as np
import torch

from hpobench.surrogates._lc_values import GroupConfigs, GroupResult, Loss, Split, metric_names

__all__ = ["GroupConfigs", "GroupResult", "Split", "metric_names", "train_groups"]

_BETA2 = 0.999
_EPS = 1e-8
_EVAL_ELEMENTS = 1 << 26  # activations held at once while evaluating (K x rows x width)


class _Group:
    """State and step of one group on one device (see the module docstring)."""

    def __init__(
        self,
        cfg: GroupConfigs,
        *,
        n_in: int,
        n_out: int,
        loss: Loss,
        n_train: int,
        epochs: int,
        seed: int,
        device: torch.device,
    ) -> None:
        self.cfg, self.loss, self.epochs, self.device = cfg, loss, epochs, device
        self.n_out = n_out
        k = cfg.size
        self.batch = min(cfg.batch_size, n_train)
        self.steps = n_train // self.batch  # drop_last: every step sees a full batch
        self.gen = torch.Generator(device=device).manual_seed(seed)
        dims = [n_in, *cfg.widths, n_out]
        true = np.column_stack([np.full(k, n_in), cfg.units, np.full(k, n_out)]).astype(np.int64)
        self.shapes = list(itertools.pairwise(dims))
        n_params = sum(i * o + o for i, o in self.shapes)
        self.params = torch.zeros(k, n_params, device=device, dtype=torch.float32)
        self.grads = torch.zeros_like(self.params)
        self.m = torch.zeros_like(self.params)
        self.v = torch.zeros_like(self.params) if cfg.optimizer == "adam" else self.m
        self.w: list[torch.Tensor] = []
        self.b: list[torch.Tensor] = []
        self.gw: list[torch.Tensor] = []
        self.gb: list[torch.Tensor] = []
        off = 0
        cpu_gen = torch.Generator().manual_seed(seed)
        for layer, (i, o) in enumerate(self.shapes):
            for store, gstore, shape in ((self.w, self.gw, (k, i, o)), (self.b, self.gb, (k, 1, o))):
                n = math.prod(shape[1:])
                store.append(self.params[:, off : off + n].view(shape))
                gstore.append(self.grads[:, off : off + n].view(shape))
                off += n
            # PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the true fan_in.
            bound = torch.as_tensor(1.0 / np.sqrt(true[:, layer]), dtype=torch.float32)
            for t in (self.w[-1], self.b[-1]):
                u = torch.rand(t.shape, generator=cpu_gen) * 2 - 1
                t.copy_((u * bound[:, None, None]).to(device))
        self.unit_mask = [
            (
                torch.arange(w, device=device)[None, :]
                < torch.as_tensor(cfg.units[:, j], device=device)[:, None]
            ).to(torch.float32)[:, None, :]
            for j, w in enumerate(cfg.widths)
        ]
        self.keep = [
            torch.as_tensor(1.0 - cfg.dropout[:, j], device=device, dtype=torch.float32)[:, None, None]
            for j in range(len(cfg.widths))
        ]
        # dropout scaling 1/keep and the unit mask in one factor
        self.scale = [m / k for m, k in zip(self.unit_mask, self.keep, strict=True)]
        # CUDA graphs replay dropout from the default (graph-safe) generator; CPU uses the group's
        self.drop_gen = None if device.type == "cuda" else self.gen
        self.decay = bool(np.any(cfg.weight_decay != 0))
        self.relu = [
            torch.as_tensor(cfg.relu[:, j], device=device)[:, None, None] for j in range(len(cfg.widths))
        ]
        self.all_relu = [bool(np.all(cfg.relu[:, j])) for j in range(len(cfg.widths))]
        self.lr0 = torch.as_tensor(cfg.lr, device=device, dtype=torch.float32)[:, None]
        self.cosine = torch.as_tensor(cfg.cosine, device=device)[:, None]
        self.lr = self.lr0.clone()
        self.mom = torch.as_tensor(cfg.momentum, device=device, dtype=torch.float32)[:, None]
        self.wd = torch.as_tensor(cfg.weight_decay, device=device, dtype=torch.float32)[:, None]
        self.t = torch.zeros(k, 1, device=device, dtype=torch.float32)
        self.loss_sum = torch.zeros(k, device=device, dtype=torch.float32)
        # static inputs of one chunk of steps (filled before each chunk / graph replay)
        self.chunk = 1
        self.idx = torch.zeros(1, k, self.batch, dtype=torch.long, device=device)
        self.live = torch.zeros(1, 1, device=device, dtype=torch.float32)

    # -- training -------------------------------------------------------------------------

    def _act(self, j: int, h: torch.Tensor) -> torch.Tensor:
        if self.all_relu[j]:
            return torch.relu(h)
        return torch.where(self.relu[j], torch.relu(h), torch.tanh(h))

    def _act_grad(self, j: int, h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        relu_grad = (h > 0).to(h.dtype)
        if self.all_relu[j]:
            return relu_grad
        return torch.where(self.relu[j], relu_grad, 1 - a * a)

    def _step(self, s: int, train: Split) -> None:
        idx = self.idx[s]
        live = self.live[s]  # 1 for real steps, 0 for padding steps at the end of an epoch
        x = train.x[idx]  # (K, B, d)
        y = train.y[idx]
        acts = [x]
        cache: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []  # (pre-activation, act, mask)
        for j in range(len(self.cfg.widths)):
            h = torch.baddbmm(self.b[j], acts[-1], self.w[j])
            a = self._act(j, h)
            noise = torch.rand(a.shape, generator=self.drop_gen, device=self.device)
            mask = (noise < self.keep[j]).to(a.dtype) * self.scale[j]
            cache.append((h, a, mask))
            acts.append(a * mask)
        out = torch.baddbmm(self.b[-1], acts[-1], self.w[-1])
        d, loss = self._loss_grad(out, y)
        self.loss_sum.add_(loss * live[0])
        for j in range(len(self.shapes) - 1, -1, -1):
            torch.bmm(acts[j].transpose(1, 2), d, out=self.gw[j])
            torch.sum(d, dim=1, keepdim=True, out=self.gb[j])
            if j > 0:
                h, a, mask = cache[j - 1]
                d = torch.bmm(d, self.w[j].transpose(1, 2)) * mask * self._act_grad(j - 1, h, a)
        self._update(live)

    def _loss_grad(self, out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = out.shape[1]
        if self.loss == "mse":
            diff = out[..., 0] - y
            return (2.0 / n) * diff[..., None], (diff * diff).mean(dim=1)
        logp = torch.log_softmax(out, dim=2)
        picked = torch.gather(logp, 2, y[..., None])[..., 0]
        grad = torch.exp(logp)
        grad.scatter_add_(2, y[..., None], torch.full_like(picked, -1.0)[..., None])
        return grad / n, -picked.mean(dim=1)

    def _update(self, live: torch.Tensor) -> None:
        g, p = self.grads, self.params
        if self.decay:
            g.addcmul_(p, self.wd)
        if self.cfg.optimizer == "sgd":  # torch.optim.SGD: g += wd p; buf = mu buf + g; p -= lr buf
            self.m.mul_(self.mom).add_(g)
            p.addcmul_(self.m, self.lr * live, value=-1.0)
            return
        self.t.add_(live)
        self.m.lerp_(g, (1 - self.mom) * live)
        self.v.lerp_(g * g, (1 - _BETA2) * live)
        bc1 = 1 - torch.pow(self.mom, self.t.clamp(min=1))
        bc2 = 1 - torch.pow(torch.full_like(self.t, _BETA2), self.t.clamp(min=1))
        step = self.lr * live * torch.sqrt(bc2) / bc1
        p.addcdiv_(self.m * step, torch.sqrt(self.v).add_(_EPS * torch.sqrt(bc2)), value=-1.0)

    def begin_epoch(self, epoch: int, n_train: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Set the epoch's learning rates; return step indices ``(n_chunks*chunk, K, B)`` and liveness."""
        frac = torch.tensor(0.5 * (1 + math.cos(math.pi * epoch / self.epochs)), device=self.device)
        self.lr.copy_(torch.where(self.cosine, self.lr0 * frac, self.lr0))
        self.loss_sum.zero_()
        k = self.cfg.size
        keys = torch.rand(k, n_train, generator=self.gen, device=self.device)
        perm = torch.argsort(keys, dim=1)[:, : self.steps * self.batch]
        n_chunks = -(-self.steps // self.chunk)
        idx = torch.zeros(k, n_chunks * self.chunk * self.batch, dtype=torch.long, device=self.device)
        idx[:, : perm.shape[1]] = perm
        idx = idx.view(k, n_chunks * self.chunk, self.batch).transpose(0, 1).contiguous()
        live = (torch.arange(n_chunks * self.chunk, device=self.device) < self.steps).to(torch.float32)
        return idx, live.view(-1, 1, 1)

    # -- evaluation -----------------------------------------------------------------------

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs ``(K, n, n_out)`` without dropout (rows in chunks to bound memory)."""
        k = self.cfg.size
        width = max((*self.cfg.widths, self.n_out))
        rows = max(1, _EVAL_ELEMENTS // (k * width))
        outs = []
        for start in range(0, x.shape[0], rows):
            a = x[start : start + rows].expand(k, -1, -1)
            for j in range(len(self.cfg.widths)):
                a = self._act(j, torch.baddbmm(self.b[j], a, self.w[j])) * self.unit_mask[j]
            outs.append(torch.baddbmm(self.b[-1], a, self.w[-1]))
        return torch.cat(outs, dim=1)

    @torch.no_grad()
    def evaluate(self, splits: Sequence[Split]) -> torch.Tensor:
        """Training loss of the epoch and metrics on ``splits``: ``(K, n_metrics)``."""
        cols = [self.loss_sum / max(self.steps, 1)]
        for split in splits:
            out = self.predict(split.x)
            if self.loss == "mse":
                cols.append(((out[..., 0] - split.y) ** 2).mean(dim=1))
                continue
            logp = torch.log_softmax(out, dim=2)
            y = split.y.expand(self.cfg.size, -1)
            xent = -torch.gather(logp, 2, y[..., None])[..., 0].mean(dim=1)
            pred = logp.argmax(dim=2)
            hit = (pred == y).to(torch.float32)
            onehot = torch.nn.functional.one_hot(split.y, self.n_out).to(torch.float32)  # (n, C)
            per_class = (hit @ onehot) / onehot.sum(dim=0).clamp(min=1)
            present = (onehot.sum(dim=0) > 0).to(torch.float32)
            balanced = (per_class * present).sum(dim=1) / present.sum()
            cols += [hit.mean(dim=1), balanced, xent]
        return torch.stack(cols, dim=1)


def _run_group(
    g: _Group, train: Split, evals: Sequence[Split], out: torch.Tensor, seconds: list[float], graph_steps: int
) -> Iterator[None]:
    """Train one group for all epochs, yielding after each launched chunk (for interleaving)."""
    cuda = g.device.type == "cuda"
    use_graph = cuda and graph_steps > 0
    stream = torch.cuda.Stream(device=g.device) if cuda else None  # type: ignore[no-untyped-call]
    graph = None
    n_train = train.x.shape[0]
    g.chunk = max(1, min(graph_steps, g.steps)) if use_graph else 1
    g.idx = torch.zeros(g.chunk, g.cfg.size, g.batch, dtype=torch.long, device=g.device)
    g.live = torch.zeros(g.chunk, 1, 1, device=g.device)
    events: list[torch.cuda.Event] = []
    wall: list[float] = []
    if stream is not None:
        stream.wait_stream(torch.cuda.current_stream(g.device))  # initial weights are ready
    for epoch in range(g.epochs):
        t0 = time.perf_counter()
        with _on(stream):
            if cuda and epoch == 0:
                events.append(torch.cuda.Event(enable_timing=True))  # type: ignore[no-untyped-call]
                events[-1].record()
            idx, live = g.begin_epoch(epoch, n_train)
        for c in range(idx.shape[0] // g.chunk):
            with _on(stream):
                g.idx.copy_(idx[c * g.chunk : (c + 1) * g.chunk])
                g.live.copy_(live[c * g.chunk : (c + 1) * g.chunk])
                if not use_graph:
                    g._step(0, train)
                else:
                    if graph is None:
                        graph = _capture(g, train, stream)
                    graph.replay()
            yield
        with _on(stream):
            out[epoch] = g.evaluate(evals)
            if cuda:
                events.append(torch.cuda.Event(enable_timing=True))  # type: ignore[no-untyped-call]
                events[-1].record()
            else:
                wall.append(time.perf_counter() - t0)
        yield
    if cuda:
        events[-1].synchronize()
        wall = [a.elapsed_time(b) / 1000.0 for a, b in itertools.pairwise(events)]
    seconds.extend(wall)


def _on(stream: torch.cuda.Stream | None) -> contextlib.AbstractContextManager[object]:
    return torch.cuda.stream(stream) if stream is not None else contextlib.nullcontext()


def _capture(g: _Group, train: Split, stream: torch.cuda.Stream | None) -> torch.cuda.CUDAGraph:
    """Capture ``g.chunk`` steps in a CUDA graph (after one warm-up chunk's worth of kernels)."""
    state = [t.clone() for t in (g.params, g.m, g.v, g.t, g.loss_sum)]
    for s in range(g.chunk):  # warm-up on the side stream, as torch.cuda.graphs asks
        g._step(s, train)
    for t, saved in zip((g.params, g.m, g.v, g.t, g.loss_sum), state, strict=True):
        t.copy_(saved)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph, stream=stream):
        for s in range(g.chunk):
            g._step(s, train)
    return graph


def train_groups(
    groups: Sequence[GroupConfigs],
    *,
    train: Split,
    valid: Split,
    test: Split,
    n_out: int,
    loss: Loss,
    epochs: int,
    seed: int,
    graph_steps: int = 32,
) -> list[GroupResult]:
    """Train every group for ``epochs`` epochs; groups are interleaved (concurrent on CUDA).

    Args:
        groups: The groups; each is trained from its own seed ``(seed, index)``.
        train: Training split (on the training device).
        valid: Validation split, evaluated after each epoch.
        test: Test split, evaluated after each epoch.
        n_out: Output units (1 for MSE, the number of classes for cross-entropy).
        loss: ``"mse"`` or ``"xent"``.
        epochs: Number of epochs.
        seed: Root seed of initialisation, shuffling and dropout.
        graph_steps: Steps captured per CUDA graph (ignored on CPU).

    Returns:
        One :class:`GroupResult` per group, in order.
    """
    device = train.x.device
    n_metrics = len(metric_names(loss))
    runs = []
    outs, secs = [], []
    seeds = np.random.SeedSequence([seed]).spawn(len(groups))
    for cfg, ss in zip(groups, seeds, strict=True):
        g = _Group(
            cfg,
            n_in=train.x.shape[1],
            n_out=n_out,
            loss=loss,
            n_train=train.x.shape[0],
            epochs=epochs,
            seed=int(ss.generate_state(1)[0]),
            device=device,
        )
        out = torch.zeros(epochs, cfg.size, n_metrics, device=device)
        sec: list[float] = []
        outs.append(out)
        secs.append(sec)
        runs.append(_run_group(g, train, (valid, test), out, sec, graph_steps))
    active = list(runs)
    while active:
        active = [r for r in active if next(r, StopIteration) is not StopIteration]
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return [
        GroupResult(metrics=o.double().cpu().numpy(), epoch_seconds=np.asarray(s, dtype=float))
        for o, s in zip(outs, secs, strict=True)
    ]
