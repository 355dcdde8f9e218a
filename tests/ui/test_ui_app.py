"""The web UI's ASGI app: static files, the API under /api, and its guards — over HTTP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("sqlalchemy")

import httpx  # noqa: E402

from prefect_jupyter.server import create_app  # noqa: E402
from prefect_jupyter.ui.app import STATIC, create_ui_app  # noqa: E402

# an import or a URL in the UI's files: `from "..."`, `import "..."`, src/href="...", url(...)
IMPORT = re.compile(r"""(?:from|import)\s*["']([^"']+)["']""")
ATTRIBUTE = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


class Http:
    """Synchronous HTTP requests to an ASGI app (httpx's ASGI transport), as a browser on
    http://127.0.0.1:8080 would send them."""

    base_url = httpx.URL("http://127.0.0.1:8080")

    def __init__(self, app: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=self.base_url
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    database = tmp_path_factory.mktemp("ui-app") / "server.db"
    return create_app(f"sqlite:///{database}")


@pytest.fixture(scope="module")
def client(api_app: Any) -> Iterator[Http]:
    http = Http(create_ui_app(api_app))
    yield http
    http.close()


def ui_files() -> list[Path]:
    return sorted(p for p in STATIC.rglob("*") if p.suffix in {".html", ".js", ".css"})


def test_the_index_page_loads_the_ui_module_and_styles(client: Http):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<script type="module" src="static/js/main.js"></script>' in page
    assert 'href="widget/flow_widget.css"' in page
    assert 'href="static/ui.css"' in page


def test_ui_pages_carry_a_strict_content_security_policy(client: Http):
    for path in ("/", "/static/js/main.js"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy and "default-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"


def test_every_module_and_stylesheet_the_ui_refers_to_is_served_as_the_right_type(
    client: Http,
):
    # walk the imports from index.html: every file the browser would fetch answers 200
    seen: set[str] = set()
    todo = [("/", client.get("/").text)]
    while todo:
        base, text = todo.pop()
        for ref in IMPORT.findall(text) + ATTRIBUTE.findall(text):
            if ref.startswith("data:") or ref.startswith("#"):
                continue
            url = str(client.base_url.join(base).join(ref))
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url)
            assert response.status_code == 200, f"{ref} (from {base}) is not served"
            if url.endswith(".js"):
                assert "javascript" in response.headers["content-type"]
                todo.append((url, response.text))
            elif url.endswith(".css"):
                assert response.headers["content-type"].startswith("text/css")
    # the schematic is drawn by the notebook widget's own module, served from the package
    assert "http://127.0.0.1:8080/widget/flow_widget.js" in seen
    assert "http://127.0.0.1:8080/static/js/flow_run.js" in seen


def test_the_ui_loads_nothing_from_other_hosts():
    for path in ui_files():
        text = path.read_text(encoding="utf-8").replace(SVG_NAMESPACE, "")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", text), (
            f"{path.name} refers to another host"
        )
        for ref in IMPORT.findall(text) + ATTRIBUTE.findall(text):
            assert not ref.startswith("//"), f"{path.name} refers to {ref}"


def test_the_ui_never_builds_html_from_strings():
    # all user text goes in through textContent / text nodes
    for path in ui_files():
        if path.suffix != ".js":
            continue
        text = path.read_text(encoding="utf-8")
        for sink in (r"\.innerHTML\s*=", r"\.outerHTML\s*=", r"insertAdjacentHTML\(",
                     r"document\.write", r"DOMParser", r"createContextualFragment"):
            assert not re.search(sink, text), f"{path.name} uses {sink}"


def test_the_api_answers_under_api_on_the_same_origin(client: Http):
    response = client.post("/api/graphql", json={"query": "{ hello api { backend } }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"hello": "hello", "api": {"backend": "SERVER"}}}
    health = client.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"


def test_a_post_from_another_origin_is_refused(client: Http):
    evil = {"Origin": "http://evil.example"}
    response = client.post("/api/graphql", json={"query": "{ hello }"}, headers=evil)
    assert response.status_code == 403
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "CROSS_SITE_REQUEST"
    assert "http://evil.example" in error["message"]
    assert "server.trusted_origins" in error["message"]
    # a form post a foreign page makes without CORS (text/plain) is refused too
    response = client.post(
        "/api/graphql", content='{"query": "{ hello }"}',
        headers={**evil, "Content-Type": "text/plain", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    # the UI's own page, a script and the client pass
    same = {"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/api/graphql", json={"query": "{ hello }"}, headers=same).status_code == 200
    assert client.post("/api/graphql", json={"query": "{ hello }"}).status_code == 200


def test_other_host_names_are_refused(client: Http):
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"Host": "localhost:8080"}).status_code == 200
    # a DNS-rebinding page reaches the server under its own host name
    response = client.get("/", headers={"Host": "rebind.example:8080"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "HOST_NOT_ALLOWED"
    assert "server.allowed_hosts" in response.json()["errors"][0]["message"]
    assert client.post("/api/graphql", json={"query": "{ hello }"},
                       headers={"Host": "rebind.example:8080"}).status_code == 400


def test_configured_host_names_and_origins_pass(tmp_path: Path):
    from prefect_jupyter.utilities.http_policy import HttpPolicy

    # a reverse proxy serving https://flows.example.com, passing the Host on
    policy = HttpPolicy.for_bind("127.0.0.1", allowed_hosts=["flows.example.com"],
                                 trusted_origins=["https://flows.example.com"])
    api = create_app(f"sqlite:///{tmp_path / 'proxied.db'}", http_policy=policy)
    c = Http(create_ui_app(api, http_policy=policy))
    try:
        proxied = {"Host": "flows.example.com", "Origin": "https://flows.example.com",
                   "Sec-Fetch-Site": "same-origin"}
        assert c.get("/", headers={"Host": "flows.example.com"}).status_code == 200
        response = c.post("/api/graphql", json={"query": "{ hello }"}, headers=proxied)
        assert response.json() == {"data": {"hello": "hello"}}
    finally:
        c.close()


def test_a_post_must_be_json(client: Http):
    response = client.post("/api/graphql", content='{"query": "{ hello }"}',
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert "Content-Type: application/json" in error["message"]


def test_the_api_token_still_applies_under_api(tmp_path: Path):
    api = create_app(f"sqlite:///{tmp_path / 'token.db'}", api_token="s3cret")
    c = Http(create_ui_app(api))
    try:
        response = c.post("/api/graphql", json={"query": "{ hello }"})
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        response = c.post("/api/graphql", json={"query": "{ hello }"},
                          headers={"Authorization": "Bearer s3cret"})
        assert response.json() == {"data": {"hello": "hello"}}
        assert c.get("/").status_code == 200  # the page itself asks for the token
    finally:
        c.close()


@pytest.mark.slow
def test_the_server_process_serves_the_ui_next_to_the_api(tmp_path: Path):
    from prefect_jupyter.server.process import ServerProcess, free_port

    server = ServerProcess(
        database_url=f"sqlite:///{tmp_path / 'server.db'}", ui_port=free_port(), startup_timeout=60
    )
    with server:
        assert server.ui_url == f"http://127.0.0.1:{server.ui_port}"
        page = httpx.get(f"{server.ui_url}/")
        assert page.status_code == 200 and "static/js/main.js" in page.text
        # one process, one database: a project made through the API shows through the UI's /api
        httpx.post(server.graphql_url, json={"query": 'mutation { create_project(input: {name: "p"}) { id } }'})
        response = httpx.post(f"{server.ui_url}/api/graphql", json={"query": "{ project { name } }"})
        assert response.json() == {"data": {"project": [{"name": "p"}]}}
        # the UI answers to loopback names only (DNS rebinding)
        assert httpx.get(f"{server.ui_url}/", headers={"Host": "rebind.example"}).status_code == 400


def test_the_ui_and_the_api_cannot_share_a_port(tmp_path: Path):
    from prefect_jupyter.server import serve

    database = tmp_path / "server.db"
    with pytest.raises(ValueError, match="The web UI and the API can't share port 4311: pick "
                       "another --ui-port"):
        serve(port=4311, ui_port=4311, database_url=f"sqlite:///{database}")
    assert not database.exists()  # refused before anything started


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_prefect1_shaped_links_redirect_to_the_hash_routes() -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from prefect_jupyter.ui.app import create_ui_app

    client = TestClient(create_ui_app(Starlette()), base_url="http://127.0.0.1:8080",
                        follow_redirects=False)
    flow_id = "16e2be75-6917-4a2f-a077-00373a4cf9fd"
    response = client.get(f"/flow/{flow_id}")
    assert response.status_code == 307
    assert response.headers["location"] == f"/#/flow/{flow_id}"
    assert client.get(f"/flow-run/{flow_id}").headers["location"] == f"/#/flow-run/{flow_id}"
    # with the tenant's slug, as Prefect 1's CLI prints them ("Created flow run ...: URL")
    assert client.get(f"/default/flow-run/{flow_id}").headers["location"] == \
        f"/#/flow-run/{flow_id}"
    assert client.get(f"/default/flow/{flow_id}").headers["location"] == f"/#/flow/{flow_id}"
    assert client.get(f"/Not%20a%20slug/flow/{flow_id}").status_code == 404
    assert client.get("/default/elsewhere/abc").status_code == 404
    assert client.get("/flow/<script>").status_code == 404
    assert client.get("/elsewhere/abc").status_code == 404
    assert client.get("/static/ui.css").status_code == 200
