"""The result store checks what a resume would skip, sets damaged runs aside, and combined/ is
byte-identical across identical studies (issue 15, "Studies that never lie")."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from report_data import run_frame

from hpobench.contracts.benchmark import BenchmarkSpec
from hpobench.contracts.budget import Budget
from hpobench.execution.planning import plan_study
from hpobench.execution.store import (
    Aside,
    RunState,
    check_run,
    finished_run_ids,
    move_aside,
    read_combined,
    remove_stale_temporaries,
    scan_runs,
    write_combined,
    write_run,
)
from hpobench.execution.study import run_study
from hpobench.results.load import load_results


def _frame(run_id: str, *, evals: int = 6, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return run_frame(run_id, "synthetic/t0", "m", seed, rng.uniform(0, 1, evals), rng)


def _record(run_id: str, *, status: str = "ok", evals: int = 6) -> dict[str, object]:
    record: dict[str, object] = {
        "run_id": run_id,
        "spec": {"benchmark": "synthetic/t0", "method": "m", "seed": 0},
        "status": status,
        "evaluations": evals,
    }
    if status != "ok":
        record["error"] = "MethodError: boom"
    return record


def _store(out: Path, run_id: str, *, seed: int = 0, status: str = "ok") -> None:
    write_run(out, run_id, _frame(run_id, seed=seed), _record(run_id, status=status))


def _edit_record(path: Path, **changes: object) -> None:
    record = json.loads(path.read_text())
    record.update(changes)
    path.write_text(json.dumps(record))


def _strip_checksum(path: Path) -> None:
    """Make ``path`` a record of the format before checksums (no "table" entry)."""
    record = json.loads(path.read_text())
    del record["table"]
    path.write_text(json.dumps(record))


def test_write_run_records_the_checksum_and_row_count_of_the_bytes_written(tmp_path: Path) -> None:
    given = {**_record("a"), "table": {"sha256": "stale", "rows": 99}}
    write_run(tmp_path, "a", _frame("a"), given)
    record = json.loads((tmp_path / "runs" / "a.json").read_text())
    table = (tmp_path / "runs" / "a.parquet").read_bytes()
    body = {k: v for k, v in record.items() if k != "table"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    assert record["table"] == {
        "sha256": hashlib.sha256(table).hexdigest(),
        "rows": 6,
        "record": hashlib.sha256(canonical).hexdigest(),
    }
    assert given["table"] == {"sha256": "stale", "rows": 99}  # the caller's mapping is not modified
    check = check_run(tmp_path, "a")
    assert (check.state, check.rows, check.verified) == (RunState.OK, 6, True)
    with pytest.raises(ValueError, match="names run 'b'"):
        write_run(tmp_path, "a", _frame("a"), _record("b"))
    with pytest.raises(ValueError, match="not a run id"):
        write_run(tmp_path, "../a", _frame("a"), {})


def test_a_run_file_is_zstd_without_dictionaries_and_reads_back_as_written(tmp_path: Path) -> None:
    frame = _frame("a", evals=50)
    write_run(tmp_path, "a", frame, _record("a", evals=50))
    path = tmp_path / "runs" / "a.parquet"
    meta = pq.ParquetFile(path).metadata
    for group in range(meta.num_row_groups):
        for i in range(meta.num_columns):
            chunk = meta.row_group(group).column(i)
            assert chunk.compression == "ZSTD", chunk.path_in_schema
            assert not chunk.has_dictionary_page, chunk.path_in_schema
            assert not {"PLAIN_DICTIONARY", "RLE_DICTIONARY"} & set(chunk.encodings), chunk.path_in_schema
    back = pq.read_table(path).to_pandas()
    pd.testing.assert_frame_equal(back, frame.reset_index(drop=True), check_exact=True)


def _truncate(runs: Path) -> None:
    data = (runs / "r1.parquet").read_bytes()
    (runs / "r1.parquet").write_bytes(data[: len(data) // 2])


def _garbage_record(runs: Path) -> None:
    (runs / "r1.json").write_bytes(b'\x00{"run_id": "r1", garbage')


def _list_record(runs: Path) -> None:
    (runs / "r1.json").write_text('["r1", "ok"]')


def _other_run_id(runs: Path) -> None:
    _edit_record(runs / "r1.json", run_id="r0")


def _other_runs_table(runs: Path) -> None:
    shutil.copyfile(runs / "r0.parquet", runs / "r1.parquet")


def _row_count(runs: Path) -> None:
    record = json.loads((runs / "r1.json").read_text())
    _edit_record(runs / "r1.json", table={**record["table"], "rows": 7})


def _no_table(runs: Path) -> None:
    (runs / "r1.parquet").unlink()


def _flip_record(runs: Path, old: bytes, new: bytes) -> None:
    """Change the record's bytes in place, keeping valid JSON (what a flipped bit can do)."""
    data = (runs / "r1.json").read_bytes()
    assert data.count(old) == 1
    (runs / "r1.json").write_bytes(data.replace(old, new))


def _renamed_key(runs: Path) -> None:
    _flip_record(runs, b'"evaluations"', b'"evaluationr"')


def _edited_status(runs: Path) -> None:
    _flip_record(runs, b'"ok"', b'"oj"')


def _renamed_table_entry_key(runs: Path) -> None:
    _flip_record(runs, b'"record"', b'"recorf"')


def _drop_record_checksum(path: Path) -> None:
    """Make ``path`` a record of the format before record checksums (table entry: sha256, rows)."""
    record = json.loads(path.read_text())
    del record["table"]["record"]
    path.write_text(json.dumps(record))


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated parquet": (_truncate, "table checksum mismatch"),
    "garbage json": (_garbage_record, "not valid JSON"),
    "json list": (_list_record, "is a JSON list, not an object"),
    "other run_id": (_other_run_id, "names run 'r0', not 'r1'"),
    "other run's parquet": (_other_runs_table, "table checksum mismatch"),
    "row count": (_row_count, "table has 6 rows, the provenance record says 7"),
    "record without table": (_no_table, "provenance record without its table"),
    "renamed key in the record": (_renamed_key, "provenance record checksum mismatch"),
    "edited value in the record": (_edited_status, "provenance record checksum mismatch"),
    "renamed key of the table entry": (_renamed_table_entry_key, "'table' entry is malformed"),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_run_is_reported_with_its_reason_and_moved_aside_whole(tmp_path: Path, case: str) -> None:
    damage, reason = DAMAGE[case]
    for i in range(3):
        _store(tmp_path, f"r{i}", seed=i)
    runs = tmp_path / "runs"
    damage(runs)
    kept = {p.name: p.read_bytes() for p in runs.glob("r1.*")}
    check = check_run(tmp_path, "r1")
    assert check.state is RunState.DAMAGED
    assert reason in check.reason
    assert not check.finished
    scan = scan_runs(tmp_path, ["r0", "r1", "r2", "r3"])
    assert [c.state for c in scan.values()] == [RunState.OK, RunState.DAMAGED, RunState.OK, RunState.MISSING]
    assert scan["r1"].reason == check.reason
    assert finished_run_ids(tmp_path) == {"r0", "r2"}
    assert write_combined(tmp_path) == 2  # the combined table leaves the damaged run out
    folder = move_aside(tmp_path, "r1", reason=check.reason)
    assert folder == tmp_path / "damaged" / "r1.1"
    assert {p.name: p.read_bytes() for p in folder.glob("r1.*")} == kept  # every file kept, unchanged
    assert check.reason in (folder / "reason.txt").read_text()
    assert not list(runs.glob("r1.*"))
    assert check_run(tmp_path, "r1").state is RunState.MISSING
    assert finished_run_ids(tmp_path) == {"r0", "r2"}  # the others are untouched


def test_a_table_without_record_is_missing_and_nothing_is_read_for_absent_runs(tmp_path: Path) -> None:
    _store(tmp_path, "r0")
    (tmp_path / "runs" / "r0.json").unlink()
    check = check_run(tmp_path, "r0")
    assert (check.state, check.reason) == (RunState.MISSING, "table without provenance record")
    assert scan_runs(tmp_path, ["r0"])["r0"] == check
    assert scan_runs(tmp_path, ["nothing"])["nothing"].reason == "no files"
    assert finished_run_ids(tmp_path) == set()


def _store_older(out: Path, make_older: Callable[[Path], None]) -> Path:
    """Runs r0 and r1 stored, then rewritten by ``make_older`` as an older format; ``runs/``."""
    for i in range(2):
        _store(out, f"r{i}", seed=i)
        make_older(out / "runs" / f"r{i}.json")
    return out / "runs"


def test_records_without_checksum_are_verified_as_far_as_they_can_be(tmp_path: Path) -> None:
    runs = _store_older(tmp_path, _strip_checksum)
    check = check_run(tmp_path, "r1")
    assert (check.state, check.rows, check.verified) == (RunState.OK, 6, False)
    _other_runs_table(runs)  # a valid table of another run
    assert "table holds rows of run(s) r0" in check_run(tmp_path, "r1").reason
    _truncate(runs)
    assert "table unreadable" in check_run(tmp_path, "r1").reason
    _store(tmp_path, "r1", seed=1)
    _strip_checksum(runs / "r1.json")
    _edit_record(runs / "r1.json", evaluations=5)
    assert check_run(tmp_path, "r1").reason == "table has 6 rows, the provenance record says 5"


def test_records_without_their_own_checksum_still_have_the_table_checked(tmp_path: Path) -> None:
    runs = _store_older(tmp_path, _drop_record_checksum)
    check = check_run(tmp_path, "r1")
    assert (check.state, check.rows, check.verified) == (RunState.OK, 6, True)
    _other_runs_table(runs)
    assert "table checksum mismatch" in check_run(tmp_path, "r1").reason
    _store(tmp_path, "r1", seed=1)
    _drop_record_checksum(runs / "r1.json")
    _edit_record(runs / "r1.json", table={**json.loads((runs / "r1.json").read_text())["table"], "x": 1})
    assert "'table' entry is malformed" in check_run(tmp_path, "r1").reason


def test_set_aside_names_never_collide_and_temporaries_there_are_kept(tmp_path: Path) -> None:
    for attempt in (1, 2):
        _store(tmp_path, "r0")
        _garbage_record(tmp_path / "runs")
        # a name that is not a run id is refused before anything moves
        with pytest.raises(ValueError, match="not a run id"):
            move_aside(tmp_path, "../runs/r0", reason="x")
        folder = move_aside(tmp_path, "r0", reason=f"attempt {attempt}")
        assert folder == tmp_path / "damaged" / f"r0.{attempt}"
    for attempt in (1, 2):
        assert f"attempt {attempt}" in (tmp_path / "damaged" / f"r0.{attempt}" / "reason.txt").read_text()
        assert len(list((tmp_path / "damaged" / f"r0.{attempt}").glob("r0.*"))) == 2
    assert move_aside(tmp_path, "r0", reason="nothing there") is None
    leftover = tmp_path / "damaged" / "r0.1" / ".tmp-note"
    leftover.write_text("kept")
    (tmp_path / "runs" / ".tmp-stale").write_text("x")
    assert remove_stale_temporaries(tmp_path) == 1
    assert leftover.is_file()


def test_a_failed_run_is_finished_and_its_record_is_kept_when_it_is_retried(tmp_path: Path) -> None:
    _store(tmp_path, "r0", status="failed")
    check = check_run(tmp_path, "r0")
    assert (check.state, check.reason, check.finished) == (RunState.FAILED, "MethodError: boom", True)
    assert check.provenance is not None
    assert check.provenance["status"] == "failed"
    record = (tmp_path / "runs" / "r0.json").read_bytes()
    folder = move_aside(tmp_path, "r0", reason=f"retried: {check.reason}", into=Aside.RETRIED)
    assert folder == tmp_path / "retried" / "r0.1"
    assert (folder / "r0.json").read_bytes() == record
    assert check_run(tmp_path, "r0").state is RunState.MISSING


def test_the_report_skips_a_run_whose_files_disagree(tmp_path: Path) -> None:
    for i in range(3):
        _store(tmp_path, f"r{i}", seed=i)
    _other_runs_table(tmp_path / "runs")  # r1's table is r0's: valid Parquet, wrong run
    for combined in (False, True):
        results = load_results(tmp_path, combined=combined, consolidate=combined)
        assert list(results.runs["run_id"]) == ["r0", "r2"]
        assert any("r1" in p and "checksum mismatch" in p for p in results.problems)
    combined_ = read_combined(tmp_path)
    assert combined_ is not None
    assert set(combined_.runs) == {"r0", "r2"}
    assert set(combined_.unreadable) == {"r1"}


def test_resume_moves_damaged_runs_aside_and_executes_them_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from hpobench.cli import main

    command = ["run", "--benchmarks", "synthetic/branin", "--methods", "random_search", "--seeds", "0-2"]
    command += ["--budget", "3x", "--quiet", "--out", str(tmp_path)]
    assert main(command) == 0
    runs = sorted((tmp_path / "runs").glob("*.parquet"))
    original = {p.name: p.read_bytes() for p in runs}
    runs[1].write_bytes(runs[1].read_bytes()[:-100])  # truncated table
    runs[2].with_suffix(".json").write_text("{not json")  # garbage record
    capsys.readouterr()
    assert main(command) == 0
    out = capsys.readouterr()
    assert "done: 2 run(s) executed, 1 already finished (resumed); 2 damaged" in out.out
    assert out.err.count("DAMAGED") == 2
    assert "table checksum mismatch" in out.err
    # the damaged files are kept aside, the runs are whole again, with the same bytes as before
    aside = sorted(p.name for p in (tmp_path / "damaged").rglob("*") if p.is_file())
    assert aside.count("reason.txt") == 2
    assert len(aside) == 6
    assert {p.name: p.read_bytes() for p in sorted((tmp_path / "runs").glob("*.parquet"))} == original
    assert main(command) == 0
    assert "done: 0 run(s) executed, 3 already finished (resumed)\n" in capsys.readouterr().out


# combined/evaluations.parquet: the same bytes for the same runs, however the study got there


def _study(out: Path, seeds: list[int], *, jobs: int = 1) -> bytes:
    plan = plan_study(
        benchmarks=[BenchmarkSpec(family="synthetic", task="branin")],
        methods=["random_search"],
        seeds=seeds,
        budget=Budget.parse("3x"),
    )
    run_study(plan, out=out, jobs=jobs, progress=False)
    return (out / "combined" / "evaluations.parquet").read_bytes()


def test_identical_studies_give_byte_identical_combined_tables(tmp_path: Path) -> None:
    seeds = [0, 1, 2, 3]
    first = _study(tmp_path / "a", seeds)
    assert _study(tmp_path / "b", seeds) == first
    # extended: two runs' rows are copied from the previous combined table, two read from files
    _study(tmp_path / "c", seeds[:2])
    assert _study(tmp_path / "c", seeds) == first
    # resumed after losing runs: a whole run, and the record of another
    shutil.copytree(tmp_path / "a", tmp_path / "d")
    runs = sorted((tmp_path / "d" / "runs").glob("*.json"))
    runs[0].unlink()
    runs[0].with_suffix(".parquet").unlink()
    runs[2].unlink()
    assert _study(tmp_path / "d", seeds) == first
    fast, slow = load_results(tmp_path / "d"), load_results(tmp_path / "d", combined=False)
    pd.testing.assert_frame_equal(fast.evaluations, slow.evaluations)
    # several worker processes
    assert _study(tmp_path / "e", seeds, jobs=2) == first


def test_combined_columns_do_not_depend_on_runs_that_are_gone(tmp_path: Path) -> None:
    """A run with a column of its own, removed later: the rest combine as if it never was."""
    for out in (tmp_path / "x", tmp_path / "y"):
        for i in (1, 2):
            _store(out, f"r{i}", seed=i)
    extra = _frame("r0").assign(extra=1.5)
    write_run(tmp_path / "x", "r0", extra, _record("r0"))
    assert write_combined(tmp_path / "x") == 3
    whole = read_combined(tmp_path / "x")
    assert whole is not None
    assert "extra" in whole.table.column_names
    for suffix in (".json", ".parquet"):
        (tmp_path / "x" / "runs" / f"r0{suffix}").unlink()
    assert write_combined(tmp_path / "x") == 2
    assert write_combined(tmp_path / "y") == 2
    table = "combined/evaluations.parquet"
    assert (tmp_path / "x" / table).read_bytes() == (tmp_path / "y" / table).read_bytes()
    whole = read_combined(tmp_path / "x")
    assert whole is not None
    assert "extra" not in whole.table.column_names
