"""Ids of rows and runs: UUIDs made cheaply, in the order they are made.

They are version-7 UUIDs (RFC 9562): 48 bits of Unix time in milliseconds, a 12-bit count of
the ids made in that millisecond, then 62 random bits. An id made later in this process sorts
later, so a database's index of ids grows at its end: a batch of
thousands of new rows touches a few pages of each index instead of a page per row (on SQLite,
a 10,000-child map's reports wrote a fifth of the pages to the log, and their inserts took a
third less time, than with random version-4 ids).

They need to be unique, not unguessable: the random bits come from Python's generator, seeded
from the OS once (and again in a forked child), not from a system call per id — ``uuid.uuid4()``
reads the OS's random source on every call, which costs tens of microseconds on some virtual
machines, more than a whole task run here.
"""

from __future__ import annotations

import os
import random
import time

__all__ = ["new_hex", "new_id", "new_ids"]

_random = random.Random()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_random.seed)  # a forked child makes ids of its own

_RAND_B = (1 << 62) - 1
_VERSION_7 = 0x7 << 76
_VARIANT = 0b10 << 62
_COUNTER = 0xFFF  # rand_a: 12 bits, counting the ids made in one millisecond

# the millisecond and the count of the last id: ids of one millisecond count up from a random
# start (RFC 9562's "fixed-length dedicated counter"), so a batch made at once is in order too.
# Threads share it unlocked: a race may repeat a count, never an id (62 random bits follow).
_last = [0, 0]


def _next_hex() -> str:
    millis = time.time_ns() // 1_000_000
    last, count = _last
    if millis <= last:  # the same millisecond (or the clock stepped back): count on
        millis, count = last, count + 1
        if count > _COUNTER:
            millis, count = last + 1, 0
    else:
        count = _random.getrandbits(10)  # a random start, with room to count up
    _last[0], _last[1] = millis, count
    value = (millis << 80) | _VERSION_7 | (count << 64) | _VARIANT | _random.getrandbits(62)
    return f"{value:032x}"


def new_id() -> str:
    """A new version-7 UUID as a string (one is made per task run)."""
    h = _next_hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_ids(count: int) -> list[str]:
    """``count`` new ids (as :func:`new_id`, in order), for a batch of rows."""
    return [new_id() for _ in range(count)]


def new_hex() -> str:
    """A new id as 32 hex digits (a version-7 UUID's hex)."""
    return _next_hex()
