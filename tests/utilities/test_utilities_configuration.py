"""Tests for prefect_jupyter.utilities.configuration.set_temporary_config."""

import threading

import pytest

from prefect_jupyter.configuration import Config, config
from prefect_jupyter.context import context
from prefect_jupyter.utilities.configuration import set_temporary_config


def test_sets_dotted_keys_and_restores():
    assert config.flows.checkpointing is False
    with set_temporary_config({"flows.checkpointing": True, "logging.level": "DEBUG"}) as cfg:
        assert cfg is config
        assert config.flows.checkpointing is True
        assert config.logging.level == "DEBUG"
    assert config.flows.checkpointing is False
    assert config.logging.level == "INFO"


def test_mutates_shared_object_in_place():
    flows = config.flows
    with set_temporary_config({"flows.checkpointing": True}):
        assert flows.checkpointing is True  # a reference taken before sees the change
    assert config.flows is flows  # and the section object survives the restore
    assert flows.checkpointing is False


def test_new_keys_and_sections_are_removed_afterwards():
    with set_temporary_config({"brand.new.key": 1, "top_level": "x"}):
        assert config.brand.new.key == 1
        assert isinstance(config.brand.new, Config)
        assert config.top_level == "x"
    assert "brand" not in config
    assert "top_level" not in config


def test_mapping_value_becomes_a_config_section():
    with set_temporary_config({"logging": {"level": "ERROR"}}):
        assert config.logging.level == "ERROR"
        assert "format" not in config.logging  # the whole section is replaced
    assert config.logging.level == "INFO"
    assert "format" in config.logging


def test_restores_when_block_raises():
    with pytest.raises(RuntimeError):
        with set_temporary_config({"flows.checkpointing": True}):
            raise RuntimeError("boom")
    assert config.flows.checkpointing is False


def test_restores_keys_changed_directly_inside_block():
    with set_temporary_config({}):
        config.flows.run_on_schedule = False
        config.flows.extra = 1
    assert config.flows.run_on_schedule is True
    assert "extra" not in config.flows


def test_nested_temporary_configs():
    with set_temporary_config({"flows.checkpointing": True}):
        with set_temporary_config({"flows.checkpointing": "inner", "debug": True}):
            assert config.flows.checkpointing == "inner"
            assert config.debug is True
        assert config.flows.checkpointing is True
        assert config.debug is False
    assert config.flows.checkpointing is False


def test_visible_through_context_config():
    with set_temporary_config({"flows.checkpointing": True}):
        assert context.config.flows.checkpointing is True


def test_visible_through_context_config_in_other_threads():
    seen = []
    with set_temporary_config({"flows.checkpointing": True}):
        thread = threading.Thread(target=lambda: seen.append(context.config.flows.checkpointing))
        thread.start()
        thread.join()
    assert seen == [True]


def test_visible_inside_a_context_config_overlay():
    with context(config={"logging": {"level": "WARNING"}}):
        with set_temporary_config({"flows.checkpointing": True}):
            assert context.config.flows.checkpointing is True
            assert context.config.logging.level == "INFO"  # the global config wins, as in Prefect 1
        assert context.config.flows.checkpointing is False
        assert context.config.logging.level == "WARNING"
    assert context.config is config
