"""Webhook storage against a real HTTP server on localhost: upload, download, templated secrets."""

import http.server
import threading

import pytest
import requests

from prefect_jupyter import Flow, task
from prefect_jupyter.storage import Webhook
from prefect_jupyter.storage.webhook import _render_dict
from prefect_jupyter.utilities.configuration import set_temporary_config


@task
def greet():
    return "hello webhook"


class FlowStore(http.server.BaseHTTPRequestHandler):
    """Keeps the last body PUT to it (when the API key matches) and serves it back on GET."""

    body = b""
    keys: list = []

    def do_PUT(self):
        type(self).keys.append(self.headers.get("X-Api-Key"))
        if self.headers.get("X-Api-Key") != "s3cret":
            self.send_response(403)
            self.end_headers()
            return
        type(self).body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(201)
        self.end_headers()

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def url():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FlowStore)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FlowStore.keys = []
    yield f"http://127.0.0.1:{server.server_address[1]}/flows/greeting"
    server.shutdown()
    thread.join()


def storage(url, **kwargs):
    return Webhook(
        build_request_kwargs={"url": url, "headers": {"X-Api-Key": "${WEBHOOK_TEST_KEY}"}},
        build_request_http_method="PUT",
        get_flow_request_kwargs={"url": url},
        get_flow_request_http_method="GET",
        **kwargs,
    )


def test_a_flow_goes_up_and_comes_back_and_runs(url, monkeypatch):
    monkeypatch.setenv("WEBHOOK_TEST_KEY", "s3cret")
    with Flow("greeting") as flow:
        greet()
    webhook = storage(url)
    webhook.add_flow(flow)
    assert webhook.build() is webhook
    assert FlowStore.keys == ["s3cret"]
    loaded = webhook.get_flow("greeting")
    state = loaded.run()
    assert state.is_successful()
    assert state.result[loaded.get_tasks(name="greet")[0]].result == "hello webhook"


def test_a_script_is_uploaded_as_is(url, monkeypatch, tmp_path):
    monkeypatch.setenv("WEBHOOK_TEST_KEY", "s3cret")
    script = tmp_path / "flow.py"
    script.write_text("from prefect_jupyter import Flow\nflow = Flow('scripted')\n")
    webhook = storage(url, stored_as_script=True, flow_script_path=str(script))
    webhook.add_flow(Flow("scripted"))
    webhook.build()
    assert FlowStore.body == script.read_bytes()
    assert webhook.get_flow("scripted").name == "scripted"


def test_an_error_status_is_raised(url, monkeypatch):
    monkeypatch.setenv("WEBHOOK_TEST_KEY", "wrong")
    webhook = storage(url)
    webhook.add_flow(Flow("greeting"))
    with pytest.raises(requests.HTTPError, match="403"):
        webhook.build()


def test_a_script_storage_without_its_file_says_so(tmp_path):
    webhook = storage("http://127.0.0.1:9/never", stored_as_script=True)
    webhook.add_flow(Flow("scripted"))
    with pytest.raises(RuntimeError, match="flow_script_path must be provided"):
        webhook.build()
    webhook.flow_script_path = str(tmp_path / "missing.py")
    with pytest.raises(RuntimeError, match="passed to flow_script_path does not exist"):
        webhook.build()


def test_templates_read_the_environment_then_secrets_and_leave_the_original(monkeypatch):
    monkeypatch.setenv("WEBHOOK_TEST_KEY", "from-env")
    arguments = {"headers": {"a": "Token ${WEBHOOK_TEST_KEY}", "b": ["${ONLY_A_SECRET}"]}, "timeout": 3}
    with set_temporary_config({"cloud.use_local_secrets": True}):
        from prefect_jupyter.context import context

        with context(secrets={"ONLY_A_SECRET": "from-secret"}):
            rendered = _render_dict(arguments)
    assert rendered == {"headers": {"a": "Token from-env", "b": ["from-secret"]}, "timeout": 3}
    assert arguments["headers"]["a"] == "Token ${WEBHOOK_TEST_KEY}"
    monkeypatch.delenv("WEBHOOK_TEST_KEY")
    with pytest.raises(RuntimeError, match="does not refer to an environment variable or a secret"):
        _render_dict(arguments)
