"""Prefect 1's ``prefect.utilities.compatibility``: ``nullcontext`` (the standard library's)."""

from contextlib import nullcontext

__all__ = ["nullcontext"]
