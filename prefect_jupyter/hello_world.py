"""A first flow to try things with (Prefect 1's ``prefect.hello_world``).

It greets a name (the ``name`` parameter, default ``"world"``), capitalized, through the run's
log.

Example:
    >>> from prefect_jupyter.hello_world import hello_flow
    >>> hello_flow.run(name="marvin")      # logs "Hello Marvin"

Register it and run it through the server and an agent::

    prefect-jupyter register --project default -m prefect_jupyter.hello_world
    prefect-jupyter run --name hello-world --watch
"""

from prefect_jupyter import Flow, Parameter, task

__all__ = ["hello_flow"]


@task(log_stdout=True)
def say_hello(to: str) -> None:
    """Print the greeting (captured into the task run's log)."""
    print(f"Hello {to}")


@task
def capitalize(word: str) -> str:
    """``word`` with a capital first letter."""
    return word.capitalize()


with Flow("hello-world") as hello_flow:
    name = Parameter("name", default="world")
    say_hello(capitalize(name))
