"""prefect_jupyter.utilities.aws: boto3 clients from credentials, secrets or keyword arguments."""

import pytest

boto3 = pytest.importorskip("boto3")

from prefect_jupyter.utilities.aws import get_boto_client  # noqa: E402


def keys_of(client):
    credentials = client._request_signer._credentials
    return credentials.access_key, credentials.secret_key, credentials.token


def test_a_credentials_dict_wins_over_keyword_arguments_and_the_rest_are_kept():
    client = get_boto_client(
        "s3",
        credentials={"ACCESS_KEY": "from-dict", "SECRET_ACCESS_KEY": "dict-secret"},
        aws_access_key_id="from-kwargs",
        aws_secret_access_key="kwargs-secret",
        aws_session_token="kwargs-token",
        region_name="us-east-1",
    )
    assert keys_of(client) == ("from-dict", "dict-secret", "kwargs-token")


def test_keyword_arguments_alone_are_used():
    client = get_boto_client(
        "s3", aws_access_key_id="only-kwargs", aws_secret_access_key="s", region_name="us-east-1"
    )
    assert keys_of(client)[:2] == ("only-kwargs", "s")
