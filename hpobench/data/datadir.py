"""Where benchmark data lives (``--data-dir``, else ``$HPOBENCH_DATA_DIR``) and how it is verified on use.

The data directory mirrors the upstream layouts, e.g. ``<data_dir>/tabular/fcnet/*.parquet``.

Verification on use: every loader passes each file it reads through :func:`verified` with the
file's pinned sha256 (from the manifest, :func:`hpobench.data.datasets.pinned_sha256`, or from a
checksum list shipped beside package data, :func:`read_checksums`). The digest of a file is
computed once per process and cached on (resolved path, inode, size, mtime in ns); a file that
changes on any of these is hashed again. A mismatch raises :class:`~hpobench.contracts.errors.DataError`
unless verification is switched off with :func:`data_verification` (for people who edit data on
purpose); a file without a pin is hashed (its digest goes into provenance) but not compared with
anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from hpobench.contracts.errors import DataError

__all__ = [
    "CHECKSUMS_FILE",
    "ENV_VAR",
    "data_verification",
    "file_sha256",
    "read_checksums",
    "require_file",
    "resolve_data_dir",
    "sha256_of",
    "verification_enabled",
    "verified",
    "write_checksums",
]

ENV_VAR = "HPOBENCH_DATA_DIR"
CHECKSUMS_FILE = "SHA256SUMS.json"
"""Name of the checksum list shipped beside package data (see :func:`write_checksums`)."""


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


# --- verification on use ---------------------------------------------------------------------

_VERIFY: ContextVar[bool] = ContextVar("hpobench_data_verification", default=True)
_DIGESTS: dict[Path, tuple[tuple[int, int, int], str]] = {}
_DIGESTS_LOCK = threading.Lock()


def verification_enabled() -> bool:
    """Whether :func:`verified` compares digests with their pins in the current context (default: yes)."""
    return _VERIFY.get()


@contextmanager
def data_verification(*, enabled: bool) -> Iterator[None]:
    """Switch verification on use on or off inside a ``with`` block (restored on exit).

    The switch is a :class:`contextvars.ContextVar`: it holds for the current thread (or task) and
    what it calls, not for other threads or worker processes; code that hands work to other
    processes passes the setting explicitly, e.g. ``registry.load_benchmark(spec, verify=False)``.
    With verification off, files are still hashed (once, cached) so provenance records what was read.

    Args:
        enabled: ``False`` to accept files whose sha256 differs from their pin.
    """
    token = _VERIFY.set(enabled)
    try:
        yield
    finally:
        _VERIFY.reset(token)


def _stamp(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def file_sha256(path: Path) -> str:
    """The hex sha256 of ``path``, hashed once per process while the file is unchanged.

    Cached on the resolved path, inode, size and mtime (ns): replacing the file, or writing to it
    (which moves its mtime), makes the next call hash it again. A file rewritten in place with
    the same size within one mtime tick of the file system is not noticed; that is the price of
    not hashing on every load. Thread-safe.

    Raises:
        OSError: The file cannot be read.
    """
    resolved = path.resolve()
    before = _stamp(resolved)
    with _DIGESTS_LOCK:
        cached = _DIGESTS.get(resolved)
    if cached is not None and cached[0] == before:
        return cached[1]
    digest = sha256_of(resolved)
    if _stamp(resolved) == before:  # not changed while it was read: safe to remember
        with _DIGESTS_LOCK:
            _DIGESTS[resolved] = (before, digest)
    return digest


def verified(path: Path, *, sha256: str | None, what: str) -> str:
    """Check ``path`` against its pinned digest before it is used; return its actual digest.

    The one check every loader of data files goes through. With a pin and verification on
    (:func:`verification_enabled`), a differing digest raises; without a pin (a file the manifest
    does not know, e.g. a user's own file) the file is only hashed, so that provenance records it.

    Args:
        path: The file about to be read.
        sha256: Its pinned hex digest, or ``None`` when it has none.
        what: Human name of the benchmark or model that reads it, for the message.

    Returns:
        The file's hex sha256 (for provenance, e.g. ``Benchmark.data_files()``).

    Raises:
        DataError: The file cannot be read, or it has a pin, verification is on, and its sha256
            differs (the message names the file, both digests and the ways to proceed).
    """
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise DataError(f"{what}: cannot read data file {str(path)!r}: {exc}") from exc
    if sha256 is not None and actual != sha256.lower() and verification_enabled():
        raise DataError(
            f"{what}: data file {str(path)!r} does not match its pinned sha256 (expected {sha256}, "
            f"got {actual}); run `hpobench data verify` to list damaged files and re-fetch them with "
            "`hpobench data fetch NAME --force` (package files: reinstall hpobench), or, if you "
            "changed the data on purpose, turn verification off (`--no-verify`, "
            "hpobench.data.datadir.data_verification(enabled=False))"
        )
    return actual


# --- checksum lists shipped beside package data ----------------------------------------------


def read_checksums(folder: Path) -> dict[str, str] | None:
    """The checksum list ``folder/SHA256SUMS.json`` (POSIX path inside ``folder`` -> sha256), if any.

    Raises:
        DataError: The list exists but is not a JSON object of strings.
    """
    path = folder / CHECKSUMS_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise DataError(f"checksum list {str(path)!r} is unreadable: {exc}") from exc
    files = raw.get("files") if isinstance(raw, dict) else None
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise DataError(f'checksum list {str(path)!r} is not {{"files": {{path: sha256}}}}')
    return dict(files)


def write_checksums(folder: Path, *, pattern: str) -> Mapping[str, str]:
    """Hash every file of ``folder`` matching ``pattern`` and write ``folder/SHA256SUMS.json``.

    The list is sorted and byte-reproducible (one line per file), so regenerating it over
    unchanged files gives the same bytes. Written through a temporary file and an atomic rename.

    Args:
        folder: The folder whose files are listed (paths in the list are relative to it).
        pattern: A :meth:`pathlib.Path.glob` pattern, e.g. ``"*/*.npz"``.

    Returns:
        The list written (relative POSIX path -> sha256).
    """
    files = {
        p.relative_to(folder).as_posix(): sha256_of(p) for p in sorted(folder.glob(pattern)) if p.is_file()
    }
    target = folder / CHECKSUMS_FILE
    tmp = target.with_name(f".{CHECKSUMS_FILE}.tmp")
    tmp.write_text(json.dumps({"files": files}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return files
