"""Jobs for the batch tests of the worker pool (importable by its worker processes)."""

from __future__ import annotations

import contextlib
import os
import time


def job(item: tuple[str, int]) -> int:
    """Do what ``item[0]`` says and return this worker's pid.

    ``exit``: exit code 3; ``raise``: a ValueError; ``hang``: ignores every exception;
    ``grow``: holds 400 MB; anything else: nothing.
    """
    kind, _ = item
    if kind == "exit":
        os._exit(3)
    if kind == "raise":
        raise ValueError("job raised")
    if kind == "hang":
        while True:
            with contextlib.suppress(BaseException):  # a job that swallows everything, on purpose
                time.sleep(60)
    if kind == "grow":
        block = bytearray(400 * 10**6)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(5)
    return os.getpid()
