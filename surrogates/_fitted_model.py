"""A fitted surrogate's arrays: the byte-reproducible model file and the numpy forward pass.

:func:`write_model` writes a header and named arrays as a ``.npz`` whose bytes depend only on
its content; :func:`read_model` reads one with ``allow_pickle=False`` and refuses (with a
:class:`~hpobench.contracts.errors.DataError`) a file of another format or whose arrays do not match the
header's ``arrays_sha256``. :func:`forward` evaluates the MLP ensemble stored in those arrays.
The file's fields are described in :mod:`hpobench.surrogates.fitted`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hpobench.contracts.errors import DataError

FORMAT_VERSION = 2


_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps: equal models give equal bytes


def arrays_digest(arrays: Mapping[str, np.ndarray]) -> str:
    """sha256 over the names, dtypes, shapes and bytes of ``arrays`` in sorted name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()


def write_model(path: Path, *, header: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write a model file: ``header`` (plus ``arrays_sha256``) and ``arrays``, byte-reproducibly.

    The zip members carry a fixed timestamp and are written in sorted order, so equal models
    give byte-identical files. The file is written to a temporary name and renamed.
    """
    full = dict(header)
    full["arrays_sha256"] = arrays_digest(arrays)
    text = json.dumps(full, sort_keys=True, indent=1, allow_nan=False).encode()
    members = {"header": np.frombuffer(text, dtype=np.uint8), **arrays}
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(members):
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(members[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue())
    tmp.replace(path)


def read_model(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a model file written by :func:`write_model`.

    Returns:
        ``(header, arrays)``.

    Raises:
        DataError: The file is missing, not a model file, or its arrays do not match the
            header's ``arrays_sha256`` (a corrupt or edited file).
    """
    if not path.is_file():
        raise DataError(f"fitted surrogate file {str(path)!r} is missing")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: np.asarray(npz[name]) for name in npz.files}
        header = json.loads(arrays.pop("header").tobytes().decode())
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise DataError(f"{str(path)!r} is not a readable fitted surrogate file: {exc}") from exc
    if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
        raise DataError(f"{str(path)!r}: unsupported fitted surrogate format (expected {FORMAT_VERSION})")
    if header.get("arrays_sha256") != arrays_digest(arrays):
        raise DataError(f"{str(path)!r} is corrupt: its arrays do not match the sha256 in its header")
    return header, arrays


def _silu(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / (1.0 + np.exp(-x)))


def forward(
    x: np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray], *, activation: str
) -> np.ndarray:
    """Evaluate the MLP ensemble with numpy.

    Args:
        x: Inputs ``(n, fan_in)`` (shared by every member) or ``(members, n, fan_in)``.
        weights: Per layer ``(members, fan_in, fan_out)``; pass ``w[m:m+1]`` for one member.
        biases: Per layer ``(members, fan_out)``.
        activation: ``"silu"`` or ``"relu"`` (hidden layers; the last layer is linear).

    Returns:
        Outputs ``(members, n, n_outputs)``.
    """
    act = _silu if activation == "silu" else (lambda v: np.maximum(v, 0.0))
    h = x
    last = len(weights) - 1
    for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
        h = np.matmul(h, w) + b[:, None, :]
        if i < last:
            h = act(h)
    return np.asarray(h)
