"""The API port's browser-attack policy (``utilities/http_policy.py``), through the real app:
Host allow-list (DNS rebinding), cross-site writes, JSON-only POST, configured names and
origins, GET never running a query, and deep JSON."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.http_policy import HttpPolicy

CREATE = "mutation($name: String!) { create_project(input: {name: $name}) { id } }"


@pytest.fixture(scope="module")
def http(app: Any, client_for: Any) -> Iterator[Any]:
    client = client_for(app)
    yield client
    client.close()


def refusal(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == code, error
    return error["message"]


def create_project(http: Any, headers: dict[str, str], **kwargs: Any) -> tuple[Any, str]:
    """POST a create_project mutation with these headers; (response, the project's name)."""
    name = f"attack-{uuid.uuid4().hex[:8]}"
    if "content" not in kwargs:
        kwargs["json"] = {"query": CREATE, "variables": {"name": name}}
    else:
        kwargs["content"] = kwargs["content"].replace("NAME", name)
    return http.request("POST", "/graphql", headers=headers, **kwargs), name


def projects_named(http: Any, name: str) -> list[dict]:
    return http.rows("project", {"name": {"_eq": name}}, "id")


# -- Host --------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["127.0.0.1:4200", "localhost:4200", "[::1]:4200", "localhost"])
def test_loopback_host_names_pass_on_any_port(http, host):
    assert http.request("GET", "/health", headers={"Host": host}).status_code == 200
    response = http.post_graphql("{ hello }", headers={"Host": host})
    assert response.json() == {"data": {"hello": "hello"}}


def test_a_rebinding_host_name_reads_nothing_and_writes_nothing(http):
    rebinding = {"Host": "evil.example:4200"}
    message = refusal(http.request("GET", "/health", headers=rebinding), 400, "HOST_NOT_ALLOWED")
    assert "'evil.example:4200'" in message and "DNS rebinding" in message
    assert "server.allowed_hosts" in message and "PREFECT_JUPYTER__SERVER__ALLOWED_HOSTS" in message
    response = http.post_graphql("{ project { id name } }", headers=rebinding)
    refusal(response, 400, "HOST_NOT_ALLOWED")
    assert "data" not in response.json()
    # the page is same-origin with itself, so a write carries no cross-site marks at all
    response, name = create_project(http, {**rebinding, "Origin": "http://evil.example:4200",
                                           "Sec-Fetch-Site": "same-origin"})
    refusal(response, 400, "HOST_NOT_ALLOWED")
    assert projects_named(http, name) == []


def test_a_configured_host_name_passes(database_url, client_for):
    from prefect_jupyter.server import create_app

    with set_temporary_config({"server.allowed_hosts": ["flows.example.com", "*.corp.example"]}):
        app = create_app(database_url)
    client = client_for(app)
    try:
        for host in ("flows.example.com", "ci.corp.example:443", "127.0.0.1:4200"):
            assert client.request("GET", "/health", headers={"Host": host}).status_code == 200
        refusal(client.request("GET", "/health", headers={"Host": "corp.example.evil"}), 400,
                "HOST_NOT_ALLOWED")
    finally:
        client.close()


def test_a_non_loopback_bind_answers_ip_addresses_and_its_host_name_only():
    import socket

    policy = HttpPolicy.for_bind("0.0.0.0", allowed_hosts=[])
    for host in ("192.168.1.20:4200", "[fe80::1]:4200", f"{socket.gethostname()}:4200",
                 "localhost:4200"):
        assert policy.host_refusal(host) is None, host
    assert policy.host_refusal("evil.example:4200") is not None
    loopback = HttpPolicy.for_bind("127.0.0.1", allowed_hosts=[])
    assert loopback.host_refusal("192.168.1.20:4200") is not None


# -- cross-site writes -------------------------------------------------------------------------
def test_a_cross_site_form_post_is_refused(http):
    form = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site",
            "Content-Type": "application/x-www-form-urlencoded"}
    body = '{"query": "mutation { create_project(input: {name: \\"NAME\\"}) { id } }"}'
    response, name = create_project(http, form, content=body)
    message = refusal(response, 403, "CROSS_SITE_REQUEST")
    assert "http://evil.example" in message and "server.trusted_origins" in message
    assert projects_named(http, name) == []


def test_a_no_cors_text_plain_post_is_refused(http):
    body = json.dumps({"query": CREATE, "variables": {"name": "NAME"}})
    # as a browser sends it: with its Origin...
    response, name = create_project(
        http, {"Origin": "http://evil.example", "Content-Type": "text/plain;charset=UTF-8"},
        content=body,
    )
    refusal(response, 403, "CROSS_SITE_REQUEST")
    assert projects_named(http, name) == []
    # ...and even without any marks, text/plain is not a GraphQL request here
    response, name = create_project(http, {"Content-Type": "text/plain"}, content=body)
    message = refusal(response, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert "Content-Type: application/json" in message and "'text/plain'" in message
    assert projects_named(http, name) == []


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_sec_fetch_site_from_another_site_is_refused_without_an_origin(http, site):
    response, name = create_project(http, {"Sec-Fetch-Site": site})
    assert f"Sec-Fetch-Site: {site}" in refusal(response, 403, "CROSS_SITE_REQUEST")
    assert projects_named(http, name) == []


@pytest.mark.parametrize("origin", ["null", "http://127.0.0.1:8888", "http://localhost:4200"])
def test_other_origins_on_this_machine_are_refused(http, origin):
    # Jupyter on :8888 or a sandboxed iframe ("null") is another origin as well
    response, name = create_project(http, {"Origin": origin})
    refusal(response, 403, "CROSS_SITE_REQUEST")
    assert projects_named(http, name) == []


@pytest.mark.parametrize("headers", [
    {},  # the client, the agent, scripts, the JupyterLab proxy
    {"Origin": "http://127.0.0.1:4200", "Sec-Fetch-Site": "same-origin"},  # GraphiQL page
    {"Sec-Fetch-Site": "none"},  # typed by the user
])
def test_same_origin_and_non_browser_writes_pass(http, headers):
    response, name = create_project(http, headers)
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    assert len(projects_named(http, name)) == 1


def test_a_trusted_origin_may_write(database_url, client_for):
    from prefect_jupyter.server import create_app

    policy = HttpPolicy.for_bind("127.0.0.1", trusted_origins="https://flows.example.com/")
    client = client_for(create_app(database_url, http_policy=policy))
    try:
        trusted = {"Origin": "https://flows.example.com", "Sec-Fetch-Site": "cross-site"}
        response, name = create_project(client, trusted)
        assert response.status_code == 200 and "errors" not in response.json(), response.text
        response, _ = create_project(client, {**trusted, "Origin": "https://evil.example.com"})
        refusal(response, 403, "CROSS_SITE_REQUEST")
    finally:
        client.close()


def test_get_never_runs_a_query(http):
    # an <img>/<script> tag or a top-level navigation can send GETs from any site
    name = f"via-get-{uuid.uuid4().hex[:6]}"
    query = f'mutation {{ create_project(input: {{name: "{name}"}}) {{ id }} }}'
    response = http.request("GET", "/graphql", params={"query": query},
                            headers={"Sec-Fetch-Site": "cross-site"})
    assert response.headers["content-type"].startswith("text/html")
    assert projects_named(http, name) == []


def test_a_cors_preflight_is_never_granted(http):
    response = http.request("OPTIONS", "/graphql", headers={
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 405
    assert not any(h.lower().startswith("access-control-") for h in response.headers)


# -- deep JSON ---------------------------------------------------------------------------------
@pytest.mark.parametrize("depth", [100, 1_000, 100_000])
def test_deeply_nested_json_is_a_400(http, depth):
    body = '{"query": "{ hello }", "variables": {"x": ' + "[" * depth + "]" * depth + "}}"
    response = http.request("POST", "/graphql", content=body,
                            headers={"Content-Type": "application/json"})
    message = refusal(response, 400, "BAD_REQUEST")
    assert "more than 64 levels deep" in message


def test_moderately_nested_json_passes(http):
    value: Any = "leaf"
    for _ in range(25):  # 50 levels
        value = {"a": [value]}
    response = http.post_graphql("{ hello }", {"v": value})
    assert response.json() == {"data": {"hello": "hello"}}


@pytest.mark.parametrize(("lists", "refused"), [(62, False), (63, True)])
def test_the_depth_limit_counts_every_object_and_array(http, lists, refused):
    # the body's object, "variables" and the lists: 64 levels pass, 65 do not
    body = '{"query": "{ hello }", "variables": {"x": ' + "[" * lists + "]" * lists + "}}"
    response = http.request("POST", "/graphql", content=body,
                            headers={"Content-Type": "application/json"})
    if refused:
        assert "more than 64 levels deep" in refusal(response, 400, "BAD_REQUEST")
    else:
        assert response.json() == {"data": {"hello": "hello"}}
