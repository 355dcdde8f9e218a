"""prefect_jupyter.utilities.ids: run ids are version-4 UUIDs, unique."""

from __future__ import annotations

import uuid

from prefect_jupyter.utilities import ids


def test_new_id_is_the_version_4_uuid_of_its_random_bits(monkeypatch):
    class Bits:
        def __init__(self, value: int) -> None:
            self.value = value

        def getrandbits(self, n: int) -> int:
            assert n == 128
            return self.value

    for value in (0, (1 << 128) - 1, 0x0123456789ABCDEF0123456789ABCDEF, 42):
        monkeypatch.setattr(ids, "_random", Bits(value))
        made = ids.new_id()
        assert made == str(uuid.UUID(int=value, version=4))
        assert uuid.UUID(made).version == 4
        assert ids.new_hex() == uuid.UUID(made).hex


def test_new_ids_do_not_repeat():
    made = {ids.new_id() for _ in range(10_000)}
    assert len(made) == 10_000
