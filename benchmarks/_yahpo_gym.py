"""Point the yahpo-gym package at a data folder without touching ``~/.config`` (bench scripts only).

Import from a script in this folder with ``from _yahpo_gym import use_data_dir`` (it runs in
whichever environment has yahpo-gym; it imports nothing of hpobench).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["use_data_dir"]


def use_data_dir(data_dir: Path | str, scratch: Path | str) -> None:
    """Make yahpo-gym read its models from ``data_dir`` through a settings file in ``scratch``.

    Sets ``$YAHPO_LOCAL_CONFIG`` for releases that read it, and points the imported package's
    ``local_config`` at the same file: PyPI's yahpo-gym 1.0.1 never reads the variable (its
    check sits in a nested function that is never called), so without this it reads
    ``~/.config/yahpo_gym`` and fails, or uses whatever data another setup left there.
    """
    settings = Path(scratch) / "yahpo_gym.yaml"
    settings.write_text(f"data_path: {data_dir}\n")
    os.environ["YAHPO_LOCAL_CONFIG"] = str(settings)
    from yahpo_gym import local_config

    local_config.settings_path = settings.absolute()
    local_config._config = None  # read again from the new file on next use
