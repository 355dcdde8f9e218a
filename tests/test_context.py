"""Tests for prefect_jupyter.context."""

import pickle
import threading

import pytest

from prefect_jupyter.configuration import Config, config
from prefect_jupyter.context import Context, context
from prefect_jupyter.utilities.configuration import set_temporary_config


def run_in_thread(fn):
    result = []
    errors = []

    def target():
        try:
            result.append(fn())
        except BaseException as exc:  # surfaced in the test thread below
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


class TestInitialContents:
    def test_config_is_the_shared_config_object(self):
        assert context.config is config

    def test_secrets_from_config(self):
        assert context.secrets is config.context.secrets

    def test_new_context_takes_config_context_keys(self):
        with set_temporary_config({"context.answer": 42, "context.secrets.TOKEN": "t"}):
            ctx = Context()
            assert ctx.answer == 42
            assert ctx.secrets.TOKEN == "t"

    def test_explicit_arguments(self):
        ctx = Context({"a": 1}, b=2)
        assert ctx.a == 1
        assert ctx.b == 2
        assert ctx.config is config

    def test_explicit_config_is_merged_over_global(self):
        ctx = Context(config={"logging": {"level": "DEBUG"}})
        assert ctx.config.logging.level == "DEBUG"
        assert ctx.config.logging.format == config.logging.format
        assert isinstance(ctx.config.logging, Config)
        assert config.logging.level == "INFO"


class TestAccess:
    def test_attribute_item_and_get(self):
        with context(a=1):
            assert context.a == 1
            assert context["a"] == 1
            assert context.get("a") == 1
        assert context.get("a") is None
        assert context.get("a", "default") == "default"
        with pytest.raises(AttributeError):
            context.a  # noqa: B018
        with pytest.raises(KeyError):
            context["a"]

    def test_to_dict(self):
        with context(a=1, nested={"b": 2}):
            as_dict = context.to_dict()
        assert type(as_dict) is dict
        assert as_dict["a"] == 1
        assert as_dict["nested"] == {"b": 2}
        assert type(as_dict["config"]) is dict
        assert as_dict["config"]["logging"]["level"] == "INFO"

    def test_repr(self):
        assert repr(context) == "<Context>"

    def test_the_context_pickles_as_a_reference_to_each_process_own_context(self):
        # a task function using `context` can be shipped to a worker process
        assert pickle.loads(pickle.dumps(context)) is context

    def test_other_contexts_cannot_be_pickled(self):
        from prefect_jupyter.context import Context

        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(Context(a=1))


class TestOverlay:
    def test_kwargs_and_mapping(self):
        with context({"a": 1, "b": 1}, b=2) as ctx:
            assert ctx is context
            assert context.a == 1
            assert context.b == 2
        assert "a" not in context and "b" not in context

    def test_changed_keys_are_restored(self):
        with context(a=1):
            with context(a=2, b=3):
                assert context.a == 2
            assert context.a == 1
            assert "b" not in context

    def test_keys_set_directly_inside_block_are_removed(self):
        with context(a=1):
            context.added = "x"
            context["a"] = 99
            del context["secrets"]
        assert "added" not in context
        assert "a" not in context
        assert context.secrets is config.context.secrets

    def test_restored_when_block_raises(self):
        with pytest.raises(ValueError):
            with context(a=1):
                raise ValueError
        assert "a" not in context

    def test_config_overlay_is_merged_and_leaves_global_alone(self):
        with context(config={"flows": {"checkpointing": True}}):
            assert context.config.flows.checkpointing is True
            assert context.config.flows.run_on_schedule is True
            assert context.config is not config
            assert config.flows.checkpointing is False
        assert context.config is config

    def test_nested_config_overlays_stack(self):
        with context(config={"a": {"x": 1}}):
            with context(config={"a": {"y": 2}}):
                assert context.config.a.to_dict() == {"x": 1, "y": 2}
            assert context.config.a.to_dict() == {"x": 1}

    def test_non_string_key_rejected(self):
        with pytest.raises(TypeError, match="must be strings"):
            with context({1: "x"}):
                pass  # pragma: no cover

    def test_overlay_from_another_context_instance(self):
        other = Context(a=1)
        with other(b=2):
            assert other.b == 2
            assert "b" not in context
        assert "b" not in other
        assert other.a == 1


class TestThreads:
    def test_threads_see_their_own_contents(self):
        with context(a="main"):
            assert run_in_thread(lambda: context.get("a")) is None
            assert context.a == "main"

    def test_new_thread_starts_from_config_defaults(self):
        def contents():
            return sorted(context.keys()), context.config is config

        with context(a=1):
            keys, same_config = run_in_thread(contents)
        assert keys == sorted({*config.context.keys(), "config"})
        assert same_config

    def test_overlay_in_thread_does_not_leak(self):
        barrier = threading.Barrier(2)
        seen = {}

        def worker(name):
            with context(who=name):
                barrier.wait()  # both threads are inside their overlay at the same time
                seen[name] = context.who
            seen[name + "-after"] = context.get("who")

        threads = [threading.Thread(target=worker, args=(n,)) for n in ("t1", "t2")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert seen == {"t1": "t1", "t2": "t2", "t1-after": None, "t2-after": None}
        assert "who" not in context

    def test_thread_sees_config_context_at_first_use(self):
        with set_temporary_config({"context.flag": "on"}):
            assert run_in_thread(lambda: context.get("flag")) == "on"


def test_overlaying_the_current_config_keeps_its_identity():
    with context(config=config):
        assert context.config is config


def test_config_overlay_over_a_plain_dict_config():
    # a snapshot taken with to_dict() and restored with update() leaves a plain dict behind
    with context():
        context.update(config=config.to_dict())
        with context(config={"flows": {"checkpointing": True}}):
            assert context.config.flows.checkpointing is True
            assert context.config.logging.level == "INFO"
