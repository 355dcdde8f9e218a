"""The leaf short path answers exactly as graphql-core does: values, nulls, errors and paths."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from graphql import build_schema, execute_sync, parse
from graphql.execution.executor import Executor

from prefect_jupyter.server.graphql.answers import selects_clock_fields
from prefect_jupyter.server.graphql.executor import LeafExecutor

SCHEMA = build_schema("""
    enum Color { RED GREEN }
    type Row { id: ID! name: String count: Int! ratio: Float color: Color flag: Boolean
               greet(who: String): String }
    type Query { rows: [Row!]! }
""")


class Row:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


ROWS = [
    {"id": 1, "name": "a", "count": 3, "ratio": 0.5, "color": "RED", "flag": True},
    Row(id="r2", name=None, count=4, ratio=None, color=None, flag=False),
    {"id": 3, "name": "c", "count": None},  # a null for a non-null field: an error
    Row(id=4, name=datetime.date(2026, 1, 2), count="x"),  # does not coerce: an error
    Row(id=5, name=lambda _info: "called", count=1, greet=lambda _info, who=None: f"hi {who}"),
    {"id": 6, "count": 2, "color": "BLUE"},  # not a value of the enum: an error
]


@pytest.mark.parametrize("query", [
    "{ rows { id name count ratio color flag } }",
    "{ rows { id n: name count ...F } } fragment F on Row { flag color }",
    '{ rows { id count greet(who: "you") } }',
    "{ rows { __typename id count } }",
])
def test_answers_and_errors_are_graphql_core_s(query):
    def run(executor: type[Executor]) -> Any:
        result = execute_sync(SCHEMA, parse(query), root_value={"rows": ROWS},
                              executor_class=executor)
        errors = sorted((str(e.path), e.message) for e in result.errors or ())
        return result.data, errors

    assert run(LeafExecutor) == run(Executor)


def test_a_clock_field_is_found_in_fragments_too():
    assert selects_clock_fields(parse("{ flow_run { id ...F } } fragment F on flow_run { late_reason }"))
    assert not selects_clock_fields(parse("{ flow_run { id name flow { name } } }"))
