"""ifbo 0.4.1 reference models for the FT-PFN tests (built as benchmarks/train_ftpfn.py builds them)."""

from __future__ import annotations

import numpy as np
import torch

from hpobench.methods._ftpfn_net import Architecture


def ifbo_model(arch: Architecture, seed: int) -> torch.nn.Module:
    """The ifbo TransformerModel of ``arch`` with random weights and its ``criterion`` attached.

    ifbo zero-initialises the attention outputs and ``linear2``; noise is added to every parameter
    so that every path of the network counts in a comparison.
    """
    from ifbo import encoders, positional_encodings
    from ifbo.bar_distribution import BarDistribution
    from ifbo.priors import ftpfn_prior
    from ifbo.transformer import TransformerModel

    torch.manual_seed(seed)
    model = TransformerModel(
        encoder=ftpfn_prior.get_encoder()(arch.num_features, arch.emsize),
        ninp=arch.emsize,
        nhead=arch.nhead,
        nhid=arch.nhid,
        nlayers=arch.nlayers,
        dropout=0.0,
        y_encoder=encoders.Linear(1, arch.emsize),
        pos_encoder=positional_encodings.NoPositionalEncoding(arch.emsize, 2000),
        decoder_dict={"standard": (None, arch.num_bars)},
        efficient_eval_masking=True,
    )
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.2 * torch.randn_like(p))
    model.criterion = BarDistribution(torch.linspace(0, 1, arch.num_bars + 1))  # as ifbo.train sets it
    model.eval()
    return model


def small_inputs(**change: np.ndarray) -> dict[str, np.ndarray]:
    """Valid keyword arrays for ``FTPFN.predict`` (one curve, two points, d = 2), with ``change`` applied."""
    kw = {"ids_train": np.array([1, 1]), "t_train": np.array([0.1, 0.2]), "x_train": np.full((2, 2), 0.5)}
    kw |= {"y_train": np.array([0.3, 0.4]), "ids_test": np.array([1]), "t_test": np.array([1.0])}
    kw |= {"x_test": np.full((1, 2), 0.5)}
    return kw | change
