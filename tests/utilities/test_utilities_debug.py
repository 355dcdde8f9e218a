"""Tests for prefect_jupyter.utilities.debug."""

import subprocess
import sys
import textwrap
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
            assert "pj_only_in_this_process" in info.value.output.decode()
        finally:
            del sys.modules[module.__name__]


def test_names_of_the_check_itself_do_not_stand_in_for_the_scripts_own(tmp_path):
    # a curried function of a script pickles by reference to ``__main__.f``: the fresh process
    # must fail to find it, not find something of the check's own called ``f``
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import subprocess
        from toolz import curry
        from prefect_jupyter.utilities.debug import is_serializable

        @curry
        def f(x, y):
            pass

        g = f(y=5)
        assert is_serializable(g) is False
        try:
            is_serializable(g, raise_on_error=True)
        except subprocess.CalledProcessError as exc:
            assert "has no attribute 'f'" in exc.output.decode(), exc.output.decode()
        else:
            raise AssertionError("no error")
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
