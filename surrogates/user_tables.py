"""A user's own tables as benchmark families: ``DATA_DIR/tables/NAME/`` is the family ``NAME``.

The folder holds one Parquet (``.parquet``) or CSV (``.csv``) file per task (the task
``NAME/<file stem>``) and a ``meta.json`` that says what the columns mean
(:mod:`hpobench.surrogates._user_meta`). No code and no plugin package: the registry lists
every such folder of the data directory (:func:`hpobench.data.registry.family_names`), and runs load
its tasks inside the workers by name, like any family. Rows are checked and turned into the
shipped dense benchmarks by :mod:`hpobench.surrogates._user_build`; the reference optimum and
range follow the family-wide rule of :func:`hpobench.surrogates._dense.reference_of`.

Integrity: the sha256 of ``meta.json`` and of a task's file are recorded in the folder's
``SHA256SUMS.json`` the first time the task loads successfully (a table with an error is never
recorded), and every later load checks them, like shipped data
(:func:`hpobench.data.datadir.verified`): a file changed afterwards stops the load with a
:class:`~hpobench.contracts.errors.DataError`, so that results of one study never mix two versions of a
table. After an intended change, record the files again with ``hpobench table check DIR
--record`` (or switch verification off, :func:`hpobench.data.datadir.data_verification`). A
read-only folder is hashed for provenance but nothing is recorded.

Lifecycle: a family object is cheap (it reads ``meta.json`` and lists files when asked for its
tasks); ``load`` reads, checks and builds one task, cached per process on the file's identity.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hpobench.contracts.benchmark import Benchmark, BenchmarkFamily, TaskInfo
from hpobench.contracts.caching import task_cache
from hpobench.contracts.errors import DataError, UnknownNameError
from hpobench.data.datadir import CHECKSUMS_FILE, file_sha256, read_checksums, verification_enabled
from hpobench.surrogates._user_build import build_benchmark, table_tags
from hpobench.surrogates._user_meta import META_FILE, TableMeta, check_family_name, read_raw
from hpobench.surrogates.function_benchmark import function_from_meta

__all__ = ["META_FILE", "SUFFIXES", "TABLES", "TableFolder", "read_table", "record_checksums", "task_files"]

TABLES = "tables"
"""The sub-folder of the data directory that holds one folder per user family."""
SUFFIXES = (".parquet", ".csv")


def read_table(path: Path) -> pd.DataFrame:
    """Read one task file (Parquet or CSV).

    Raises:
        DataError: The file cannot be read or has another suffix.
    """
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        if path.suffix == ".csv":
            return pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{str(path)!r}: cannot read the table: {exc}") from exc
    raise DataError(f"{str(path)!r}: a task file must end in .parquet or .csv")


def task_files(folder: Path) -> dict[str, Path]:
    """Task name (file stem) -> file, sorted by name.

    Raises:
        DataError: Two files share a stem (``a.csv`` and ``a.parquet``) or there is none.
    """
    out: dict[str, Path] = {}
    for path in sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file()):
        if path.stem in out:
            raise DataError(
                f"{str(folder)!r}: {out[path.stem].name} and {path.name} are both task {path.stem!r}"
            )
        out[path.stem] = path
    if not out:
        raise DataError(f"{str(folder)!r} holds no task file (*.parquet or *.csv)")
    return out


def record_checksums(folder: Path, digests: dict[str, str]) -> None:
    """Add ``digests`` (file name -> sha256) to ``folder/SHA256SUMS.json``, replacing the list atomically.

    Raises:
        OSError: The folder is not writable.
        DataError: The existing list is unreadable.
    """
    files = {**(read_checksums(folder) or {}), **digests}
    target = folder / CHECKSUMS_FILE
    tmp = folder / f".{CHECKSUMS_FILE}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"files": files}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, target)


def _checked(folder: Path, path: Path, pins: dict[str, str], what: str) -> str:
    """The file's sha256, compared with its recorded one while verification is on."""
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise DataError(f"{what}: cannot read {str(path)!r}: {exc}") from exc
    pinned = pins.get(path.name)
    if pinned is not None and pinned != actual and verification_enabled():
        raise DataError(
            f"{what}: {str(path)!r} changed since its sha256 was recorded on first use in "
            f"{str(folder / CHECKSUMS_FILE)!r} (recorded {pinned}, now {actual}); results before and "
            f"after would mix two versions of the table. If you changed it on purpose, record it "
            f"again: hpobench table check {str(folder)!r} --record"
        )
    return actual


@dataclass(frozen=True)
class _Loaded:
    benchmark: Benchmark


@task_cache(maxsize=32)
def _load(name: str, path: Path, meta_json: str, stamp: tuple[int, int], sha256: str) -> _Loaded:
    meta = TableMeta.from_json(json.loads(meta_json), where=f"meta.json of {name}")
    frame = read_table(path)
    return _Loaded(build_benchmark(frame, meta, name=name, where=str(path), data_files={str(path): sha256}))


class TableFolder(BenchmarkFamily):
    """The family of one table folder (see the module docstring).

    Args:
        name: The family name (the folder's name).
        folder: The folder.
        shipped: Names of installed families, which the folder name must not collide with.
    """

    def __init__(self, *, name: str, folder: Path, shipped: Sequence[str] = ()) -> None:
        self.name = name
        self.folder = Path(folder)
        self._shipped = tuple(shipped)

    def _raw(self) -> Any:
        check_family_name(self.name, where=str(self.folder), shipped=self._shipped)
        return read_raw(self.folder)

    def is_function(self) -> bool:
        """Whether the folder names a training function instead of holding tables."""
        raw = self._raw()
        return isinstance(raw, dict) and "function" in raw

    def meta(self) -> TableMeta:
        """The folder's checked ``meta.json`` (of a table folder).

        Raises:
            DataError: The folder name is not usable or collides with an installed family, or
                ``meta.json`` is missing or invalid.
        """
        return TableMeta.from_json(self._raw(), where=str(self.folder / META_FILE))

    def _function_task(self) -> str:
        return str(self._raw()["function"]).rpartition(".")[2].rpartition(":")[2]

    def tasks(self) -> tuple[TaskInfo, ...]:
        """One task per table file (or the one task of a function folder); reads no table.

        Raises:
            DataError: As :meth:`meta`, or the folder holds no task file.
        """
        if self.is_function():
            raw = self._raw()
            multi = raw.get("fidelity") is not None
            tags = frozenset({"function", "live", self.name})
            return (
                TaskInfo(
                    name=f"{self.name}/{self._function_task()}",
                    multi_fidelity=multi,
                    needs_data=True,
                    tags=tags,
                    continuation=False,
                ),
            )
        meta = self.meta()
        tags = table_tags(self.name, meta)
        multi = meta.fidelity is not None
        return tuple(
            TaskInfo(
                name=f"{self.name}/{task}",
                multi_fidelity=multi,
                needs_data=True,
                tags=tags,
                continuation=multi,
                objectives=meta.objectives,
            )
            for task in task_files(self.folder)
        )

    def load(self, task: str, *, data_dir: Path | None) -> Benchmark:
        """Check and load one task (``data_dir`` is unused: the family knows its folder).

        Raises:
            UnknownNameError: No such task file.
            DataError: The meta or the table is invalid (naming file, column and row), or a file
                differs from its recorded sha256 while verification is on.
        """
        del data_dir
        if self.is_function():
            if task != self._function_task():
                raise UnknownNameError("benchmark", f"{self.name}/{task}", [i.name for i in self.tasks()])
            return function_from_meta(self._raw(), family=self.name, where=str(self.folder / META_FILE))
        self.meta()
        files = task_files(self.folder)
        if task not in files:
            raise UnknownNameError("benchmark", f"{self.name}/{task}", [f"{self.name}/{t}" for t in files])
        what = f"{self.name}/{task}"
        pins = read_checksums(self.folder) or {}
        meta_path, path = self.folder / META_FILE, files[task]
        meta_sha = _checked(self.folder, meta_path, pins, what)
        sha = _checked(self.folder, path, pins, what)
        stat = path.stat()
        loaded = _load(
            what, path.resolve(), meta_path.read_text(encoding="utf-8"), (stat.st_size, stat.st_mtime_ns), sha
        )
        new = {n: d for n, d in ((META_FILE, meta_sha), (path.name, sha)) if n not in pins}
        if new:
            with contextlib.suppress(OSError):  # a read-only folder: the digests still go into provenance
                record_checksums(self.folder, new)
        return loaded.benchmark
