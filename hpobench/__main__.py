"""``python -m hpobench`` runs the ``hpobench`` command."""

from hpobench.cli import command

command()
