"""global_names: what a function's code refers to by name, nested code included."""

from __future__ import annotations

import math

from prefect_jupyter.utilities.code import global_names

RATE = 2


def _helper(x):
    return x


def _uses_everything(values):
    inner = lambda v: _helper(v) * RATE  # noqa: E731
    return [math.floor(inner(v)) for v in values if (lambda: len(values))()]


def test_global_names_walks_nested_code():
    names = global_names(_uses_everything.__code__)
    assert {"_helper", "RATE", "math", "floor", "len"} <= names
    assert "values" not in names and "inner" not in names  # locals are not globals


def test_global_names_of_code_without_names():
    assert global_names((lambda x: x + 1).__code__) == set()
