"""A real browser attacks the API port and the UI's /api from other origins and must neither
read nor write: a page on another loopback port (no-cors and cors fetch, an HTML form post),
and a DNS-rebinding page (its own name resolved to 127.0.0.1, so its requests are "same
origin" and carry that name as Host). The server's own UI page, as a control, can write."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from support.browser import CHROMIUM, CHROMIUM_ARGS

from prefect_jupyter.server.process import ServerProcess, free_port

pytestmark = pytest.mark.browser

REBIND = "rebind.test"


ATTACK_JS = """
async function attack(targets, prefix) {
  const out = [];
  const mutation = (name) => JSON.stringify(
    {query: `mutation { create_project(input: {name: "${name}"}) { id } }`});
  const read = JSON.stringify({query: "{ project { name } }"});
  for (const [label, url] of targets) {
    const note = (what, value) => out.push({target: label, what, ...value});
    for (const [mode, type] of [["no-cors", "text/plain"], ["cors", "application/json"],
                                ["cors", "text/plain"], ["same-origin", "application/json"]]) {
      try {
        const res = await fetch(url, {method: "POST", mode, headers: {"Content-Type": type},
                                      body: mutation(`${prefix}-${label}-${mode}`)});
        note(`write ${mode} ${type}`, {status: res.status, type: res.type,
                                       body: res.type === "opaque" ? "" : await res.text()});
      } catch (e) { note(`write ${mode} ${type}`, {error: String(e)}); }
    }
    try {
      const res = await fetch(url, {method: "POST", headers: {"Content-Type": "text/plain"},
                                    body: read});
      note("read", {status: res.status, body: await res.text()});
    } catch (e) { note("read", {error: String(e)}); }
    try {
      const res = await fetch(url.replace(/graphql$/, "health"));
      note("health", {status: res.status, body: await res.text()});
    } catch (e) { note("health", {error: String(e)}); }
    await new Promise((resolve) => {
      const frame = document.createElement("iframe");
      frame.name = `frame-${label}`;
      document.body.appendChild(frame);
      const form = document.createElement("form");
      form.method = "POST"; form.action = url; form.enctype = "text/plain";
      form.target = frame.name;
      const field = document.createElement("input");
      field.name = mutation(`${prefix}-${label}-form`).slice(0, -1) + ', "x": "';
      field.value = '"}';
      form.appendChild(field);
      document.body.appendChild(form);
      frame.addEventListener("load", () => { note("form", {loaded: true}); resolve(); },
                             {once: true});
      form.submit();
    });
  }
  return out;
}
"""


class _AttackerSite(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    database = tmp_path_factory.mktemp("cross-site") / "server.db"
    with ServerProcess(database_url=f"sqlite:///{database}", ui_port=free_port(),
                       startup_timeout=90, services=False) as process:
        yield process


@pytest.fixture(scope="module")
def attacker() -> Iterator[str]:
    """A web site on another loopback port: the origin the attacks come from."""
    _AttackerSite.page = f"<!doctype html><html><body><script>{ATTACK_JS}</script></body></html>".encode()
    site = ThreadingHTTPServer(("127.0.0.1", free_port()), _AttackerSite)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{site.server_address[1]}"
    site.shutdown()
    site.server_close()


@pytest.fixture
def browser_page() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    import os

    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/system-deps")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            # DNS rebinding, done: the attacker's name now resolves to this machine. Chromium's
            # own Private Network Access block is turned off, as other browsers have none:
            # the server's checks are what is tested
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {REBIND} 127.0.0.1",
                  "--disable-features=BlockInsecurePrivateNetworkRequests,"
                  "PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,"
                  "LocalNetworkAccessChecks"],
        )
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            browser.close()


def project_names(server: ServerProcess) -> list[str]:
    response = httpx.post(server.graphql_url, json={"query": "{ project { name } }"}, timeout=60)
    return sorted(p["name"] for p in response.json()["data"]["project"])


def assert_nothing_read(results: list[dict], label: str) -> None:
    for result in results:
        body = result.get("body", "")
        assert '"data"' not in body and '"project"' not in body, (label, result)
        assert '"status": "ok"' not in body and '"status":"ok"' not in body, (label, result)


def test_pages_on_other_origins_neither_read_nor_write(server, attacker, browser_page):
    page = browser_page
    api_port, ui_port = server.port, server.ui_port
    prefix = f"x{uuid.uuid4().hex[:6]}"

    # 1. a site on another origin: cross-origin requests to both ports
    page.goto(f"{attacker}/attack.html")
    targets = [["api", f"{server.graphql_url}"], ["ui", f"{server.ui_url}/api/graphql"]]
    results = page.evaluate(f"attack({json.dumps(targets)}, {json.dumps(prefix)})")
    assert_nothing_read(results, "cross-origin")
    # no CORS headers: the browser withholds every answer (no-cors ones are opaque)
    assert all("error" in r or r.get("type") == "opaque" or r["what"] == "form"
               for r in results), results
    assert sum(r["what"] == "form" and r["loaded"] for r in results) == 2

    # 2. DNS rebinding: the page is same-origin with "its" name, now pointing here
    for port, path in ((api_port, "/graphql"), (ui_port, "/api/graphql")):
        origin = f"http://{REBIND}:{port}"
        page.route(f"{origin}/attack.html", lambda route: route.fulfill(
            status=200, content_type="text/html", body=_AttackerSite.page.decode()))
        page.goto(f"{origin}/attack.html")
        rebound = page.evaluate(
            f"attack({json.dumps([[f'rebind{port}', origin + path]])}, {json.dumps(prefix)})"
        )
        assert_nothing_read(rebound, f"rebinding :{port}")
        # same-origin now, so the page reads every answer: the Host check's refusal
        answered = [r for r in rebound if "status" in r and r.get("type") != "opaque"]
        assert {r["what"] for r in answered} >= {"write same-origin application/json", "read",
                                                  "health"}, rebound
        for result in answered:
            assert result["status"] == 400 and "HOST_NOT_ALLOWED" in result["body"], result

    assert project_names(server) == []  # nothing written by any attack

    # control: the UI's own page writes through its /api (same origin) — the browser works
    page.goto(f"{server.ui_url}/")
    status = page.evaluate(f"""fetch("api/graphql", {{method: "POST",
        headers: {{"Content-Type": "application/json"}},
        body: JSON.stringify({{query: 'mutation {{ create_project(input: {{name: "{prefix}-legit"}}) {{ id }} }}'}})
    }}).then((r) => r.status)""")
    assert status == 200
    assert project_names(server) == [f"{prefix}-legit"]
