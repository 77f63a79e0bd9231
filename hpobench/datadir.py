"""Where benchmark data lives: ``--data-dir``, else ``$HPOBENCH_DATA_DIR``.

The data directory mirrors the upstream layouts, e.g. ``<data_dir>/tabular/fcnet/*.parquet``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hpobench.errors import DataError

ENV_VAR = "HPOBENCH_DATA_DIR"


def resolve_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """Return the configured data directory, or ``None`` when none is configured.

    Args:
        explicit: A directory given on the command line or in code; wins over the environment.

    Raises:
        DataError: The configured directory does not exist.
    """
    raw = explicit if explicit is not None else os.environ.get(ENV_VAR) or None
    if raw is None:
        return None
    path = Path(raw).expanduser()
    if not path.is_dir():
        source = "--data-dir" if explicit is not None else f"${ENV_VAR}"
        raise DataError(f"data directory {str(path)!r} (from {source}) does not exist")
    return path.resolve()


def require_file(data_dir: Path | None, relative: str, *, what: str) -> Path:
    """Return ``data_dir / relative`` or raise a :class:`DataError` that says how to fix it.

    Args:
        data_dir: The resolved data directory, or ``None``.
        relative: Path of the file inside the data directory.
        what: Human name of the benchmark that needs the file.
    """
    if data_dir is None:
        raise DataError(
            f"{what} needs the benchmark data directory: pass --data-dir DIR or set ${ENV_VAR} "
            f"(expected file: DIR/{relative})"
        )
    path = data_dir / relative
    if not path.is_file():
        raise DataError(f"{what}: data file {str(path)!r} is missing")
    return path


def sha256_of(path: Path, *, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()
