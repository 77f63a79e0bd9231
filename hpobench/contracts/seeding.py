"""Stable seed derivation.

Seeds are derived with :class:`numpy.random.SeedSequence` from integers that do not change
between processes or Python versions: strings enter as their CRC-32, never through Python's
salted :func:`hash`. The same run spec therefore gets the same streams in every worker.
"""

from __future__ import annotations

import zlib

import numpy as np


def stable_int(key: int | str) -> int:
    """Map an int or a string to a non-negative integer that is the same in every process."""
    if isinstance(key, bool) or not isinstance(key, (int, str)):
        raise TypeError(f"seed keys must be int or str, got {type(key).__name__}")
    if isinstance(key, str):
        return zlib.crc32(key.encode("utf-8"))
    if key < 0:
        raise ValueError(f"seed keys must be non-negative, got {key}")
    return key


def derive_seed(seed: int, *keys: int | str) -> int:
    """Derive a 63-bit seed from ``seed`` and a path of stable keys.

    Args:
        seed: The user-facing seed (a non-negative integer).
        *keys: Labels of the stream, e.g. ``("method", "synthetic/branin")``.

    Returns:
        An integer in ``[0, 2**63)`` that depends only on the arguments.
    """
    entropy = [stable_int(seed), *(stable_int(k) for k in keys)]
    state = np.random.SeedSequence(entropy).generate_state(2, dtype=np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])
