"""Agents: they find flow runs that are due on the server and execute them (Prefect 1's
``prefect.agent``). See :mod:`prefect_jupyter.agent.agent` for the loop and its guarantees."""

from prefect_jupyter.agent.agent import Agent
from prefect_jupyter.agent.local import LocalAgent

__all__ = ["Agent", "LocalAgent"]
