"""``StringFormatter``: fill a ``str.format`` template from the context and the call's arguments."""

from __future__ import annotations

from typing import Any

from prefect_jupyter.context import context
from prefect_jupyter.core.task import Task

__all__ = ["StringFormatter"]


def template_values(**format_kwargs: Any) -> dict[str, Any]:
    """The run context as a plain dict, with ``format_kwargs`` taking precedence."""
    return {**dict(context), **format_kwargs}


class StringFormatter(Task):
    """Format a template with ``str.format``.

    Args:
        template: the template, e.g. ``"{greeting}, {name}!"``; may also be given at run time.
        **kwargs: passed on to `Task`.

    Example:
        >>> from prefect_jupyter import Flow
        >>> from prefect_jupyter.tasks.templates import StringFormatter
        >>> greet = StringFormatter(template="Hello from {task_name}, {name}!", name="greeter")
        >>> with Flow("hello") as flow:
        ...     message = greet(name="Ada")
    """

    def __init__(self, template: str | None = None, **kwargs: Any) -> None:
        self.template = template or ""
        super().__init__(**kwargs)

    def run(self, template: str | None = None, **format_kwargs: Any) -> str:
        """Return the template formatted with the context and ``format_kwargs``.

        Raises:
            KeyError: the template names a field that is neither in the context nor given.
        """
        text = self.template if template is None else template
        return text.format(**template_values(**format_kwargs))
