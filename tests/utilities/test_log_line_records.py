"""`log_line` makes the record `logger.log` would: level names and the process id included."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from prefect_jupyter.utilities.logging import get_logger, log_line


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept():
    logger = get_logger("log-line-test")
    handler = Keep()
    logger.addHandler(handler)
    yield logger, handler.records
    logger.removeHandler(handler)


def test_the_record_matches_what_logger_log_makes(kept):
    logger, records = kept
    log_line(logger, logging.WARNING, "Task '%s': done", "a")
    logger.log(logging.WARNING, "Task '%s': done", "a")
    ours, theirs = records
    for name in ("levelname", "levelno", "process", "processName", "thread", "threadName", "name"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.getMessage() == "Task 'a': done"


def test_a_level_renamed_with_add_level_name_shows_its_new_name(kept):
    logger, records = kept
    logging.addLevelName(25, "NOTICE")
    log_line(logger, 25, "hello")
    assert records[-1].levelname == "NOTICE"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_logs_its_own_process_id():
    # in a fresh single-threaded interpreter: forking this (threaded) test process is not safe
    code = textwrap.dedent("""
        import logging, os
        from prefect_jupyter.utilities.logging import get_logger, log_line

        class Keep(logging.Handler):
            def emit(self, record):
                self.last = record

        keep = Keep()
        get_logger("fork-test").addHandler(keep)
        pid = os.fork()
        if pid == 0:
            log_line(get_logger("fork-test"), logging.WARNING, "child")
            os._exit(0 if keep.last.process == os.getpid() else 1)
        _, status = os.waitpid(pid, 0)
        log_line(get_logger("fork-test"), logging.WARNING, "parent")
        assert keep.last.process == os.getpid()
        raise SystemExit(os.waitstatus_to_exitcode(status))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_every_handler_up_the_hierarchy_gets_the_record_once(kept):
    logger, records = kept  # a handler on prefect_jupyter.log-line-test
    root_records: list[logging.LogRecord] = []
    on_root = Keep()
    on_root.records = root_records
    logging.getLogger().addHandler(on_root)
    try:
        log_line(logger, logging.WARNING, "up")
    finally:
        logging.getLogger().removeHandler(on_root)
    assert [r.getMessage() for r in records] == ["up"]
    assert [r.getMessage() for r in root_records] == ["up"]


def test_propagate_false_stops_the_walk_and_handler_levels_apply(kept):
    logger, records = kept
    on_package = Keep()
    get_logger().addHandler(on_package)
    quiet = Keep()
    quiet.setLevel(logging.ERROR)
    logger.addHandler(quiet)
    logger.propagate = False
    try:
        log_line(logger, logging.WARNING, "here only")
    finally:
        logger.propagate = True
        logger.removeHandler(quiet)
        get_logger().removeHandler(on_package)
    assert [r.getMessage() for r in records] == ["here only"]
    assert quiet.records == [] and on_package.records == []


def test_a_logger_filter_is_applied(kept):
    logger, records = kept

    class DropAll(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return False

    drop = DropAll()
    logger.addFilter(drop)
    try:
        log_line(logger, logging.WARNING, "dropped")
    finally:
        logger.removeFilter(drop)
    log_line(logger, logging.WARNING, "kept")
    assert [r.getMessage() for r in records] == ["kept"]
