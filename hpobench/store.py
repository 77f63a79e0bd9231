"""The result store: one long-format Parquet file per run plus a JSON provenance record.

Layout of a study directory::

    OUT/
      study.json               what was asked for (benchmarks, methods, seeds, budget)
      runs/<run_id>.parquet    one row per evaluation (see :data:`COLUMNS`)
      runs/<run_id>.json       provenance; its presence marks the run as finished

Both files are written atomically (temporary file in the same folder, fsync, rename), the
Parquet file first, so a study killed at any moment leaves only whole files, and a run counts as
finished exactly when its JSON record exists. Result tables hold no wall-clock quantity, so the
same run always produces byte-identical Parquet files; timings live in the JSON record.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "COLUMNS",
    "RUNS_DIR",
    "atomic_write_bytes",
    "finished_run_ids",
    "read_provenance",
    "remove_stale_temporaries",
    "write_run",
]

RUNS_DIR = "runs"
TMP_PREFIX = ".tmp-"

COLUMNS: dict[str, str] = {
    "run_id": "Identifier of the run (also the file name).",
    "benchmark": "Task name, family/task.",
    "method": "Method label: registry name, plus keyword arguments when given.",
    "seed": "The run's seed.",
    "eval": "0-based index of the evaluation within the run.",
    "config": "The configuration as canonical JSON (sorted keys).",
    "fidelity": "Fidelity of the evaluation (the maximal one for single-fidelity tasks: 1).",
    "tag": "The method's label of the trial.",
    "status": "ok or failed.",
    "value": "Observed value of the primary objective (NaN if failed).",
    "value_max": "Noise-free value of the configuration at the maximal fidelity (what regret uses).",
    "cost": "Simulated cost of the evaluation in seconds.",
    "start": "Simulated time at which the evaluation started.",
    "time": "Simulated time at which it ended (start + cost); rows are in order of this time.",
    "worker": "Index of the simulated worker that ran it.",
    "fidelity_spent": "Cumulative fidelity spent, in multiples of the maximal fidelity.",
}


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see either no file or the whole file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def write_run(out: Path, run_id: str, frame: pd.DataFrame, provenance: Mapping[str, Any]) -> None:
    """Store one run: the Parquet table, then the provenance record that marks it finished."""
    runs = out / RUNS_DIR
    atomic_write_bytes(runs / f"{run_id}.parquet", _parquet_bytes(frame))
    text = json.dumps(provenance, indent=1, sort_keys=True, default=str) + "\n"
    atomic_write_bytes(runs / f"{run_id}.json", text.encode("utf-8"))


def finished_run_ids(out: Path) -> set[str]:
    """Return the ids of runs whose provenance record and table both exist."""
    runs = out / RUNS_DIR
    if not runs.is_dir():
        return set()
    done = (p for p in runs.glob("*.json") if not p.name.startswith(TMP_PREFIX))
    return {p.stem for p in done if p.with_suffix(".parquet").is_file()}


def read_provenance(path: Path) -> dict[str, Any]:
    """Read one provenance record."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a provenance record")
    return data


def remove_stale_temporaries(out: Path) -> int:
    """Delete temporary files left by an interrupted study; return how many were removed."""
    runs = out / RUNS_DIR
    if not runs.is_dir():
        return 0
    stale = list(runs.glob(f"{TMP_PREFIX}*"))
    for p in stale:
        p.unlink(missing_ok=True)
    return len(stale)
