"""Data management: which datasets are known, which are present, verification and download.

A :class:`Dataset` names the files it puts into the data directory (each with a pinned sha256
where one is known) and the :class:`Source` s to download them from (a plain file or an archive
to unpack). The built-in manifest is :data:`hpobench.data._manifest.DATASETS`; see that module for
the upstream URLs and how sure we are of each.

Download contract (:func:`fetch`): each source is streamed into a hidden temporary file in its
target folder while its sha256 is computed; on a digest mismatch the temporary file is deleted
and :class:`~hpobench.contracts.errors.DataError` names the expected and the actual digest. Only a verified
download is moved into place, with an atomic :func:`os.replace` (archives are unpacked into a
temporary folder first, then each member is moved into place), so an interrupted or rejected
fetch never leaves a half-written file under a final name.

Mirrors: a source's URL can be replaced by ``<url_base>/<source path>`` (``--url-base`` or
``$HPOBENCH_DATA_URL``); the checksums stay those of the manifest, so a mirror cannot change the
data unnoticed.

Nothing is downloaded without a digest to check it against: a source without a pinned sha256
is refused unless the caller states the digest it trusts (``fetch(..., sha256=HEX)``, on the
command line ``hpobench data fetch NAME --sha256 HEX``), which is then enforced like a pin.

Verification on use: :func:`verified_data_file` is how loaders of data-directory files get a
file, checked against the manifest's pin (see :mod:`hpobench.data.datadir`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from functools import cache
from pathlib import Path

from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.data._files import temporary_beside
from hpobench.data.datadir import require_file, sha256_of, verified
from hpobench.data.dataset_types import ArchiveKind, DataFile, Dataset, Source

__all__ = [
    "URL_ENV_VAR",
    "FileState",
    "fetch",
    "find_dataset",
    "known_datasets",
    "pinned_sha256",
    "status",
    "verified_data_file",
]

URL_ENV_VAR = "HPOBENCH_DATA_URL"
_CHUNK = 1 << 20


class FileState(Enum):
    """The state of one file of a dataset in a data directory."""

    OK = "ok"
    """Present and matching its pinned checksum."""
    UNPINNED = "unpinned"
    """Present; no checksum is pinned, so it was not verified."""
    MISMATCH = "mismatch"
    """Present but its checksum differs from the pinned one."""
    MISSING = "missing"
    """Not present."""


_PRESENT = (FileState.OK, FileState.UNPINNED)


def known_datasets() -> tuple[Dataset, ...]:
    """The datasets of the built-in manifest."""
    from hpobench.data._manifest import DATASETS

    return DATASETS


def find_dataset(name: str, datasets: Sequence[Dataset] | None = None) -> Dataset:
    """Return the dataset called ``name``.

    Raises:
        UnknownNameError: No such dataset.
    """
    pool = known_datasets() if datasets is None else datasets
    for dataset in pool:
        if dataset.name == name:
            return dataset
    raise UnknownNameError("dataset", name, [d.name for d in pool])


@cache
def _pins() -> Mapping[str, str]:
    return {f.path: f.sha256 for d in known_datasets() for f in d.files if f.sha256 is not None}


def pinned_sha256(relative: str) -> str | None:
    """The manifest's pinned sha256 of the data-directory file ``relative`` (POSIX), or ``None``."""
    return _pins().get(relative)


def verified_data_file(data_dir: Path | None, relative: str, *, what: str) -> tuple[Path, str]:
    """Return ``data_dir / relative`` (resolved) and its sha256 once it matches the manifest's pin.

    The entry point of every loader that reads a file of the data directory: presence is
    checked as by :func:`~hpobench.data.datadir.require_file`, then the file goes through
    :func:`~hpobench.data.datadir.verified` with :func:`pinned_sha256` (a file the manifest does not
    pin is hashed, not checked).

    Raises:
        DataError: No data directory, the file is missing, or it does not match its pin while
            verification is on.
    """
    path = require_file(data_dir, relative, what=what).resolve()
    return path, verified(path, sha256=pinned_sha256(relative), what=what)


def status(dataset: Dataset, data_dir: Path, *, verify: bool = True) -> list[tuple[DataFile, FileState]]:
    """State of each file of ``dataset`` in ``data_dir``.

    Args:
        dataset: The dataset.
        data_dir: The data directory.
        verify: Hash present files against their pinned checksums (else report them OK unhashed).
    """
    out = []
    for file in dataset.files:
        path = data_dir / file.path
        if not path.is_file():
            out.append((file, FileState.MISSING))
        elif file.sha256 is None:
            out.append((file, FileState.UNPINNED))
        elif not verify or sha256_of(path) == file.sha256:
            out.append((file, FileState.OK))
        else:
            out.append((file, FileState.MISMATCH))
    return out


def _url(source: Source, url_base: str | None, dataset: str) -> str:
    if url_base:
        return f"{url_base.rstrip('/')}/{source.path}"
    if source.url is None:
        raise DataError(
            f"dataset {dataset!r}: {source.path} has no public upstream URL; "
            f"fetch it from a mirror with --url-base URL or ${URL_ENV_VAR}"
        )
    return source.url


def _download(url: str, target: Path, expected: str | None, timeout: float) -> Path:
    """Stream ``url`` into a temporary file next to ``target``; return it once its digest matches."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = temporary_beside(target, prefix=f".{target.name}.", suffix=".part")
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(_CHUNK):
                digest.update(block)
                out.write(block)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise DataError(f"cannot download {url}: {exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    actual = digest.hexdigest()
    if expected is not None and actual != expected:
        tmp.unlink(missing_ok=True)
        raise DataError(
            f"checksum mismatch for {url} (-> {target.name}): expected sha256 {expected}, got {actual}; "
            "the download was deleted and nothing was written"
        )
    return tmp


def _unpack(archive: Path, kind: ArchiveKind, folder: Path) -> list[Path]:
    """Unpack into a temporary folder inside ``folder``, then move each file into place."""
    staging = Path(tempfile.mkdtemp(dir=folder, prefix=".unpack-"))
    try:
        try:
            if kind is ArchiveKind.TAR_GZ:
                with tarfile.open(archive, "r:gz") as tar:
                    tar.extractall(staging, filter="data")
            else:
                with zipfile.ZipFile(archive) as zf:
                    for name in zf.namelist():
                        if not (staging / name).resolve().is_relative_to(staging.resolve()):
                            raise DataError(f"archive member {name!r} would escape the data directory")
                    zf.extractall(staging)
        except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
            raise DataError(f"cannot unpack {archive.name}: {exc}") from exc
        moved = []
        for member in sorted(p for p in staging.rglob("*") if p.is_file()):
            final = folder / member.relative_to(staging)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(member, final)
            moved.append(final)
        return moved
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch(
    dataset: Dataset,
    data_dir: Path,
    *,
    url_base: str | None = None,
    force: bool = False,
    timeout: float = 60.0,
    sha256: str | None = None,
    log: Callable[[str], None] = lambda message: None,
) -> list[Path]:
    """Download, verify and unpack ``dataset`` into ``data_dir`` (see the module docstring).

    Nothing is downloaded when every file is present and the pinned ones verify, unless
    ``force``; a plain-file source that is present and verifies is not downloaded again. After the downloads,
    every pinned file of the dataset is verified again.

    Args:
        dataset: What to fetch.
        data_dir: The data directory (created if missing).
        url_base: A mirror replacing the upstream URLs (default: ``$HPOBENCH_DATA_URL``).
        force: Download even when the files are present and verified.
        timeout: Socket timeout per download, in seconds.
        sha256: A digest the caller trusts for the dataset's one source that has no pin (the
            only way to fetch such a source); it is enforced like a pin. Refused for a dataset
            with several sources or when it differs from the source's pin.
        log: Receives one line per step (the CLI prints them).

    Returns:
        The files written.

    Raises:
        DataError: A download fails, a checksum differs (nothing is written), an archive cannot
            be unpacked, a source has no URL and no mirror is given, or a source has no pinned
            sha256 and none is given (checked before anything is downloaded; files already
            present are not fetched again and need no digest).
    """
    url_base = url_base if url_base is not None else os.environ.get(URL_ENV_VAR) or None
    data_dir.mkdir(parents=True, exist_ok=True)
    if not force and all(state in _PRESENT for _, state in status(dataset, data_dir)):
        log(f"{dataset.name}: all {len(dataset.files)} file(s) present (pinned ones verified)")
        return []
    expected = _expected_digests(dataset, sha256)  # before any download
    written: list[Path] = []
    for source in dataset.sources:
        target = data_dir / source.path
        digest = expected[source.path]
        present = source.archive is ArchiveKind.FILE and not force and target.is_file()
        if present and sha256_of(target) == digest:
            continue
        url = _url(source, url_base, dataset.name)
        log(f"{dataset.name}: downloading {url}")
        tmp = _download(url, target, digest, timeout)
        if source.archive is ArchiveKind.FILE:
            os.replace(tmp, target)
            written.append(target)
            continue
        try:
            written.extend(_unpack(tmp, source.archive, target.parent))
        finally:
            tmp.unlink(missing_ok=True)
    bad = [
        f.path for f, state in status(dataset, data_dir) if state in (FileState.MISMATCH, FileState.MISSING)
    ]
    if bad:
        raise DataError(
            f"dataset {dataset.name!r}: after fetching, these files are missing or corrupt: {bad}"
        )
    unpinned = [f.path for f in dataset.files if f.sha256 is None]
    note = f"; no pin for the unpacked {unpinned} (recorded in provenance, not checked)" if unpinned else ""
    log(f"{dataset.name}: {len(written)} file(s) written, every download verified by sha256{note}")
    return written


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _expected_digests(dataset: Dataset, trusted: str | None) -> dict[str, str]:
    """The digest every source of ``dataset`` is checked against (pins, or the caller's ``trusted``)."""
    if trusted is not None:
        trusted = trusted.strip().lower()
        if not _HEX64.fullmatch(trusted):
            raise DataError(f"--sha256 must be 64 hexadecimal digits, got {trusted!r}")
        if len(dataset.sources) != 1:
            raise DataError(
                f"dataset {dataset.name!r} has {len(dataset.sources)} sources; --sha256 applies to one"
            )
        pinned = dataset.sources[0].sha256
        if pinned is not None and pinned != trusted:
            raise DataError(
                f"dataset {dataset.name!r}: --sha256 {trusted} differs from the pinned {pinned} of "
                f"{dataset.sources[0].path}; drop --sha256 to use the pin"
            )
        return {dataset.sources[0].path: trusted}
    missing = [s for s in dataset.sources if s.sha256 is None]
    if missing:
        where = ", ".join(f"{s.path} ({s.url or 'no URL'})" for s in missing)
        raise DataError(
            f"dataset {dataset.name!r}: no sha256 is pinned for {where}, so a download could not be "
            "verified and is refused; if you have a digest you trust (published by the authors, or "
            f"computed on a copy you trust), pass it: hpobench data fetch {dataset.name} --sha256 HEX"
        )
    return {s.path: str(s.sha256) for s in dataset.sources}
