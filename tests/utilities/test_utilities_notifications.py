"""prefect_jupyter.utilities.notifications: snowflake_logger (Snowflake itself can't run here, so a
stand-in connector module records what it is asked to do)."""

import sys
import types

import pytest

from prefect_jupyter import Task
from prefect_jupyter.context import context
from prefect_jupyter.engine.state import Failed, Running, Success
from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.notifications import snowflake_logger, snowflake_message_formatter


class Connection:
    made: list = []

    def __init__(self, **credentials):
        self.credentials = credentials
        self.statements = []
        self.closed = False
        Connection.made.append(self)

    def cursor(self):
        return self

    def execute(self, sql, values):
        self.statements.append((sql, values))

    def close(self):
        self.closed = True


@pytest.fixture
def connector(monkeypatch):
    package = types.ModuleType("snowflake")
    module = types.ModuleType("snowflake.connector")
    module.connect = Connection
    package.connector = module
    monkeypatch.setitem(sys.modules, "snowflake", package)
    monkeypatch.setitem(sys.modules, "snowflake.connector", module)
    Connection.made = []
    return Connection


def test_the_row_names_the_run_the_task_and_the_state():
    with context(flow_run_id="run-1", flow_name="etl"):
        row = snowflake_message_formatter(Task(name="load"), Failed("it's broken"))
    assert row == {
        "flow_id": "run-1", "flow_name": "etl", "task_name": "load", "state": "Failed",
        "message": [{"value": "it's broken"}],
    }


def test_selected_states_are_inserted_with_bound_values(connector):
    handler = snowflake_logger(only_states=[Failed], snowflake_log_table_name="TABLE_SECRET")
    secrets = {"SNOWFLAKE_CREDS": {"account": "acme", "user": "u"}, "TABLE_SECRET": "DB.S.LOG"}
    failed = Failed("it's broken")
    with set_temporary_config({"cloud.use_local_secrets": True}), context(secrets=secrets, flow_name="etl"):
        assert handler(Task(name="load"), Running(), Success()) is not None
        assert connector.made == []
        assert handler(Task(name="load"), Running(), failed) is failed
    (connection,) = connector.made
    assert connection.credentials == {"account": "acme", "user": "u"} and connection.closed
    ((sql, values),) = connection.statements
    assert sql.startswith("INSERT INTO DB.S.LOG (FLOW_ID, FLOW_NAME, TASK_NAME, STATE, MESSAGE, INGESTED_AT)")
    assert values == (None, "etl", "load", "Failed", "it's broken")


def test_without_the_connector_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "snowflake", None)
    with pytest.raises(ImportError, match="snowflake-connector-python"):
        snowflake_logger(Task(name="t"), Running(), Failed())
