"""Template tasks: ``StringFormatter`` (``str.format``) and ``JinjaTemplate`` (extra ``templates``).

Both fill their template from the run's context (``task_name``, ``flow_run_name``, ``today``,
...) overlaid with the keyword arguments the task is called with.
"""

from prefect_jupyter.tasks.templates.strings import StringFormatter

__all__ = ["JinjaTemplate", "StringFormatter"]


def __getattr__(name: str):  # jinja2 is an extra: load it only when asked for
    if name == "JinjaTemplate":
        from prefect_jupyter.tasks.templates.jinja2 import JinjaTemplate

        return JinjaTemplate
    raise AttributeError(name)
