"""Notification tasks: e-mail over SMTP and Slack incoming webhooks.

For notifications on state changes (rather than as a step of the flow), see the state-handler
factories in `prefect_jupyter.utilities.notifications`.
"""

from prefect_jupyter.tasks.notifications.email_task import EmailTask
from prefect_jupyter.tasks.notifications.slack_task import SlackTask

__all__ = ["EmailTask", "SlackTask"]
