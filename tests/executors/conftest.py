"""Executors to run the shared suite on, and the one real Dask cluster the distributed ones use.

The cluster (two worker processes, two threads each, on 127.0.0.1, no dashboard) starts the
first time a test asks for it and is closed when the session ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from prefect_jupyter.executors import DaskExecutor, LocalDaskExecutor, LocalExecutor


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[Any]:
    """A real ``distributed.LocalCluster``, shared by every test of the session."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def dask_address(dask_cluster: Any) -> str:
    return dask_cluster.scheduler_address


def _local(request: pytest.FixtureRequest) -> Any:
    return LocalExecutor()


def _synchronous(request: pytest.FixtureRequest) -> Any:
    return LocalDaskExecutor("synchronous")


def _threads(request: pytest.FixtureRequest) -> Any:
    return LocalDaskExecutor("threads")


def _processes(request: pytest.FixtureRequest) -> Any:
    return LocalDaskExecutor("processes", num_workers=2)


def _distributed(request: pytest.FixtureRequest) -> Any:
    return DaskExecutor(address=request.getfixturevalue("dask_address"))


Maker = Callable[[pytest.FixtureRequest], Any]

LOCAL = pytest.param(_local, id="local")
SYNCHRONOUS = pytest.param(_synchronous, id="dask-synchronous")
THREADS = pytest.param(_threads, id="dask-threads")
PROCESSES = pytest.param(_processes, id="dask-processes")
DISTRIBUTED = pytest.param(_distributed, id="distributed")


@pytest.fixture(params=[LOCAL, SYNCHRONOUS, THREADS, PROCESSES, DISTRIBUTED])
def executor(request: pytest.FixtureRequest) -> Any:
    """Every executor: the shared suite must give the same states on each."""
    maker: Maker = request.param
    return maker(request)


@pytest.fixture(params=[THREADS, PROCESSES, DISTRIBUTED])
def parallel_executor(request: pytest.FixtureRequest) -> Any:
    """The executors that run tasks side by side."""
    maker: Maker = request.param
    return maker(request)


@pytest.fixture(params=[PROCESSES, DISTRIBUTED])
def remote_executor(request: pytest.FixtureRequest) -> Any:
    """The executors whose task runs happen in other processes."""
    maker: Maker = request.param
    return maker(request)
