"""Run ids: random UUIDs made cheaply.

``uuid.uuid4()`` reads the OS's random source on every call, which costs tens of microseconds on
some virtual machines — more than a whole task run here. Ids of task runs and executor keys need
to be unique, not unguessable, so they come from Python's seeded generator instead.
"""

from __future__ import annotations

import random
import uuid

_random = random.Random()


def new_id() -> str:
    """A random version-4 UUID as a string."""
    return str(uuid.UUID(int=_random.getrandbits(128), version=4))


def new_hex() -> str:
    """A random 32-character hex id (a version-4 UUID's hex)."""
    return uuid.UUID(int=_random.getrandbits(128), version=4).hex
