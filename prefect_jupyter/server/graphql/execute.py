"""Running one GraphQL request: parse, validate, execute in one transaction, format errors.

The operation type decides the transaction: a query reads in a plain transaction; a mutation
runs in a write transaction that is committed only when every field succeeded — like Hasura,
the mutation fields of one request succeed or fail together, so an error part-way leaves the
database as it was (the response then has ``"data": null`` and the errors).

Every request is held to the query cost limits (``limits.py``): the text's size and the
document's shape before validation, rows and time while executing. A request over a limit
gets one error naming it (``QUERY_TOO_COMPLEX`` or ``QUERY_TIMEOUT``) and nothing else.

Plain leaf fields take a short path through the executor (``executor.py``), and
:func:`answer_request` answers a read query it has answered before from the answer cache,
while the database has not changed since (``answers.py``).

Status codes: 400 for a request that is not a GraphQL request at all (not JSON, no query,
syntax errors, fields the schema lacks) or that goes over a cost limit, 200 for everything that
executed (even with errors in ``errors``), 500 for a database failure while committing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from ariadne import load_schema_from_path, make_executable_schema
from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationType,
    default_field_resolver,
    execute_sync,
    get_operation_ast,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from prefect_jupyter.server.database import dialects
from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.errors import ApiError
from prefect_jupyter.server.graphql import aggregates
from prefect_jupyter.server.graphql.answers import AnswerCache, answer_key
from prefect_jupyter.server.graphql.context import RequestContext
from prefect_jupyter.server.graphql.documents import check_document
from prefect_jupyter.server.graphql.executor import LeafExecutor
from prefect_jupyter.server.graphql.limits import (
    QueryLimitExceeded,
    QueryLimits,
    RequestBudget,
    within_budget,
)
from prefect_jupyter.server.graphql.mutations import mutation
from prefect_jupyter.server.graphql.orchestration import bindables as orchestration_bindables
from prefect_jupyter.server.graphql.prefect1 import bindables as prefect1_bindables
from prefect_jupyter.server.graphql.queries import query
from prefect_jupyter.server.graphql.scalars import scalar_types
from prefect_jupyter.server.graphql.tables import table_bindables
from prefect_jupyter.utilities.logging import get_logger

logger = get_logger("server")


@lru_cache(maxsize=1)
def build_schema() -> GraphQLSchema:
    """The executable schema: the packaged SDL files bound to the resolvers."""
    QueryLimits.from_config()  # a bad server.graphql setting fails the server's start
    schema_dir = resources.files("prefect_jupyter.server.graphql") / "schema"
    with resources.as_file(schema_dir) as path:
        type_defs = load_schema_from_path(path) + "\n" + aggregates.sdl()
    objects = table_bindables(query)
    schema = make_executable_schema(
        type_defs, query, mutation, *objects, *orchestration_bindables, *prefect1_bindables,
        *aggregates.bindables(), *scalar_types(),
    )
    for root in (schema.query_type, schema.mutation_type):
        for field in root.fields.values() if root else ():
            field.resolve = within_budget(field.resolve or default_field_resolver)
    return schema


def error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    """One entry of a GraphQL ``errors`` list."""
    return {"message": message, **extra, "extensions": {"code": code}}


def format_error(err: GraphQLError) -> dict[str, Any]:
    """A GraphQL error as JSON, with an ``extensions.code`` saying what kind it is."""
    original = err.original_error
    extra: dict[str, Any] = {}
    if err.path is not None:
        extra["path"] = list(err.path)
    if err.locations:
        extra["locations"] = [{"line": loc.line, "column": loc.column} for loc in err.locations]
    if isinstance(original, ApiError):
        return error(str(original), original.code, **extra)
    if isinstance(original, IntegrityError):
        message = (
            "The database refused the write because it conflicts with existing rows "
            f"({original.orig}); read the current data and try again."
        )
        return error(message, "CONFLICT", **extra)
    if err.path is None:
        # raised before any resolver ran: input coercion (a bad UUID, a missing variable...)
        return error(err.message, "BAD_USER_INPUT", **extra)
    if original is None:  # graphql-core's own check of a result, e.g. a null non-null field
        logger.error("GraphQL error at %s: %s", err.path, err.message)
        return error(err.message, "INTERNAL_SERVER_ERROR", **extra)
    logger.error("Unexpected error in %s", err.path, exc_info=original)
    message = f"Internal server error: {type(original).__name__}: {original}"
    return error(message, "INTERNAL_SERVER_ERROR", **extra)


class _RolledBack(Exception):
    def __init__(self, result: Any) -> None:
        self.result = result


def _check_request(payload: Any) -> tuple[str, dict | None, str | None] | dict:
    if not isinstance(payload, dict):
        return error(
            'The request body must be a JSON object: {"query": "...", "variables": {...}}.',
            "BAD_REQUEST",
        )
    text, variables = payload.get("query"), payload.get("variables")
    operation_name = payload.get("operationName")
    if not isinstance(text, str) or not text.strip():
        return error('The request has no "query": send {"query": "{ hello }"}.', "BAD_REQUEST")
    if isinstance(variables, str):  # Prefect 1's client sends them as a JSON string
        try:
            variables = json.loads(variables) if variables.strip() else None
        except ValueError as exc:
            return error(f'"variables" is a string but not JSON ({exc}).', "BAD_REQUEST")
    if variables is not None and not isinstance(variables, dict):
        return error('"variables" must be a JSON object of name: value.', "BAD_REQUEST")
    if operation_name is not None and not isinstance(operation_name, str):
        return error('"operationName" must be a string.', "BAD_REQUEST")
    return text, variables, operation_name


@dataclass(frozen=True)
class _Prepared:
    """A request that parsed and validated, ready to run."""

    text: str
    variables: dict | None
    operation_name: str | None
    document: DocumentNode
    writes: bool
    clock_dependent: bool


def _prepare(payload: Any, limits: QueryLimits) -> _Prepared | tuple[int, dict[str, Any]]:
    """The checked request, or the (status, answer) refusing it."""
    checked = _check_request(payload)
    if isinstance(checked, dict):
        return 400, {"errors": [checked]}
    text, variables, operation_name = checked
    try:
        checked_document = check_document(build_schema(), text, limits)
    except QueryLimitExceeded as exc:
        return 400, {"errors": [exc.to_error()]}
    except GraphQLError as exc:
        return 400, {"errors": [error(exc.message, "GRAPHQL_PARSE_FAILED", **_where(exc))]}
    document, problems = checked_document.document, checked_document.problems
    if problems:
        return 400, {"errors": [error(p.message, "GRAPHQL_VALIDATION_FAILED", **_where(p))
                                for p in problems]}
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f"No operation named {operation_name!r} in the document."
            if operation_name
            else "The document has several operations: say which with \"operationName\"."
        )
        return 400, {"errors": [error(message, "BAD_REQUEST")]}
    if operation.operation is OperationType.SUBSCRIPTION:
        return 400, {"errors": [error("Subscriptions are not supported.", "BAD_REQUEST")]}
    writes = operation.operation is OperationType.MUTATION
    return _Prepared(text, variables, operation_name, document, writes,
                     checked_document.clock_dependent)


def execute_request(database: Database, payload: Any) -> tuple[int, dict[str, Any]]:
    """Execute a decoded GraphQL request body; return (HTTP status, response JSON)."""
    limits = QueryLimits.from_config()
    prepared = _prepare(payload, limits)
    if isinstance(prepared, tuple):
        return prepared
    return _run(database, prepared, limits)


def answer_request(
    database: Database, payload: Any, answers: AnswerCache | None = None
) -> tuple[int, bytes]:
    """:func:`execute_request`, its answer encoded as JSON — and for a read query taken from
    ``answers`` when the database has not changed since it was computed (``answers.py``)."""
    limits = QueryLimits.from_config()
    prepared = _prepare(payload, limits)
    if isinstance(prepared, tuple):
        return prepared[0], encode(prepared[1])
    if answers is None or prepared.writes or not answers.enabled(limits,
                                                                 prepared.clock_dependent):
        status, result = _run(database, prepared, limits)
        return status, encode(result)
    key = answer_key(prepared.text, prepared.operation_name, prepared.variables, limits)
    database.check_file()  # a deleted database answers 503, not from memory
    started = answers.now()
    version = answers.version.read()
    body = answers.get(key, version)
    if body is not None:
        return 200, body
    status, result = _run(database, prepared, limits)
    body = encode(result)
    if status == 200 and "errors" not in result:
        answers.put(key, version, body, limits, started if prepared.clock_dependent else None)
    return status, body


def encode(result: dict[str, Any]) -> bytes:
    """A response body as compact UTF-8 JSON (as Starlette's ``JSONResponse`` writes it)."""
    return json.dumps(result, ensure_ascii=False, allow_nan=False, indent=None,
                      separators=(",", ":")).encode("utf-8")


def _run(database: Database, prepared: _Prepared, limits: QueryLimits) -> tuple[int, dict]:
    """Execute ``prepared`` in one transaction (see the module docstring)."""
    writes = prepared.writes
    open_session = database.write_session if writes else database.read_session
    try:
        with open_session() as session:
            if limits.time_budget:  # the clock starts once a connection (and lock) is held
                session.connection()
            budget = RequestBudget(limits)
            stop_statements = dialects.stop_statements_at(session, budget.seconds_left)
            try:
                context = RequestContext(session, database.dialect_name, budget)
                result = execute_sync(
                    build_schema(), prepared.document, context_value=context,
                    variable_values=prepared.variables, operation_name=prepared.operation_name,
                    executor_class=LeafExecutor,
                )
            finally:
                stop_statements()
            if writes and result.errors:
                raise _RolledBack(result)
            body = _body(result.data, result.errors)
    except QueryLimitExceeded as exc:  # raised by a resolver: the transaction was rolled back
        return 400, {"data": None, "errors": [exc.to_error()]}
    except _RolledBack as rolled_back:
        body = _body(None, rolled_back.result.errors)
    except SQLAlchemyError as exc:
        logger.exception("Database error")
        return 500, {"errors": [error(
            f"The database failed ({type(exc).__name__}: {exc.args[0] if exc.args else exc}); "
            f"check that {database.display_url} is reachable and try again.",
            "DATABASE_ERROR",
        )]}
    return 200, body


def _body(data: Any, errors: list[GraphQLError] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"data": data}
    if errors:
        body["errors"] = [format_error(e) for e in errors]
    return body


def _where(err: GraphQLError) -> dict[str, Any]:
    if not err.locations:
        return {}
    return {"locations": [{"line": loc.line, "column": loc.column} for loc in err.locations]}
