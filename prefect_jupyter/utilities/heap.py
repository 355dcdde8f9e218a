"""Keep a process's long-lived objects out of the garbage collector's full passes.

CPython's full (generation 2) collection looks at every container object the process holds.
A process that builds its long-lived state once and then handles bursts of short-lived data —
the server after start-up (its schema, models, compiled queries) answering reports of thousands
of items, a flow-run process after its imports running a map — pays for the whole start-up heap
on every full pass, and the bursts are what trigger them: a report's decoded JSON is alive while
it is stored, so it reaches the oldest generation and counts towards the next full pass. On the
server a 10,000-child map's reports set off three or four full passes of 60-90 ms each (the
state of the server is 150,000 objects), in the path of the run's last reports.

:func:`freeze_long_lived` moves everything alive now into the collector's permanent generation
(:func:`gc.freeze`), after a collection so that no garbage is kept: a later full pass looks only
at what was made since, and copy-on-write pages of a forked child stay shared. Only for a
process whose start-up state lives as long as the process: a cycle among frozen objects that
becomes garbage later is never collected.
"""

from __future__ import annotations

import gc

__all__ = ["freeze_long_lived"]


def freeze_long_lived() -> int:
    """Collect, then freeze every object alive now (module docstring).

    Returns:
        How many objects the permanent generation holds now.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
