"""Exceptions that name the problem: every bad input the suite can meet has one here.

All of them derive from :class:`HpobenchError` so that the CLI can print a one-line message
instead of a traceback, and from the matching builtin (``ValueError``, ``LookupError``,
``FileNotFoundError``) so that generic handlers keep working.
"""

from __future__ import annotations

import difflib


class HpobenchError(Exception):
    """Base class of every error the suite raises on purpose."""


class UnknownNameError(HpobenchError, LookupError):
    """A benchmark, task or method name that no registered plugin provides."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = known
        shown = ", ".join(known[:40]) + (", ..." if len(known) > 40 else "")
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        plural = f"{kind[:-1]}ies" if kind.endswith("y") else f"{kind}s"
        super().__init__(f"unknown {kind} {name!r}{hint}; known {plural}: {shown or '(none registered)'}")

    def __str__(self) -> str:  # LookupError would otherwise quote the message
        return str(self.args[0])


class InvalidConfigError(HpobenchError, ValueError):
    """A configuration that is not a member of the task's search space."""


class InvalidFidelityError(HpobenchError, ValueError):
    """A fidelity outside the task's fidelity range (or given to a task without one)."""


class InvalidSeedError(HpobenchError, ValueError):
    """An evaluation seed that is not a non-negative integer (see :func:`.values.check_seed`)."""


class DataError(HpobenchError, FileNotFoundError):
    """A missing, unreadable or corrupt data file or data directory."""


class IncompatibleError(HpobenchError, ValueError):
    """A method that cannot run on a task (for example Hyperband on a task without fidelity)."""


class InvalidReferenceError(HpobenchError, ValueError):
    """A task's reference (optimum, Pareto front or reference point) that cannot score runs."""


class BudgetError(HpobenchError, ValueError):
    """A budget a run cannot spend within the cap on evaluations per run."""


class MethodError(HpobenchError, RuntimeError):
    """A method that raised, stalled, hung or proposed an invalid trial during a run."""


class PluginImportError(HpobenchError, ImportError):
    """A registered plugin whose module could not be imported or does not define the named object."""


class InvalidStudyError(HpobenchError, ValueError):
    """A study that cannot start: every problem found before its first run, in one message.

    Attributes:
        problems: The problems, one sentence each.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = tuple(problems)
        count = f"{len(problems)} problems: " if len(problems) > 1 else ""
        super().__init__(f"the study cannot start, {count}" + "; ".join(problems))
