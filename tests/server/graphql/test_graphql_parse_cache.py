"""The parse cache is bounded by the bytes of query text it holds: least recently used first
out, long texts never kept, refused queries never kept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from graphql import parse

from prefect_jupyter.server.graphql.documents import PARSE_CACHE, CheckedDocument, ParseCache
from prefect_jupyter.server.graphql.shape import QueryShape
from prefect_jupyter.utilities.configuration import set_temporary_config


def checked(text: str) -> CheckedDocument:
    return CheckedDocument(parse(text), QueryShape(), ())


def query_of(size: int, tag: str) -> str:
    """A valid query of ``size`` bytes, different for each ``tag``."""
    head = f"{{ {tag}: hello }} "
    return head + "#" * (size - len(head))


def test_least_recently_used_texts_go_first_within_the_byte_bound():
    cache = ParseCache()
    a, b, c = (query_of(400, tag) for tag in "abc")
    cache.put(a, checked(a), max_bytes=1_000, max_entry_bytes=500)
    cache.put(b, checked(b), max_bytes=1_000, max_entry_bytes=500)
    assert cache.get(a) is not None  # a is now the most recently used
    cache.put(c, checked(c), max_bytes=1_000, max_entry_bytes=500)
    assert cache.get(b) is None and cache.get(a) is not None and cache.get(c) is not None
    assert cache.total_bytes == 800 and len(cache) == 2


def test_a_long_text_is_never_kept():
    cache = ParseCache()
    long = query_of(501, "x")
    cache.put(long, checked(long), max_bytes=1_000, max_entry_bytes=500)
    assert cache.get(long) is None and cache.total_bytes == 0


def test_bytes_are_utf8_bytes():
    cache = ParseCache()
    text = '{ hello } # "\u00e9\u00e9"'  # two characters of two bytes each
    cache.put(text, checked(text), max_bytes=1_000, max_entry_bytes=500)
    assert cache.total_bytes == len(text) + 2


@pytest.fixture
def empty_cache() -> Iterator[None]:
    PARSE_CACHE.clear()
    yield
    PARSE_CACHE.clear()


def test_many_distinct_queries_keep_the_server_cache_within_its_bytes(api, empty_cache):
    with set_temporary_config({"server.graphql.parse_cache_bytes": 10_000,
                               "server.graphql.parse_cache_max_query_bytes": 2_000}):
        texts = [query_of(1_500, f"q{i}") for i in range(40)]
        for i, text in enumerate(texts):
            assert api.query(text) == {f"q{i}": "hello"}
            assert PARSE_CACHE.total_bytes <= 10_000
        assert PARSE_CACHE.total_bytes == 6 * 1_500
        assert PARSE_CACHE.get(texts[-1]) is not None and PARSE_CACHE.get(texts[0]) is None

        long = query_of(5_000, "long")
        assert api.query(long) == {"long": "hello"}
        assert PARSE_CACHE.get(long) is None


def test_a_refused_query_is_not_kept(api, empty_cache):
    too_deep = "{ flow_run { flow { flow_runs { flow { id } } } } }"
    with set_temporary_config({"server.graphql.max_depth": 3}):
        assert api.post_graphql(too_deep).status_code == 400
    assert len(PARSE_CACHE) == 0


def test_a_cached_query_is_held_to_limits_lowered_later(api, empty_cache):
    query = "{ flow_run(limit: 1) { flow { id } } }"
    assert api.post_graphql(query).status_code == 200
    assert PARSE_CACHE.get(query) is not None
    with set_temporary_config({"server.graphql.max_depth": 2}):
        response = api.post_graphql(query)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["limit"] == "server.graphql.max_depth"
