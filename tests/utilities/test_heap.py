"""utilities.heap: objects alive at start-up leave the collector's view, garbage does not stay,
and the youngest generation is collected less often."""

from __future__ import annotations

import gc
import weakref

from prefect_jupyter.utilities.heap import YOUNG_THRESHOLD, freeze_long_lived


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_live_objects_are_frozen_and_garbage_is_collected_first() -> None:
    kept = [[index] for index in range(50)]
    cycle = _Node()
    gone = weakref.ref(cycle)
    del cycle
    thresholds = gc.get_threshold()
    try:
        count = freeze_long_lived()
        assert count > 0  # (frozen objects freed since, e.g. by another thread, leave it)
        assert gone() is None  # collected, not frozen for the life of the process
        tracked = {id(obj) for obj in gc.get_objects()}
        assert not any(id(item) in tracked for item in kept)  # out of every generation's passes
        assert gc.is_tracked(kept[0])  # still an ordinary object, freed by reference counting
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert gc.get_freeze_count() == 0
