"""State-handler factories that notify someone when a task or flow changes state.

A state handler is called as ``handler(obj, old_state, new_state)`` and returns the new state.
`slack_notifier` and `gmail_notifier` are state handlers themselves, and also build configured
ones when called with only their options (Prefect 1 curried them with ``toolz.curry``)::

    from prefect_jupyter import task
    from prefect_jupyter.engine.state import Failed
    from prefect_jupyter.utilities.notifications import slack_notifier

    @task(state_handlers=[slack_notifier(only_states=[Failed])])
    def load(): ...

Secrets (``SLACK_WEBHOOK_URL``, ``EMAIL_USERNAME``, ``EMAIL_PASSWORD``) are read when a
notification is sent, and never logged or put in a message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from prefect_jupyter.context import context

__all__ = [
    "callback_factory",
    "email_message_formatter",
    "gmail_notifier",
    "slack_message_formatter",
    "slack_notifier",
    "snowflake_logger",
    "snowflake_message_formatter",
]

StateHandler = Callable[[Any, Any, Any], Any]


def callback_factory(fn: Callable[[Any, Any], Any], check: Callable[[Any], bool]) -> StateHandler:
    """A state handler calling ``fn(obj, new_state)`` whenever ``check(new_state)`` is True.

    Args:
        fn: the action, e.g. sending a message; its return value is ignored.
        check: decides which new states trigger ``fn``, e.g. ``lambda s: s.is_failed()``.

    Example:
        >>> alerts = []
        >>> handler = callback_factory(lambda obj, s: alerts.append(s), lambda s: s.is_failed())
    """

    def state_handler(obj: Any, old_state: Any, new_state: Any) -> Any:
        if check(new_state) is True:
            fn(obj, new_state)
        return new_state

    return state_handler


def _handler_factory(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``handler`` be used as a state handler, or called with options only to configure one."""

    @functools.wraps(handler)
    def entry(*args: Any, **options: Any) -> Any:
        if len(args) < 3:
            if args:
                raise TypeError(
                    f"{handler.__name__} is called with (obj, old_state, new_state) as a state "
                    "handler, or with keyword options only to configure one."
                )
            return functools.partial(entry, **options)
        return handler(*args, **options)

    return entry


def _selected(state: Any, ignore_states: list | None, only_states: list | None) -> bool:
    if any(isinstance(state, ignored) for ignored in ignore_states or []):
        return False
    return not only_states or any(isinstance(state, kind) for kind in only_states)


def _state_text(state: Any) -> str | None:
    if isinstance(state.result, BaseException):
        return repr(state.result)
    return None if state.message is None else str(state.message)


def email_message_formatter(tracked_obj: Any, state: Any, email_to: str) -> str:
    """The e-mail (headers and plain + HTML bodies, as one string) about ``state``."""
    detail = _state_text(state)
    detail_html = f"<pre>{detail}</pre>" if isinstance(state.result, BaseException) else f'"{detail}"'
    text = f"{tracked_obj.name} is now in a {type(state).__name__} state"
    html = (
        f'<html><body><p style="border-left: 4px solid {state.color}; padding-left: 8px">'
        f"{text}</p><p>Message: {detail_html}</p></body></html>"
    )
    contents = MIMEMultipart("alternative")
    contents.attach(MIMEText(f"{text}\n\nMessage: {detail}", "plain"))
    contents.attach(MIMEText(html, "html"))
    contents["Subject"] = Header(f"Prefect state change notification for {tracked_obj.name}", "UTF-8")
    contents["From"] = "notifications@prefect.io"
    contents["To"] = email_to
    return contents.as_string()


def slack_message_formatter(tracked_obj: Any, state: Any, backend_info: bool = True) -> dict:
    """The Slack payload (one attachment) about ``tracked_obj`` entering ``state``.

    With ``backend_info`` and a backend flow run in context, the title links to the run's page.
    """
    detail = _state_text(state)
    if isinstance(state.result, BaseException):
        detail = f"```{detail}```"
    fields = [] if detail is None else [{"title": "Message", "value": detail, "short": False}]
    attachment: dict[str, Any] = {
        "fallback": "State change notification",
        "color": state.color,
        "author_name": "Prefect",
        "title": type(state).__name__,
        "fields": fields,
        "text": f"{tracked_obj.name} is now in a {type(state).__name__} state",
        "footer": "Prefect notification",
    }
    url = _run_url(tracked_obj) if backend_info else None
    if url:
        attachment["title_link"] = url
    return {"attachments": [attachment]}


def _run_url(tracked_obj: Any) -> str | None:
    flow_run_id = context.get("flow_run_id")
    if not flow_run_id:
        return None
    from prefect_jupyter.client import Client
    from prefect_jupyter.core.flow import Flow

    if isinstance(tracked_obj, Flow):
        return Client().get_cloud_url("flow-run", flow_run_id)
    return Client().get_cloud_url("task-run", context.get("task_run_id", ""))


@_handler_factory
def slack_notifier(
    tracked_obj: Any,
    old_state: Any,
    new_state: Any,
    ignore_states: list | None = None,
    only_states: list | None = None,
    webhook_secret: str | None = None,
    backend_info: bool = True,
    proxies: dict | None = None,
) -> Any:
    """A state handler posting each selected state change to a Slack webhook.

    Args:
        ignore_states: state classes never notified (``[Running]``).
        only_states: notify only these state classes (``[Failed]``); all by default.
        webhook_secret: the secret holding the webhook URL (``SLACK_WEBHOOK_URL``).
        backend_info: link to the run's page when running on the server.
        proxies: ``requests`` proxies.

    Raises:
        ValueError: the webhook answered with an error status (the URL is not shown).
    """
    if not _selected(new_state, ignore_states, only_states):
        return new_state
    from prefect_jupyter.client.secrets import Secret
    from prefect_jupyter.tasks.notifications.slack_task import post_json

    webhook_url = Secret(webhook_secret or "SLACK_WEBHOOK_URL").get()
    payload = slack_message_formatter(tracked_obj, new_state, backend_info)
    response = post_json(str(webhook_url), payload, proxies=proxies)
    if not response.ok:
        raise ValueError(
            f"Slack notification for {tracked_obj} failed: the webhook answered "
            f"{response.status_code} {response.reason}"
        )
    return new_state


@_handler_factory
def gmail_notifier(
    tracked_obj: Any,
    old_state: Any,
    new_state: Any,
    ignore_states: list | None = None,
    only_states: list | None = None,
    smtp_server: str = "smtp.gmail.com",
    smtp_port: int = 465,
    smtp_type: str = "SSL",
) -> Any:
    """A state handler e-mailing each selected state change to ``EMAIL_USERNAME`` itself.

    Logs in with the ``EMAIL_USERNAME`` / ``EMAIL_PASSWORD`` secrets (a Gmail app password).

    Args:
        ignore_states: state classes never notified.
        only_states: notify only these state classes.
        smtp_server, smtp_port, smtp_type: the SMTP server (Gmail over SSL by default; an
            extension over Prefect 1, which always used Gmail).

    Raises:
        ValueError: the message could not be sent.
    """
    if not _selected(new_state, ignore_states, only_states):
        return new_state
    from prefect_jupyter.client.secrets import Secret
    from prefect_jupyter.tasks.notifications.email_task import smtp_connection

    username = Secret("EMAIL_USERNAME").get()
    body = email_message_formatter(tracked_obj, new_state, username)
    connection = smtp_connection(smtp_server, smtp_port, smtp_type)
    try:
        connection.sendmail("notifications@prefect.io", username, body)
    except Exception as exc:
        raise ValueError(f"Email notification for {tracked_obj} failed: {exc}") from exc
    finally:
        connection.quit()
    return new_state


def snowflake_message_formatter(tracked_obj: Any, state: Any) -> dict:
    """The row :func:`snowflake_logger` writes: ``flow_id`` (the flow run's id), ``flow_name``,
    ``task_name`` (the tracked object's name), ``state`` (its class name) and ``message`` (a list
    of ``{"value": text}``: the state's message, or its exception's repr)."""
    text = repr(state.result) if isinstance(state.result, Exception) else state.message
    return {
        "flow_id": context.get("flow_run_id"),
        "flow_name": context.get("flow_name"),
        "task_name": tracked_obj.name,
        "state": type(state).__name__,
        "message": [] if text is None else [{"value": str(text)}],
    }


@_handler_factory
def snowflake_logger(
    tracked_obj: Any,
    old_state: Any,
    new_state: Any,
    ignore_states: list | None = None,
    only_states: list | None = None,
    snowflake_secret: str | None = None,
    snowflake_log_table_name: str | None = None,
    test_env: bool = False,
) -> Any:
    """A state handler inserting each selected state change as a row of a Snowflake table.

    Connects with the credentials in the secret ``snowflake_secret`` (default
    ``SNOWFLAKE_CREDS``: ``snowflake.connector.connect`` arguments) and writes ``FLOW_ID,
    FLOW_NAME, TASK_NAME, STATE, MESSAGE, INGESTED_AT`` into the table named by the secret
    ``snowflake_log_table_name`` (default ``LOG_TABLE_NAME_FULL``: ``DB.SCHEMA.TABLE``).
    Needs ``snowflake-connector-python``, which prefect_jupyter does not install.

    Raises:
        ImportError: the Snowflake connector is not installed.
    """
    if not _selected(new_state, ignore_states, only_states):
        return new_state
    from prefect_jupyter.client.secrets import Secret

    try:
        import snowflake.connector
    except ImportError as exc:
        raise ImportError(
            "snowflake_logger writes with Snowflake's connector: `pip install "
            "snowflake-connector-python`."
        ) from exc
    credentials = Secret(snowflake_secret or "SNOWFLAKE_CREDS").get() or {}
    table = Secret(snowflake_log_table_name or "LOG_TABLE_NAME_FULL").get() or "DB.SCHEMA.TABLE"
    row = snowflake_message_formatter(tracked_obj, new_state)
    message = row["message"][0]["value"] if row["message"] else ""
    connection = snowflake.connector.connect(**credentials)
    try:
        # the table name can't be a bind parameter; the values are bound, never formatted in
        connection.cursor().execute(
            f"INSERT INTO {table} (FLOW_ID, FLOW_NAME, TASK_NAME, STATE, MESSAGE, INGESTED_AT) "
            "VALUES (%s, %s, %s, %s, %s, CURRENT_TIMESTAMP())",
            (row["flow_id"], row["flow_name"], row["task_name"], row["state"], message),
        )
    finally:
        connection.close()
    return new_state
