"""``hpobench surrogate fit`` and ``hpobench surrogate quality``: run the fitting and quality code.

The commands' arguments come from :mod:`hpobench.surrogates.commands` (no numpy, ConfigSpace or
torch imported for the parser); the code that fits and scores surrogates is imported only when one
of these commands runs.
"""

from __future__ import annotations

import argparse

__all__ = ["_cmd_surrogate_fit", "_cmd_surrogate_quality"]


def _cmd_surrogate_fit(args: argparse.Namespace) -> int:
    from hpobench.surrogates import fitting

    return fitting.run(args)


def _cmd_surrogate_quality(args: argparse.Namespace) -> int:
    from hpobench.surrogates import quality

    return quality.run(args)
