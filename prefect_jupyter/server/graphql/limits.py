"""Query cost limits: what one GraphQL request may ask of the server.

Without limits a 151-byte query (task runs -> flow run -> task runs, three deep) answered 59 MB
after 53 s and held half a gigabyte. Every request is now bounded twice:

- **before execution**, on the parsed document (``shape.py``): query text size, depth,
  aliases, fields. These reject a query in microseconds, before validation.
- **while executing**, by a :class:`RequestBudget` in the request context: rows per list, rows
  in the whole answer (counted as the table resolvers and the loader read them, and again as
  they are returned, so one row repeated under many parents counts each time), and a time
  budget, checked before every root and relationship field and between loader batches; the
  database itself stops a statement at the deadline (``dialects.stop_statements_at``).

A violation ends the request at once with one error naming the limit, the value and the
setting (``server.graphql.*``) that raises it. It is raised as :class:`QueryLimitExceeded`, a
``BaseException`` like ``asyncio.CancelledError`` and for the same reason: graphql-core turns
every ``Exception`` of a resolver into a field error and carries on with the sibling fields,
while this must stop all remaining work and roll the transaction back.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLResolveInfo
from sqlalchemy.exc import DBAPIError

from prefect_jupyter.server.database import dialects

SETTINGS = "server.graphql"
TOO_COMPLEX = "QUERY_TOO_COMPLEX"
TIMEOUT = "QUERY_TIMEOUT"

#: The clock of the time budget. Tests replace it (``monkeypatch.setattr(limits, "clock",
#: fake)``) to run out of time at a chosen point instead of guessing at wall-clock time.
clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class QueryLimits:
    """The ``server.graphql`` settings (see ``config.toml`` for what each one bounds)."""

    max_query_bytes: int = 150_000
    max_depth: int = 10
    max_aliases: int = 1_000
    max_fields: int = 5_000
    max_list_rows: int = 10_000
    max_rows: int = 25_000
    time_budget: float = 15.0
    parse_cache_bytes: int = 500_000
    parse_cache_max_query_bytes: int = 20_000
    answer_cache_bytes: int = 32_000_000
    answer_cache_max_answer_bytes: int = 2_000_000
    answer_cache_seconds: float = 1.0

    @classmethod
    def from_config(cls) -> QueryLimits:
        """The limits in ``config.server.graphql`` now (read per request, so they can change).

        Raises:
            ValueError: for a setting that is not a number, or is negative.
        """
        from prefect_jupyter import config

        section = config.get("server", {}).get("graphql") or {}
        values: dict[str, Any] = {}
        for name, default in cls.__dataclass_fields__.items():
            raw = section.get(name, default.default)
            kind = float if name in ("time_budget", "answer_cache_seconds") else int
            try:
                value = kind(raw)
            except (TypeError, ValueError):
                value = -1
            if value < 0 or isinstance(raw, bool):
                raise ValueError(
                    f"{SETTINGS}.{name} = {raw!r} is not a number of 0 or more; fix it in the "
                    "config file or its PREFECT_JUPYTER__SERVER__GRAPHQL__* variable."
                )
            values[name] = value
        return cls(**values)


class QueryLimitExceeded(BaseException):  # noqa: N818  (a signal, not an error type to catch)
    """A request went over one of its limits; ends the request (see the module docstring).

    Attributes:
        code: ``QUERY_TOO_COMPLEX`` or ``QUERY_TIMEOUT``.
        setting: the setting's name in ``server.graphql``.
        value: what the request reached; ``maximum``: the setting's value.
    """

    def __init__(self, message: str, code: str, setting: str, value: Any, maximum: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.setting = setting
        self.value = value
        self.maximum = maximum

    def to_error(self) -> dict[str, Any]:
        """The entry of the response's ``errors`` list."""
        return {
            "message": self.message,
            "extensions": {
                "code": self.code,
                "limit": f"{SETTINGS}.{self.setting}",
                "value": self.value,
                "maximum": self.maximum,
            },
        }


def exceeded(head: str, setting: str, value: Any, maximum: Any, advice: str,
             code: str = TOO_COMPLEX) -> QueryLimitExceeded:
    """The exception for ``head`` (e.g. "query depth 12") going over ``setting``."""
    shown = f"{maximum:,}" if isinstance(maximum, int) else f"{maximum:g} s"
    message = f"{head} exceeds {SETTINGS}.{setting} = {shown}; {advice} or raise the setting."
    return QueryLimitExceeded(message, code, setting, value, maximum)


@dataclass
class RequestBudget:
    """What one request has used of its limits so far (lives in the request context).

    Attributes:
        limits: the request's limits.
        started: the clock reading when execution started.
        fetched: rows read from the database.
        forecast: rows the answer will have, as far as the loader has looked ahead (top-level
            lists plus the relationship rows they prefetched, once per appearance).
        returned: rows put into the answer (a row under many parents counts once for each).
    """

    limits: QueryLimits
    started: float = field(default_factory=lambda: clock())
    fetched: int = 0
    forecast: int = 0
    returned: int = 0

    # -- time ------------------------------------------------------------------------------------
    def seconds_left(self) -> float | None:
        """Seconds until the deadline (``None``: no time budget)."""
        if not self.limits.time_budget:
            return None
        return self.limits.time_budget - (clock() - self.started)

    def out_of_time(self) -> bool:
        left = self.seconds_left()
        return left is not None and left <= 0

    def check_time(self) -> None:
        """Raise :class:`QueryLimitExceeded` (``QUERY_TIMEOUT``) past the deadline."""
        if self.out_of_time():
            raise self.timeout()

    def timeout(self) -> QueryLimitExceeded:
        elapsed = round(clock() - self.started, 3)
        return exceeded(
            f"query time {elapsed:g} s", "time_budget", elapsed, self.limits.time_budget,
            "ask for less (limit, fewer fields) or split the query", code=TIMEOUT,
        )

    # -- rows ------------------------------------------------------------------------------------
    def statement_limit(self, requested: int | None = None, per_list: bool = True) -> int:
        """The ``LIMIT`` of one statement: enough rows to notice a limit is exceeded, no more.

        Args:
            requested: the field's own ``limit`` argument, if any.
            per_list: the statement answers one list (else: the lists of many parents).
        """
        bound = self.limits.max_rows - self.fetched + 1
        if per_list:
            bound = min(bound, self.limits.max_list_rows + 1)
        return bound if requested is None else min(bound, requested)

    def count_list(self, name: str, rows: int) -> None:
        """One list field's value has ``rows`` rows."""
        maximum = self.limits.max_list_rows
        if rows > maximum:
            raise exceeded(
                f"list {name} with more than {maximum:,} rows", "max_list_rows", rows, maximum,
                "page through it with limit and offset",
            )

    def count_fetched(self, rows: int) -> None:
        """``rows`` rows were read from the database."""
        self.fetched += rows
        self._check_rows(self.fetched)

    def count_forecast(self, rows: int) -> None:
        """The answer will have ``rows`` more rows (raises before it is built)."""
        self.forecast += rows
        self._check_rows(self.forecast)

    def count_returned(self, rows: int) -> None:
        """``rows`` rows go into the answer."""
        self.returned += rows
        self._check_rows(self.returned)

    def _check_rows(self, rows: int) -> None:
        if rows > self.limits.max_rows:
            raise exceeded(
                f"row count {rows:,}", "max_rows", rows, self.limits.max_rows,
                "ask for fewer rows (limit/offset, fewer or narrower nested lists)",
            )


def within_budget(resolve: Callable[..., Any]) -> Callable[..., Any]:
    """``resolve`` checking the time budget first, and reporting a statement the database
    stopped at the deadline (``dialects.stop_statements_at``) as the time budget running out.

    Wraps the root fields and the relationship fields (``build_schema``, ``tables.py``): those
    are where database work starts; a scalar field only reads a loaded row, and checking the
    clock for each of them would cost ~10% of a large answer's time.
    """

    @functools.wraps(resolve)
    def guarded(obj: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        budget: RequestBudget = info.context.budget
        budget.check_time()
        try:
            return resolve(obj, info, **args)
        except DBAPIError as exc:
            # the database's own clock may stop the statement a hair before ours runs out
            if budget.out_of_time() or dialects.is_stopped_statement(exc):
                raise budget.timeout() from exc
            raise

    return guarded
