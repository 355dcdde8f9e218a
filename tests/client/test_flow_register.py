"""flow.register(): output, versions and idempotency, projects, labels, schedules; from a script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import pytest

from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.client import Client
from prefect_jupyter.schedules import Schedule, filters
from prefect_jupyter.schedules.clocks import CronClock
from prefect_jupyter.serialization import FlowLoadError
from prefect_jupyter.serialization.schedule import schedule_from_dict

FLOW_QUERY = """
query($id: uuid!) {
  flow_by_pk(id: $id) {
    id name version version_group_id archived labels is_schedule_active idempotency_key
    serialized_flow parameters schedule project { name }
  }
}
"""
GROUP_QUERY = """
query($group: String!) {
  flow(where: {version_group_id: {_eq: $group}}, order_by: {version: asc}) { id version archived }
}
"""


def stored(client: Client, flow_id: str):
    return client.graphql(FLOW_QUERY, {"id": flow_id}).data.flow_by_pk


def versions(client: Client, flow_id: str) -> list[tuple[str, int, bool]]:
    group = stored(client, flow_id).version_group_id
    return [(f.id, f.version, f.archived) for f in client.graphql(GROUP_QUERY, {"group": group}).data.flow]


def build(name: str, offset: int = 1) -> Flow:
    """The same flow; ``offset`` changes the code of its task (a different function body)."""
    namespace: dict = {}
    exec(  # noqa: S102
        f"from prefect_jupyter import task\n@task(name='shift')\ndef shift(x):\n    return x + {offset}\n",
        namespace,
    )
    with Flow(name) as flow:
        namespace["shift"](Parameter("x", default=1))
    return flow


@pytest.fixture
def name() -> str:
    return f"flow-{uuid.uuid4().hex[:8]}"


@pytest.mark.usefixtures("use_server")
class TestRegister:
    def test_prints_the_url_and_details_as_prefect_1(self, project, name, capsys):
        flow_id = build(name).register(project_name=project, labels=["b", "a"])
        assert capsys.readouterr().out == (
            f"Flow URL: http://127.0.0.1:8080/flow/{flow_id}\n"
            f" └── ID: {flow_id}\n"
            f" └── Project: {project}\n"
            f" └── Labels: ['a', 'b']\n"
        )

    def test_no_url_prints_nothing(self, project, name, capsys):
        build(name).register(project_name=project, no_url=True)
        assert capsys.readouterr().out == ""

    def test_stores_the_serialized_flow(self, client, project, name):
        flow = build(name)
        flow_id = flow.register(project_name=project, labels=["gpu"], no_url=True)
        row = stored(client, flow_id)
        assert (row.name, row.version, row.archived, row.project.name) == (name, 1, False, project)
        assert row.labels == ["gpu"]
        assert row.idempotency_key == row.serialized_flow.structure_hash  # the default key
        assert flow.serialized_hash() != row.idempotency_key  # the labels are part of it
        assert [t.slug for t in row.serialized_flow.tasks] == ["shift-1", "x"]
        assert row.serialized_flow.storage.type == "Pickle"

    def test_unchanged_flow_keeps_its_id_and_version(self, client, project, name):
        first = build(name).register(project_name=project, no_url=True)
        again = build(name).register(project_name=project, no_url=True)
        assert again == first
        assert versions(client, first) == [(first, 1, False)]

    def test_changed_code_is_a_new_version_and_archives_the_old(self, client, project, name):
        first = build(name, offset=1).register(project_name=project, no_url=True)
        second = build(name, offset=2).register(project_name=project, no_url=True)
        assert second != first
        assert versions(client, first) == [(first, 1, True), (second, 2, False)]
        assert client.get_flow(second).run(x=1).result  # the new code is what runs
        flow = client.get_flow(second)
        assert flow.run(x=1).result[flow.get_tasks(name="shift")[0]].result == 3
        # going back to the first code is a change too: a third version
        third = build(name, offset=1).register(project_name=project, no_url=True)
        assert [v for _, v, archived in versions(client, first) if not archived] == [3]
        assert third not in (first, second)

    def test_changed_labels_are_a_new_version(self, client, project, name):
        first = build(name).register(project_name=project, labels=["a"], no_url=True)
        second = build(name).register(project_name=project, labels=["a", "b"], no_url=True)
        assert second != first and stored(client, second).labels == ["a", "b"]

    def test_an_explicit_idempotency_key_keeps_the_version(self, client, project, name):
        first = build(name, offset=1).register(project_name=project, idempotency_key="v1", no_url=True)
        assert build(name, offset=5).register(project_name=project, idempotency_key="v1", no_url=True) == first

    def test_missing_project_says_how_to_create_it(self, name):
        with pytest.raises(ValueError) as info:
            build(name).register(project_name="no-such-project")
        assert str(info.value) == (
            "Project no-such-project not found. Run `prefect-jupyter create project "
            "'no-such-project'` to create it."
        )

    def test_version_group_id_joins_another_group(self, client, project, name):
        first = build(name).register(project_name=project, no_url=True)
        group = stored(client, first).version_group_id
        other = build(f"{name}-renamed", offset=9).register(
            project_name=project, version_group_id=group, no_url=True
        )
        assert stored(client, other).version_group_id == group
        assert versions(client, first) == [(first, 1, True), (other, 2, False)]

    def test_schedule_is_stored_and_can_stay_inactive(self, client, project, name):
        flow = build(name)
        flow.schedule = Schedule(clocks=[CronClock("0 9 * * *", parameter_defaults={"x": 2})],
                                 filters=[filters.is_weekday])
        flow_id = flow.register(project_name=project, set_schedule_active=False, no_url=True)
        row = stored(client, flow_id)
        assert row.is_schedule_active is False
        assert schedule_from_dict(row.schedule.to_dict()).next(5) == flow.schedule.next(5)

    def test_build_false_registers_metadata_only(self, client, project, name):
        flow_id = build(name).register(project_name=project, build=False, no_url=True)
        assert stored(client, flow_id).serialized_flow.storage is None
        with pytest.raises(FlowLoadError, match="registered without its code"):
            client.get_flow(flow_id)

    def test_uncompressed_registration(self, client, project, name):
        flow_id = client.register(build(name), project_name=project, compressed=False, no_url=True)
        assert client.get_flow(flow_id).name == name

    def test_load_registered(self, project, name):
        flow_id = build(name).register(project_name=project, no_url=True)
        flow = Flow.load_registered(flow_id)
        assert flow.run(x=10).result[flow.get_tasks(name="shift")[0]].result == 11


SCRIPT = textwrap.dedent(
    """
    import sys
    from prefect_jupyter import Flow, Parameter, task

    @task
    def greet(name):
        return "GREETING, " + name

    with Flow(sys.argv[1]) as flow:
        greet(Parameter("name", default="world"))

    flow_id = flow.register(project_name=sys.argv[2], labels=["script"])
    print("REGISTERED", flow_id)
    """
)

RUN_REGISTERED = textwrap.dedent(
    """
    import json, sys
    from prefect_jupyter.client import Client
    flow = Client().get_flow(sys.argv[1])
    state = flow.run(name="Ada")
    print(json.dumps({"state": type(state).__name__,
                      "result": state.result[flow.get_tasks(name="greet")[0]].result}))
    """
)


@pytest.mark.slow  # four Python processes
def test_register_from_a_script_then_change_it(server, client, project, name, tmp_path):
    env = {**os.environ, "PREFECT_JUPYTER__CLOUD__GRAPHQL": server.graphql_url}

    def register(code: str) -> str:
        script = tmp_path / "my_flow.py"
        script.write_text(code)
        out = subprocess.run([sys.executable, str(script), name, project], capture_output=True,
                             text=True, env=env, cwd=tmp_path, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "Flow URL: http://127.0.0.1:8080/flow/" in out.stdout
        return out.stdout.split("REGISTERED ")[1].strip()

    first = register(SCRIPT)
    assert register(SCRIPT) == first  # unchanged: same id and version
    second = register(SCRIPT.replace('"GREETING, "', '"Hello, "'))
    assert versions(client, first) == [(first, 1, True), (second, 2, False)]

    (tmp_path / "my_flow.py").unlink()
    out = subprocess.run([sys.executable, "-c", RUN_REGISTERED, second], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"state": "Success", "result": "Hello, Ada"}


def test_registered_schedule_with_a_required_parameter_default(use_server, project, name):
    @task
    def echo(x):
        return x

    clock = CronClock("0 * * * *", parameter_defaults={"x": 1})
    with Flow(name, schedule=Schedule(clocks=[clock])) as flow:
        echo(Parameter("x"))
    assert flow.register(project_name=project, no_url=True)
