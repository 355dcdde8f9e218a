"""Named sets of state names, derived once from the state classes' own ``is_x()`` predicates.

Code that only has a state's *name* — a server row, a GraphQL answer, the CLI watching a run,
the web UI and the JupyterLab extension — asks these sets instead of listing names by hand, so
every layer agrees with :mod:`prefect_jupyter.engine.state` and with each other: a new state
class joins the right sets by subclassing. Each set holds the names of the public state classes
whose instances answer ``True`` to one predicate: ``FAILED`` is every class whose
``is_failed()`` is true (``ValidationFailed`` is in it; ``ClientFailed`` and ``Cancelled`` are
not), ``FINISHED`` every class whose ``is_finished()`` is true, and so on.

The browser side gets the same sets from ``prefect_jupyter/jupyter/static/states.js``, written
by ``scripts/generate-states-js`` from :func:`javascript_constants` (a test keeps them equal).

Example:
    >>> from prefect_jupyter.engine.state_sets import FAILED, FINISHED
    >>> "ValidationFailed" in FAILED, "Cancelled" in FAILED, "Cancelled" in FINISHED
    (True, False, True)
"""

from __future__ import annotations

import json

from prefect_jupyter.engine import state as state_module

__all__ = [
    "PREDICATES",
    "STATE_SETS",
    "ALL",
    "PENDING",
    "SCHEDULED",
    "SUBMITTED",
    "QUEUED",
    "RUNNING",
    "CANCELLING",
    "FINISHED",
    "SUCCESSFUL",
    "CACHED",
    "MAPPED",
    "SKIPPED",
    "LOOPED",
    "FAILED",
    "RETRYING",
    "PAUSED",
    "META",
    "RUNNABLE_SCHEDULED",
    "derive_state_sets",
    "javascript_constants",
]

#: The ``State.is_<name>()`` predicates that define a set, in the order the sets are listed.
PREDICATES = (
    "pending",
    "scheduled",
    "submitted",
    "queued",
    "running",
    "cancelling",
    "finished",
    "successful",
    "cached",
    "mapped",
    "skipped",
    "looped",
    "failed",
    "retrying",
    "paused",
    "meta_state",
)


def derive_state_sets() -> dict[str, frozenset[str]]:
    """Predicate name -> the names of the public state classes for which it is true.

    Every public state class (``State`` and its subclasses not starting with ``_``) is
    instantiated once and asked each ``is_x()``; the predicates themselves stay the only
    definition of what "finished" or "failed" means.
    """
    classes = state_module.State.children(include_self=True)
    samples = {cls.__name__: cls() for cls in classes}
    return {
        name: frozenset(n for n, sample in samples.items() if getattr(sample, f"is_{name}")())
        for name in PREDICATES
    }


#: Every set, by predicate name (``"finished"``, ``"failed"``, ...).
STATE_SETS: dict[str, frozenset[str]] = derive_state_sets()
#: The names of every public state class.
ALL = frozenset(cls.__name__ for cls in state_module.State.children(include_self=True))
PENDING = STATE_SETS["pending"]
SCHEDULED = STATE_SETS["scheduled"]
SUBMITTED = STATE_SETS["submitted"]
QUEUED = STATE_SETS["queued"]
RUNNING = STATE_SETS["running"]
CANCELLING = STATE_SETS["cancelling"]
FINISHED = STATE_SETS["finished"]
SUCCESSFUL = STATE_SETS["successful"]
CACHED = STATE_SETS["cached"]
MAPPED = STATE_SETS["mapped"]
SKIPPED = STATE_SETS["skipped"]
LOOPED = STATE_SETS["looped"]
FAILED = STATE_SETS["failed"]
RETRYING = STATE_SETS["retrying"]
PAUSED = STATE_SETS["paused"]
META = STATE_SETS["meta_state"]
#: Scheduled states a runner may start on its own (a ``Paused`` run waits for a person).
RUNNABLE_SCHEDULED = SCHEDULED - PAUSED


def javascript_constants() -> str:
    """The sets as ES module ``export const`` lines (the generated part of ``states.js``)."""
    lines = [f"export const ALL = new Set({json.dumps(sorted(ALL))});"]
    for name in PREDICATES:
        const = "META" if name == "meta_state" else name.upper()
        lines.append(f"export const {const} = new Set({json.dumps(sorted(STATE_SETS[name]))});")
    lines.append(f"export const RUNNABLE_SCHEDULED = new Set({json.dumps(sorted(RUNNABLE_SCHEDULED))});")
    return "\n".join(lines) + "\n"
