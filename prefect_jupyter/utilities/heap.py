"""Keep a process's long-lived objects out of the garbage collector's way, and collect less often.

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
at what was made since, and copy-on-write pages of a forked child stay shared. It also lets the
youngest generation grow to :data:`YOUNG_THRESHOLD` objects before it is collected (CPython's
default is 700): a burst of thousands of objects that live for one request or one task run is
then mostly freed by reference counting before any pass sees it, instead of being scanned and
promoted several times (the flow-run process of a 10,000-child map: collections 105-130 ms →
35-50 ms of its CPU). A young cycle waits longer to be collected: at most that many objects.

Only for a process whose start-up state lives as long as the process: a cycle among frozen
objects that becomes garbage later is never collected.
"""

from __future__ import annotations

import gc

__all__ = ["YOUNG_THRESHOLD", "freeze_long_lived"]

#: new container objects between two collections of the youngest generation
YOUNG_THRESHOLD = 50_000


def freeze_long_lived() -> int:
    """Collect, freeze every object alive now, and collect the young less often (module
    docstring).

    Returns:
        How many objects the permanent generation holds now.
    """
    gc.collect()
    gc.freeze()
    young, older, oldest = gc.get_threshold()
    gc.set_threshold(max(YOUNG_THRESHOLD, young), older, oldest)
    return gc.get_freeze_count()
