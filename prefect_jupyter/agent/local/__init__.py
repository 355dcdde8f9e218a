"""The local agent (Prefect 1's ``prefect.agent.local``)."""

from prefect_jupyter.agent.local.agent import LocalAgent

__all__ = ["LocalAgent"]
