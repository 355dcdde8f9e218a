"""prefect_jupyter.exceptions: Prefect 1's exception types, one class per idea."""

from __future__ import annotations

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
