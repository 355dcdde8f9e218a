"""``prefect_jupyter.backend.artifacts`` (and Prefect 1's older ``prefect_jupyter.artifacts``):
nothing happens outside a server run; inside one, artifacts land on the current task run (a
mapped child's own), against a real server."""

from __future__ import annotations

import logging
import socket

import pytest

from prefect_jupyter import Flow, task
from prefect_jupyter import artifacts as old_artifacts
from prefect_jupyter.backend import artifacts
from prefect_jupyter.client.errors import ObjectNotFoundError
from prefect_jupyter.context import context
from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.logging import get_logger

ARTIFACTS = """
query($id: uuid!) {
  task_run_artifact(where: {task_run: {flow_run_id: {_eq: $id}}}, order_by: {created: asc}) {
    id kind data task_run { map_index task { slug } }
  }
}
"""


@pytest.fixture
def nowhere():
    """The API pointed at a closed port: any request would fail."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with set_temporary_config({"cloud.graphql": f"http://127.0.0.1:{port}/graphql"}):
        yield


def test_outside_a_server_run_nothing_is_sent_and_none_is_returned(nowhere):
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = get_logger("artifacts")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        assert artifacts.create_markdown_artifact("# hi") is None
        assert artifacts.create_link_artifact("https://example.com") is None
        assert artifacts.update_markdown_artifact("some-id", "# bye") is None
        assert artifacts.update_link_artifact("some-id", "https://example.org") is None
        assert artifacts.delete_artifact("some-id") is None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert [r.getMessage().split(":")[0] for r in records] == [
        "Artifact not created", "Artifact not created", "Artifact not updated",
        "Artifact not updated", "Artifact not deleted",
    ]
    assert all(r.levelno == logging.DEBUG for r in records)


def test_the_old_names_warn_that_they_moved_and_do_the_same(nowhere):
    with pytest.warns(UserWarning, match="moved to `prefect_jupyter.backend.artifacts.create_link_artifact`"):
        assert old_artifacts.create_link("https://example.com") is None
    for call in (lambda: old_artifacts.create_markdown("x"), lambda: old_artifacts.update_link("i", "l"),
                 lambda: old_artifacts.update_markdown("i", "x"), lambda: old_artifacts.delete_artifact("i")):
        with pytest.warns(UserWarning, match="has moved to"):
            assert call() is None


@task
def work(x: int) -> int:
    return x


def _flow_run(client, project_name) -> tuple[str, dict]:
    with Flow("artifact-unit") as flow:
        work.map([1, 2])
    flow_id = client.register(flow, project_name=project_name, no_url=True)
    run_id = client.create_flow_run(flow_id)
    rows = client.graphql(
        "query($id: uuid!) { task_run(where: {flow_run_id: {_eq: $id}}) { id task_id map_index task { name } } }",
        {"id": run_id},
    )["data"]["task_run"]
    [parent] = [r for r in rows if r["task"]["name"] == "work"]
    return run_id, parent


def test_in_a_server_run_artifacts_land_on_the_current_task_run(
    server_client, project_name, execution_server
):
    run_id, parent = _flow_run(server_client, project_name)
    ids = {"flow_run_id": run_id, "task_id": parent["task_id"], "task_run_id": parent["id"]}
    with set_temporary_config({"cloud.graphql": execution_server.graphql_url}), \
            context(running_with_backend=True, **ids):
        with context(map_index=None):
            markdown = artifacts.create_markdown_artifact("# one")
            artifacts.update_markdown_artifact(markdown, "# two")
        # a mapped child: the context names the parent's task run; the child's is found (here
        # made, as the reporter had not made it yet) by map index
        with context(map_index=1):
            link = artifacts.create_link_artifact("https://example.com/1")
            artifacts.update_link_artifact(link, "https://example.com/one")
            gone = artifacts.create_markdown_artifact("gone")
            artifacts.delete_artifact(gone)
        with pytest.raises(ObjectNotFoundError, match=f"Task run artifact {gone} not found"):
            artifacts.delete_artifact(gone)
    rows = server_client.graphql(ARTIFACTS, {"id": run_id})["data"]["task_run_artifact"]
    assert [(r["id"], r["kind"], r["data"], r["task_run"]["map_index"]) for r in rows] == [
        (markdown, "markdown", {"markdown": "# two"}, -1),
        (link, "link", {"link": "https://example.com/one"}, 1),
    ]


def test_the_client_names_the_fix_for_a_missing_task_run_id(server_client):
    with pytest.raises(ValueError, match="context.task_run_id"):
        server_client.create_task_run_artifact(None, "markdown", {"markdown": "x"})
    with pytest.raises(ObjectNotFoundError, match="Task run 00000000-0000-0000-0000-000000000001 not found"):
        server_client.create_task_run_artifact(
            "00000000-0000-0000-0000-000000000001", "markdown", {"markdown": "x"})
