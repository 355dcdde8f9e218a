"""Prefect 1's ``prefect.engine.cloud`` path, kept for imports only.

The code that runs a flow for the server lives in :mod:`prefect_jupyter.backend` (above the engine
and the client); this module only re-exports its public names, lazily, so that importing the
engine never loads the client.
"""

__all__ = ["CloudFlowRunner", "CloudTaskRunner", "RunReporter", "execute_flow_run"]


def __getattr__(name: str):
    if name in ("CloudFlowRunner", "CloudTaskRunner"):
        from prefect_jupyter.backend import cloud_runners

        return getattr(cloud_runners, name)
    if name in __all__:
        from prefect_jupyter import backend

        return getattr(backend, name)
    raise AttributeError(name)
