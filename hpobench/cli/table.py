"""``hpobench table check DIR`` and ``hpobench table init FILE``: a user's table folder, checked and started.

``check`` loads every task of a table folder exactly as a run would (:mod:`hpobench.surrogates.user_tables`)
and prints what hpobench sees: tasks, search space, fidelity range, objectives, optimum and
reference range, and how many grid points have no rows (a table that is not a full grid is a
candidate set). The first problem stops it with ``hpobench: error: ...`` naming file, column and
row. ``--record`` records the sha256 of ``meta.json`` and every table again (after an intended
change). ``init`` writes a starting ``meta.json`` beside a table, guessed from its columns.

Only argparse is imported with the CLI; the work imports pandas and the table code when it runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

__all__ = ["add_table_parser", "check_folder", "init_meta"]


def add_table_parser(sub: Any) -> None:
    """Add the ``table`` command (``check`` and ``init``) to the CLI's sub-parsers."""
    p_table = sub.add_parser("table", help="check a folder of your own tables, or start its meta.json")
    table_sub = p_table.add_subparsers(dest="table_command", required=True)
    p_check = table_sub.add_parser("check", help="validate a table folder and print what hpobench sees")
    p_check.add_argument("folder", help="the folder DATA_DIR/tables/NAME (meta.json + *.parquet/*.csv)")
    p_check.add_argument(
        "--record", action="store_true", help="record the files' sha256 again (after an intended change)"
    )
    p_check.set_defaults(func=_cmd_check)
    p_init = table_sub.add_parser("init", help="write a starting meta.json beside a table, from its columns")
    p_init.add_argument("file", help="a .parquet or .csv table")
    p_init.add_argument("--force", action="store_true", help="overwrite an existing meta.json")
    p_init.set_defaults(func=_cmd_init)


def _cmd_check(args: argparse.Namespace) -> int:
    for line in check_folder(args.folder, record=args.record):
        print(line)
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    path = init_meta(args.file, force=args.force)
    print(path.read_text(encoding="utf-8"), end="")
    print(f"wrote {path}: check the roles and directions, then run: hpobench table check {path.parent}")
    return 0


def _span(values: Any) -> str:
    shown = list(values)
    if len(shown) <= 6:
        return repr(shown)
    return f"{len(shown)} values, {shown[0]!r} .. {shown[-1]!r}"


def check_folder(folder: str | Path, *, record: bool = False) -> list[str]:
    """Load every task of a table folder as a run would; the lines that describe it.

    Args:
        folder: The table folder (``str`` or path); its name is the family name.
        record: Record the sha256 of ``meta.json`` and every table again (verification is
            off while they load, so changed files are accepted once they pass every check).

    Raises:
        DataError: The first problem found (folder name, meta, a table's file, column and row).
    """
    from hpobench.data.datadir import CHECKSUMS_FILE, data_verification, read_checksums
    from hpobench.data.registry import installed_family_names
    from hpobench.surrogates.user_tables import META_FILE, TableFolder, record_checksums, task_files

    path = Path(folder).expanduser().resolve()
    family = TableFolder(name=path.name, folder=path, shipped=installed_family_names())
    meta = family.meta()
    infos = family.tasks()
    primary, *extra = meta.objectives
    lines = [
        f"family {family.name} ({path}): {len(infos)} task(s)",
        f"  provenance: {meta.provenance or '(none given)'}",
        f"  optimised objective: {primary.name} ({primary.direction.value})",
    ]
    if extra:
        shown = ", ".join(f"{o.name} ({o.direction.value})" for o in extra)
        lines.append(f"  further objectives, kept as extra metrics: {shown}")
    lines.append(f"  cost: {meta.cost or 'none (an evaluation costs its fidelity / maximal fidelity, in s)'}")
    with data_verification(enabled=not record):
        for info in infos:
            lines.extend(_describe(family.load(info.name.split("/", 1)[1], data_dir=None), info.name))
    if record:
        files = [path / META_FILE, *task_files(path).values()]
        from hpobench.data.datadir import file_sha256

        record_checksums(path, {f.name: file_sha256(f) for f in files})
        lines.append(f"recorded the sha256 of {len(files)} file(s) in {path / CHECKSUMS_FILE}")
    pins = read_checksums(path) or {}
    if pins:
        listed = ", ".join(sorted(pins))
        lines.append(f"sha256 of {listed} recorded in {path / CHECKSUMS_FILE}, checked at every load")
    else:
        lines.append("sha256 not recorded (the folder is not writable): files are hashed for provenance only")
    return lines


def _describe(benchmark: Any, name: str) -> list[str]:
    task = benchmark.task
    reference = benchmark.optimum()
    objective = task.objective.name
    lines = [f"task {name}:"]
    grid = getattr(benchmark, "grid", None)
    if grid is not None:
        points = math.prod(len(v) for v in grid.values())
        lines.append(
            f"  full grid of {points} configurations x {benchmark.n_seeds} seed(s); missing cells: 0"
        )
        lines.extend(f"  {hp}: {_span(values)}" for hp, values in grid.items())
    else:
        listed = benchmark.candidate_configs()
        points = math.prod(len({c[hp] for c in listed}) for hp in listed[0])
        lines.append(
            f"  candidate set of {task.candidates} listed configurations x {benchmark.n_seeds} seed(s): "
            f"not a full grid ({points - len(listed)} of its {points} grid points have no rows), so "
            "proposals snap to the nearest listed configuration; missing (seed, fidelity) cells: 0"
        )
        for hp in task.space.values():
            log = " (log)" if getattr(hp, "log", False) else ""
            lines.append(f"  {hp.name}: [{hp.lower:g}, {hp.upper:g}]{log}")
    fidelity = task.fidelity
    if fidelity is not None:
        span = f"[{fidelity.low:g}, {fidelity.high:g}]" + (" (integer)" if fidelity.integer else "")
        lines.append(f"  fidelity {fidelity.name}: {benchmark.n_fidelities} values in {span}")
    else:
        lines.append("  fidelity: none (single-fidelity)")
    lines.append(
        f"  optimum {objective} = {reference.best[objective]:.6g}; reference worst (median configuration) "
        f"= {reference.worst[objective]:.6g}"
    )
    return lines


def init_meta(file: str | Path, *, force: bool = False) -> Path:
    """Write a starting ``meta.json`` beside ``file``, guessed from its columns; return its path.

    Raises:
        DataError: The table cannot be read, or ``meta.json`` exists and ``force`` is false.
    """
    import pandas as pd

    from hpobench.contracts.errors import DataError
    from hpobench.surrogates._user_meta import META_FILE, guess_meta
    from hpobench.surrogates.user_tables import read_table

    path = Path(file).expanduser()
    target = path.parent / META_FILE
    if target.exists() and not force:
        raise DataError(f"{str(target)!r} exists; pass --force to overwrite it")
    frame = read_table(path)
    kinds = {
        str(c): "numeric" if pd.api.types.is_numeric_dtype(frame[c]) and frame[c].dtype != bool else "text"
        for c in frame.columns
    }
    meta = guess_meta(kinds, provenance=f"(describe where {path.name} comes from)")
    hps = []
    for hp in meta.hyperparameters:
        values = frame[hp.name]
        wide = kinds[hp.name] == "numeric" and values.min() > 0 and values.max() >= 100 * values.min()
        hps.append(dataclasses.replace(hp, log=bool(wide)))
    meta = dataclasses.replace(meta, hyperparameters=tuple(hps))
    target.write_text(json.dumps(meta.to_json(), indent=1) + "\n", encoding="utf-8")
    return target
