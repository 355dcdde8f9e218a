"""Task run artifacts through the GraphQL API: created, read back (table query and the task
run's ``artifacts``), updated, deleted; unknown ids and bad data answered with the fix; gone
with their flow run."""

from __future__ import annotations

import uuid


def _task_run(api, make_flow) -> tuple[str, str]:
    run_id = api.create_flow_run(api.register(make_flow(tasks=["report"])))
    return run_id, api.task_runs(run_id)[0]["id"]


def _create(api, task_run_id: str, kind: str, data: dict) -> str:
    return api.mutate("create_task_run_artifact",
                      {"task_run_id": task_run_id, "kind": kind, "data": data}, "id")["id"]


def test_artifacts_are_stored_read_updated_and_deleted(api, make_flow):
    run_id, task_run_id = _task_run(api, make_flow)
    markdown = _create(api, task_run_id, "markdown", {"markdown": "# Hello"})
    link = _create(api, task_run_id, "link", {"link": "https://example.com/report"})

    rows = api.rows("task_run_artifact", {"task_run_id": {"_eq": task_run_id}},
                    "id kind data task_run { flow_run_id }", order_by={"created": "asc"})
    assert {(r["id"], r["kind"]) for r in rows} == {(markdown, "markdown"), (link, "link")}
    assert {r["kind"]: r["data"] for r in rows} == {
        "markdown": {"markdown": "# Hello"}, "link": {"link": "https://example.com/report"}}
    assert {r["task_run"]["flow_run_id"] for r in rows} == {run_id}
    assert api.count("task_run_artifact", {"flow_run_id": {"_eq": run_id}}) == 2
    nested = api.query("query($id: uuid!) { task_run_by_pk(id: $id) { artifacts_aggregate "
                       "{ aggregate { count } } artifacts(where: {kind: {_eq: \"link\"}}) { id } } }",
                       {"id": task_run_id})["task_run_by_pk"]
    assert nested == {"artifacts_aggregate": {"aggregate": {"count": 2}}, "artifacts": [{"id": link}]}

    assert api.mutate("update_task_run_artifact",
                      {"task_run_artifact_id": markdown, "data": {"markdown": "# Bye"}})["success"]
    assert api.by_pk("task_run_artifact", markdown, "data")["data"] == {"markdown": "# Bye"}

    assert api.mutate("delete_task_run_artifact", {"task_run_artifact_id": link})["success"]
    assert api.by_pk("task_run_artifact", link) is None
    assert api.count("task_run_artifact", {"task_run_id": {"_eq": task_run_id}}) == 1


def test_unknown_ids_and_bad_data_are_refused_naming_the_fix(api, make_flow):
    _run_id, task_run_id = _task_run(api, make_flow)
    missing = str(uuid.uuid4())
    [error] = api.mutation_errors("create_task_run_artifact",
                                  {"task_run_id": missing, "kind": "markdown", "data": {"markdown": "x"}},
                                  "id")
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert f"Task run {missing} not found" in error["message"]
    for name in ("update_task_run_artifact", "delete_task_run_artifact"):
        inputs = {"task_run_artifact_id": missing}
        if name.startswith("update"):
            inputs["data"] = {"markdown": "x"}
        [error] = api.mutation_errors(name, inputs)
        assert error["extensions"]["code"] == "NOT_FOUND"
        assert f"Task run artifact {missing} not found" in error["message"]
        assert "create_markdown_artifact" in error["message"]
    [error] = api.mutation_errors("create_task_run_artifact",
                                  {"task_run_id": task_run_id, "kind": "markdown", "data": ["x"]},
                                  "id")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "JSON object" in error["message"]
    [error] = api.mutation_errors("delete_task_run_artifact", {"task_run_artifact_id": "nope"})
    assert "is not a UUID" in error["message"]


def test_artifacts_go_with_their_flow_run(api, make_flow):
    run_id, task_run_id = _task_run(api, make_flow)
    artifact = _create(api, task_run_id, "markdown", {"markdown": "x"})
    assert api.mutate("delete_flow_run", {"flow_run_id": run_id})["success"]
    assert api.by_pk("task_run_artifact", artifact) is None
