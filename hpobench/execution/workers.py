"""The worker processes of :mod:`hpobench.execution.containment`: how one is started, runs jobs and dies.

A worker is forked from a fork server with the runner imported once (:func:`_context`), gets its
own process group (so a kill from outside also reaches whatever its job started), runs the jobs
it is sent one after the other, answering each as it ends, and exits, killing its process group,
as soon as its owner is gone (:func:`_watch_owner`: end-of-file on a pipe whose only writing end
the owner holds). The owner side (handing out jobs, limits, replacing dead workers) is
:func:`hpobench.execution.containment.run_contained`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection as mpc
import os
import signal
import sys
import tempfile
import threading
import types
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

_READY = -1
"""Key of the message a worker sends once it is set up (before its first job)."""


_LIFELINE_EXIT = 70
"""Exit status of a worker whose owner died."""


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _exit_cause(code: int | None) -> str:
    if code is None:
        return "crashed: the worker vanished"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = "; the kernel's OOM killer ends processes this way" if -code == signal.SIGKILL else ""
        return f"crashed: exit code {code} ({name}{hint})"
    return f"crashed: exit code {code} (the process exited in the middle of the run)"


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def _watch_owner(lifeline: mpc.Connection) -> None:
    """Exit this worker, and everything it started, once its owner is gone."""
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv()
    with contextlib.suppress(OSError):
        os.killpg(os.getpgrp(), signal.SIGKILL)
    os._exit(_LIFELINE_EXIT)


def _worker_main(
    conn: mpc.Connection,
    lifeline: mpc.Connection,
    fn: Callable[[Any], Any],
    environ: dict[str, str],
) -> None:
    """Body of a worker process: take jobs from ``conn`` until told to stop."""
    with contextlib.suppress(OSError):
        os.setsid()  # its own process group: a kill from outside also reaches what the job started
    threading.Thread(target=_watch_owner, args=(lifeline,), daemon=True, name="owner-watch").start()
    # multiprocessing hands the owner's sys.path and working directory to the child; the
    # environment is the fork server's, so the owner's current one is set here
    os.environ.clear()
    os.environ.update(environ)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the owner decides what an interrupt stops
    try:
        conn.send((_READY, None, None))
    except (EOFError, OSError):
        return
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        for key, item in message:  # a batch: its jobs run in order, each answered as it ends
            reply: tuple[int, Any, str | None]
            try:
                reply = (key, fn(item), None)
            except BaseException as exc:  # the job's failure, not the worker's
                reply = (key, None, f"{type(exc).__name__}: {exc}")
            try:
                conn.send(reply)
            except (EOFError, OSError):
                return


@dataclass(kw_only=True)
class _Worker:
    process: Any  # multiprocessing.Process of the fork-server context
    conn: mpc.Connection
    lifeline: mpc.Connection
    queue: deque[int] = field(default_factory=deque)
    """Keys of the jobs handed to it and not answered yet, in the order it runs them."""
    started: float = 0.0
    """When the job at the head of ``queue`` started (as seen from the owner)."""
    group: Hashable = None
    """Group of the last batch it was handed (its tasks are loaded there)."""
    ready: bool = False

    @property
    def busy(self) -> bool:
        return bool(self.queue)

    def kill(self) -> None:
        """Kill the worker's process group (itself and whatever its job started), then reap it."""
        pid = self.process.pid
        if pid is not None:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        self.process.join(timeout=5)
        self.close()

    def close(self) -> None:
        for conn in (self.conn, self.lifeline):
            with contextlib.suppress(OSError):
                conn.close()


_PRELOAD = ("hpobench.execution.runner", "hpobench.execution.study", "pyarrow.dataset", "threadpoolctl")
"""Modules the fork server imports once, so that no worker imports them itself: the runner, the
module of the study's job function (which every worker imports when it unpickles the function:
about 0.05 s that would otherwise sit between each worker's start and its first run), and what a
run imports on its first call (Parquet's dataset reader, 10 ms; the thread-pool controller, 2 ms)."""


def _context() -> Any:
    """The fork-server context, its server started (once per process) with :data:`_PRELOAD` imported.

    The server starts in a neutral working directory: it runs as ``python -c``, so the folder
    it starts in heads its ``sys.path`` (Python 3.11 ignores the owner's path there), and from
    a source checkout it would import the checkout's ``hpobench`` folder, which is not the
    installed package, instead of the package the owner runs.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(_PRELOAD))
    cwd = os.getcwd()
    os.chdir(tempfile.gettempdir())
    try:
        forkserver.ensure_running()
    finally:
        os.chdir(cwd)
    return ctx


@contextlib.contextmanager
def _without_main() -> Iterator[None]:
    """Start a process without re-running the owner's ``__main__`` in it.

    ``multiprocessing`` re-imports the main script in every child it starts this way (so a
    script without an ``if __name__ == "__main__"`` guard would run again in each worker, and
    one read from stdin cannot be found at all). The job function always lives in an importable
    module, so the children need no main module: hide it while the child's start-up data is
    gathered.
    """
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _start_worker(ctx: Any, fn: Callable[[Any], Any], environ: dict[str, str]) -> _Worker:
    ours, theirs = ctx.Pipe(duplex=True)
    life_read, life_write = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_worker_main,
        args=(theirs, life_read, fn, environ),
        name="hpobench-worker",
        daemon=False,
    )
    with _without_main():
        process.start()
    theirs.close()
    life_read.close()  # the writing end stays here alone: its closing is the worker's signal
    return _Worker(process=process, conn=ours, lifeline=life_write)
