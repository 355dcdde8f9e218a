"""prefect_jupyter.utilities.diagnostics: a bug report's facts, without values or secrets."""

import json
import platform

import prefect_jupyter
from prefect_jupyter import Flow, task
from prefect_jupyter.configuration import DEFAULT_CONFIG, USER_CONFIG_ENV_VAR, load_toml
from prefect_jupyter.engine.results import PrefectResult
from prefect_jupyter.run_configs import LocalRun
from prefect_jupyter.schedules import Schedule
from prefect_jupyter.storage import Local
from prefect_jupyter.utilities import diagnostics


def write_user_config(tmp_path, monkeypatch, text):
    path = tmp_path / "config.toml"
    path.write_text(text)
    monkeypatch.setenv(USER_CONFIG_ENV_VAR, str(path))


def test_only_keys_that_differ_from_the_defaults_are_reported_and_never_their_values(tmp_path, monkeypatch):
    defaults = load_toml(DEFAULT_CONFIG)
    write_user_config(
        tmp_path, monkeypatch,
        f'debug = true\nbackend = "{defaults["backend"]}"\n[logging]\nlevel = "DEBUG"\n'
        '[secrets]\nDB_PASSWORD = "hunter2"\n',
    )
    overrides = diagnostics.config_overrides()["config_overrides"]
    assert overrides == {"debug": True, "logging": {"level": True}, "secrets": False}
    named = diagnostics.config_overrides(include_secret_names=True)["config_overrides"]
    assert named["secrets"] == {"DB_PASSWORD": True}
    assert "hunter2" not in json.dumps(named)


def test_no_user_config_means_no_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv(USER_CONFIG_ENV_VAR, str(tmp_path / "missing.toml"))
    assert diagnostics.config_overrides() == {"config_overrides": {}}


def test_environment_variables_are_listed_by_name(monkeypatch):
    monkeypatch.setenv("PREFECT_JUPYTER__LOGGING__LEVEL", "DEBUG")
    monkeypatch.setenv("PREFECT__LOGGING__LEVEL", "INFO")
    monkeypatch.setenv("OTHER__THING", "x")
    names = diagnostics.environment_variables()["env_vars"]
    assert {"PREFECT_JUPYTER__LOGGING__LEVEL", "PREFECT__LOGGING__LEVEL"} <= set(names)
    assert "OTHER__THING" not in names


def test_a_report_with_a_flow(tmp_path, monkeypatch):
    monkeypatch.setenv(USER_CONFIG_ENV_VAR, str(tmp_path / "missing.toml"))

    @task
    def one():
        return 1

    flow = Flow(
        "report", tasks=[one], storage=Local(directory=str(tmp_path)), run_config=LocalRun(labels=["x"]),
        schedule=Schedule(clocks=[]), result=PrefectResult(),
    )
    report = json.loads(diagnostics.diagnostic_info(flow))
    info = report["flow_information"]
    assert info["task_count"] == 1 and info["environment"] is False
    assert info["run_config"] == {"type": "LocalRun", "env": False, "labels": True, "working_dir": False}
    assert info["storage"]["type"] == "Local" and info["storage"]["directory"] is True
    assert info["result"]["type"] == "PrefectResult"
    assert info["schedule"]["type"] == "Schedule"
    assert report["system_information"]["prefect_version"] == prefect_jupyter.__version__
    assert report["system_information"]["python_version"] == platform.python_version()
    assert report["config_overrides"] == {}
    assert "flow_information" not in json.loads(diagnostics.diagnostic_info())
