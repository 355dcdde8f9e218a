"""The README's first example, run exactly as a user would: in a fresh interpreter and in-process."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SEED_EXAMPLE = textwrap.dedent(
    """\
    from prefect_jupyter import task, Flow, Parameter

    @task(log_stdout=True)
    def say_hello(name):
        print("Hello, {}!".format(name))

    with Flow("My First Flow") as flow:
        name = Parameter('name')
        say_hello(name)

    flow.run(name='world') # "Hello, world!"
    flow.run(name='Marvin') # "Hello, Marvin!"
    """
)


def test_the_seed_example_logs_both_greetings_in_a_fresh_interpreter(tmp_path: Path) -> None:
    script = tmp_path / "seed_example.py"
    script.write_text(SEED_EXAMPLE)

    completed = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )

    assert completed.returncode == 0, completed.stderr
    log = completed.stderr
    assert "Hello, world!" in log
    assert "Hello, Marvin!" in log
    assert log.index("Hello, world!") < log.index("Hello, Marvin!")
    # Both runs finish Success, as the flow runner reports.
    assert log.count("Flow run SUCCESS: all reference tasks succeeded") == 2
    assert "Traceback" not in log
    # Prints of a `log_stdout` task go to the log, not to the user's stdout.
    assert "Hello" not in completed.stdout


def test_the_seed_example_in_process(caplog: pytest.LogCaptureFixture) -> None:
    from prefect_jupyter import Flow, Parameter, task

    caplog.set_level(logging.INFO)

    @task(log_stdout=True)
    def say_hello(name: str) -> None:
        print(f"Hello, {name}!")

    with Flow("My First Flow") as flow:
        name = Parameter("name")
        say_hello(name)

    first = flow.run(name="world")
    second = flow.run(name="Marvin")

    assert first.is_successful() and second.is_successful()
    assert first.message == second.message == "All reference tasks succeeded."
    messages = [record.getMessage() for record in caplog.records]
    assert messages.count("Hello, world!") == 1
    assert messages.count("Hello, Marvin!") == 1
    assert messages.index("Hello, world!") < messages.index("Hello, Marvin!")
