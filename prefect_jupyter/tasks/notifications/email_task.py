"""``EmailTask``: send an e-mail over SMTP (SSL, STARTTLS or plain).

The SMTP login comes from the secrets ``EMAIL_USERNAME`` and ``EMAIL_PASSWORD`` (not needed with
``smtp_type="INSECURE"``); they are read when the task runs and never logged.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.notifications import EmailTask
    >>> notify = EmailTask(subject="Nightly load", email_to="team@example.com")
    >>> with Flow("nightly") as flow:
    ...     notify(msg="<b>Loaded 1,204 rows</b>")
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email import encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["EmailTask", "smtp_connection"]

SMTP_TYPES = ("SSL", "STARTTLS", "INSECURE")


def smtp_connection(server: str, port: int, smtp_type: str) -> smtplib.SMTP:
    """An SMTP connection to ``server:port``, logged in unless ``smtp_type`` is INSECURE.

    Raises:
        ValueError: ``smtp_type`` is not SSL, STARTTLS or INSECURE.
        ValueError: the ``EMAIL_USERNAME`` / ``EMAIL_PASSWORD`` secrets are missing.
    """
    if smtp_type not in SMTP_TYPES:
        raise ValueError(
            f"{smtp_type} is an unsupported value for smtp_type. Use one of {', '.join(SMTP_TYPES)}."
        )
    if smtp_type == "INSECURE":
        return smtplib.SMTP(server, port)
    from prefect_jupyter.client.secrets import Secret

    username = Secret("EMAIL_USERNAME").get()
    password = Secret("EMAIL_PASSWORD").get()
    context = ssl.create_default_context()
    if smtp_type == "SSL":
        connection = smtplib.SMTP_SSL(server, port, context=context)
    else:
        connection = smtplib.SMTP(server, port)
        connection.starttls(context=context)
    connection.login(username, password)
    return connection


class EmailTask(Task):
    """Send an e-mail; every argument may also be given when the task is called.

    Args:
        subject: the subject line.
        msg: the HTML body.
        email_to: recipients, comma-separated.
        email_from: the sender (``notifications@prefect.io`` as in Prefect 1; set your own).
        smtp_server: the SMTP host (``smtp.gmail.com``).
        smtp_port: the SMTP port (465).
        smtp_type: ``"SSL"`` (default), ``"STARTTLS"`` or ``"INSECURE"`` (plain, no login).
        msg_plain: a plain-text body, sent alongside ``msg``.
        email_to_cc: Cc recipients, comma-separated.
        email_to_bcc: Bcc recipients, comma-separated.
        attachments: paths of files to attach.
        **kwargs: passed on to `Task`.
    """

    def __init__(
        self,
        subject: str | None = None,
        msg: str | None = None,
        email_to: str | None = None,
        email_from: str = "notifications@prefect.io",
        smtp_server: str = "smtp.gmail.com",
        smtp_port: int = 465,
        smtp_type: str = "SSL",
        msg_plain: str | None = None,
        email_to_cc: str | None = None,
        email_to_bcc: str | None = None,
        attachments: list[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self.subject = subject
        self.msg = msg
        self.email_to = email_to
        self.email_from = email_from
        self.smtp_server = smtp_server
        self.smtp_port = smtp_port
        self.smtp_type = smtp_type
        self.msg_plain = msg_plain
        self.email_to_cc = email_to_cc
        self.email_to_bcc = email_to_bcc
        self.attachments = attachments or []
        super().__init__(**kwargs)

    @defaults_from_attrs(
        "subject", "msg", "email_to", "email_from", "smtp_server", "smtp_port", "smtp_type",
        "msg_plain", "email_to_cc", "email_to_bcc", "attachments",
    )
    def run(
        self,
        subject: str | None = None,
        msg: str | None = None,
        email_to: str | None = None,
        email_from: str | None = None,
        smtp_server: str | None = None,
        smtp_port: int | None = None,
        smtp_type: str | None = None,
        msg_plain: str | None = None,
        email_to_cc: str | None = None,
        email_to_bcc: str | None = None,
        attachments: list[str] | None = None,
    ) -> None:
        """Build the message and send it.

        Raises:
            ValueError: an unsupported ``smtp_type`` or missing login secrets.
            FileNotFoundError: an attachment does not exist.
            smtplib.SMTPException / OSError: the server refused the message or is unreachable.
        """
        if smtp_type not in SMTP_TYPES:
            raise ValueError(f"{smtp_type} is an unsupported value for smtp_type.")
        message = MIMEMultipart()
        headers = {"Subject": subject, "From": email_from, "To": email_to,
                   "Cc": email_to_cc, "Bcc": email_to_bcc}
        for header, value in headers.items():
            if value is not None:
                message[header] = value
        if msg_plain:
            message.attach(MIMEText(msg_plain, "plain"))
        if msg:
            message.attach(MIMEText(msg, "html"))
        for path in attachments or []:
            message.attach(_attachment(path))
        connection = smtp_connection(str(smtp_server), int(smtp_port or 0), smtp_type)
        try:
            connection.send_message(message)
        finally:
            connection.quit()


def _attachment(path: str) -> MIMEBase:
    part = MIMEBase("application", "octet-stream")
    with open(path, "rb") as file:
        part.set_payload(file.read())
    encoders.encode_base64(part)
    part.add_header("Content-Disposition", f"attachment; filename= {os.path.basename(path)}")
    return part
