"""Helpers shared by the CLI's commands: the API client, errors, tables and time formatting."""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click


def make_client() -> Any:
    """The API client for the configured backend (``config.cloud.graphql``)."""
    from prefect_jupyter.client import Client

    return Client()


@contextmanager
def api_errors() -> Iterator[None]:
    """Turn API errors into a short CLI error (the server's message, no traceback)."""
    from prefect_jupyter.client import ClientError

    try:
        yield
    except ClientError as exc:
        raise click.ClickException(str(exc)) from None


def graphql(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run a GraphQL query on the server and return its ``data``."""
    with api_errors():
        result = make_client().graphql(query, variables or {})
    return result["data"]


#: rows read per request when a command reads a long list (well under the server's
#: ``server.graphql.max_list_rows``)
PAGE_SIZE = 5_000


def graphql_pages(
    query: str, variables: dict[str, Any], field: str, start: int = 0
) -> Iterator[dict[str, Any]]:
    """Yield the rows of list ``field`` from ``start`` on, one page per request.

    ``query`` takes ``$limit: Int`` and ``$offset: Int`` and passes them to ``field``, whose
    ``order_by`` must be total (e.g. timestamp, then id) so that pages neither skip nor repeat.
    """
    offset = start
    while True:
        rows = graphql(query, {**variables, "limit": PAGE_SIZE, "offset": offset})[field]
        yield from rows
        if len(rows) < PAGE_SIZE:
            return
        offset += len(rows)


def parse_params(pairs: Sequence[str], params_json: str | None = None) -> dict[str, Any]:
    """Parse ``--param key=value`` options (values read as JSON when they are, else as text).

    Raises:
        click.BadParameter: for a pair without ``=`` or JSON that is not an object.
    """
    params: dict[str, Any] = {}
    if params_json:
        try:
            loaded = json.loads(params_json)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not valid JSON ({exc})", param_hint="--params") from None
        if not isinstance(loaded, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--params")
        params.update(loaded)
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(
                f"{pair!r} is not KEY=VALUE (e.g. --param x=1)", param_hint="--param"
            )
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


def parse_time(value: str | None) -> datetime.datetime | None:
    """Parse an ISO 8601 time from the API (always timezone-aware)."""
    if not value:
        return None
    parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def age(value: str | None) -> str:
    """How long ago an API timestamp was, in words ("3 minutes ago")."""
    moment = parse_time(value)
    if moment is None:
        return ""
    seconds = (datetime.datetime.now(datetime.UTC) - moment).total_seconds()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = int(seconds // size)
            words = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {words}" if future else f"{words} ago"
    return ""  # pragma: no cover - the loop always returns


def duration(start: str | None, end: str | None) -> str:
    """``end - start`` as H:MM:SS, or empty when either is missing."""
    begin, finish = parse_time(start), parse_time(end)
    if begin is None or finish is None:
        return ""
    return str(datetime.timedelta(seconds=round((finish - begin).total_seconds())))


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a plain table (no borders, so it stays greppable), as Prefect 1's CLI did."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table, box

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in headers:
        table.add_column(header, overflow="fold")
    for row in rows:
        # cells are plain text: "[gpu]" in a message is not a style tag
        table.add_row(*("" if cell is None else escape(str(cell)) for cell in row))
    Console(soft_wrap=False, width=max(160, shutil.get_terminal_size().columns)).print(table)
