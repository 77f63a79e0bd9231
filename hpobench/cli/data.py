"""``hpobench data list|verify|fetch``: known datasets, their files in the data directory, downloads."""

from __future__ import annotations

import argparse
from pathlib import Path

from hpobench.contracts.errors import DataError
from hpobench.data.datadir import ENV_VAR, resolve_data_dir


def _data_root(raw: str | None, *, create: bool) -> Path:
    """The data directory of the ``data`` commands (created for ``fetch``)."""
    import os

    chosen = raw if raw is not None else os.environ.get(ENV_VAR) or None
    if chosen is None:
        raise DataError(f"no data directory: pass --data-dir DIR or set ${ENV_VAR}")
    if create:
        Path(chosen).expanduser().mkdir(parents=True, exist_ok=True)
    found = resolve_data_dir(chosen)
    assert found is not None
    return found


def _cmd_data_list(args: argparse.Namespace) -> int:
    from hpobench.data import datasets

    root = resolve_data_dir(args.data_dir)
    print(f"datasets (data directory: {root if root is not None else f'none; --data-dir or ${ENV_VAR}'}):")
    for dataset in datasets.known_datasets():
        if root is None:
            present = "-"
        else:
            states = datasets.status(dataset, root, verify=False)
            n = sum(state is not datasets.FileState.MISSING for _, state in states)
            present = f"{n}/{len(states)} present"
        upstream = "mirror only" if all(s.url is None for s in dataset.sources) else "upstream URL"
        print(f"  {dataset.name:<12} {present:<14} {upstream:<12} {dataset.description}")
    return 0


def _cmd_data_verify(args: argparse.Namespace) -> int:
    from hpobench.data import datasets

    root = _data_root(args.data_dir, create=False)
    chosen = [datasets.find_dataset(n) for n in args.names] if args.names else datasets.known_datasets()
    failed = False
    for dataset in chosen:
        for file, state in datasets.status(dataset, root):
            print(f"{state.value.upper():<9} {dataset.name:<12} {file.path}")
            failed |= state is datasets.FileState.MISMATCH
            failed |= bool(args.names) and state is datasets.FileState.MISSING
    return 1 if failed else 0


def _cmd_data_fetch(args: argparse.Namespace) -> int:
    from hpobench.data import datasets

    if args.sha256 is not None and len(args.names) != 1:
        raise DataError("--sha256 is the digest of one dataset's download: fetch one dataset with it")
    root = _data_root(args.data_dir, create=True)
    for name in args.names:
        dataset = datasets.find_dataset(name)
        datasets.fetch(dataset, root, url_base=args.url_base, force=args.force, sha256=args.sha256, log=print)
    return 0
