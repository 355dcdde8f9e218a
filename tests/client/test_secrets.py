"""Local secrets: context, config and environment, as Prefect 1 read them without Cloud."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import prefect_jupyter
from prefect_jupyter import Flow, context, task
from prefect_jupyter.client import Secret
from prefect_jupyter.engine.results import SecretResult
from prefect_jupyter.utilities.configuration import set_temporary_config


def test_value_from_context_is_parsed_as_json_where_it_is_json() -> None:
    with context(secrets={"DICT": '{"a": [1, 2]}', "NUM": "42", "TEXT": "hunter2"}):
        assert Secret("DICT").get() == {"a": [1, 2]}
        assert Secret("NUM").get() == 42
        assert Secret("TEXT").get() == "hunter2"


def test_missing_local_secret_raises_prefect_1s_error() -> None:
    with context(secrets={}), pytest.raises(ValueError) as info:
        Secret("NOPE").get()
    assert str(info.value) == 'Local Secret "NOPE" was not found.'


def test_backend_server_never_asks_the_server_even_without_local_secrets() -> None:
    with set_temporary_config({"cloud.use_local_secrets": False, "backend": "server"}):
        with pytest.raises(ValueError, match='Local Secret "X" was not found'):
            Secret("X").get()


def test_exists() -> None:
    with context(secrets={"THERE": "1"}):
        assert Secret("THERE").exists()
        assert not Secret("ABSENT").exists()


def test_reading_a_secret_while_building_a_flow_is_refused() -> None:
    with context(secrets={"A": "1"}), Flow("f"):
        with pytest.raises(ValueError, match="only be retrieved during a Flow run"):
            Secret("A").get()


def test_a_task_reads_the_secret_during_the_run() -> None:
    @task
    def read() -> object:
        return Secret("TOKEN").get()

    with Flow("f") as flow:
        value = read()
    with context(secrets={"TOKEN": "s3cr3t"}):
        state = flow.run()
    assert state.result[value].result == "s3cr3t"


def test_environment_variable_and_config_file_fill_context_secrets(tmp_path) -> None:
    user_config = tmp_path / "config.toml"
    user_config.write_text('[context.secrets]\nFROM_FILE = "file-value"\n')
    env = dict(
        os.environ,
        PREFECT_JUPYTER__USER_CONFIG_PATH=str(user_config),
        PREFECT_JUPYTER__CONTEXT__SECRETS__FromEnv="env-value",
    )
    code = (
        "from prefect_jupyter.client import Secret\n"
        "print(Secret('FromEnv').get(), Secret('FROM_FILE').get())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["env-value", "file-value"]


def test_secret_result_reads_by_running_the_task_again_and_refuses_writes() -> None:
    class FakeSecretTask:
        name = "API_KEY"

        def run(self, name: str) -> object:
            return Secret(name).get()

    result = SecretResult(FakeSecretTask())
    assert result.location == "API_KEY"
    with context(secrets={"API_KEY": "k"}):
        assert result.read("API_KEY").value == "k"
    with pytest.raises(ValueError, match="cannot be written"):
        result.write("v")
    with pytest.raises(ValueError, match="serializer"):
        SecretResult(FakeSecretTask(), serializer=object())


def test_module_paths() -> None:
    import prefect_jupyter.client.secrets as secrets_module

    assert prefect_jupyter.client.Secret is secrets_module.Secret
