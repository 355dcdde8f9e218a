"""``JinjaTemplate``: render a Jinja2 template from the context and the call's arguments.

Needs the ``templates`` extra (``jinja2``).
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.tasks.templates.strings import template_values
from prefect_jupyter.utilities.extras import require
from prefect_jupyter.utilities.tasks import defaults_from_attrs

jinja2 = require("jinja2", feature="prefect_jupyter.tasks.templates.jinja2", extra="templates")

__all__ = ["JinjaTemplate"]


class JinjaTemplate(Task):
    """Render a Jinja2 template; undefined names render as empty text, as Jinja does.

    Args:
        template: the template, e.g. ``"{{ name }} ran {{ task_name }}"``; may also be given
            at run time.
        **kwargs: passed on to `Task`.

    Example:
        >>> from prefect_jupyter import Flow
        >>> from prefect_jupyter.tasks.templates.jinja2 import JinjaTemplate
        >>> report = JinjaTemplate(template="{% for r in rows %}{{ r }}\\n{% endfor %}")
        >>> with Flow("report") as flow:
        ...     text = report(rows=[1, 2, 3])
    """

    def __init__(self, template: str | None = None, **kwargs: Any) -> None:
        self.template = template or ""
        super().__init__(**kwargs)

    @defaults_from_attrs("template")
    def run(self, template: str | None = None, **format_kwargs: Any) -> str:
        """Return the rendered template.

        Raises:
            jinja2.TemplateSyntaxError: the template is not valid Jinja2.
        """
        return jinja2.Template(template or "").render(**template_values(**format_kwargs))
