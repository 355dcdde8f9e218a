"""prefect_jupyter.utilities.agent: what an agent reads from a flow run."""

from click.testing import CliRunner

from prefect_jupyter.cli.main import cli
from prefect_jupyter.run_configs import LocalRun
from prefect_jupyter.storage import Docker, Local
from prefect_jupyter.utilities.agent import get_flow_image, get_flow_run_command
from prefect_jupyter.utilities.graphql import GraphQLResult


def flow_run(storage, run_config=None, core_version=None):
    if run_config is not None and not isinstance(run_config, dict):
        run_config = run_config.serialize()
    return GraphQLResult({
        "id": "run-1",
        "run_config": run_config,
        "flow": {"id": "flow-1", "storage": storage.serialize(), "core_version": core_version},
    })


def test_the_image_comes_from_the_run_config_then_docker_storage_then_the_default():
    docker = Docker(registry_url="reg", image_name="img", image_tag="t")
    assert get_flow_image(flow_run(docker, {"type": "DockerRun", "image": "org/run:1"})) == "org/run:1"
    assert get_flow_image(flow_run(docker, LocalRun())) == "reg/img:t"
    assert get_flow_image(flow_run(Local(), LocalRun()), default="mine:2") == "mine:2"
    assert get_flow_image(flow_run(Local(), core_version="1.4.1+3.gabc")) == "prefecthq/prefect:1.4.1"
    assert get_flow_image(flow_run(Local())) == "prefecthq/prefect:latest"


def test_the_flow_run_command_is_this_packages_and_it_exists():
    command = get_flow_run_command(flow_run(Local(), core_version="1.4.1"))
    assert command == "prefect-jupyter execute flow-run"
    shown = CliRunner().invoke(cli, [*command.split()[1:], "--help"])
    assert shown.exit_code == 0
    assert "--id" in shown.output
