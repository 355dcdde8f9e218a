"""``Module`` storage: the flow is an attribute of an importable Python module."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, not_contained

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Module"]


class Module(Storage):
    """A flow that lives in an importable module: nothing is pickled or uploaded.

    The module must be importable where the flow runs (installed, or on ``PYTHONPATH``).

    Args:
        module: the module's import path, e.g. ``"my_flows.etl"``; ``"my_flows.etl:flow"``
            names the attribute (a ``Flow``, or a function returning one).
        attribute: the flow's attribute in the module (the same as ``"module:attribute"``).
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.

    Example:
        >>> flow.storage = Module("my_flows.etl")
    """

    def __init__(self, module: str, attribute: str | None = None, **kwargs: Any) -> None:
        if not isinstance(module, str) or not module:
            raise TypeError(
                f"Module(module=...) takes the module's import path as a string, e.g. "
                f"Module('my_flows.etl'); got {module!r}."
            )
        if attribute is None and ":" in module:
            module, attribute = module.split(":", 1)
        self.module = module
        self.attribute = attribute
        super().__init__(**kwargs)

    @property
    def module_str(self) -> str:
        """``module`` or ``module:attribute``: where the flow is found."""
        return f"{self.module}:{self.attribute}" if self.attribute else self.module

    def add_flow(self, flow: Flow) -> str:
        """Record ``flow``; its location is the module path.

        Raises:
            ValueError: for a second flow of the same name.
        """
        return self._record(flow, self.module_str)

    def get_flow(self, flow_name: str) -> Flow:
        """Import the module and return the flow ``flow_name`` from it.

        Raises:
            ValueError: if the flow is not in this storage, or not in the module.
            ImportError: if the module can't be imported here.
        """
        from prefect_jupyter.utilities.storage import extract_flow_from_module

        if flow_name not in self.flows:
            raise not_contained(flow_name)
        return extract_flow_from_module(self.module_str, flow_name=flow_name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Module):
            return NotImplemented
        return (self.module, self.attribute) == (other.module, other.attribute)

    __hash__ = None  # type: ignore[assignment]
