"""Identical read queries are answered from the answer cache until the database changes — never
with an answer older than the last committed write, whoever wrote it — on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update

from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.database.models import FlowRun
from prefect_jupyter.server.graphql.answers import AnswerCache, answer_key
from prefect_jupyter.server.graphql.limits import QueryLimits
from prefect_jupyter.utilities.configuration import set_temporary_config

RUN = "query($id: uuid!) { flow_run_by_pk(id: $id) { id name state version } }"


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def answers(app: Any) -> AnswerCache:
    cache: AnswerCache = app.state.answers
    cache.clear()
    return cache


@pytest.fixture
def clock(answers: AnswerCache, monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(answers, "clock", fake)
    return fake


@pytest.fixture
def run_id(api: Any, make_flow: Any) -> str:
    return api.create_flow_run(api.register(make_flow()), flow_run_name=f"r-{uuid.uuid4().hex[:6]}")


def read(api: Any, run_id: str) -> dict[str, Any]:
    return api.query(RUN, {"id": run_id})["flow_run_by_pk"]


def test_a_repeated_query_is_answered_from_the_cache(api, answers, clock, run_id):
    first = read(api, run_id)
    hits = answers.hits
    assert read(api, run_id) == first
    assert answers.hits == hits + 1
    other = api.query("query($id: uuid!) { flow_run_by_pk(id: $id) { id state } }", {"id": run_id})
    assert other["flow_run_by_pk"]["state"] == first["state"] and answers.hits == hits + 1


def test_a_write_through_the_api_is_seen_by_the_next_read(api, answers, clock, run_id):
    assert read(api, run_id)["state"] == "Scheduled"
    read(api, run_id)
    response = api.set_flow_run_state(run_id, {"type": "Running", "message": "go"})
    assert "errors" not in response.json(), response.json()
    hits = answers.hits
    assert read(api, run_id)["state"] == "Running"
    assert answers.hits == hits


def test_a_write_from_outside_the_server_is_seen_by_the_next_read(api, app, answers, clock,
                                                                    run_id):
    """Another process (here: another engine) commits; the server's cached answer is stale
    and is not served."""
    assert read(api, run_id)["name"].startswith("r-")
    read(api, run_id)
    other = Database(app.state.database.url)
    try:
        with other.write_session() as session:
            session.execute(update(FlowRun).where(FlowRun.id == run_id).values(name="renamed"))
    finally:
        other.dispose()
    assert read(api, run_id)["name"] == "renamed"


def test_an_answer_that_depends_on_the_clock_is_kept_answer_cache_seconds(api, answers, clock,
                                                                         run_id):
    late = "query($id: uuid!) { flow_run_by_pk(id: $id) { id late_reason } }"
    api.query(late, {"id": run_id})
    clock.now += QueryLimits().answer_cache_seconds
    hits = answers.hits
    api.query(late, {"id": run_id})
    assert answers.hits == hits + 1  # exactly as old as allowed
    clock.now += 0.001
    api.query(late, {"id": run_id})
    assert answers.hits == hits + 1
    clock.now += 3600  # ...while one that depends only on the data is kept until it changes
    read(api, run_id)
    clock.now += 3600
    read(api, run_id)
    assert answers.hits == hits + 2


def test_mutations_and_answers_with_errors_are_never_kept(api, answers, clock, make_flow):
    project = f"p-{uuid.uuid4().hex[:6]}"
    create = "mutation($n: String!) { create_project(input: {name: $n}) { id } }"
    assert api.query(create, {"n": project})["create_project"]["id"]
    assert api.errors(create, {"n": project})  # the same again: a conflict, not a cached id
    failing = '{ flow_run_by_pk(id: "not-a-uuid") { id } }'
    for _ in range(2):
        api.errors(failing)
    assert len(answers) == 0


def test_changed_limits_are_a_different_question(api, answers, clock, run_id):
    read(api, run_id)
    with set_temporary_config({"server.graphql.max_rows": 1}):
        hits = answers.hits
        read(api, run_id)
        assert answers.hits == hits


def test_no_answers_are_kept_when_the_settings_say_so(api, answers, clock, run_id):
    hits = answers.hits
    late = "query($id: uuid!) { flow_run_by_pk(id: $id) { id late_reason } }"
    with set_temporary_config({"server.graphql.answer_cache_bytes": 0}):
        for query in (RUN, late):
            api.query(query, {"id": run_id})
            api.query(query, {"id": run_id})
    with set_temporary_config({"server.graphql.answer_cache_seconds": 0}):
        api.query(late, {"id": run_id})
        api.query(late, {"id": run_id})
    assert len(answers) == 0 and answers.hits == hits


# -- the cache itself -------------------------------------------------------------------------------
def test_the_cache_is_bounded_by_bytes_least_recently_used_first(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'x.db'}")
    cache = AnswerCache(database, clock=Clock())
    limits = QueryLimits(answer_cache_bytes=1_000, answer_cache_max_answer_bytes=500)
    keys = [answer_key(f"{{ q{i} }}", None, None, limits) for i in range(3)]
    version = cache.version.read()
    for key in keys[:2]:
        cache.put(key, version, b"x" * 400, limits)
    assert cache.get(keys[0], version) is not None  # keys[0] is now the most recent
    cache.put(keys[2], version, b"x" * 400, limits)
    assert cache.get(keys[1], version) is None
    assert cache.get(keys[0], version) and cache.get(keys[2], version)
    assert cache.total_bytes <= 1_000 and len(cache) == 2
    cache.put(answer_key("{ big }", None, None, limits), version, b"x" * 600, limits)
    assert len(cache) == 2  # over answer_cache_max_answer_bytes: not kept
    cache.close()
    database.dispose()


def test_an_in_memory_database_keeps_nothing():
    database = Database("sqlite://")
    assert not AnswerCache(database).enabled(QueryLimits())
    database.dispose()
