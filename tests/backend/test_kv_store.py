"""Prefect 1's key-value store functions import, and say before any request that the store is
Prefect Cloud's (as Prefect Server did)."""

from __future__ import annotations

import pytest

from prefect_jupyter.backend import delete_key, get_key_value, list_keys, set_key_value
from prefect_jupyter.exceptions import ClientError


@pytest.mark.parametrize(
    "call",
    [lambda: set_key_value("k", 1), lambda: get_key_value("k"), lambda: delete_key("k"), list_keys],
)
def test_each_function_names_the_cloud_service_and_the_alternatives(call):
    with pytest.raises(ClientError, match="Prefect Cloud service.*Keep such values in a Parameter"):
        call()
