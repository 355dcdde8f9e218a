"""The console formatter and handler (`utilities/console_log.py`): logging's output, less work."""

from __future__ import annotations

import io
import logging
import os
import sys

from prefect_jupyter.utilities.console_log import ConsoleFormatter, StderrHandler, discards


def test_the_console_formatter_formats_as_logging_does():
    ours = ConsoleFormatter("[%(asctime)s] %(levelname)s - %(name)s | %(message)s", "%Y-%m-%d %H:%M:%S%z")
    theirs = logging.Formatter("[%(asctime)s] %(levelname)s - %(name)s | %(message)s", "%Y-%m-%d %H:%M:%S%z")
    record = logging.LogRecord("prefect_jupyter.TaskRunner", logging.INFO, "f.py", 1, "Task '%s': done", ("a",), None)
    assert ours.format(record) == theirs.format(record)
    try:
        raise ValueError("boom")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, "f.py", 1, "failed", (), sys.exc_info())
    assert ours.format(failed) == theirs.format(failed)


def test_the_console_formatter_shows_each_records_second():
    ours = ConsoleFormatter("%(asctime)s %(message)s", "%H:%M:%S")
    theirs = logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S")
    records = [logging.LogRecord("x", logging.INFO, "f.py", 1, "m", (), None) for _ in range(3)]
    records[1].created += 1.0  # the next second: its own date, not the cached one
    records[2].created += 0.5
    assert [ours.format(r) for r in records] == [theirs.format(r) for r in records]


def test_the_stderr_handler_writes_to_the_current_stderr(monkeypatch):
    handler = StderrHandler()
    handler.setFormatter(ConsoleFormatter("%(levelname)s %(message)s"))
    first, second = io.StringIO(), io.StringIO()
    record = logging.LogRecord("x", logging.WARNING, "f.py", 1, "hello %s", ("there",), None)
    monkeypatch.setattr(sys, "stderr", first)
    handler.handle(record)
    monkeypatch.setattr(sys, "stderr", second)
    handler.handle(record)
    assert first.getvalue() == second.getvalue() == "WARNING hello there\n"


def test_only_the_null_device_counts_as_discarding(tmp_path):
    with open(os.devnull, "w") as null, open(tmp_path / "f.txt", "w") as real:
        assert discards(null)
        assert not discards(real)
        assert discards(null)  # asked again after another stream
    assert not discards(io.StringIO())  # no file behind it
