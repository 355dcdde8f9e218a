"""The HTTP surface: /health, the GraphiQL page, JSON errors for every bad request, the API
token (401), the body-size cap (413), and requests that fail part-way writing nothing."""

from __future__ import annotations

import uuid

import pytest

from prefect_jupyter import __version__


def test_health_reports_version_and_database(api, database_url):
    response = api.request("GET", "/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok", "version": __version__, "database": database_url.split(":")[0].split("+")[0],
    }


def test_get_graphql_serves_a_page_that_loads_nothing_from_the_internet(api):
    response = api.request("GET", "/graphql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<textarea" in response.text
    assert "https://" not in response.text and "http://" not in response.text


def test_a_query_and_the_api_field(api, database_url):
    data = api.query("{ hello api { backend version database } tenant { id slug } }")
    assert data["hello"] == "hello"
    assert data["api"]["version"] == __version__
    assert data["api"]["database"] in database_url
    assert data["tenant"][0]["slug"] == "default"


# -- bad requests --------------------------------------------------------------------------
def error_of(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == code, body
    return body["errors"][0]["message"]


def test_malformed_json_is_a_400_with_a_message(api):
    response = api.request("POST", "/graphql", content=b'{"query": "{ hello }"',
                           headers={"Content-Type": "application/json"})
    message = error_of(response, 400, "BAD_REQUEST")
    assert message.startswith("The request body is not valid JSON")
    assert '{"query": "...", "variables": {...}}' in message


@pytest.mark.parametrize(
    "body, message",
    [
        ([{"query": "{ hello }"}], "must be a JSON object"),
        ({"variables": {}}, 'The request has no "query"'),
        ({"query": "{ hello }", "variables": [1]}, '"variables" must be a JSON object'),
        ({"query": "{ hello }", "operationName": 3}, '"operationName" must be a string'),
    ],
)
def test_a_body_that_is_not_a_graphql_request_is_a_400(api, body, message):
    assert message in error_of(api.request("POST", "/graphql", json=body), 400, "BAD_REQUEST")


def test_a_syntax_error_names_the_place(api):
    response = api.post_graphql("{ flow { id ")
    message = error_of(response, 400, "GRAPHQL_PARSE_FAILED")
    assert "Syntax Error" in message
    assert response.json()["errors"][0]["locations"] == [{"line": 1, "column": 13}]


def test_an_unknown_field_is_a_validation_error(api):
    message = error_of(api.post_graphql("{ flow { id colour } }"), 400, "GRAPHQL_VALIDATION_FAILED")
    assert "colour" in message


def test_several_operations_need_an_operation_name(api):
    document = "query A { hello } query B { api { version } }"
    message = error_of(api.post_graphql(document), 400, "BAD_REQUEST")
    assert "operationName" in message
    response = api.request("POST", "/graphql", json={"query": document, "operationName": "B"})
    assert response.json() == {"data": {"api": {"version": __version__}}}


def test_a_missing_variable_is_reported(api):
    body = api.post_graphql("query($id: uuid!) { flow_by_pk(id: $id) { id } }").json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "$id" in body["errors"][0]["message"]


def test_unknown_paths_and_methods_answer_json(api):
    message = error_of(api.request("GET", "/nope"), 404, "BAD_REQUEST")
    assert "/graphql" in message
    message = error_of(api.request("PUT", "/graphql"), 405, "BAD_REQUEST")
    assert "POST" in message


def test_unknown_ids_in_queries_are_null_and_in_mutations_are_errors(api):
    missing = str(uuid.uuid4())
    assert api.by_pk("project", missing) is None
    body = api.mutation("cancel_flow_run", {"flow_run_id": missing}, "state").json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["cancel_flow_run"]
    assert body["errors"][0]["message"].startswith(f"Flow run {missing} not found")


# -- one transaction per request -------------------------------------------------------------
def test_an_error_part_way_through_a_request_writes_nothing(api):
    name = f"rolled-back-{uuid.uuid4().hex[:6]}"
    body = api.post_graphql(
        """mutation($name: String!, $missing: UUID!) {
             create_project(input: {name: $name}) { id }
             create_flow_run(input: {flow_id: $missing}) { id } }""",
        {"name": name, "missing": str(uuid.uuid4())},
    ).json()
    assert body["data"] is None
    assert body["errors"][0]["path"] == ["create_flow_run"]
    assert api.rows("project", {"name": {"_eq": name}}, "id") == []


def test_mutations_of_one_request_apply_together(api):
    a, b = (f"both-{uuid.uuid4().hex[:6]}" for _ in range(2))
    data = api.query(
        """mutation($a: String!, $b: String!) { a: create_project(input: {name: $a}) { id }
                                                b: create_project(input: {name: $b}) { id } }""",
        {"a": a, "b": b},
    )
    assert data["a"]["id"] != data["b"]["id"]
    assert len(api.rows("project", {"name": {"_in": [a, b]}}, "id")) == 2


# -- token and size cap ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def guarded(database_url, client_for):
    from prefect_jupyter.server import create_app

    app = create_app(database_url, api_token="s3cret", max_payload_bytes=2_000)
    client = client_for(app)
    yield client
    client.close()
    app.state.database.dispose()


def test_without_the_token_requests_get_401(guarded):
    message = error_of(guarded.post_graphql("{ hello }"), 401, "UNAUTHENTICATED")
    assert "Authorization: Bearer <token>" in message
    wrong = guarded.post_graphql("{ hello }", headers={"Authorization": "Bearer nope"})
    assert "The API token is wrong" in error_of(wrong, 401, "UNAUTHENTICATED")
    assert wrong.headers["WWW-Authenticate"] == "Bearer"


def test_with_the_token_requests_succeed(guarded):
    response = guarded.post_graphql("{ hello }", headers={"Authorization": "Bearer s3cret"})
    assert response.json() == {"data": {"hello": "hello"}}


def test_health_and_the_page_need_no_token(guarded):
    assert guarded.request("GET", "/health").status_code == 200
    assert guarded.request("GET", "/graphql").status_code == 200


def test_an_oversized_body_is_a_413_naming_the_setting(guarded):
    big = {"query": "{ hello }", "variables": {"pad": "x" * 5_000}}
    response = guarded.request("POST", "/graphql", json=big,
                               headers={"Authorization": "Bearer s3cret"})
    message = error_of(response, 413, "PAYLOAD_TOO_LARGE")
    assert "2,000 bytes" in message
    assert "server.api.max_payload_bytes" in message
    assert "PREFECT_JUPYTER__SERVER__API__MAX_PAYLOAD_BYTES" in message


def test_an_oversized_streamed_body_without_a_length_is_a_413(guarded):
    async def chunks():
        for _ in range(10):
            yield b"x" * 500

    response = guarded.request("POST", "/graphql", content=chunks(),
                               headers={"Authorization": "Bearer s3cret",
                                        "Content-Type": "application/json"})
    error_of(response, 413, "PAYLOAD_TOO_LARGE")
