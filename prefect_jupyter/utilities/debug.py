"""Helpers for debugging flows locally."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prefect_jupyter.context import context

__all__ = ["is_serializable", "raise_on_exception"]

# Run by a fresh interpreter: load the pickle whose path is the first argument.
# Loads the pickle inside a function, so that the fresh process's ``__main__`` holds no names of
# ours: an object pickled by reference to ``__main__.f`` must not find a file object called ``f``.
_LOAD_SCRIPT = (
    "def _pj_load():\n"
    "    import sys, cloudpickle\n"
    "    with open(sys.argv[1], 'rb') as file:\n"
    "        cloudpickle.load(file)\n"
    "_pj_load()\n"
)


def is_serializable(obj: Any, raise_on_error: bool = False) -> bool:
    """Check that `obj` survives cloudpickle into a *fresh* Python process.

    This is what registering a flow, or sending a task to a Dask worker, needs: pickling must
    work here, and unpickling must work in an interpreter that has not run your notebook (so
    e.g. a module that is only importable from the notebook's directory fails).

    Args:
        obj: The object to check.
        raise_on_error: Raise the underlying error instead of returning `False`. A failure in
            the fresh process raises `subprocess.CalledProcessError`, whose `output` holds that
            process's traceback (bytes, as in Prefect 1).

    Returns:
        `True` if `obj` can be pickled here and unpickled in a new process.

    Example:
        ```python
        is_serializable(lambda x: x + 1)              # True
        is_serializable(threading.Lock())             # False
        ```
    """
    import cloudpickle  # not needed unless someone checks, so keep it off the import path

    fd, path = tempfile.mkstemp(suffix=".pkl")
    try:
        with os.fdopen(fd, "wb") as file:
            cloudpickle.dump(obj, file)
        subprocess.run(
            [sys.executable, "-c", _LOAD_SCRIPT, path],
            check=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except Exception:
        if raise_on_error:
            raise
        return False
    finally:
        os.unlink(path)
    return True


@contextmanager
def raise_on_exception() -> Iterator[None]:
    """Make the engine re-raise task errors instead of turning them into `Failed` states.

    Sets `context.raise_on_exception = True` for the block, so a debugger (or `%debug` in a
    notebook) stops where the task failed. For local debugging and tests only.

    Example:
        ```python
        with raise_on_exception():
            flow.run()   # raises ZeroDivisionError from inside the task
        ```
    """
    with context(raise_on_exception=True):
        yield
