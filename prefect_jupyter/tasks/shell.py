"""``ShellTask``: run a shell command as a task (Prefect 1's ``prefect.tasks.shell``).

The command (after an optional ``helper_script``) is written to a temporary script file and run
with the chosen shell. stdout and stderr are read as one stream, line by line, so output can be
logged while the command runs (``stream_output``) without the risk of two pipes blocking each other.

Example:
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.tasks.shell import ShellTask
    >>> shell = ShellTask(helper_script="cd /tmp", return_all=True)
    >>> with Flow("listing") as flow:
    ...     files = shell(command="ls")
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from typing import Any

from prefect_jupyter.core.task import Task
from prefect_jupyter.engine import signals
from prefect_jupyter.utilities.tasks import defaults_from_attrs

__all__ = ["ShellTask"]


def _log_level(stream_output: bool | int | str) -> int | bool:
    """``True`` means INFO; a level name becomes its number; ``False`` turns streaming off."""
    if stream_output is True:
        return logging.INFO
    if isinstance(stream_output, str):
        level = logging.getLevelName(stream_output.upper())
        if not isinstance(level, int):
            raise TypeError(
                f"'stream_output': {stream_output!r} is not a valid log level; use True, a "
                "number or a name such as 'INFO' or 'DEBUG'."
            )
        return level
    return stream_output


class ShellTask(Task):
    """Run a shell command; its output is the last line printed (or every line).

    stdout and stderr are combined. A non-zero exit fails the task with ``Command failed with
    exit code N``, and the output read so far is kept as the failed state's result.

    Args:
        command: the command to run; may also be given when the task is called.
        env: environment variables added to the current environment for the command.
        helper_script: shell code run before ``command`` in the same process (``cd``,
            function definitions, ...).
        shell: the shell that runs the script; ``"bash"`` by default.
        return_all: return every output line as a list instead of only the last line.
        log_stderr: log the output (last line, or all lines with ``return_all``) when the
            command fails; ignored when ``stream_output`` already logged it.
        stream_output: log each output line as it arrives: ``True`` at INFO, or a log level
            (number or name).
        **kwargs: passed on to `Task`.

    Raises:
        TypeError: ``stream_output`` is a string that is not a log level name.
    """

    script_suffix = ".sh"

    def __init__(
        self,
        command: str | None = None,
        env: dict | None = None,
        helper_script: str | None = None,
        shell: str = "bash",
        return_all: bool = False,
        log_stderr: bool = False,
        stream_output: bool | int | str = False,
        **kwargs: Any,
    ) -> None:
        self.command = command
        self.env = env
        self.helper_script = helper_script
        self.shell = shell
        self.return_all = return_all
        self.log_stderr = log_stderr
        self.stream_output = _log_level(stream_output)
        super().__init__(**kwargs)

    @defaults_from_attrs("command", "env", "helper_script")
    def run(
        self, command: str | None = None, env: dict | None = None, helper_script: str | None = None
    ) -> str | list[str] | None:
        """Run the command.

        Args:
            command: the command; defaults to the one given at initialization.
            env: extra environment variables for this run.
            helper_script: shell code to run before the command.

        Returns:
            The last output line (``None`` if there was no output), or all lines as a list
            when ``return_all`` is set.

        Raises:
            TypeError: no command was given, neither here nor at initialization.
            FAIL: the command exited with a non-zero code.
        """
        if command is None:
            raise TypeError(
                "run() missing required argument: 'command' (give ShellTask a command when "
                "creating it or when calling it)"
            )
        script = f"{helper_script}\n{command}" if helper_script else command
        full_env = {**os.environ, **{str(k): str(v) for k, v in (env or {}).items()}}
        with tempfile.NamedTemporaryFile("w", prefix="prefect-", suffix=self.script_suffix) as tmp:
            tmp.write(script)
            tmp.flush()
            lines, returncode = self._execute([self.shell, tmp.name], full_env)
        last = lines[-1] if lines else None
        output: str | list[str] | None = lines if self.return_all else last
        if returncode:
            message = f"Command failed with exit code {returncode}"
            self.logger.error(message)
            if self.log_stderr and not self.stream_output:
                self.logger.error("\n".join(lines) if self.return_all else last)
            raise signals.FAIL(message, result=output)
        return output

    def _execute(self, argv: list[str], env: dict[str, str]) -> tuple[list[str], int]:
        """Run ``argv``, reading (and optionally logging) its combined output line by line."""
        try:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                shell=sys.platform == "win32",  # Windows finds the shell on PATH only this way
            )
        except FileNotFoundError as exc:
            raise FileNotFoundError(
                f"ShellTask could not start the shell {argv[0]!r}: it is not installed or not "
                "on PATH; pass shell=... with an installed shell."
            ) from exc
        lines: list[str] = []
        with process:
            assert process.stdout is not None
            for raw in iter(process.stdout.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip()
                lines.append(line)
                if self.stream_output:
                    self.logger.log(self.stream_output, line)
            returncode = process.wait()
        return lines, returncode
