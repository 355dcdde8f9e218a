"""utilities.graphql: building GraphQL documents from Python values, and results."""

from __future__ import annotations

import uuid

import pytest

from prefect_jupyter.utilities.graphql import (
    EnumValue,
    GQLObject,
    GraphQLResult,
    LiteralSetValue,
    format_graphql_request_error,
    parse_graphql,
    parse_graphql_arguments,
    with_args,
)


class Flow(GQLObject):
    id = "id"
    name = "name"


def test_nested_documents_with_arguments() -> None:
    run_id = uuid.UUID(int=1)
    query = {
        "query": {
            with_args("flow_run", {"where": {"id": {"_eq": run_id}}, "order_by": {"created": EnumValue("desc")}}): {
                "id": True,
                "state": ...,
                "flow": {"name"},
            }
        }
    }
    assert parse_graphql(query) == (
        "query {\n"
        f'    flow_run(where: {{ id: {{ _eq: "{run_id}" }} }}, order_by: {{ created: desc }}) {{\n'
        "        id\n"
        "        state\n"
        "        flow {\n"
        "            name\n"
        "        }\n"
        "    }\n"
        "}"
    )


def test_arguments() -> None:
    assert parse_graphql_arguments({"a": None, "b": True, "c": [1, "x"], "d": {}}) == (
        'a: null, b: true, c: [1, "x"], d: {}'
    )
    assert LiteralSetValue(["a", "b"]) == "{a, b}"


def test_gql_objects_are_named_fields() -> None:
    flow = Flow()
    assert str(flow) == "flow" and repr(flow) == '<GQL: "flow">'
    assert str(flow({"limit": 1})) == "flow(limit: 1)"
    assert parse_graphql({"query": {flow: {flow.id, flow.name} - {flow.name}}}) == (
        "query {\n    flow {\n        id\n    }\n}"
    )
    with pytest.raises(TypeError, match="Did you mean to use an instance"):
        parse_graphql({"query": Flow})


def test_results_read_as_attributes_and_print_as_json() -> None:
    result = GraphQLResult.from_json({"data": {"flow": [{"id": 1}]}})
    assert result.data.flow[0].id == 1
    assert repr(GraphQLResult({"a": 1})) == '{\n    "a": 1\n}'
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = result.nope
    assert type(result.to_dict()["data"]) is dict


def test_a_failed_request_is_described_without_stray_indentation() -> None:
    import httpx

    request = httpx.Request("POST", "http://server/graphql", json={"query": "query { flow { id } }", "variables": {}})
    silent = httpx.Response(400, json={}, request=request)
    lines = format_graphql_request_error(silent).strip().splitlines()
    assert lines[:4] == ["The server did not provide any error messages.", "", "", "The GraphQL query was:"]
    assert all(line == line.rstrip() for line in lines)

    told = httpx.Response(400, json={"errors": [{"message": "bad", "extensions": {"code": "X"}}]}, request=request)
    lines = format_graphql_request_error(told).strip().splitlines()
    assert lines[:3] == ["The following error messages were provided by the GraphQL server:", "", "    X: bad"]


def test_results_made_from_nested_json_read_as_attributes_all_the_way_down() -> None:
    result = GraphQLResult({"data": {"flow": [{"id": "f", "tasks": [{"name": "t"}]}]}})
    assert result.data.flow[0].tasks[0].name == "t"
    assert GraphQLResult.from_json(result) is result
