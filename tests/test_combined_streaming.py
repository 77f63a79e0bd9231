"""The combined table is streamed in fixed row groups, in bounded memory (execution.combined_write)."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from report_data import synthesise

from hpobench.execution import combined_write
from hpobench.execution.runfiles import Inspected, run_fingerprints, write_run
from hpobench.execution.store import read_combined, write_combined

ROWS = 7  # a row group size that cuts through runs of 10 rows


def _table(out: Path) -> bytes:
    return (out / "combined" / "evaluations.parquet").read_bytes()


@pytest.fixture
def small_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(combined_write, "ROW_GROUP_ROWS", ROWS)


@pytest.mark.usefixtures("small_groups")
def test_row_groups_have_a_fixed_size_and_the_rows_read_like_the_run_files(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=2, seeds=2, evals=10)
    assert write_combined(tmp_path) == 8
    meta = pq.ParquetFile(tmp_path / "combined" / "evaluations.parquet").metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [ROWS] * 11 + [80 - 11 * ROWS]
    combined = read_combined(tmp_path)
    assert combined is not None
    for run_id, entry in combined.runs.items():
        own = pd.read_parquet(tmp_path / "runs" / f"{run_id}.parquet")
        rows = combined.table.slice(entry.offset, entry.rows).to_pandas()
        pd.testing.assert_frame_equal(rows[list(own.columns)], own)


@pytest.mark.usefixtures("small_groups")
def test_held_copied_and_reread_rows_give_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesise(tmp_path / "held", methods=2, tasks=2, seeds=2, evals=10)
    shutil.copytree(tmp_path / "held", tmp_path / "reread")
    shutil.copytree(tmp_path / "held", tmp_path / "copied")
    write_combined(tmp_path / "held")
    monkeypatch.setattr(combined_write, "HELD_BYTES", 0)  # every table decoded again while streaming
    write_combined(tmp_path / "reread")
    # a resumed study: one run changed since its combined table, the rest copied group by group
    write_combined(tmp_path / "copied")
    runs = tmp_path / "copied" / "runs"
    frame = pd.read_parquet(runs / "t1.m1.s0.parquet")
    write_run(tmp_path / "copied", "t1.m1.s0", frame, json.loads((runs / "t1.m1.s0.json").read_text()))
    assert write_combined(tmp_path / "copied") == 8
    assert _table(tmp_path / "held") == _table(tmp_path / "reread") == _table(tmp_path / "copied")


@pytest.mark.usefixtures("small_groups")
@pytest.mark.parametrize("ahead_rows", [1, 15, 10**6])  # one run, one or two, every run ahead
def test_runs_decoded_ahead_in_threads_give_the_same_bytes_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ahead_rows: int
) -> None:
    synthesise(tmp_path / "held", methods=2, tasks=2, seeds=2, evals=10)
    shutil.copytree(tmp_path / "held", tmp_path / "ahead")
    write_combined(tmp_path / "held")
    monkeypatch.setattr(combined_write, "HELD_BYTES", 0)  # every table decoded again, in threads
    monkeypatch.setattr(combined_write, "_AHEAD_ROWS", ahead_rows)
    original = combined_write.inspect_run
    decoded: list[str] = []

    def recording(folder: Path, run_id: str) -> Inspected:
        decoded.append(run_id)
        return original(folder, run_id)

    monkeypatch.setattr(combined_write, "inspect_run", recording)
    assert write_combined(tmp_path / "ahead") == 8
    assert _table(tmp_path / "held") == _table(tmp_path / "ahead")
    assert sorted(decoded) == sorted(2 * [p.stem for p in (tmp_path / "ahead" / "runs").glob("*.json")])


def test_a_run_that_changes_between_the_passes_makes_the_write_start_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesise(tmp_path, methods=1, tasks=2, seeds=2, evals=10)
    monkeypatch.setattr(combined_write, "HELD_BYTES", 0)
    runs = tmp_path / "runs"
    victim = "t0.random_search.s1"
    changed = pd.read_parquet(runs / f"{victim}.parquet")
    changed["value_max"] = changed["value_max"] + 1.0
    original = combined_write.inspect_run
    seen: list[str] = []

    def tampering(folder: Path, run_id: str) -> Inspected:
        result = original(folder, run_id)
        seen.append(run_id)
        if run_id == victim and seen.count(victim) == 1:  # rewritten right after the first pass read it
            write_run(tmp_path, victim, changed, json.loads((runs / f"{victim}.json").read_text()))
        return result

    monkeypatch.setattr(combined_write, "inspect_run", tampering)
    assert write_combined(tmp_path) == 4
    assert seen.count(victim) >= 3  # first pass, second pass (changed: start over), and again
    combined = read_combined(tmp_path)
    assert combined is not None
    assert combined.covers(run_fingerprints(tmp_path))
    entry = combined.runs[victim]
    rows = combined.table.slice(entry.offset, entry.rows).to_pandas()
    assert (rows["value_max"].to_numpy() == changed["value_max"].to_numpy()).all()


def test_no_finished_run_gives_an_empty_table_with_the_columns(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    assert write_combined(tmp_path) == 0
    combined = read_combined(tmp_path)
    assert combined is not None
    assert combined.table.num_rows == 0
    assert {"run_id", "value_max", "time"} <= set(combined.table.column_names)


def _damage_first_page(out: Path) -> None:
    """Flip bytes inside the first data page of the combined table, keeping its footer intact."""
    path = out / "combined" / "evaluations.parquet"
    meta = pq.ParquetFile(path).metadata
    column = meta.row_group(0).column(0)
    start = column.dictionary_page_offset or column.data_page_offset
    raw = bytearray(path.read_bytes())
    for i in range(start + 20, start + 28):
        raw[i] ^= 0xFF
    path.write_bytes(bytes(raw))


@pytest.mark.usefixtures("small_groups")
def test_a_damaged_page_of_the_previous_table_is_never_copied(tmp_path: Path) -> None:
    synthesise(tmp_path / "fresh", methods=2, tasks=2, seeds=2, evals=10)
    shutil.copytree(tmp_path / "fresh", tmp_path / "resumed")
    write_combined(tmp_path / "fresh")
    write_combined(tmp_path / "resumed")
    _damage_first_page(tmp_path / "resumed")
    assert read_combined(tmp_path / "resumed") is None  # its pages' checksums say so to readers
    runs = tmp_path / "resumed" / "runs"  # one run changed, so the table is rewritten, copying the rest
    record = json.loads((runs / "t1.m1.s1.json").read_text())
    write_run(tmp_path / "resumed", "t1.m1.s1", pd.read_parquet(runs / "t1.m1.s1.parquet"), record)
    assert write_combined(tmp_path / "resumed") == 8
    assert _table(tmp_path / "resumed") == _table(tmp_path / "fresh")


def test_runs_whose_rows_do_not_fit_the_columns_are_left_out_however_many(tmp_path: Path) -> None:
    synthesise(tmp_path, methods=2, tasks=3, seeds=2, evals=10)
    runs = tmp_path / "runs"
    unfit = sorted(p.stem for p in runs.glob("t2.*.json"))  # four runs
    for run_id in unfit:  # an unsigned seed column with a value no int64 holds
        frame = pd.read_parquet(runs / f"{run_id}.parquet")
        frame["seed"] = np.full(len(frame), np.iinfo(np.uint64).max, dtype=np.uint64)
        write_run(tmp_path, run_id, frame, json.loads((runs / f"{run_id}.json").read_text()))
    assert write_combined(tmp_path) == 8
    combined = read_combined(tmp_path)
    assert combined is not None
    assert sorted(combined.unreadable) == unfit
    assert combined.covers(run_fingerprints(tmp_path))


@pytest.mark.usefixtures("small_groups")
def test_a_write_that_fails_leaves_the_previous_table_and_stops_the_row_group_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthesise(tmp_path, methods=2, tasks=2, seeds=2, evals=10)
    assert write_combined(tmp_path) == 8
    before = _table(tmp_path)
    runs = tmp_path / "runs"
    changed = pd.read_parquet(runs / "t0.m1.s0.parquet")
    changed["value_max"] = changed["value_max"] + 1.0  # the table must be written again
    write_run(tmp_path, "t0.m1.s0", changed, json.loads((runs / "t0.m1.s0.json").read_text()))
    built: list[int] = []
    original_groups = combined_write._row_groups

    def counted(tables: Any) -> Any:
        for group in original_groups(tables):
            built.append(group.num_rows)
            yield group

    def full_disk(self: pq.ParquetWriter, table: Any, row_group_size: int | None = None) -> None:
        if len(built) >= 3:
            raise OSError(28, "No space left on device")
        original_write(self, table, row_group_size=row_group_size)

    original_write = pq.ParquetWriter.write_table
    monkeypatch.setattr(combined_write, "_row_groups", counted)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_combined(tmp_path)
    assert len(built) < 12  # the builder stopped with the writer, it did not run on to the end
    assert _table(tmp_path) == before  # written atomically: the previous table is still whole
    assert not [
        p for p in (tmp_path / "combined").iterdir() if p.name not in ("evaluations.parquet", "runs.json")
    ]
    assert not [t for t in threading.enumerate() if t.name.startswith("hpobench-row-groups")]
    monkeypatch.undo()
    assert write_combined(tmp_path) == 8  # and the next write brings it up to date
