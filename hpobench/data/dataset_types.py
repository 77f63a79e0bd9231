"""The values that describe a known dataset: what it provides and where it is downloaded from.

:mod:`hpobench.data._manifest` lists the built-in datasets with these values and
:mod:`hpobench.data.datasets` checks, verifies and fetches them; both import this module, which
imports nothing else of the project (so the manifest and the logic do not import each other).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["ArchiveKind", "DataFile", "Dataset", "Source"]


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
        sha256: Pinned digest of the download, or ``None`` (then :func:`fetch` refuses it unless
            the caller states a digest).
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
