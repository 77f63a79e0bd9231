"""Worker processes that contain their jobs: whatever happens inside one job ends as that job's failure.

A study's runs execute in worker processes owned by :func:`run_contained`. A job whose worker
process dies (an ``os._exit``, a segfault, the kernel's OOM killer), outlives its wall-clock limit
(even one that catches every exception, or loops in C code), or grows past a resident-memory cap
is killed from outside, together with every process it started, and reported as failed with its
cause; the dead worker is replaced by a fresh one and the remaining jobs go on. Workers never
outlive the process that owns them: each holds the reading end of a pipe whose only writing end
is the owner's, and exits (killing its process group) as soon as that pipe reports end-of-file,
which the kernel does the moment the owner dies, SIGKILL included.

Workers are forked from a fork server (``multiprocessing``'s ``forkserver`` start method, with
the runner imported once in the server), so starting and replacing one costs milliseconds, and a
worker never inherits the owner's threads or open files (the worker side is
:mod:`hpobench.execution.workers`). Each job's worker gets the owner's
current ``sys.path``, environment and working directory, so plugins and settings made visible
after the fork server started are seen by the job.

Lifecycle: :func:`run_contained` starts up to ``jobs`` workers, hands each one job (or one batch
of jobs of a group) at a time, yields one :class:`JobResult` per job as jobs end (in completion
order), and stops every worker when the iteration ends, is closed early, or raises
(``KeyboardInterrupt`` included).
"""

from __future__ import annotations

import contextlib
import multiprocessing.connection as mpc
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from hpobench.contracts.cores import available_cores
from hpobench.contracts.errors import HpobenchError
from hpobench.execution.workers import (  # the worker side, private to this package
    _READY,
    _context,
    _exit_cause,
    _resident_bytes,
    _start_worker,
    _Worker,
)

__all__ = ["JobResult", "Limits", "parse_memory", "run_contained", "start_fork_server"]

T = TypeVar("T")
R = TypeVar("R")

_STARTUP_FAILURES = 3
"""Workers in a row that may die before they are set up before the whole pool gives up."""
_MEMORY_POLL = 0.05
"""Seconds between two reads of a busy worker's resident memory (when a cap is set)."""
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9}
_UNITS |= {"t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_memory(text: str) -> int:
    """Bytes in a memory size such as ``"4GB"``, ``"512MiB"``, ``"2.5g"`` or ``"1000000"``.

    Raises:
        ValueError: The text is not a positive size with a known unit.
    """
    raw = text.strip().lower().replace(" ", "")
    number = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(number) :]
    try:
        value = float(number)
    except ValueError:
        value = float("nan")
    if unit not in _UNITS or not value > 0 or value == float("inf"):
        raise ValueError(f"cannot read memory size {text!r}: use e.g. 4GB, 512MiB or 2.5G")
    return int(value * _UNITS[unit])


def _format_bytes(n: float) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What a job may use before it is stopped from outside.

    Attributes:
        timeout: Wall-clock seconds a job may run, counted from when its worker receives it
            (``None``: no limit). The job itself is expected to stop at this limit (the runner
            raises inside the run, keeping the evaluations made so far); a job still running
            ``grace`` seconds later is killed.
        max_memory: Resident memory in bytes a worker may use while it runs a job (``None``:
            no cap). Read from ``/proc`` every 50 ms, so a job that allocates faster than that
            can overshoot before it is killed; needs Linux.
    """

    timeout: float | None = None
    max_memory: int | None = None

    def __post_init__(self) -> None:
        if self.timeout is not None and not self.timeout > 0:
            raise ValueError(f"timeout must be positive seconds or None, got {self.timeout!r}")
        if self.max_memory is not None and self.max_memory <= 0:
            raise ValueError(f"max_memory must be positive bytes or None, got {self.max_memory!r}")
        if self.max_memory is not None and not os.path.isdir("/proc/self"):
            raise ValueError("a memory cap needs /proc (Linux) to read the workers' resident memory")

    @property
    def grace(self) -> float:
        """Seconds between the timeout and the kill: 10 % of the timeout, at least 2 s."""
        return 0.0 if self.timeout is None else max(2.0, 0.1 * self.timeout)


@dataclass(frozen=True, kw_only=True)
class JobResult(Generic[T, R]):
    """How one job ended.

    Attributes:
        item: The job's input, as given.
        value: What the job's function returned (``None`` when it did not return).
        failure: Why it did not return, e.g. ``"crashed: exit code -9 (SIGKILL)"``,
            ``"timeout after 10 s: ..."``, ``"memory limit: ..."`` or the exception the
            function raised; ``None`` when it returned.
        pid: The worker process that ran it.
    """

    item: T
    value: R | None
    failure: str | None
    pid: int


def start_fork_server() -> None:
    """Start the fork server that workers are forked from now, if it is not running yet.

    The server imports the runner in a process of its own (about a second), and
    :func:`run_contained` waits for it only when it forks the first worker. A command that calls
    this before its own imports and checks has both done at the same time on two or more cores.
    Calling it is never needed: :func:`run_contained` starts the server itself.
    """
    _context()


def run_contained(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    jobs: int,
    limits: Limits,
    on_workers: Callable[[list[int]], None] | None = None,
    group: Callable[[T], Hashable] | None = None,
    batch: int = 1,
    environ: Mapping[str, str] | None = None,
) -> Iterator[JobResult[T, R]]:
    """Run ``fn`` on every item in worker processes, containing every failure to its own job.

    Jobs can be handed to a worker in batches (one message, no round trip between them): the
    worker runs a batch's jobs one after the other and answers each as it ends. Every job of a
    batch is still contained on its own: the limits apply to each job, the job a worker was
    running when it died or was killed is the one reported as failed, and the jobs of its batch
    that had not started go back to the queue, to run in another worker. Batches are built from
    jobs of one group, and a worker is handed its last group again while that has jobs left, so
    what a job loads once per process (e.g. a task's data) serves the rest of its group there.

    Args:
        fn: A picklable (module-level) function; it runs in a worker process, once per item.
        items: The jobs' inputs (picklable).
        jobs: Number of worker processes (``-1``: one per core this process may use,
            :func:`~hpobench.contracts.cores.available_cores`); never more than ``len(items)``.
        limits: Wall-clock and memory limits per job.
        on_workers: Called with the pids of the live workers whenever the set changes (e.g. to
            record them beside a lock), and with ``[]`` when all have stopped.
        group: Key of an item's group (``None``: one group); only the batching and the order in
            which jobs are handed out depend on it.
        batch: The most jobs handed to a worker at once (``1``: one job at a time). Fewer are
            handed out as the queue runs low, so that the workers finish together.
        environ: Variables set in the workers' environment on top of the owner's.

    Yields:
        One :class:`JobResult` per item, in completion order.
    """
    if jobs == -1:
        jobs = available_cores()
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1 (or -1 for one per core), got {jobs}")
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    if not items:
        return
    ctx = _context()
    env = {**os.environ, **(environ or {})}
    groups = [None if group is None else group(item) for item in items]
    pending = _Queue(groups)
    workers: list[_Worker] = []
    changed = True
    stillborn = 0  # workers in a row that died before they were set up
    try:
        while pending or any(w.busy for w in workers):
            while len(workers) < min(jobs, len(pending) + sum(w.busy for w in workers)):
                workers.append(_start_worker(ctx, fn, env))
                changed = True
            if changed and on_workers is not None:
                on_workers([w.process.pid for w in workers])
            changed = False
            for worker in workers:
                if not worker.busy and pending:
                    size = max(1, min(batch, len(pending) // (2 * jobs)))
                    on_group = Counter(w.group for w in workers if w.busy)
                    worker.group, keys = pending.take(worker.group, size, busy=on_group)
                    worker.queue.extend(keys)
                    worker.started = time.monotonic()
                    with contextlib.suppress(OSError):  # a dead worker is found below
                        worker.conn.send([(k, items[k]) for k in keys])
            busy = [w for w in workers if w.busy]
            waitables = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            ready = set(mpc.wait(waitables, _wait_time(busy, limits)))
            done: list[JobResult[T, R]] = []
            for worker in busy:
                answered: list[JobResult[T, R]]
                ended: _Ended[T, R] | None
                answered, ended = _check(worker, ready, limits, items)
                done.extend(answered)
                if answered:
                    stillborn = 0
                if ended is None:
                    continue
                workers.remove(worker)
                changed = True
                unstarted = list(worker.queue)
                worker.queue.clear()
                if ended.result is None:  # died before it was set up: not the jobs' fault
                    pending.put_back(unstarted)
                    stillborn += 1
                    if stillborn >= _STARTUP_FAILURES:
                        raise HpobenchError(
                            f"worker processes die while starting ({ended.cause}); "
                            "no run was started (is the interpreter or the environment broken?)"
                        )
                    continue
                pending.put_back(unstarted[1:])  # the head was running: it is the one that failed
                stillborn = 0
                done.append(ended.result)
            yield from done
    finally:
        for worker in workers:
            if not worker.busy and worker.process.is_alive():
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
        deadline = time.monotonic() + 2.0
        for worker in workers:
            if not worker.busy:
                worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.kill()
            else:
                worker.process.join(timeout=0)
                worker.close()
        if on_workers is not None:
            on_workers([])


class _Queue:
    """The keys of the jobs not handed out yet, by group, in the order of the items."""

    def __init__(self, groups: Sequence[Hashable]) -> None:
        self._groups = list(groups)
        self._pending: dict[Hashable, deque[int]] = {}
        for key, name in enumerate(groups):
            self._pending.setdefault(name, deque()).append(key)
        self._size = len(groups)

    def __len__(self) -> int:
        return self._size

    def take(self, last: Hashable, size: int, *, busy: Mapping[Hashable, int]) -> tuple[Hashable, list[int]]:
        """Up to ``size`` keys of one group, and the group.

        The group is ``last`` while it has jobs left, else the group with the fewest busy workers
        on it (``busy``: workers per group; ties go to the first group), so that more workers than
        groups spread over the groups and each loads what its group needs once, not once per group.
        """
        name = last if last in self._pending else None
        if name is None:
            name = min(self._pending, key=lambda group: busy.get(group, 0))  # the first of the fewest
        queue = self._pending[name]
        keys = [queue.popleft() for _ in range(min(size, len(queue)))]
        if not queue:
            del self._pending[name]
        self._size -= len(keys)
        return name, keys

    def put_back(self, keys: Sequence[int]) -> None:
        """Return jobs that never started to the front of their groups."""
        for key in reversed(keys):
            self._pending.setdefault(self._groups[key], deque()).appendleft(key)
        self._size += len(keys)


def _wait_time(busy: list[_Worker], limits: Limits) -> float | None:
    waits: list[float] = []
    if limits.timeout is not None:
        now = time.monotonic()
        waits += [w.started + limits.timeout + limits.grace - now for w in busy]
    if limits.max_memory is not None:
        waits.append(_MEMORY_POLL)
    return max(0.0, min(waits)) if waits else None


@dataclass(frozen=True, kw_only=True)
class _Ended(Generic[T, R]):
    """A worker that ended (died or was killed) while it had jobs.

    ``result`` is the failure of the job at the head of its queue, or ``None`` when the worker
    died before it was set up (no job started).
    """

    result: JobResult[T, R] | None
    cause: str


def _check(
    worker: _Worker, ready: set[Any], limits: Limits, items: Sequence[T]
) -> tuple[list[JobResult[T, R]], _Ended[T, R] | None]:
    """The jobs ``worker`` answered, and whether it ended (``None``: it goes on)."""
    pid = int(worker.process.pid)
    answered: list[JobResult[T, R]] = []

    def failed(cause: str) -> tuple[list[JobResult[T, R]], _Ended[T, R]]:
        if not worker.ready:
            return answered, _Ended(result=None, cause=cause)
        key = worker.queue[0]
        result: JobResult[T, R] = JobResult(item=items[key], value=None, failure=cause, pid=pid)
        return answered, _Ended(result=result, cause=cause)

    if worker.conn in ready or worker.process.sentinel in ready:
        try:
            while worker.queue and worker.conn.poll():
                got, value, failure = worker.conn.recv()
                if got == _READY:
                    worker.ready = True
                    continue
                key = worker.queue.popleft()
                assert got == key, f"worker {pid} answered job {got} while running job {key}"
                answered.append(JobResult(item=items[key], value=value, failure=failure, pid=pid))
                worker.started = time.monotonic()  # the next job of its batch starts now
        except (EOFError, OSError):
            pass  # it died while answering
        if not worker.queue or (worker.process.sentinel not in ready and worker.process.is_alive()):
            return answered, None  # it answered, or only said it is ready
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        worker.kill()
        return failed(_exit_cause(code))
    elapsed = time.monotonic() - worker.started
    if limits.timeout is not None and elapsed >= limits.timeout + limits.grace:
        worker.kill()
        return failed(
            f"timeout after {limits.timeout:g} s: the run did not stop when asked, "
            f"so its worker was killed after {elapsed:.0f} s"
        )
    if limits.max_memory is not None:
        used = _resident_bytes(pid)
        if used > limits.max_memory:
            worker.kill()
            return failed(
                f"memory limit: the run's worker used {_format_bytes(used)} of resident memory "
                f"(limit {_format_bytes(limits.max_memory)}) and was killed"
            )
    return answered, None
