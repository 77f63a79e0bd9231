"""Data management: which datasets are known, which are present, verification and download.

A :class:`Dataset` names the files it puts into the data directory (each with a pinned sha256
where one is known) and the :class:`Source` s to download them from (a plain file or an archive
to unpack). The built-in manifest is :data:`hpobench._manifest.DATASETS`; see that module for
the upstream URLs and how sure we are of each.

Download contract (:func:`fetch`): each source is streamed into a hidden temporary file in its
target folder while its sha256 is computed; on a digest mismatch the temporary file is deleted
and :class:`~hpobench.errors.DataError` names the expected and the actual digest. Only a verified
download is moved into place, with an atomic :func:`os.replace` (archives are unpacked into a
temporary folder first, then each member is moved into place), so an interrupted or rejected
fetch never leaves a half-written file under a final name.

Mirrors: a source's URL can be replaced by ``<url_base>/<source path>`` (``--url-base`` or
``$HPOBENCH_DATA_URL``); the checksums stay those of the manifest, so a mirror cannot change the
data unnoticed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from hpobench._files import temporary_beside
from hpobench.datadir import sha256_of
from hpobench.errors import DataError, UnknownNameError

__all__ = [
    "URL_ENV_VAR",
    "ArchiveKind",
    "DataFile",
    "Dataset",
    "FileState",
    "Source",
    "fetch",
    "find_dataset",
    "known_datasets",
    "status",
]

URL_ENV_VAR = "HPOBENCH_DATA_URL"
_CHUNK = 1 << 20


class ArchiveKind(Enum):
    """How a downloaded source becomes files of the data directory."""

    FILE = "file"
    """The download is the file itself."""
    TAR_GZ = "tar.gz"
    """A gzip-compressed tar archive, unpacked into the folder of the source's path."""
    ZIP = "zip"
    """A zip archive, unpacked into the folder of the source's path."""


@dataclass(frozen=True, kw_only=True)
class DataFile:
    """A file a dataset provides.

    Attributes:
        path: Path inside the data directory (POSIX separators).
        sha256: Pinned hex digest, or ``None`` where none is known (then only presence is checked).
    """

    path: str
    sha256: str | None


@dataclass(frozen=True, kw_only=True)
class Source:
    """One download.

    Attributes:
        path: Where the download goes inside the data directory (for archives: a temporary
            name next to which the archive is unpacked; the archive is deleted afterwards).
        url: Upstream URL, or ``None`` when there is no public one (a mirror is then needed).
        sha256: Pinned digest of the download, or ``None`` (accepted unverified, with a warning).
        archive: Whether and how to unpack it.
    """

    path: str
    url: str | None
    sha256: str | None
    archive: ArchiveKind = ArchiveKind.FILE


@dataclass(frozen=True, kw_only=True)
class Dataset:
    """A named dataset of the manifest.

    Attributes:
        name: Name used on the command line (``hpobench data fetch NAME``).
        description: One line on what it holds.
        license: The upstream license.
        files: The files it provides, once fetched.
        sources: The downloads that provide them.
    """

    name: str
    description: str
    license: str
    files: tuple[DataFile, ...]
    sources: tuple[Source, ...]


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
    from hpobench._manifest import DATASETS

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
        log: Receives one line per step (the CLI prints them).

    Returns:
        The files written.

    Raises:
        DataError: A download fails, a checksum differs (nothing is written), an archive cannot
            be unpacked, or a source has no URL and no mirror is given.
    """
    url_base = url_base if url_base is not None else os.environ.get(URL_ENV_VAR) or None
    data_dir.mkdir(parents=True, exist_ok=True)
    if not force and all(state in _PRESENT for _, state in status(dataset, data_dir)):
        log(f"{dataset.name}: all {len(dataset.files)} file(s) present (pinned ones verified)")
        return []
    written: list[Path] = []
    for source in dataset.sources:
        target = data_dir / source.path
        present = source.archive is ArchiveKind.FILE and not force and target.is_file()
        if present and source.sha256 is not None and sha256_of(target) == source.sha256:
            continue
        url = _url(source, url_base, dataset.name)
        log(f"{dataset.name}: downloading {url}")
        tmp = _download(url, target, source.sha256, timeout)
        if source.sha256 is None:
            log(f"{dataset.name}: WARNING no checksum pinned for {source.path}; got sha256 {sha256_of(tmp)}")
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
    log(f"{dataset.name}: {len(written)} file(s) written and verified")
    return written
