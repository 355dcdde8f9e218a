"""S3 tasks and S3Result against a local S3-compatible server (moto's server mode) over HTTP."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

import pytest

import prefect_jupyter
from prefect_jupyter import Flow, task
from prefect_jupyter.engine.results import S3Result
from prefect_jupyter.tasks.aws import S3Download, S3List, S3Upload
from prefect_jupyter.utilities.configuration import set_temporary_config

CREDENTIALS = {"ACCESS_KEY": "testing-key", "SECRET_ACCESS_KEY": "testing-secret"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, request) -> Iterator[dict]:
    """A fresh bucket; the boto kwargs reaching it; AWS_CREDENTIALS set as a local secret."""
    from prefect_jupyter.utilities.aws import get_boto_client

    kwargs = {"endpoint_url": s3_endpoint, "region_name": "us-east-1"}
    name = request.node.name.replace("_", "-")[:50].lower()
    get_boto_client("s3", credentials=CREDENTIALS, **kwargs).create_bucket(Bucket=name)
    with prefect_jupyter.context(secrets={"AWS_CREDENTIALS": CREDENTIALS}):
        yield {"name": name, "kwargs": kwargs}


def test_upload_list_download_with_gzip(bucket):
    upload = S3Upload(bucket=bucket["name"], boto_kwargs=bucket["kwargs"])
    with Flow("s3") as flow:
        key = upload(data="a,b\n1,2\n", key="daily/2024-01-01.csv", compression="gzip")
        other = upload(data=b"\x00\x01", upstream_tasks=[key])
        keys = S3List(bucket=bucket["name"], boto_kwargs=bucket["kwargs"])(
            prefix="daily/", upstream_tasks=[other])
        text = S3Download(bucket=bucket["name"], boto_kwargs=bucket["kwargs"])(
            key=key, compression="gzip")
    state = flow.run()
    assert state.is_successful()
    assert state.result[key].result == "daily/2024-01-01.csv"
    assert state.result[keys].result == ["daily/2024-01-01.csv"]
    assert state.result[text].result == "a,b\n1,2\n"
    raw = S3Download(bucket["name"], boto_kwargs=bucket["kwargs"]).run(
        key="daily/2024-01-01.csv", as_bytes=True)
    assert gzip.decompress(raw) == b"a,b\n1,2\n"
    generated = state.result[other].result
    assert len(generated) == 36  # a uuid4 key
    assert S3Download(bucket["name"], boto_kwargs=bucket["kwargs"]).run(
        key=generated, as_bytes=True) == b"\x00\x01"


def test_list_filters_by_last_modified(bucket):
    upload = S3Upload(bucket["name"], bucket["kwargs"])
    upload.run(data="x", key="k1")
    lister = S3List(bucket["name"], bucket["kwargs"])
    assert lister.run(prefix="", last_modified_begin="2000-01-01") == ["k1"]
    assert lister.run(prefix="", last_modified_end="2000-01-01T00:00:00Z") == []


def test_missing_bucket_and_missing_key_fail_clearly(bucket):
    with pytest.raises(ValueError, match="bucket name must be provided"):
        S3Download().run(key="x")
    with pytest.raises(ValueError, match="Unrecognized compression method 'zip'"):
        S3Upload("b").run(data="x", compression="zip")
    with Flow("missing") as flow:
        text = S3Download(bucket["name"], bucket["kwargs"])(key="no/such/key")
    state = flow.run().result[text]
    assert state.is_failed() and "404" in state.message


def test_s3_result_checkpoints_reads_and_caches_by_target(bucket):
    result = S3Result(bucket=bucket["name"], boto3_kwargs=bucket["kwargs"])
    calls = []

    @task(result=result, target="{task_name}/{x}.pkl", checkpoint=True)
    def square(x: int) -> int:
        calls.append(x)
        return x * x

    with Flow("s3 results") as flow:
        y = square(3)
    with set_temporary_config({"flows.checkpointing": True}):
        first = flow.run().result[y]
        second = flow.run().result[y]
    assert first.result == 9 and first._result.location == "square/3.pkl"
    assert second.is_cached() and second.result == 9
    assert calls == [3]
    assert result.exists("square/{x}.pkl", x=3) and not result.exists("square/4.pkl")
    assert result.read("square/3.pkl").value == 9
