"""The FT-PFN network (ifBO's in-context learning-curve model), reimplemented in plain torch.

A faithful reimplementation of the forward pass of the ``ifbo`` 0.4.1 ``TransformerModel`` as
FT-PFN uses it (``benchmarks/train_ftpfn.py`` and the official checkpoint build it this way):

* encoder (``ifbo.priors.ftpfn_prior.MultiCurvesEncoder``): a token ``(curve id, t, x_1..x_d)``
  becomes ``epoch_enc((t - 0.5) / sqrt(1/12)) + idcurve_enc[id] + configuration_enc(x * 10/d, padded
  with zeros to 10 columns)``; curve id 0 marks a query of a curve with no context point;
* y-encoder: ``Linear(1, emsize)`` of the observed value, added to the context tokens only;
* ``nlayers`` post-norm transformer layers (multi-head attention, GELU feed-forward, LayerNorm eps
  1e-5) with the PFN mask: context tokens attend to the context, query tokens attend to the context
  (and not to each other), so queries are independent of one another;
* decoder ``Linear(emsize, nhid) -> GELU -> Linear(nhid, num_bars)``: logits of a bar distribution
  over ``num_bars`` equal buckets of [0, 1] (``BarDistribution(torch.linspace(0, 1, num_bars + 1))``).

Parameter names equal the ifbo ``state_dict`` keys, so an ifbo state dict (our ``.npz`` weights or
the official checkpoint's model) loads with :meth:`FTPFNNet.load_arrays`. No ifbo import is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MAX_CURVE_ID", "Architecture", "FTPFNNet", "expected_shapes"]

MAX_CURVE_ID = 1000  # ifbo's curve-id embedding has 1,001 rows: id 0 (unseen curve) and ids 1..1000


@dataclass(frozen=True, kw_only=True)
class Architecture:
    """Shape of an FT-PFN network; the default is the compact model hpobench trains and ships.

    Attributes:
        emsize: token embedding width.
        nlayers: transformer layers.
        nhead: attention heads (must divide ``emsize``).
        nhid: hidden width of the feed-forward blocks and of the decoder.
        num_bars: buckets of the output bar distribution over [0, 1].
        num_features: token width: curve id, t and ``num_features - 2`` hyperparameter slots.
    """

    emsize: int = 256
    nlayers: int = 4
    nhead: int = 4
    nhid: int = 512
    num_bars: int = 1000
    num_features: int = 12

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Architecture.{name} must be a positive int, got {value!r}")
        if self.emsize % self.nhead:
            raise ValueError(f"Architecture: nhead {self.nhead} must divide emsize {self.emsize}")
        if self.num_features < 3:
            raise ValueError(f"Architecture.num_features must be >= 3, got {self.num_features}")

    @property
    def max_hyperparameters(self) -> int:
        """The most hyperparameters a token can carry (10 for ``num_features=12``)."""
        return self.num_features - 2

    @classmethod
    def official(cls) -> Architecture:
        """The shape of the official ifBO checkpoint (emsize 512, 6 layers, nhid 1024)."""
        return cls(emsize=512, nlayers=6, nhead=4, nhid=1024)


def expected_shapes(arch: Architecture) -> dict[str, tuple[int, ...]]:
    """Every parameter name of the network with its shape (the keys of an ifbo ``state_dict``)."""
    e, h = arch.emsize, arch.nhid
    shapes: dict[str, tuple[int, ...]] = {
        "encoder.epoch_enc.weight": (e, 1),
        "encoder.idcurve_enc.weight": (MAX_CURVE_ID + 1, e),
        "encoder.configuration_enc.base_encoder.weight": (e, arch.max_hyperparameters),
        "encoder.configuration_enc.base_encoder.bias": (e,),
        "y_encoder.weight": (e, 1),
        "y_encoder.bias": (e,),
    }
    for i in range(arch.nlayers):
        p = f"transformer_encoder.layers.{i}."
        shapes |= {
            p + "self_attn.in_proj_weight": (3 * e, e),
            p + "self_attn.in_proj_bias": (3 * e,),
            p + "self_attn.out_proj.weight": (e, e),
            p + "self_attn.out_proj.bias": (e,),
            p + "linear1.weight": (h, e),
            p + "linear1.bias": (h,),
            p + "linear2.weight": (e, h),
            p + "linear2.bias": (e,),
            p + "norm1.weight": (e,),
            p + "norm1.bias": (e,),
            p + "norm2.weight": (e,),
            p + "norm2.bias": (e,),
        }
    shapes |= {
        "decoder_dict.standard.0.weight": (h, e),
        "decoder_dict.standard.0.bias": (h,),
        "decoder_dict.standard.2.weight": (arch.num_bars, h),
        "decoder_dict.standard.2.bias": (arch.num_bars,),
    }
    return shapes


class FTPFNNet(nn.Module):
    """The FT-PFN forward pass; parameters are registered under the ifbo ``state_dict`` names.

    Construct with :meth:`from_arrays` (trained weights) or :meth:`random` (tests). Not for
    training: there is no dropout and no init scheme beyond a seeded normal draw.
    """

    def __init__(self, arch: Architecture, tensors: Mapping[str, torch.Tensor]) -> None:
        super().__init__()
        self.arch = arch
        shapes = expected_shapes(arch)
        self._names = {name: name.replace(".", "__") for name in shapes}
        for name, attr in self._names.items():
            t = tensors[name]
            self.register_parameter(attr, nn.Parameter(t.detach().to(torch.float32), requires_grad=False))

    def _p(self, name: str) -> torch.Tensor:
        t: torch.Tensor = getattr(self, self._names[name])
        return t

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The weights as float32 numpy arrays under their ifbo names."""
        return {name: self._p(name).detach().cpu().numpy().copy() for name in self._names}

    @classmethod
    def from_arrays(cls, arch: Architecture, arrays: Mapping[str, np.ndarray | torch.Tensor]) -> FTPFNNet:
        """Build from a mapping of ifbo ``state_dict`` names to arrays; extra keys are ignored.

        Raises:
            ValueError: a parameter is missing, has another shape or is not finite (the message
                names the parameter and the expected shape).
        """
        tensors: dict[str, torch.Tensor] = {}
        for name, shape in expected_shapes(arch).items():
            if name not in arrays:
                raise ValueError(f"missing parameter {name!r} (expected shape {shape} for {arch})")
            value = arrays[name]
            t = value if isinstance(value, torch.Tensor) else torch.from_numpy(np.asarray(value))
            if tuple(t.shape) != shape:
                raise ValueError(
                    f"parameter {name!r} has shape {tuple(t.shape)}, expected {shape} for {arch}"
                )
            if not bool(torch.isfinite(t).all()):
                raise ValueError(f"parameter {name!r} has non-finite values")
            tensors[name] = t
        return cls(arch, tensors)

    @classmethod
    def random(cls, arch: Architecture, *, seed: int) -> FTPFNNet:
        """A network with seeded random weights (std ``1/sqrt(fan_in)``), for tests only."""
        gen = torch.Generator().manual_seed(seed)
        tensors = {}
        for name, shape in expected_shapes(arch).items():
            noise = torch.randn(shape, generator=gen)
            if ".norm" in name and name.endswith(".weight"):
                tensors[name] = 1.0 + 0.1 * noise
            elif len(shape) == 2:
                tensors[name] = noise / math.sqrt(shape[1])
            else:
                tensors[name] = 0.1 * noise
        return cls(arch, tensors)

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        """Tokens ``(seq, batch, 2 + d)`` -> embeddings ``(seq, batch, emsize)``."""
        d = x.shape[-1] - 2
        hp = x[..., 2:] * (self.arch.max_hyperparameters / d)
        hp = F.pad(hp, (0, self.arch.max_hyperparameters - d))
        ids = x[..., 0].int()
        t = (x[..., 1:2] - 0.5) / math.sqrt(1 / 12)
        return (
            F.linear(t, self._p("encoder.epoch_enc.weight"))
            + F.embedding(ids, self._p("encoder.idcurve_enc.weight"))
            + F.linear(
                hp,
                self._p("encoder.configuration_enc.base_encoder.weight"),
                self._p("encoder.configuration_enc.base_encoder.bias"),
            )
        )

    def _attention(self, i: int, q_src: torch.Tensor, kv_src: torch.Tensor) -> torch.Tensor:
        p = f"transformer_encoder.layers.{i}.self_attn."
        w, b = self._p(p + "in_proj_weight"), self._p(p + "in_proj_bias")
        e, h = self.arch.emsize, self.arch.nhead
        q = F.linear(q_src, w[:e], b[:e])
        k = F.linear(kv_src, w[e : 2 * e], b[e : 2 * e])
        v = F.linear(kv_src, w[2 * e :], b[2 * e :])

        def heads(t: torch.Tensor) -> torch.Tensor:  # (L, B, E) -> (B, h, L, E/h)
            return t.reshape(t.shape[0], t.shape[1], h, e // h).permute(1, 2, 0, 3)

        out = F.scaled_dot_product_attention(heads(q), heads(k), heads(v))
        out = out.permute(2, 0, 1, 3).reshape(q_src.shape[0], q_src.shape[1], e)
        return F.linear(out, self._p(p + "out_proj.weight"), self._p(p + "out_proj.bias"))

    def _layer(self, i: int, src: torch.Tensor, n_train: int) -> torch.Tensor:
        p = f"transformer_encoder.layers.{i}."
        train = src[:n_train]
        attn = torch.cat([self._attention(i, train, train), self._attention(i, src[n_train:], train)], dim=0)
        e = (self.arch.emsize,)
        src = F.layer_norm(src + attn, e, self._p(p + "norm1.weight"), self._p(p + "norm1.bias"), 1e-5)
        ff = F.linear(
            F.gelu(F.linear(src, self._p(p + "linear1.weight"), self._p(p + "linear1.bias"))),
            self._p(p + "linear2.weight"),
            self._p(p + "linear2.bias"),
        )
        return F.layer_norm(src + ff, e, self._p(p + "norm2.weight"), self._p(p + "norm2.bias"), 1e-5)

    def forward(self, x_train: torch.Tensor, y_train: torch.Tensor, x_test: torch.Tensor) -> torch.Tensor:
        """Bar-distribution logits of the query tokens given the context.

        Args:
            x_train: context tokens ``(n, batch, 2 + d)``: curve id (1..1000), t in [0, 1], ``d``
                hyperparameters in [0, 1], ``1 <= d <= num_features - 2``; ``n >= 1``.
            y_train: observed values of the context tokens ``(n, batch)``, in [0, 1].
            x_test: query tokens ``(m, batch, 2 + d)``; curve id 0 for a curve without context.

        Returns:
            Logits ``(m, batch, num_bars)`` (float32).
        """
        n = x_train.shape[0]
        src = torch.cat(
            [
                self._encode(x_train)
                + F.linear(y_train.unsqueeze(-1), self._p("y_encoder.weight"), self._p("y_encoder.bias")),
                self._encode(x_test),
            ],
            dim=0,
        )
        for i in range(self.arch.nlayers):
            src = self._layer(i, src, n)
        out = src[n:]
        hidden = F.gelu(
            F.linear(out, self._p("decoder_dict.standard.0.weight"), self._p("decoder_dict.standard.0.bias"))
        )
        return F.linear(
            hidden, self._p("decoder_dict.standard.2.weight"), self._p("decoder_dict.standard.2.bias")
        )
