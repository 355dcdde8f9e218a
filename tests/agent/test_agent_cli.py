"""``prefect-jupyter agent local start``: options reach the agent; mistakes are named."""

from __future__ import annotations

from click.testing import CliRunner

from prefect_jupyter.cli import cli


def test_one_poll_against_a_real_server(agent_server, labels, caplog):
    result = CliRunner().invoke(cli, [
        "agent", "local", "start", "--api", agent_server.url, "--label", labels[0],
        "--label", "b", "--concurrency", "3", "--name", "cli-agent", "--max-polls", "1",
    ])
    assert result.exit_code == 0, result.output
    assert (f"Agent 'cli-agent' started, labels {sorted([labels[0], 'b'])}, concurrency 3; "
            f"polling {agent_server.graphql_url}") in caplog.text
    assert "Agent 'cli-agent' stopped." in caplog.text


def test_the_agent_registers_and_is_listed_with_its_labels(agent_server, client, labels, caplog):
    name = f"listed-{labels[0]}"
    args = ["agent", "local", "start", "--api", agent_server.url, "--label", labels[0],
            "--name", name, "--max-polls", "1"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    agents = client.graphql(
        "query($name: String) { agent(where: {name: {_eq: $name}}) "
        "{ id name type labels last_queried } }", {"name": name},
    )["data"]["agent"]
    assert len(agents) == 1
    assert agents[0]["type"] == "LocalAgent" and agents[0]["labels"] == labels
    assert agents[0]["last_queried"] is not None
    assert f"Registered with the server as agent {agents[0]['id']}" in caplog.text
    # registering again (a restarted agent) keeps the id
    assert CliRunner().invoke(cli, args).exit_code == 0
    again = client.graphql("query($name: String) { agent(where: {name: {_eq: $name}}) { id } }",
                           {"name": name})["data"]["agent"]
    assert again == [{"id": agents[0]["id"]}]


def test_an_env_option_without_a_value_is_named():
    result = CliRunner().invoke(cli, ["agent", "local", "start", "--env", "NOVALUE"])
    assert result.exit_code == 2
    assert "'NOVALUE' is not KEY=VALUE" in result.output


def test_a_concurrency_below_one_is_refused():
    result = CliRunner().invoke(cli, ["agent", "local", "start", "--concurrency", "0"])
    assert result.exit_code == 2
    assert "--concurrency" in result.output
