"""prefect_jupyter.exceptions: Prefect 1's exception types, one class per idea."""

from __future__ import annotations

import subprocess
import sys

import pytest

from prefect_jupyter import exceptions
from prefect_jupyter.client import errors as client_errors
from prefect_jupyter.engine import signals
from prefect_jupyter.serialization.storage import FlowLoadError


def test_signals_are_base_exceptions_and_errors_are_exceptions() -> None:
    assert issubclass(exceptions.PrefectSignal, BaseException)
    assert not issubclass(exceptions.PrefectSignal, Exception)
    assert issubclass(exceptions.VersionLockMismatchSignal, exceptions.PrefectSignal)
    for cls in (exceptions.ClientError, exceptions.FlowStorageError):
        assert issubclass(cls, exceptions.PrefectException)
    assert issubclass(exceptions.AuthorizationError, exceptions.ClientError)
    assert issubclass(exceptions.ObjectNotFoundError, exceptions.ClientError)


def test_the_engine_and_client_raise_these_very_classes() -> None:
    assert exceptions.PrefectSignal is signals.PrefectSignal
    assert issubclass(signals.FAIL, exceptions.PrefectSignal)
    assert client_errors.ClientError is exceptions.ClientError
    assert issubclass(client_errors.ServerConnectionError, exceptions.ClientError)
    assert issubclass(FlowLoadError, exceptions.FlowStorageError)


def test_client_error_keeps_graphql_error_codes() -> None:
    error = exceptions.ClientError("nope", [{"extensions": {"code": "NOT_FOUND"}}, {}])
    assert str(error) == "nope"
    assert error.codes == ["NOT_FOUND"]
    with pytest.raises(exceptions.PrefectException, match="nope"):
        raise error


def test_message_defaults_to_empty() -> None:
    assert str(exceptions.PrefectException()) == ""
    assert str(exceptions.FlowStorageError()) == ""


def test_raising_and_catching_client_errors_needs_no_client() -> None:
    # the classes live at the bottom of the import graph (issue 16: no exceptions <-> client circle)
    code = (
        "import sys\n"
        "from prefect_jupyter.exceptions import ClientError, ServerUnavailable, WriteRejected\n"
        "assert issubclass(ServerUnavailable, ClientError) and issubclass(WriteRejected, ClientError)\n"
        "print(sorted(m for m in sys.modules if m.startswith('prefect_jupyter.client')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert client_errors.ServerUnavailable is exceptions.ServerUnavailable
    assert client_errors.error_for("gone", [], 503).__class__ is exceptions.ServerUnavailable
