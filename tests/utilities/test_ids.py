"""prefect_jupyter.utilities.ids: ids are version-7 UUIDs (RFC 9562), unique, in time order."""

from __future__ import annotations

import os
import uuid

import pytest

from prefect_jupyter.server.database import models
from prefect_jupyter.utilities import ids


def test_an_id_is_the_version_7_uuid_of_its_time_count_and_random_bits(monkeypatch):
    class Bits:
        def getrandbits(self, n: int) -> int:
            return {10: 5, 62: 0x2AB_CDEF_0123_4567}[n]

    millis = 0x0190_1234_5678
    monkeypatch.setattr(ids.time, "time_ns", lambda: millis * 1_000_000 + 999_999)
    monkeypatch.setattr(ids, "_random", Bits())
    monkeypatch.setattr(ids, "_last", [0, 0])
    made = [uuid.UUID(i) for i in (ids.new_id(), *ids.new_ids(2), ids.new_hex())]
    for number, one in enumerate(made):
        assert one.version == 7 and one.variant == uuid.RFC_4122
        assert one.int >> 80 == millis  # the first 48 bits: the time in milliseconds
        assert (one.int >> 64) & 0xFFF == 5 + number  # the count: a random start, then up
        assert one.int & ((1 << 62) - 1) == 0x2AB_CDEF_0123_4567  # the random bits
    # a millisecond's 4,096th id moves to the next millisecond
    monkeypatch.setattr(ids, "_last", [millis, 0xFFF])
    assert uuid.UUID(ids.new_id()).int >> 64 & ((1 << 80) - 1 << 16 | 0xFFFF) == \
        ((millis + 1) << 16 | 0x7000)


def test_ids_do_not_repeat_and_later_ones_sort_later():
    made = [ids.new_id() for _ in range(10_000)]
    assert len(set(made)) == 10_000
    assert made == sorted(made)  # made in order, sorted in order: an index grows at its end
    assert all(uuid.UUID(i).version == 7 for i in made)


def test_the_servers_row_ids_are_these_ids():
    assert uuid.UUID(models.new_id()).version == 7
    assert [uuid.UUID(i).version for i in models.new_ids(3)] == [7, 7, 7]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_makes_ids_of_its_own():
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next ids, to the parent
        os.write(write, ",".join(ids.new_ids(50)).encode())
        os._exit(0)
    os.close(write)
    theirs = set(os.read(read, 100_000).decode().split(","))
    os.waitpid(pid, 0)
    ours = set(ids.new_ids(50))
    assert len(theirs) == 50 and not theirs & ours
