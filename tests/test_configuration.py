"""Tests for prefect_jupyter.configuration: loading, merging, env vars, interpolation."""

import datetime
import os
import subprocess
import sys
import textwrap

import pytest

from prefect_jupyter import configuration
from prefect_jupyter.configuration import (
    DEFAULT_CONFIG,
    Config,
    ConfigurationError,
    load_configuration,
    load_default_config,
    process_task_defaults,
    string_to_type,
    to_environment_variables,
)

PREFIX = "PJ_TEST"  # a private env var prefix keeps the real environment out of these tests


def write(path, text):
    path.write_text(textwrap.dedent(text))
    return str(path)


@pytest.fixture
def base_toml(tmp_path):
    return write(
        tmp_path / "base.toml",
        """
        debug = false
        name = "base"

        [section]
        number = 1
        text = "hello"
        nested_ref = "${section.text} world"

            [section.sub]
            flag = true

        [empty]
        """,
    )


class TestDefaults:
    def test_top_level_keys(self):
        config = configuration.config
        assert config.debug is False
        assert config.backend == "server"
        assert config.home_dir == os.path.expanduser("~/.prefect_jupyter")

    def test_flows(self):
        flows = configuration.config.flows
        assert flows.eager_edge_validation is False
        assert flows.run_on_schedule is True
        assert flows.checkpointing is False
        assert isinstance(flows.defaults, Config)

    def test_task_defaults_are_normalised(self):
        defaults = configuration.config.tasks.defaults
        assert defaults.max_retries == 0
        assert defaults.retry_delay is None
        assert defaults.timeout is None

    def test_logging(self):
        logging = configuration.config.logging
        assert logging.level == "INFO"
        assert logging.format == "[%(asctime)s] %(levelname)s - %(name)s | %(message)s"
        assert logging.datefmt == "%Y-%m-%d %H:%M:%S%z"
        assert logging.log_attributes == []
        assert logging.extra_loggers == []

    def test_context_sections_exist_even_when_empty(self):
        assert isinstance(configuration.config.context, Config)
        assert isinstance(configuration.config.context.secrets, Config)

    def test_engine_classes(self):
        engine = configuration.config.engine
        assert engine.executor.default_class == "prefect_jupyter.executors.LocalExecutor"
        assert engine.flow_runner.default_class == "prefect_jupyter.engine.flow_runner.FlowRunner"
        assert engine.task_runner.default_class == "prefect_jupyter.engine.task_runner.TaskRunner"

    def test_server_endpoint_is_interpolated(self):
        server = configuration.config.server
        assert server.host == "http://127.0.0.1"
        assert server.port == 4200
        assert server.endpoint == "http://127.0.0.1:4200"
        assert server.ui.port == 8080

    def test_nested_reference_follows_backend(self):
        assert configuration.config.cloud.api == configuration.config.server.endpoint

    def test_packaged_file_exists(self):
        assert os.path.isfile(DEFAULT_CONFIG)


class TestStringToType:
    @pytest.mark.parametrize(
        "text, expected",
        [
            ("true", True),
            ("TRUE", True),
            ("False", False),
            ("1", 1),
            ("-3", -3),
            ("1.5", 1.5),
            ("1e3", 1000.0),
            ("[1, 'a']", [1, "a"]),
            ("{'a': 1}", {"a": 1}),
            ("(1, 2)", (1, 2)),
            ("None", None),
            ("'quoted'", "quoted"),
            ("INFO", "INFO"),
            ("http://localhost", "http://localhost"),
            ("[%(asctime)s] %(message)s", "[%(asctime)s] %(message)s"),
            ("nan", "nan"),
            ("", ""),
        ],
    )
    def test_casts(self, text, expected):
        assert string_to_type(text) == expected
        assert type(string_to_type(text)) is type(expected)


class TestLoadConfiguration:
    def test_loads_file(self, base_toml):
        config = load_configuration(base_toml, env_var_prefix=None)
        assert isinstance(config, Config)
        assert config.name == "base"
        assert config.section.number == 1
        assert config.section.sub.flag is True
        assert isinstance(config.section.sub, Config)

    def test_empty_section_kept(self, base_toml):
        config = load_configuration(base_toml, env_var_prefix=None)
        assert config.empty == Config()

    def test_user_config_merges_recursively(self, base_toml, tmp_path):
        user = write(
            tmp_path / "user.toml",
            """
            [section]
            number = 2
            [section.sub]
            other = "x"
            """,
        )
        config = load_configuration(base_toml, user_config_path=user, env_var_prefix=None)
        assert config.section.number == 2
        assert config.section.text == "hello"  # untouched keys survive
        assert config.section.sub.flag is True
        assert config.section.sub.other == "x"

    def test_missing_user_config_is_fine(self, base_toml, tmp_path):
        missing = str(tmp_path / "nope" / "config.toml")
        config = load_configuration(base_toml, user_config_path=missing, env_var_prefix=None)
        assert config.name == "base"

    def test_user_config_path_expands_env_vars(self, base_toml, tmp_path, monkeypatch):
        write(tmp_path / "user.toml", 'name = "from user"\n')
        monkeypatch.setenv("PJ_TEST_DIR", str(tmp_path))
        config = load_configuration(base_toml, "$PJ_TEST_DIR/user.toml", env_var_prefix=None)
        assert config.name == "from user"

    def test_malformed_user_config_names_file_and_line(self, base_toml, tmp_path):
        user = write(tmp_path / "user.toml", '[logging]\nlevel = "DEBUG"\nformat = oops\n')
        with pytest.raises(ConfigurationError) as info:
            load_configuration(base_toml, user_config_path=user, env_var_prefix=None)
        message = str(info.value)
        assert user in message
        assert "line 3" in message
        assert "PREFECT_JUPYTER__USER_CONFIG_PATH" in message
        assert isinstance(info.value, ValueError)

    def test_key_shadowing_a_method_is_rejected(self, tmp_path):
        path = write(tmp_path / "bad.toml", "[section]\ncopy = 1\n")
        with pytest.raises(ConfigurationError, match="'section.copy'"):
            load_configuration(path, env_var_prefix=None)


class TestInterpolation:
    def test_partial_reference_is_string(self, base_toml):
        config = load_configuration(base_toml, env_var_prefix=None)
        assert config.section.nested_ref == "hello world"

    def test_full_reference_keeps_type(self, tmp_path):
        path = write(tmp_path / "c.toml", 'a = 5\nb = "${a}"\n')
        assert load_configuration(path, env_var_prefix=None).b == 5

    def test_nested_and_chained_references(self, tmp_path):
        path = write(
            tmp_path / "c.toml",
            """
            backend = "server"
            api = "${${backend}.endpoint}/graphql"
            [server]
            endpoint = "${server.host}:1"
            host = "h"
            """,
        )
        assert load_configuration(path, env_var_prefix=None).api == "h:1/graphql"

    def test_unknown_reference_becomes_empty(self, tmp_path):
        path = write(tmp_path / "c.toml", 'a = "x${nope.key}y"\n')
        assert load_configuration(path, env_var_prefix=None).a == "xy"

    def test_reference_cycle_terminates(self, tmp_path):
        path = write(tmp_path / "c.toml", 'a = "${b}"\nb = "${a}"\n')
        config = load_configuration(path, env_var_prefix=None)
        assert set(config) == {"a", "b"}

    def test_user_and_env_vars_expanded(self, tmp_path, monkeypatch):
        monkeypatch.setenv("PJ_TEST_VALUE", "expanded")
        path = write(tmp_path / "c.toml", 'home = "~/x"\nvar = "$PJ_TEST_VALUE/y"\n')
        config = load_configuration(path, env_var_prefix=None)
        assert config.home == os.path.expanduser("~/x")
        assert config.var == "expanded/y"

    def test_string_values_in_files_are_cast(self, tmp_path):
        path = write(tmp_path / "c.toml", 'port = "4200"\nlabels = "[1, 2]"\nflag = "TRUE"\n')
        config = load_configuration(path, env_var_prefix=None)
        assert config.port == 4200
        assert config.labels == [1, 2]
        assert config.flag is True

    def test_reference_to_env_overridden_value(self, base_toml, monkeypatch):
        monkeypatch.setenv(f"{PREFIX}__SECTION__TEXT", "bye")
        config = load_configuration(base_toml, env_var_prefix=PREFIX)
        assert config.section.nested_ref == "bye world"


class TestEnvVars:
    def test_override_is_lower_cased_and_cast(self, base_toml, monkeypatch):
        monkeypatch.setenv(f"{PREFIX}__SECTION__NUMBER", "42")
        monkeypatch.setenv(f"{PREFIX}__SECTION__SUB__FLAG", "false")
        config = load_configuration(base_toml, env_var_prefix=PREFIX)
        assert config.section.number == 42
        assert config.section.sub.flag is False

    @pytest.mark.parametrize(
        "raw, expected",
        [
            ("1.5", 1.5),
            ("[1, 2]", [1, 2]),
            ("{'a': 1}", {"a": 1}),
            ("True", True),
            ("DEBUG", "DEBUG"),
            ('"5"', "5"),  # quoting keeps a string (Prefect 1 cast twice and gave 5)
        ],
    )
    def test_value_casting(self, base_toml, monkeypatch, raw, expected):
        monkeypatch.setenv(f"{PREFIX}__SECTION__VALUE", raw)
        assert load_configuration(base_toml, env_var_prefix=PREFIX).section.value == expected

    def test_new_sections_are_created(self, base_toml, monkeypatch):
        monkeypatch.setenv(f"{PREFIX}__BRAND__NEW__KEY", "v")
        monkeypatch.setenv(f"{PREFIX}__TOP", "1")
        config = load_configuration(base_toml, env_var_prefix=PREFIX)
        assert config.brand.new.key == "v"
        assert isinstance(config.brand.new, Config)
        assert config.top == 1

    def test_secrets_keep_their_case(self, base_toml, monkeypatch):
        monkeypatch.setenv(f"{PREFIX}__CONTEXT__SECRETS__MyToken", "abc")
        monkeypatch.setenv(f"{PREFIX}__Context__Secrets__OTHER", "def")
        config = load_configuration(base_toml, env_var_prefix=PREFIX)
        assert config.context.secrets.MyToken == "abc"
        assert config.context.secrets.OTHER == "def"

    def test_env_wins_over_user_file(self, base_toml, tmp_path, monkeypatch):
        user = write(tmp_path / "user.toml", 'name = "user"\n')
        monkeypatch.setenv(f"{PREFIX}__NAME", "env")
        assert load_configuration(base_toml, user, env_var_prefix=PREFIX).name == "env"

    def test_env_value_expands_variables(self, base_toml, monkeypatch):
        monkeypatch.setenv("PJ_TEST_INNER", "inner")
        monkeypatch.setenv(f"{PREFIX}__NAME", "$PJ_TEST_INNER-value")
        assert load_configuration(base_toml, env_var_prefix=PREFIX).name == "inner-value"

    def test_other_prefixes_and_empty_parts_ignored(self, base_toml, monkeypatch):
        monkeypatch.setenv(f"{PREFIX}X__NAME", "no")
        monkeypatch.setenv(f"{PREFIX}__SECTION____NUMBER", "no")
        config = load_configuration(base_toml, env_var_prefix=PREFIX)
        assert config.name == "base"
        assert config.section.number == 1

    def test_no_prefix_means_no_env_overrides(self, base_toml, monkeypatch):
        monkeypatch.setenv(f"{PREFIX}__NAME", "env")
        assert load_configuration(base_toml, env_var_prefix=None).name == "base"


class TestDefaultConfigLoading:
    def test_reads_user_file_and_env(self, tmp_path, monkeypatch):
        user = write(tmp_path / "config.toml", '[logging]\nlevel = "DEBUG"\n[flows]\nx = 1\n')
        monkeypatch.setenv("PREFECT_JUPYTER__USER_CONFIG_PATH", user)
        monkeypatch.setenv("PREFECT_JUPYTER__FLOWS__CHECKPOINTING", "true")
        monkeypatch.setenv("PREFECT_JUPYTER__TASKS__DEFAULTS__RETRY_DELAY", "30")
        config = load_default_config()
        assert config.logging.level == "DEBUG"
        assert config.flows.x == 1
        assert config.flows.checkpointing is True
        assert config.flows.run_on_schedule is True
        assert config.tasks.defaults.retry_delay == datetime.timedelta(seconds=30)

    def test_loaded_at_import(self, tmp_path):
        user = write(tmp_path / "config.toml", "[server]\nport = 9999\n")
        env = {**os.environ, "PREFECT_JUPYTER__USER_CONFIG_PATH": user}
        env["PREFECT_JUPYTER__LOGGING__LEVEL"] = "WARNING"
        code = (
            "from prefect_jupyter.configuration import config\n"
            "print(config.server.endpoint, config.logging.level)"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        assert out.stdout.split() == ["http://127.0.0.1:9999", "WARNING"]

    def test_malformed_user_file_fails_import_with_clear_error(self, tmp_path):
        user = write(tmp_path / "config.toml", "[logging\n")
        env = {**os.environ, "PREFECT_JUPYTER__USER_CONFIG_PATH": user}
        out = subprocess.run(
            [sys.executable, "-c", "import prefect_jupyter.configuration"],
            env=env,
            capture_output=True,
            text=True,
        )
        assert out.returncode != 0
        assert "ConfigurationError" in out.stderr
        assert user in out.stderr
        assert "line 1" in out.stderr


class TestProcessTaskDefaults:
    def test_false_values(self):
        config = Config(tasks=Config(defaults=Config(max_retries=False, retry_delay=False)))
        defaults = process_task_defaults(config).tasks.defaults
        assert defaults.max_retries == 0
        assert defaults.retry_delay is None
        assert defaults.timeout is None

    def test_numbers(self):
        config = Config(tasks=Config(defaults=Config(max_retries=3, retry_delay=5, timeout=10)))
        defaults = process_task_defaults(config).tasks.defaults
        assert defaults.max_retries == 3
        assert defaults.retry_delay == datetime.timedelta(seconds=5)
        assert defaults.timeout == 10

    def test_missing_section_created(self):
        defaults = process_task_defaults(Config()).tasks.defaults
        assert defaults.to_dict() == {"max_retries": 0, "retry_delay": None, "timeout": None}


class TestConfigObject:
    def test_copy_is_recursive(self):
        config = Config(a=Config(b=Config(c=1)), items=[1])
        copy = config.copy()
        copy.a.b.c = 2
        assert config.a.b.c == 1
        assert copy["items"] is config["items"]  # leaf values are shared

    def test_to_environment_variables(self):
        config = Config(logging=Config(level="DEBUG"), flows=Config(checkpointing=True))
        assert to_environment_variables(config) == {
            "PREFECT_JUPYTER__LOGGING__LEVEL": "DEBUG",
            "PREFECT_JUPYTER__FLOWS__CHECKPOINTING": "True",
        }
        assert to_environment_variables(config, include=["logging.level"], prefix="X") == {
            "X__LOGGING__LEVEL": "DEBUG"
        }

    def test_environment_variables_round_trip(self, base_toml, monkeypatch):
        config = Config(section=Config(number=7, text="bye"))
        for name, value in to_environment_variables(config, prefix=PREFIX).items():
            monkeypatch.setenv(name, value)
        loaded = load_configuration(base_toml, env_var_prefix=PREFIX)
        assert loaded.section.number == 7
        assert loaded.section.text == "bye"


def test_user_config_names_the_file_read_at_import():
    import prefect_jupyter.configuration as configuration

    expected = os.environ.get("PREFECT_JUPYTER__USER_CONFIG_PATH", "~/.prefect_jupyter/config.toml")
    assert configuration.USER_CONFIG == expected
