"""Client methods against a real server subprocess (SQLite file in tmp)."""

from __future__ import annotations

import datetime
import os
import threading
import time
import uuid

import pytest

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.client import (
    AuthorizationError,
    Client,
    ClientError,
    GraphQLResult,
    ObjectNotFoundError,
    VersionLockMismatchError,
)
from prefect_jupyter.engine.state import Cancelled, Pending, Running, Scheduled, Success
from prefect_jupyter.run_configs import LocalRun
from prefect_jupyter.schedules import IntervalSchedule


@task
def add(x, y=10):
    return x + y


def make_flow(name: str | None = None) -> Flow:
    with Flow(name or f"flow-{uuid.uuid4().hex[:8]}") as flow:
        add(Parameter("x", default=1))
    return flow


@pytest.fixture
def flow_id(client, project) -> str:
    return client.register(make_flow(), project_name=project, labels=["blue"], no_url=True)


class TestProjects:
    def test_create_project_returns_the_existing_id_for_the_same_name(self, client):
        name = f"p-{uuid.uuid4().hex[:8]}"
        first = client.create_project(name, project_description="the first")
        assert client.create_project(name) == first
        found = client.graphql(
            "query($n: String!) { project(where: {name: {_eq: $n}}) { id description } }", {"n": name}
        ).data.project
        assert [(p.id, p.description) for p in found] == [(first, "the first")]

    def test_a_query_given_as_nested_dicts_like_prefect_1(self, client, project):
        from prefect_jupyter.utilities.graphql import with_args

        query = {"query": {with_args("project", {"where": {"name": {"_eq": project}}}): {"name"}}}
        assert [p.name for p in client.graphql(query).data.project] == [project]

    def test_delete_project(self, client, project):
        assert client.delete_project(project) is True
        with pytest.raises(ValueError, match=f"Project {project} not found."):
            client.delete_project(project)


class TestFlows:
    def test_get_flow_loads_its_code_and_runs(self, client, flow_id):
        flow = client.get_flow(flow_id)
        state = flow.run(x=5)
        assert state.is_successful()
        assert state.result[flow.get_tasks(name="add")[0]].result == 15

    def test_get_flow_of_an_unknown_id(self, client):
        missing = str(uuid.uuid4())
        with pytest.raises(ObjectNotFoundError, match=f"Flow {missing} not found"):
            client.get_flow(missing)

    def test_archive_and_delete(self, client, flow_id):
        assert client.archive_flow(flow_id) is True
        with pytest.raises(ClientError, match="archived"):
            client.create_flow_run(flow_id)
        assert client.delete_flow(flow_id) is True
        assert client.graphql("query($id: uuid!) { flow_by_pk(id: $id) { id } }", {"id": flow_id}).data.flow_by_pk is None

    def test_schedule_on_and_off(self, client, project):
        flow = make_flow()
        flow.schedule = IntervalSchedule(interval=datetime.timedelta(hours=1))
        flow_id = client.register(flow, project_name=project, set_schedule_active=False, no_url=True)
        query = "query($id: uuid!) { flow_by_pk(id: $id) { is_schedule_active } }"
        assert client.graphql(query, {"id": flow_id}).data.flow_by_pk.is_schedule_active is False
        assert client.set_schedule_inactive(flow_id) is True
        assert client.graphql(query, {"id": flow_id}).data.flow_by_pk.is_schedule_active is False
        assert client.set_schedule_active(flow_id) is True
        assert client.graphql(query, {"id": flow_id}).data.flow_by_pk.is_schedule_active is True

    def test_hasura_style_query_results_read_as_attributes(self, client, flow_id):
        result = client.graphql(
            "query($id: uuid!) { flow(where: {id: {_eq: $id}}) { name labels tasks { slug } } }",
            {"id": flow_id},
        )
        assert isinstance(result, GraphQLResult)
        assert result.data.flow[0].labels == ["blue"]
        assert sorted(t.slug for t in result.data.flow[0].tasks) == ["add-1", "x"]


class TestFlowRuns:
    def test_create_and_read_a_flow_run(self, client, flow_id):
        run_id = client.create_flow_run(flow_id, parameters={"x": 3}, context={"k": "v"}, run_name="first")
        info = client.get_flow_run_info(run_id)
        assert (info.id, info.name, info.flow_id) == (run_id, "first", flow_id)
        assert info.parameters == {"x": 3} and info.context == {"k": "v"}
        assert isinstance(info.state, Scheduled)
        assert info.scheduled_start_time.tzinfo is not None
        assert sorted(tr.task_slug for tr in info.task_runs) == ["add-1", "x"]
        assert all(isinstance(tr.state, Pending) for tr in info.task_runs)
        labels = client.graphql("query($id: uuid!) { flow_run_by_pk(id: $id) { labels } }", {"id": run_id})
        assert labels.data.flow_run_by_pk.labels == ["blue"]  # the flow's labels by default

    def test_unknown_flow_run(self, client):
        missing = str(uuid.uuid4())
        with pytest.raises(ObjectNotFoundError, match=missing):
            client.get_flow_run_info(missing)

    def test_unknown_parameter_is_named(self, client, flow_id):
        with pytest.raises(ClientError, match="nope"):
            client.create_flow_run(flow_id, parameters={"nope": 1})

    def test_neither_flow_id_nor_version_group(self, client):
        with pytest.raises(ValueError, match="One of flow_id or version_group_id must be provided"):
            client.create_flow_run()

    def test_idempotency_key_gives_the_same_run(self, client, flow_id):
        first = client.create_flow_run(flow_id, idempotency_key="once")
        assert client.create_flow_run(flow_id, idempotency_key="once") == first

    def test_run_by_version_group_and_scheduled_time(self, client, flow_id):
        group = client.graphql(
            "query($id: uuid!) { flow_by_pk(id: $id) { version_group_id } }", {"id": flow_id}
        ).data.flow_by_pk.version_group_id
        when = datetime.datetime(2030, 1, 2, 3, 4, 5)  # naive: read as UTC
        run_id = client.create_flow_run(version_group_id=group, scheduled_start_time=when)
        info = client.get_flow_run_info(run_id)
        assert info.flow_id == flow_id
        assert info.scheduled_start_time == when.replace(tzinfo=datetime.UTC)
        # handed out as pendulum, as Prefect 1's client did (flow code formats it with pendulum)
        assert info.scheduled_start_time.add(days=1).format("YYYY-MM-DD") == "2030-01-03"

    def test_a_run_config_given_for_one_run_is_the_runs_and_its_labels_the_default(
        self, client, flow_id
    ):
        config = LocalRun(env={"STAGE": "dev"}, working_dir="/srv/etl", labels=["green"])
        run_id = client.create_flow_run(flow_id, run_config=config)
        run = client.graphql(
            "query($id: uuid!) { flow_run_by_pk(id: $id) { labels run_config } }", {"id": run_id}
        ).data.flow_run_by_pk
        assert run.labels == ["green"]
        assert run.run_config.to_dict() == config.serialize()
        assert run.run_config["env"] == {"STAGE": "dev"}

    def test_a_run_config_that_is_not_one_is_refused_before_any_request(self, client, flow_id):
        before = client.graphql("query { flow_run(where: {}) { id } }").data.flow_run
        with pytest.raises(TypeError, match=r"run_config must be a RunConfig \(e.g. LocalRun"):
            client.create_flow_run(flow_id, run_config={"type": "LocalRun"})
        assert client.graphql("query { flow_run(where: {}) { id } }").data.flow_run == before

    def test_states_with_version_locking(self, client, flow_id):
        run_id = client.create_flow_run(flow_id)
        version = client.get_flow_run_info(run_id).version
        running = Running("go")
        assert client.set_flow_run_state(run_id, running, version=version) is running
        assert isinstance(client.get_flow_run_state(run_id), Running)
        with pytest.raises(VersionLockMismatchError):
            client.set_flow_run_state(run_id, Success("done"), version=version)  # stale
        assert isinstance(client.get_flow_run_state(run_id), Running)
        client.set_flow_run_state(run_id, Success("done"), version=version + 1)
        state = client.get_flow_run_state(run_id)
        assert isinstance(state, Success) and state.message == "done"

    def test_task_run_info_and_states(self, client, flow_id):
        run_id = client.create_flow_run(flow_id)
        info = client.get_flow_run_info(run_id)
        add_run = next(tr for tr in info.task_runs if tr.task_slug == "add-1")
        task_run = client.get_task_run_info(run_id, add_run.task_id)
        assert (task_run.id, task_run.version) == (add_run.id, add_run.version)
        client.set_flow_run_state(run_id, Running())  # task runs start inside a running flow run
        client.set_task_run_state(task_run.id, Running(), version=task_run.version)
        client.set_task_run_state(task_run.id, Success("added"), version=task_run.version + 1)
        state = client.get_task_run_state(task_run.id)
        assert isinstance(state, Success) and state.message == "added"
        with pytest.raises(VersionLockMismatchError):
            client.set_task_run_state(task_run.id, Running(), version=task_run.version)
        child = client.get_task_run_info(run_id, add_run.task_id, map_index=2)
        assert child.id != task_run.id and isinstance(child.state, Pending)

    def test_queue_respects_labels_and_time(self, client, flow_id):
        due = client.create_flow_run(flow_id)
        later = client.create_flow_run(flow_id, scheduled_start_time=datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1))
        assert due in client.get_runs_in_queue(labels=["blue", "green"])
        assert due not in client.get_runs_in_queue(labels=["green"])
        assert later not in client.get_runs_in_queue(labels=["blue"])
        soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
        assert later in client.get_runs_in_queue(before=soon, labels=["blue"])

    def test_cancel(self, client, flow_id):
        scheduled = client.create_flow_run(flow_id)
        assert client.cancel_flow_run(scheduled) == "Cancelled"
        assert isinstance(client.get_flow_run_state(scheduled), Cancelled)
        running = client.create_flow_run(flow_id)
        client.set_flow_run_state(running, Running())
        assert client.cancel_flow_run(running) == "Cancelling"

    def test_logs_and_heartbeats(self, client, flow_id):
        run_id = client.create_flow_run(flow_id)
        task_run = client.get_flow_run_info(run_id).task_runs[0]
        client.update_flow_run_heartbeat(run_id)
        client.update_task_run_heartbeat(task_run.id)
        now = datetime.datetime.now(datetime.UTC).isoformat()
        client.write_run_logs([
            {"flow_run_id": run_id, "task_run_id": task_run.id, "timestamp": now,
             "name": "prefect_jupyter.add", "level": "INFO", "message": "hello", "info": {"a": 1}},
            {"flow_run_id": run_id, "timestamp": now, "name": "prefect_jupyter.FlowRunner",
             "level": "ERROR", "message": "oops", "info": None},
        ])
        data = client.graphql(
            """query($id: uuid!) { flow_run_by_pk(id: $id) {
                 heartbeat logs(order_by: {message: asc}) { message level task_run_id } } }""",
            {"id": run_id},
        ).data.flow_run_by_pk
        assert data.heartbeat is not None
        assert [(log.message, log.level) for log in data.logs] == [("hello", "INFO"), ("oops", "ERROR")]
        assert client.delete_flow_run(run_id) is True


@pytest.mark.slow  # restarts the server
def test_client_rides_out_a_server_restart(server, flow_id):
    client = Client(api_server=server.graphql_url, max_attempts=30, backoff=0.1)
    restart = threading.Thread(target=server.restart)
    restart.start()
    time.sleep(0.05)
    try:
        assert client.get_flow(flow_id).name  # retried until the server is back
    finally:
        restart.join()
        client.close()


@pytest.mark.slow  # starts a second server
def test_token_and_payload_cap(tmp_path):
    from prefect_jupyter.server.process import ServerProcess

    env = {"PREFECT_JUPYTER__SERVER__API__MAX_PAYLOAD_BYTES": "20000"}
    with ServerProcess(database_url=f"sqlite:///{tmp_path / 'token.db'}", api_token="s3cret", env=env) as guarded:
        with pytest.raises(AuthorizationError, match="PREFECT_JUPYTER__SERVER__API_TOKEN"):
            Client(api_server=guarded.graphql_url, api_token="").create_project("p")
        with pytest.raises(AuthorizationError):
            Client(api_server=guarded.graphql_url, api_token="wrong").create_project("p")
        client = Client(api_server=guarded.graphql_url, api_token="s3cret")
        client.create_project("p")
        # Prefect 1.x's name for the token, and its tenant argument (one tenant here)
        Client(api_server=guarded.graphql_url, api_key="s3cret", tenant_id="t").create_project("q")
        with pytest.raises(ValueError, match="both api_token and api_key, which differ"):
            Client(api_server=guarded.graphql_url, api_token="s3cret", api_key="other")

        blob = os.urandom(30_000)  # incompressible, and pickled with the task's code

        @task
        def big():
            return len(blob)

        with Flow("big") as flow:
            big()
        with pytest.raises(ClientError, match="max_payload_bytes"):
            client.register(flow, project_name="p", no_url=True)


def test_register_agent_keeps_its_id_when_it_registers_again(client):
    first = client.register_agent("LocalAgent", name="desk", labels=["gpu"])
    again = client.register_agent("LocalAgent", name="desk", labels=["gpu"])
    other = client.register_agent("LocalAgent", name="laptop")
    assert first == again != other
    agents = client.graphql("query { agent(where: {name: {_eq: \"desk\"}}) { id labels type } }").data.agent
    assert [(a.id, a.labels, a.type) for a in agents] == [(first, ["gpu"], "LocalAgent")]
