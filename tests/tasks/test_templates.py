"""StringFormatter and JinjaTemplate fill templates from the context and the call."""

from __future__ import annotations

import cloudpickle

from prefect_jupyter import Flow
from prefect_jupyter.tasks.templates import JinjaTemplate, StringFormatter


def test_both_templates_read_the_context_and_the_call_arguments():
    jinja = JinjaTemplate(template="{{ task_name }}: {% for x in xs %}{{ x * 2 }} {% endfor %}",
                          name="doubler")
    fmt = StringFormatter(template="{greeting}, {who}")
    with Flow("templates") as flow:
        doubled = jinja(xs=[1, 2])
        hello = fmt(greeting="Hello", who="Ada")
        missing = JinjaTemplate()(template="[{{ nothing }}]")
    state = flow.run(context={"greeting": "ignored: the call wins"})
    assert state.result[doubled].result == "doubler: 2 4 "
    assert state.result[hello].result == "Hello, Ada"
    assert state.result[missing].result == "[]"


def test_a_missing_string_field_fails_naming_it():
    with Flow("missing") as flow:
        text = StringFormatter(template="{nope}")()
    state = flow.run().result[text]
    assert state.is_failed() and "nope" in state.message


def test_jinja_template_pickles():
    assert cloudpickle.loads(cloudpickle.dumps(JinjaTemplate(template="x"))).template == "x"
