"""EmailTask against a real local SMTP server (aiosmtpd), SlackTask and the state-handler
notifiers against a real local HTTP server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import prefect_jupyter
from prefect_jupyter import Flow, task
from prefect_jupyter.engine.state import Failed, Success
from prefect_jupyter.tasks.notifications import EmailTask, SlackTask
from prefect_jupyter.utilities.notifications import callback_factory, gmail_notifier, slack_notifier

WEBHOOK_TOKEN = "T000-secret-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[str, list, list]]:
    """A local HTTP server: POSTs to /ok are recorded, /broken answers 500."""
    received: list = []
    statuses = [200]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, self.headers["Content-Type"], json.loads(body)))
            self.send_response(statuses[0])
            self.end_headers()
            self.wfile.write(b"ok" if statuses[0] == 200 else b"invalid_token")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/services/{WEBHOOK_TOKEN}", received, statuses
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_email_task_sends_html_plain_and_attachment(smtp, tmp_path):
    port, inbox = smtp
    report = tmp_path / "report.csv"
    report.write_text("a,b\n1,2\n")
    email = EmailTask(
        subject="Nightly load", email_to="team@example.com", email_from="bot@example.com",
        smtp_server="127.0.0.1", smtp_port=port, smtp_type="INSECURE", email_to_cc="cc@example.com",
    )
    with Flow("mail") as flow:
        sent = email(msg="<b>1,204 rows</b>", msg_plain="1,204 rows", attachments=[str(report)])
    assert flow.run().result[sent].is_successful()
    [envelope] = inbox.envelopes
    assert envelope.mail_from == "bot@example.com"
    assert sorted(envelope.rcpt_tos) == ["cc@example.com", "team@example.com"]
    message = message_from_bytes(envelope.content)
    assert message["Subject"] == "Nightly load"
    parts = {p.get_content_type(): p for p in message.walk()}
    assert parts["text/html"].get_payload(decode=True) == b"<b>1,204 rows</b>"
    assert parts["text/plain"].get_payload(decode=True) == b"1,204 rows"
    assert parts["application/octet-stream"].get_payload(decode=True) == b"a,b\n1,2\n"
    assert 'filename= report.csv' in parts["application/octet-stream"]["Content-Disposition"]


def test_email_task_bad_input_fails_clearly():
    with Flow("bad mail") as flow:
        wrong_type = EmailTask(msg="x", smtp_type="TLS?")()
        no_login = EmailTask(msg="x", smtp_server="127.0.0.1", smtp_port=free_port())()
    state = flow.run()
    assert "TLS? is an unsupported value for smtp_type" in state.result[wrong_type].message
    assert 'Local Secret "EMAIL_USERNAME" was not found.' in state.result[no_login].message


def test_gmail_notifier_mails_only_the_chosen_states(smtp):
    port, inbox = smtp

    @task(state_handlers=[gmail_notifier(only_states=[Failed], smtp_server="127.0.0.1",
                                         smtp_port=port, smtp_type="INSECURE")])
    def breaks():
        raise RuntimeError("disk full")

    with Flow("notify") as flow:
        breaks()
    with prefect_jupyter.context(secrets={"EMAIL_USERNAME": "me@example.com"}):
        flow.run()
    [envelope] = inbox.envelopes
    assert envelope.rcpt_tos == ["me@example.com"]
    text = envelope.content.decode()
    assert "breaks is now in a Failed state" in text and "disk full" in text


def test_slack_task_posts_text_and_payloads_to_the_webhook_secret(webhook):
    url, received, _ = webhook
    with Flow("slack") as flow:
        SlackTask(message="load finished")()
        SlackTask(webhook_secret="OTHER_HOOK")(message={"blocks": [{"type": "divider"}]})
    with prefect_jupyter.context(secrets={"SLACK_WEBHOOK_URL": url, "OTHER_HOOK": url}):
        assert flow.run().is_successful()
    bodies = sorted((r[2] for r in received), key=json.dumps)
    assert bodies == [{"blocks": [{"type": "divider"}]}, {"text": "load finished"}]
    assert all(r[1] == "application/json" for r in received)


def test_slack_errors_name_the_status_never_the_webhook_url(webhook):
    url, _, statuses = webhook
    statuses[0] = 500
    with Flow("slack fails") as flow:
        posted = SlackTask(message="hi")(webhook_url=url)
        missing = SlackTask(message="hi", webhook_secret="NO_SUCH_HOOK")()
    state = flow.run()
    assert "Slack webhook answered 500" in state.result[posted].message
    assert WEBHOOK_TOKEN not in state.result[posted].message
    assert 'Local Secret "NO_SUCH_HOOK" was not found.' in state.result[missing].message


def test_slack_notifier_and_callback_factory_as_state_handlers(webhook):
    url, received, _ = webhook
    seen = []
    on_success = callback_factory(lambda obj, state: seen.append(obj.name), lambda s: s.is_successful())

    @task(state_handlers=[slack_notifier(ignore_states=[Success]), on_success])
    def flaky(ok: bool) -> bool:
        if not ok:
            raise ValueError("not today")
        return ok

    with Flow("handlers") as flow:
        flaky(False)
    with prefect_jupyter.context(secrets={"SLACK_WEBHOOK_URL": url}):
        flow.run()
    names = [r[2]["attachments"][0]["title"] for r in received]
    assert names == ["Running", "Failed"]  # Pending->Running, Running->Failed; Success ignored
    failed = received[-1][2]["attachments"][0]
    assert failed["text"] == "flaky is now in a Failed state"
    assert "not today" in failed["fields"][0]["value"]
    assert seen == []
