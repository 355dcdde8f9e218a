"""``prefect-jupyter backend``: which orchestration backend this machine's client talks to."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

_BACKEND_LINE = re.compile(r"^\s*backend\s*=.*$", re.MULTILINE)


def user_config_path() -> Path:
    """The user config file the CLI writes (``PREFECT_JUPYTER__USER_CONFIG_PATH`` to move it)."""
    from prefect_jupyter.configuration import DEFAULT_USER_CONFIG, USER_CONFIG_ENV_VAR

    return Path(
        os.path.expandvars(os.environ.get(USER_CONFIG_ENV_VAR, DEFAULT_USER_CONFIG))
    ).expanduser()


def write_backend(name: str) -> Path:
    """Set ``backend = name`` at the top level of the user config file, keeping everything else."""
    path = user_config_path()
    text = path.read_text() if path.exists() else ""
    first_table = re.search(r"^\s*\[", text, re.MULTILINE)
    head, tail = (
        (text[: first_table.start()], text[first_table.start() :]) if first_table else (text, "")
    )
    line = f'backend = "{name}"'
    if _BACKEND_LINE.search(head):
        head = _BACKEND_LINE.sub(line, head, count=1)
    else:
        head = f"{line}\n{head}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(head + tail)
    return path


@click.command()
@click.argument("name", required=False, type=click.Choice(["server", "cloud"]))
def backend(name: str | None) -> None:
    """Show or set the backend: `prefect-jupyter backend server`.

    \b
    Without NAME, prints the current backend and the API address the client uses.
    """
    import prefect_jupyter

    if name is None:
        click.echo(f"Backend: {prefect_jupyter.config.backend}")
        click.echo(f"API: {prefect_jupyter.config.cloud.graphql}")
        return
    if name == "cloud":
        raise click.ClickException(
            "prefect_jupyter has no cloud backend: run your own server with "
            "`prefect-jupyter server start` and use `prefect-jupyter backend server`."
        )
    path = write_backend(name)
    click.secho(f"Backend switched to {name} (written to {path})", fg="green")
