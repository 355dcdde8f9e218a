"""Turning query text into a checked document: size limit, parse, shape limits, validation —
with the results of the text kept in a cache bounded by bytes.

Clients send the same few documents over and over (a runner's state writes) and validation
costs more than executing a small mutation, so parsed and validated documents are reused. The
cache used to be keyed on texts of any size with no bound on their number: 40 distinct 180 KB
queries kept half a gigabyte. Now it is a least-recently-used map bounded by the total size of
the texts it holds (``server.graphql.parse_cache_bytes``; the parsed form takes ~50-100 times
its text), and a text longer than ``parse_cache_max_query_bytes`` is never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate

from prefect_jupyter.server.graphql.answers import selects_clock_fields
from prefect_jupyter.server.graphql.limits import QueryLimitExceeded, QueryLimits, exceeded
from prefect_jupyter.server.graphql.shape import QueryShape, measure


@dataclass(frozen=True)
class CheckedDocument:
    """A parsed document, its shape and its validation errors (empty: valid); whether its
    answer depends on the clock (``answers.CLOCK_FIELDS``)."""

    document: DocumentNode
    shape: QueryShape
    problems: tuple[GraphQLError, ...]
    clock_dependent: bool = False


class ParseCache:
    """Least-recently-used :class:`CheckedDocument` by query text, bounded by text bytes.

    Thread-safe (requests run in a thread pool). ``max_bytes`` and ``max_entry_bytes`` are
    given on each :meth:`put`, so a changed setting applies at once.

    Attributes:
        total_bytes: UTF-8 bytes of the texts held now.
    """

    def __init__(self) -> None:
        self._entries: OrderedDict[str, tuple[CheckedDocument, int]] = OrderedDict()
        self._lock = threading.Lock()
        self.total_bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, text: str) -> CheckedDocument | None:
        with self._lock:
            entry = self._entries.get(text)
            if entry is None:
                return None
            self._entries.move_to_end(text)
            return entry[0]

    def put(self, text: str, checked: CheckedDocument, max_bytes: int,
            max_entry_bytes: int) -> None:
        """Keep ``checked`` unless its text is too long; drop the oldest over ``max_bytes``."""
        size = len(text.encode("utf-8"))
        if size > min(max_entry_bytes, max_bytes):
            return
        with self._lock:
            if text in self._entries:
                return
            self._entries[text] = (checked, size)
            self.total_bytes += size
            while self.total_bytes > max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.total_bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total_bytes = 0


#: The process's parse cache (one schema per process).
PARSE_CACHE = ParseCache()


def check_document(schema: GraphQLSchema, text: str, limits: QueryLimits) -> CheckedDocument:
    """Parse, measure and validate ``text`` (or take it from the cache).

    Raises:
        QueryLimitExceeded: the text is too long, or its shape goes over a limit (the first
            of them; validation does not run then).
        GraphQLError: a syntax error.
    """
    checked = PARSE_CACHE.get(text)
    if checked is None:
        size = len(text.encode("utf-8"))
        if size > limits.max_query_bytes:
            raise exceeded(f"query text of {size:,} bytes", "max_query_bytes", size,
                           limits.max_query_bytes,
                           "send values as variables instead of in the text, split the query,")
        document = parse(text)
        shape = measure(document)
        _raise_first(shape.problems(limits))
        checked = CheckedDocument(document, shape, tuple(validate(schema, document)),
                                  selects_clock_fields(document))
        PARSE_CACHE.put(text, checked, limits.parse_cache_bytes,
                        limits.parse_cache_max_query_bytes)
    else:
        _raise_first(checked.shape.problems(limits))  # the limits may have changed since
    return checked


def _raise_first(problems: list[QueryLimitExceeded]) -> None:
    if problems:
        raise problems[0]
