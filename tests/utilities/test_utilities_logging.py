"""Tests for prefect_jupyter.utilities.logging."""

import logging
import os
import sys
import threading

import pytest

from prefect_jupyter.configuration import config
from prefect_jupyter.context import context
from prefect_jupyter.utilities import logging as pj_logging
from prefect_jupyter.utilities.configuration import set_temporary_config
from prefect_jupyter.utilities.console_log import StderrHandler
from prefect_jupyter.utilities.logging import (
    ContextFilter,
    configure_logging,
    get_logger,
    redirect_stdout_to_logger,
)


def our_handlers(logger):
    return [h for h in logger.handlers if isinstance(h, StderrHandler)]


@pytest.fixture
def test_logger():
    """The separate test logger, reset afterwards so tests cannot affect each other."""
    yield configure_logging(testing=True)
    logger = logging.getLogger(pj_logging.TEST_LOGGER_NAME)
    for handler in our_handlers(logger):
        logger.removeHandler(handler)


@pytest.fixture
def restore_logging():
    """Re-apply the global configuration after a test that reconfigured real loggers."""
    yield
    configure_logging()


def messages(caplog, name=None):
    return [r.getMessage() for r in caplog.records if name is None or r.name == name]


class TestLoggers:
    def test_root_logger(self):
        logger = get_logger()
        assert logger.name == "prefect_jupyter"
        assert logger is logging.getLogger("prefect_jupyter")

    def test_child_logger(self):
        logger = get_logger("TaskRunner")
        assert logger.name == "prefect_jupyter.TaskRunner"
        assert logger.parent is get_logger()
        assert not logger.handlers

    def test_root_configured_once_from_config(self):
        logger = get_logger()
        assert len(our_handlers(logger)) == 1
        assert logger.level == logging.INFO
        assert logger.propagate is True  # as in Prefect 1: the application may collect records

    def test_handler_format_from_config(self):
        (handler,) = our_handlers(get_logger())
        assert handler.formatter._fmt == config.logging.format
        assert handler.formatter.datefmt == config.logging.datefmt

    def test_context_logger_set_at_import(self):
        assert context.logger is get_logger()

    def test_reconfiguring_does_not_duplicate_handlers(self, restore_logging):
        configure_logging()
        configure_logging()
        assert len(our_handlers(get_logger())) == 1

    def test_child_records_reach_stderr_formatted(self, capsys):
        get_logger("unit").warning("hello %s", "there")
        err = capsys.readouterr().err
        assert "WARNING - prefect_jupyter.unit | hello there" in err
        assert err.startswith("[")

    def test_records_below_level_are_dropped(self, capsys):
        get_logger("unit").debug("quiet")
        assert "quiet" not in capsys.readouterr().err

    def test_the_console_level_drops_lines_below_it_on_stderr_only(self, capsys, caplog,
                                                                   restore_logging):
        pj_logging.set_console_level("warning")
        get_logger("unit").info("kept for the server")
        get_logger("unit").warning("shown")
        err = capsys.readouterr().err
        assert "kept for the server" not in err and "shown" in err
        # the logger's own level is unchanged: the record still reaches other handlers
        assert "kept for the server" in messages(caplog, "prefect_jupyter.unit")
        with pytest.raises(ValueError, match="Unknown logging level 'LOUD'"):
            pj_logging.set_console_level("LOUD")

    def test_records_propagate_to_caplog(self, caplog):
        get_logger("unit").info("seen by caplog")
        assert "seen by caplog" in messages(caplog, "prefect_jupyter.unit")


class TestConfigureLogging:
    def test_testing_logger_is_separate(self, test_logger):
        assert test_logger.name == "prefect_jupyter-test-logger"
        assert len(our_handlers(test_logger)) == 1
        assert len(our_handlers(get_logger())) == 1

    def test_level_from_config(self, test_logger):
        with set_temporary_config({"logging.level": "DEBUG"}):
            logger = configure_logging(testing=True)
        assert logger.level == logging.DEBUG

    def test_lower_case_level_accepted(self, test_logger):
        with set_temporary_config({"logging.level": "warning"}):
            assert configure_logging(testing=True).level == logging.WARNING

    def test_unknown_level_has_clear_error(self, test_logger):
        with set_temporary_config({"logging.level": "LOUD"}):
            with pytest.raises(ValueError, match="Unknown logging level 'LOUD'.*DEBUG"):
                configure_logging(testing=True)

    def test_format_from_config(self, test_logger, capsys):
        with set_temporary_config({"logging.format": "%(levelname)s::%(message)s"}):
            logger = configure_logging(testing=True)
        logger.error("formatted")
        assert "ERROR::formatted\n" in capsys.readouterr().err

    def test_extra_loggers(self, restore_logging, capsys):
        name = "pj_test_extra_logger"
        with set_temporary_config({"logging.extra_loggers": [name]}):
            configure_logging()
        extra = logging.getLogger(name)
        try:
            assert len(our_handlers(extra)) == 1
            assert extra.level == logging.INFO
            extra.info("from extra")
            assert f"INFO - {name} | from extra" in capsys.readouterr().err
        finally:
            for handler in our_handlers(extra):
                extra.removeHandler(handler)

    def test_handler_follows_current_stderr(self, test_logger, capsys):
        # The handler looks sys.stderr up per record, so replacing it (as Jupyter and pytest
        # do) redirects output without reconfiguring.
        test_logger.error("to the captured stream")
        assert "to the captured stream" in capsys.readouterr().err

    def test_records_to_the_null_device_are_not_formatted(self, test_logger, monkeypatch,
                                                           tmp_path):
        # an agent that does not show flow logs starts the run with stderr on /dev/null
        formatted = []

        class Counting(logging.Formatter):
            def format(self, record):
                formatted.append(record.getMessage())
                return super().format(record)

        (handler,) = our_handlers(test_logger)
        monkeypatch.setattr(handler, "formatter", Counting())
        with open(os.devnull, "w") as null:
            monkeypatch.setattr(sys, "stderr", null)
            test_logger.error("nobody reads this")
        with open(tmp_path / "err.txt", "w") as real:
            monkeypatch.setattr(sys, "stderr", real)
            test_logger.error("someone reads this")
        assert formatted == ["someone reads this"]
        assert "someone reads this" in (tmp_path / "err.txt").read_text()


class TestContextFilter:
    def test_run_attributes_attached_when_present(self, caplog):
        with context(flow_name="my-flow", task_name="my-task", task_run_id="tr-1"):
            get_logger("unit").info("in a run")
        (record,) = [r for r in caplog.records if r.getMessage() == "in a run"]
        assert record.flow_name == "my-flow"
        assert record.task_name == "my-task"
        assert record.task_run_id == "tr-1"
        assert not hasattr(record, "flow_run_id")

    def test_no_attributes_outside_a_run(self, caplog):
        get_logger("unit").info("outside")
        (record,) = [r for r in caplog.records if r.getMessage() == "outside"]
        assert not hasattr(record, "task_name")

    def test_log_attributes_from_config(self, caplog):
        with set_temporary_config({"logging.log_attributes": ["custom", "absent"]}):
            with context(custom="value"):
                get_logger("unit").info("custom attrs")
        (record,) = [r for r in caplog.records if r.getMessage() == "custom attrs"]
        assert record.custom == "value"
        assert record.absent is None  # always set, so formats using it cannot fail

    def test_log_attributes_usable_in_format(self, test_logger, capsys):
        settings = {
            "logging.log_attributes": ["request_id"],
            "logging.format": "%(request_id)s %(message)s",
        }
        with set_temporary_config(settings):
            logger = configure_logging(testing=True)
            with context(request_id="abc"):
                logger.error("with id")
            logger.error("without id")
        err = capsys.readouterr().err
        assert "abc with id" in err
        assert "None without id" in err

    def test_filter_never_drops(self):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
        assert ContextFilter().filter(record) is True

    def test_reads_context_config_overlay(self, caplog):
        with context(config={"logging": {"log_attributes": ["only_here"]}}, only_here=1):
            get_logger("unit").info("overlay attrs")
        (record,) = [r for r in caplog.records if r.getMessage() == "overlay attrs"]
        assert record.only_here == 1


class TestRedirectStdout:
    def test_each_printed_line_is_one_info_record(self, caplog, capsys):
        logger = get_logger("TaskRunner")
        with redirect_stdout_to_logger(logger):
            print("hello")
            print("a\nb")
            print(1, 2, sep="-")
        records = [r for r in caplog.records if r.name == "prefect_jupyter.TaskRunner"]
        assert [r.getMessage() for r in records] == ["hello", "a", "b", "1-2"]
        assert {r.levelno for r in records} == {logging.INFO}
        assert capsys.readouterr().out == ""

    def test_blank_lines_skipped_and_partial_lines_joined(self, caplog):
        logger = get_logger("TaskRunner")
        with redirect_stdout_to_logger(logger):
            print()
            print("   ")
            sys.stdout.write("partial ")
            sys.stdout.write("line\n")
            print("no newline", end="")
        assert messages(caplog, logger.name) == ["partial line", "no newline"]

    def test_flush_emits_pending_text(self, caplog):
        logger = get_logger("TaskRunner")
        with redirect_stdout_to_logger(logger):
            print("progress", end="", flush=True)
            assert messages(caplog, logger.name) == ["progress"]

    def test_default_logger(self, caplog):
        with redirect_stdout_to_logger():
            print("default")
        assert messages(caplog, "prefect_jupyter.stdout") == ["default"]

    def test_stdout_restored(self):
        before = sys.stdout
        with redirect_stdout_to_logger(get_logger("x")):
            assert sys.stdout is not before
        assert sys.stdout is before

    def test_stdout_restored_on_exception(self, caplog):
        before = sys.stdout
        with pytest.raises(ZeroDivisionError):
            with redirect_stdout_to_logger(get_logger("x")):
                print("before the error", end="")
                1 / 0  # noqa: B018
        assert sys.stdout is before
        assert "before the error" in messages(caplog, "prefect_jupyter.x")

    def test_other_threads_print_to_real_stdout(self, caplog, capsys):
        logger = get_logger("TaskRunner")
        with redirect_stdout_to_logger(logger):
            thread = threading.Thread(target=lambda: print("from another thread"))
            thread.start()
            thread.join()
            print("from the task")
        assert messages(caplog, logger.name) == ["from the task"]
        assert capsys.readouterr().out == "from another thread\n"

    def test_concurrent_redirects_in_two_threads(self, caplog):
        barrier = threading.Barrier(2)
        before = sys.stdout

        def task(name):
            with redirect_stdout_to_logger(get_logger(name)):
                barrier.wait()
                print(f"line of {name}")
                barrier.wait()

        threads = [threading.Thread(target=task, args=(n,)) for n in ("one", "two")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert messages(caplog, "prefect_jupyter.one") == ["line of one"]
        assert messages(caplog, "prefect_jupyter.two") == ["line of two"]
        assert sys.stdout is before

    def test_nested_redirects(self, caplog):
        with redirect_stdout_to_logger(get_logger("outer")):
            print("first")
            with redirect_stdout_to_logger(get_logger("inner")):
                print("second")
            print("third")
        assert messages(caplog, "prefect_jupyter.outer") == ["first", "third"]
        assert messages(caplog, "prefect_jupyter.inner") == ["second"]

    def test_stream_attributes_delegate_to_real_stdout(self):
        real = sys.stdout
        with redirect_stdout_to_logger(get_logger("x")):
            assert sys.stdout.encoding == real.encoding
            assert sys.stdout.isatty() is False

    def test_non_string_write_raises(self):
        with redirect_stdout_to_logger(get_logger("x")):
            with pytest.raises(TypeError, match="must be str"):
                sys.stdout.write(b"bytes")

    def test_handler_writing_to_stdout_does_not_loop(self, capsys):
        logger = logging.getLogger("pj_test_stdout_handler")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        with redirect_stdout_to_logger(logger):
            # created while the redirect is active, so it holds the redirected stream
            handler = logging.StreamHandler(sys.stdout)
            logger.addHandler(handler)
            try:
                print("echoed")
            finally:
                logger.removeHandler(handler)
        assert capsys.readouterr().out == "echoed\n"


class TestShippedRecords:
    def test_a_long_message_is_cut_to_the_limit_with_a_warning(self, monkeypatch):
        monkeypatch.setattr(pj_logging, "MAX_LOG_SIZE", 1000)
        shipped: list[dict] = []
        logger = get_logger("shipping-test")
        with (
            pj_logging.LOG_MANAGER.shipping_to(shipped.append),
            set_temporary_config({"cloud.send_flow_run_logs": True, "logging.level": "INFO"}),
            pytest.warns(UserWarning, match=(
                f"Received a log of size {1000 + pj_logging.LOG_OVERHEAD} bytes, exceeding the "
                "limit of 1000 bytes: the message sent to the server is cut to fit")),
        ):
            logger.info("h" * 1000)
        (log,) = shipped
        assert log["message"] == "h" * (1000 - pj_logging.LOG_OVERHEAD)
        assert pj_logging.getlogsize(log) == 1000

    def test_a_message_within_the_limit_is_shipped_whole(self, recwarn):
        shipped: list[dict] = []
        with (
            pj_logging.LOG_MANAGER.shipping_to(shipped.append),
            set_temporary_config({"cloud.send_flow_run_logs": True, "logging.level": "INFO"}),
        ):
            get_logger("shipping-test").info("short %s", "line")
        assert [log["message"] for log in shipped] == ["short line"]
        assert not [w for w in recwarn if "exceeding the limit" in str(w.message)]
