"""Tests for prefect_jupyter.utilities.debug."""

import subprocess
import sys
import threading
import types

import pytest

from prefect_jupyter.context import context
from prefect_jupyter.utilities.debug import is_serializable, raise_on_exception


class TestRaiseOnException:
    def test_sets_flag_in_context(self):
        assert "raise_on_exception" not in context
        with raise_on_exception():
            assert context.raise_on_exception is True
        assert "raise_on_exception" not in context

    def test_flag_removed_when_block_raises(self):
        with pytest.raises(ZeroDivisionError):
            with raise_on_exception():
                1 / 0  # noqa: B018
        assert context.get("raise_on_exception") is None

    def test_flag_is_per_thread(self):
        seen = []
        with raise_on_exception():
            thread = threading.Thread(target=lambda: seen.append(context.get("raise_on_exception")))
            thread.start()
            thread.join()
        assert seen == [None]


class TestIsSerializable:
    def test_plain_values(self):
        assert is_serializable({"a": [1, 2.5, "x"]}) is True

    def test_lambda_is_pickled_by_value(self):
        assert is_serializable(lambda x: x + 1) is True

    def test_unpicklable_object(self):
        assert is_serializable(threading.Lock()) is False

    def test_unpicklable_object_raises_when_asked(self):
        with pytest.raises(TypeError):
            is_serializable(threading.Lock(), raise_on_error=True)

    def test_fails_when_fresh_process_cannot_unpickle(self):
        # A class from a module that exists only in this process is pickled by reference,
        # so a fresh interpreter cannot find it.
        module = types.ModuleType("pj_only_in_this_process")
        exec("class Thing:\n    pass\n", module.__dict__)
        sys.modules[module.__name__] = module
        try:
            thing = module.Thing()
            assert is_serializable(thing) is False
            with pytest.raises(subprocess.CalledProcessError) as info:
                is_serializable(thing, raise_on_error=True)
            assert "pj_only_in_this_process" in info.value.output
        finally:
            del sys.modules[module.__name__]
