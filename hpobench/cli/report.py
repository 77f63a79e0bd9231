"""``hpobench report OUT``: the study's report (HTML, Markdown, LaTeX, plots, CSV).

It ends with the file to open (``open OUT/report/report.html``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hpobench.contracts.errors import HpobenchError


def _cmd_report(args: argparse.Namespace) -> int:
    from hpobench.cli.memory import return_freed_memory

    return_freed_memory()  # before the imports, so that their allocations follow it too
    from hpobench.results.regret import XAxis
    from hpobench.results.report import FORMATS, write_report

    out = Path(args.out)
    if not out.is_dir():
        raise HpobenchError(f"results directory {str(out)!r} does not exist")
    formats = list(dict.fromkeys(args.format)) if args.format else list(FORMATS)
    report = write_report(out, axis=XAxis(args.x), formats=formats, blocks=args.blocks)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    print(_report_summary(report.documents, report.figures))
    return 0


def _report_summary(documents: dict[str, Path], figures: Sequence[Path]) -> str:
    """Where a report went, ending with the one file to open (not the report itself)."""
    folder = next(iter(documents.values()), None) or (figures[0] if figures else None)
    where = f" in {folder.parent}" if folder is not None else ""
    lines = [f"wrote {len(documents)} document(s) and {len(figures)} figure file(s){where}"]
    first = documents.get("html") or documents.get("md") or documents.get("latex")
    if first is not None:
        lines.append(f"open {first}")
    return "\n".join(lines)
