"""``SlackTask``: post a message to a Slack incoming webhook (extra ``notifications``).

The webhook URL is a secret (``SLACK_WEBHOOK_URL`` by default) read when the task runs, or an
explicit ``webhook_url`` argument; it is never logged.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.notifications import SlackTask
    >>> with Flow("nightly") as flow:
    ...     SlackTask(message="Nightly load finished")()
"""

from __future__ import annotations

from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.extras import missing_extra_message
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["SlackTask", "post_json"]


def post_json(url: str, payload: dict, proxies: dict | None = None) -> Any:
    """POST ``payload`` as JSON to ``url`` with ``requests``; the response is returned.

    Raises:
        ImportError: ``requests`` is not installed (naming the extra).
    """
    try:
        import requests
    except ImportError as exc:
        raise ImportError(
            missing_extra_message("prefect_jupyter.tasks.notifications", "notifications")
        ) from exc
    return requests.post(url, json=payload, proxies=proxies, timeout=30)


class SlackTask(Task):
    """Post a message to Slack.

    Args:
        message: text, or a full Slack payload as a dict (``{"blocks": [...]}``).
        webhook_secret: the name of the secret holding the webhook URL.
        **kwargs: passed on to `Task`.
    """

    def __init__(
        self, message: str | dict | None = None, webhook_secret: str = "SLACK_WEBHOOK_URL",
        **kwargs: Any,
    ) -> None:
        self.message = message
        self.webhook_secret = webhook_secret
        super().__init__(**kwargs)

    @defaults_from_attrs("message", "webhook_secret")
    def run(
        self, message: str | dict | None = None, webhook_secret: str | None = None,
        webhook_url: str | None = None,
    ) -> None:
        """Post the message.

        Args:
            webhook_url: the webhook URL itself, instead of reading ``webhook_secret``.

        Raises:
            ValueError: the webhook secret is missing.
            requests.HTTPError: Slack (or the server at the URL) answered with an error status.
        """
        if not webhook_url:
            from prefect_jupyter.client.secrets import Secret

            webhook_url = Secret(webhook_secret or "SLACK_WEBHOOK_URL").get()
        payload = message if isinstance(message, dict) else {"text": message}
        response = post_json(str(webhook_url), payload)
        if not response.ok:
            # the URL holds the webhook's token: name the status, never the URL
            raise _http_error(response, f"Slack webhook answered {response.status_code} "
                              f"{response.reason}: {response.text[:200]}")


def _http_error(response: Any, message: str) -> Exception:
    import requests

    return requests.HTTPError(message, response=response)
