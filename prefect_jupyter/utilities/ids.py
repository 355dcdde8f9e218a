"""Run ids: random UUIDs made cheaply.

``uuid.uuid4()`` reads the OS's random source on every call, which costs tens of microseconds on
some virtual machines — more than a whole task run here. Ids of task runs and executor keys need
to be unique, not unguessable, so they come from Python's seeded generator instead.
"""

from __future__ import annotations

import random
import uuid

_random = random.Random()
# a version-4 UUID's fixed bits: clear the version nibble and the variant's two bits, then set them
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_SET = (0x8000 << 48) | (4 << 76)


def new_id() -> str:
    """A random version-4 UUID as a string (what ``str(uuid.UUID(int=..., version=4))`` gives,
    formatted directly: one is made per task run)."""
    h = "%032x" % (_random.getrandbits(128) & _CLEAR | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_hex() -> str:
    """A random 32-character hex id (a version-4 UUID's hex)."""
    return uuid.UUID(int=_random.getrandbits(128), version=4).hex
