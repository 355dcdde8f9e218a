"""PrefectSecret and EnvVarSecret: values read at run time, never stored, logged or serialized."""

from __future__ import annotations

import json
import logging

import cloudpickle
import pytest

import prefect_jupyter
from prefect_jupyter import Flow, task
from prefect_jupyter.engine.results import LocalResult, SecretResult
from prefect_jupyter.engine.state_schema import state_to_dict
from prefect_jupyter.tasks.secrets import EnvVarSecret, PrefectSecret, SecretBase
from prefect_jupyter.utilities.configuration import set_temporary_config

VALUE = "s3cr3t-value-7f1c"


@task
def length(text: str) -> int:
    return len(text)


def test_a_secret_reaches_downstream_tasks_but_no_log_state_or_result_file(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="prefect_jupyter")
    with Flow("uses a secret", result=LocalResult(dir=tmp_path)) as flow:
        secret = PrefectSecret("API_KEY")
        n = length(secret)
    with set_temporary_config({"flows.checkpointing": True}):
        with prefect_jupyter.context(secrets={"API_KEY": VALUE}):
            state = flow.run()
    assert state.result[n].result == len(VALUE)
    secret_state = state.result[secret]
    assert secret_state.result == VALUE  # in memory, for the downstream task only
    assert isinstance(secret_state._result, SecretResult)
    assert repr(secret_state._result) == "<SecretResult: 'API_KEY'>"
    assert VALUE not in caplog.text
    for task_state in state.result.values():
        assert VALUE not in json.dumps(state_to_dict(task_state))  # what the server receives
    written = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert written, "the downstream task's result was checkpointed"
    assert not any(VALUE.encode() in blob for blob in written)


def test_a_missing_secret_is_a_failed_state_naming_it():
    with Flow("missing") as flow:
        secret = PrefectSecret("NOT_SET_ANYWHERE")
        n = length(secret)
    state = flow.run()
    assert state.result[secret].is_failed()
    assert 'Local Secret "NOT_SET_ANYWHERE" was not found.' in state.result[secret].message
    assert state.result[n].is_failed()  # TriggerFailed: never ran


def test_secret_tasks_refuse_a_result_and_are_not_checkpointed():
    with pytest.raises(ValueError, match="not configurable"):
        PrefectSecret("X", result=LocalResult())
    secret = PrefectSecret("X", checkpoint=True)
    assert secret.checkpoint is False and isinstance(secret.result, SecretResult)
    assert SecretBase().run() is None
    copy = cloudpickle.loads(cloudpickle.dumps(secret))
    assert copy.name == "X" and isinstance(copy.result, SecretResult)


def test_name_at_run_time_and_json_values():
    with prefect_jupyter.context(secrets={"A": '{"user": "u"}', "B": "plain"}):
        assert PrefectSecret().run(name="A") == {"user": "u"}
        assert PrefectSecret("B").run() == "plain"
    with pytest.raises(ValueError, match="secret name must be provided"):
        PrefectSecret().run()


def test_env_var_secret(monkeypatch):
    monkeypatch.setenv("TASKS_TEST_PORT", "5432")
    monkeypatch.delenv("TASKS_TEST_MISSING", raising=False)
    assert EnvVarSecret("TASKS_TEST_PORT", cast=int).run() == 5432
    assert EnvVarSecret("TASKS_TEST_MISSING", cast=int).run() is None
    with pytest.raises(ValueError, match="Environment variable not set: TASKS_TEST_MISSING"):
        EnvVarSecret("TASKS_TEST_MISSING", raise_if_missing=True).run()
    with Flow("env") as flow:
        port = EnvVarSecret("TASKS_TEST_PORT", cast=int)()
    state = flow.run().result[port]
    assert state.result == 5432 and isinstance(state._result, SecretResult)


@task
def shout(text: str) -> str:
    return text.upper()


def test_the_widget_shows_a_secret_neither_as_a_result_nor_as_an_input():
    from prefect_jupyter.jupyter import FlowWidget

    with Flow("widget") as flow:
        secret = PrefectSecret("API_KEY")
        loud = shout(secret)
    widget = FlowWidget(flow)
    sent: list[str] = []
    widget.observe(lambda change: sent.append(json.dumps(change["new"])), names="node_details")
    with prefect_jupyter.context(secrets={"API_KEY": VALUE}):
        flow.run(observers=[widget.observe_run()])
    shown = {}
    for name, ref in (("secret", secret), ("shout", loud)):
        widget.set_state({"selected": flow.slugs[ref]})
        shown[name] = json.dumps(widget.details)
    assert VALUE not in "".join(sent) + "".join(shown.values())
    assert widget.details["inputs"][0]["value"] == "<secret: hidden>"
    assert widget.details["result"] == repr(VALUE.upper())  # a derived value is the task's own
    widget.set_state({"selected": flow.slugs[secret]})
    assert widget.details["result"] == "<secret: hidden>"
