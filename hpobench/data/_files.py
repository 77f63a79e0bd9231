"""Temporary files that are renamed into place as results or data files.

``tempfile.mkstemp`` creates its files readable by their owner alone (mode 0600), and a rename
keeps the mode: results and downloaded data written that way could not be read by the rest of a
group sharing a results folder. :func:`temporary_beside` creates the temporary file next to its
target (so that the final ``os.replace`` is atomic) with the mode any new file gets from the
process's umask (``0666 & ~umask``, 0644 under the usual umask 022).
"""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

__all__ = ["temporary_beside"]


@lru_cache(maxsize=1)
def _umask() -> int:
    """The process's umask: read from ``/proc`` where possible (setting it to read it races)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def temporary_beside(target: Path, *, prefix: str, suffix: str = "") -> tuple[int, Path]:
    """Create a temporary file in ``target``'s folder with the mode of an ordinary new file.

    Args:
        target: The file the temporary one will replace; its folder must exist.
        prefix: Start of the temporary file's name.
        suffix: End of the temporary file's name.

    Returns:
        ``(fd, path)``: an open descriptor (the caller closes it) and the file's path.
    """
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=suffix)
    if hasattr(os, "fchmod"):
        try:
            os.fchmod(fd, 0o666 & ~_umask())
        except BaseException:
            os.close(fd)
            Path(name).unlink(missing_ok=True)
            raise
    return fd, Path(name)
