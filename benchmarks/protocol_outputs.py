"""Re-run every paper-claim protocol and write ``benchmarks/reference/protocols.md``.

Each protocol in ``protocols/`` runs once with its own incumbent rule (full output) and once with
``--incumbent any_fidelity`` (summary lines), from a neutral working directory with the data
directory given. Run after any change to a method the protocols use::

    python benchmarks/protocol_outputs.py --data-dir ../shared/data [--jobs 2]

The file's introduction (everything before the first ``## `` heading) is kept as it is.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "benchmarks" / "reference" / "protocols.md"
RUNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("one_epoch", ()),
    ("one_epoch", ("--variant", "yahpo_lcbench")),
    ("dehb_fcnet", ()),
    ("hyperband_vs_random", ()),
    ("mo_asha_lcbench", ()),
    ("mo_asha_lcbench", ("--variant", "epoch1")),
)
_SUMMARY = ("setting:", "  ", "HELD:", "NOT HELD:", "the claim")


def _run(name: str, extra: tuple[str, ...], *, data_dir: Path, jobs: int) -> tuple[str, int, float]:
    command = [sys.executable, str(ROOT / "protocols" / f"{name}.py"), "--data-dir", str(data_dir)]
    command += ["--jobs", str(jobs), *extra]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=os.environ.copy())
    wall = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{name} {' '.join(extra)} failed (exit {done.returncode}):\n{done.stderr}")
    return done.stdout, done.returncode, wall


def _summary(text: str) -> str:
    keep = [line for line in text.splitlines() if line.startswith(_SUMMARY) and not line.startswith("    ")]
    return "\n".join(keep)


def main(argv: list[str] | None = None) -> int:
    """Run every protocol twice and rewrite the outputs file; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args(argv)
    data_dir = args.data_dir.resolve()
    intro = OUTPUT.read_text().split("\n## ", 1)[0].rstrip() + "\n"
    shown = "../shared/data"
    sections = [intro]
    for name, extra in RUNS:
        title = " ".join((name, *extra))
        print(f"running {title} ...", flush=True)
        text, status, wall = _run(name, extra, data_dir=data_dir, jobs=args.jobs)
        again, _, _ = _run(name, (*extra, "--incumbent", "any_fidelity"), data_dir=data_dir, jobs=args.jobs)
        line = " ".join(("$ python", f"protocols/{name}.py", "--data-dir", shown, *extra))
        sections.append(
            f"## {title}\n\n```\n{line}\n{text.rstrip()}\n(exit status {status}, wall {wall:.0f} s)\n```\n\n"
            f"```\n{line} --incumbent any_fidelity   (summary lines)\n{_summary(again)}\n```\n"
        )
    OUTPUT.write_text("\n".join(sections))
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
