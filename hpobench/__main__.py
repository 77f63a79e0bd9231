"""``python -m hpobench`` runs the ``hpobench`` command."""

import sys

try:
    from hpobench.cli import command
except KeyboardInterrupt:  # Ctrl-C as the interpreter starts: the same one line and status as later
    print("hpobench: interrupted; re-run the same command to resume", file=sys.stderr)
    raise SystemExit(130) from None

command()
