"""Artifacts end to end: a registered flow run by a real local agent against a real server
publishes markdown and link artifacts (a mapped child's on its own task run), which are read
back through GraphQL; the same flow run with ``flow.run()`` publishes nothing."""

from __future__ import annotations

import artifact_flows
from agent_support import AgentProcess, task_run, wait_finished

ARTIFACTS = """
query($id: uuid!) {
  task_run_artifact(where: {task_run: {flow_run_id: {_eq: $id}}}, order_by: {created: asc}) {
    id kind data task_run_id
  }
}
"""


def test_an_agent_run_stores_its_tasks_artifacts(client, agent_server, project, labels):
    flow_id = client.register(artifact_flows.artifacts_flow(), project_name=project,
                              labels=labels, no_url=True)
    run_id = client.create_flow_run(flow_id)
    with AgentProcess(agent_server.url, labels) as agent:
        run = wait_finished(client, run_id, agents=[agent])
    assert run["state"] == "Success", run
    artifacts = client.graphql(ARTIFACTS, {"id": run_id})["data"]["task_run_artifact"]
    publish = task_run(run, "publish")
    mine = [(a["kind"], a["data"]) for a in artifacts if a["task_run_id"] == publish["id"]]
    assert mine == [
        ("markdown", {"markdown": "# Report\n<script>alert(1)</script>"}),
        ("link", {"link": "https://example.com/report"}),
    ]
    for index in range(3):
        child = task_run(run, "publish_each", index)
        assert child["state"] == "Success"
        assert [(a["kind"], a["data"]) for a in artifacts if a["task_run_id"] == child["id"]] == [
            ("markdown", {"markdown": f"child {index}"})
        ]
    assert len(artifacts) == 5
    # the mapped children are one task run each: none was made twice by the artifact's lookup
    assert len([t for t in run["task_runs"] if t["task"]["name"] == "publish_each"]) == 4


def test_flow_run_without_a_server_publishes_nothing():
    state = artifact_flows.artifacts_flow().run()
    assert state.is_successful()
    assert all(r.is_successful() for r in state.result.values())
    publish = next(t for t in state.result if t.name == "publish")
    assert state.result[publish].result == [None, None]
