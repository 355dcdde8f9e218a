"""Hashing the values of notebook variables for fingerprints."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from prefect_jupyter import Flow
from prefect_jupyter.jupyter import cells
from prefect_jupyter.jupyter.fingerprints import fingerprints, value_hash


def test_equal_values_hash_equal_and_changes_show() -> None:
    assert value_hash([1, {"a": 2.5}]) == value_hash([1, {"a": 2.5}])
    assert value_hash([1, {"a": 2.5}]) != value_hash([1, {"a": 2.6}])
    assert value_hash(90) != value_hash(97)


def test_arrays_and_frames_hash_by_content_not_by_their_repr() -> None:
    a = np.zeros(10_000)
    b = a.copy()
    assert value_hash(a) == value_hash(b)
    b[5_000] = 1.0  # repr() would show "..." here and miss it
    assert value_hash(a) != value_hash(b)
    df = pd.DataFrame({"x": range(1000)})
    changed = df.copy()
    changed.loc[500, "x"] = -1
    assert value_hash(df) == value_hash(df.copy()) != value_hash(changed)


def test_unpicklable_and_oversized_values_compare_by_identity() -> None:
    lock = threading.Lock()
    assert value_hash(lock).startswith("unpicklable lock")
    assert value_hash(lock) == value_hash(lock) != value_hash(threading.Lock())
    big = np.ones(1000)
    assert value_hash(big, limit=100).startswith("large ndarray")
    big[0] = 2.0  # in place: the identity does not change
    assert value_hash(big, limit=100) == value_hash(big, limit=100)


def test_a_function_task_s_fingerprint_follows_the_globals_it_reads() -> None:
    namespace: dict = {"__name__": "__main__", "threshold": 90, "unused": 1}
    source = (
        "from prefect_jupyter import task\n"
        "@task\ndef keep(xs):\n    return [x for x in xs if x > threshold]\n"
    )
    exec(compile(source, cells.cell_filename(source), "exec"), namespace)  # noqa: S102
    with Flow("f") as flow:
        namespace["keep"]([1, 2])
    first = fingerprints(flow, {})
    namespace["unused"] = 2
    assert fingerprints(flow, {}) == first
    namespace["threshold"] = 97
    assert fingerprints(flow, {})["keep-1"] != first["keep-1"]
