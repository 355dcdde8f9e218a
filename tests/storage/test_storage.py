"""Storage: flows kept in files, modules, git repositories and S3 buckets, loaded back for real."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

import prefect_jupyter
from prefect_jupyter import Flow, Parameter, task
from prefect_jupyter.exceptions import FlowStorageError
from prefect_jupyter.storage import (
    GCS,
    S3,
    Azure,
    CodeCommit,
    Docker,
    Git,
    GitHub,
    Local,
    Module,
    Storage,
    Webhook,
    get_default_storage_class,
)
from prefect_jupyter.utilities.configuration import set_temporary_config

FLOW_FILE = textwrap.dedent(
    """
    from prefect_jupyter import Flow, Parameter, task

    @task
    def shout(word):
        return word.upper() + "{suffix}"

    with Flow("{name}") as flow:
        shout(Parameter("word", default="hi"))

    with Flow("other") as other:
        shout("x")
    """
)


def _greeting_flow() -> Flow:
    @task
    def greet(name: str) -> str:
        return f"hello {name}"

    with Flow("greeting") as flow:
        greet(Parameter("name", default="you"))
    return flow


def _result_of(flow: Flow, **parameters: object) -> object:
    state = flow.run(parameters=parameters) if parameters else flow.run()
    assert state.is_successful()
    (value,) = [s.result for t, s in state.result.items() if t.name not in {"name", "word"}]
    return value


# -- Local --------------------------------------------------------------------------------------
def test_local_pickles_at_add_and_loads_in_a_fresh_process(tmp_path) -> None:
    storage = Local(directory=tmp_path)
    flow = _greeting_flow()
    location = storage.add_flow(flow)
    assert location.startswith(str(tmp_path)) and "greeting" in storage
    code = (
        "import sys\n"
        "from prefect_jupyter.storage import Local\n"
        "s = Local(directory=sys.argv[1]); s.flows = {'greeting': sys.argv[2]}\n"
        "print(s.get_flow('greeting').run().is_successful())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path), location],
        capture_output=True, text=True, check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "True"


def test_local_script_and_name_conflicts(tmp_path) -> None:
    script = tmp_path / "flows.py"
    script.write_text(FLOW_FILE.format(name="etl", suffix="!"))
    storage = Local(directory=tmp_path, stored_as_script=True, path=str(script))
    storage.add_flow(Flow("etl"))
    loaded = storage.get_flow("etl")
    assert loaded.name == "etl" and _result_of(loaded) == "HI!"
    with pytest.raises(ValueError, match='Name conflict: Flow with the name "etl"'):
        storage.add_flow(Flow("etl"))
    with pytest.raises(ValueError, match="not contained"):
        storage.get_flow("nope")
    with pytest.raises(ValueError, match="A `path` must be provided"):
        Local(directory=tmp_path, stored_as_script=True).add_flow(Flow("x"))


def test_local_default_label_is_the_host_name(tmp_path) -> None:
    import socket

    assert Local(directory=tmp_path).labels == [socket.gethostname()]
    assert Local(directory=tmp_path, add_default_labels=False, labels=["a"]).labels == ["a"]


def test_build_refuses_an_unpicklable_flow_naming_the_task(tmp_path) -> None:
    import threading

    lock = threading.Lock()

    @task
    def hold() -> None:
        with lock:
            pass

    with Flow("locked") as flow:
        hold()
    storage = Local(directory=tmp_path, stored_as_script=True, path="unused.py")
    storage.add_flow(flow)
    storage.stored_as_script = False
    with pytest.raises(TypeError, match="Task 'hold'"):
        storage.build()


# -- Module -------------------------------------------------------------------------------------
@pytest.fixture
def flow_module(tmp_path, monkeypatch) -> str:
    (tmp_path / "pj_storage_flows.py").write_text(FLOW_FILE.format(name="etl", suffix="?"))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "pj_storage_flows"
    sys.modules.pop("pj_storage_flows", None)


def test_module_storage_imports_the_flow(flow_module) -> None:
    storage = Module(flow_module)
    assert storage.add_flow(Flow("etl")) == flow_module
    assert _result_of(storage.get_flow("etl")) == "HI?"
    by_attribute = Module(f"{flow_module}:other")
    by_attribute.add_flow(Flow("other"))
    assert by_attribute.get_flow("other").name == "other"
    several = Module(flow_module)
    several.flows = {"missing": flow_module}
    with pytest.raises(ValueError, match="Failed to find flow 'missing'"):
        several.get_flow("missing")


# -- Git ----------------------------------------------------------------------------------------
def _git(cwd, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    ).stdout.strip()


@pytest.fixture
def repository(tmp_path) -> Iterator[str]:
    """A local repository: v1 on the default branch (tag v1), v2 on branch `next`."""
    repo = tmp_path / "repo"
    (repo / "flows").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    (repo / "flows" / "etl.py").write_text(FLOW_FILE.format(name="etl", suffix=" v1"))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "v1")
    _git(repo, "tag", "v1")
    first = _git(repo, "rev-parse", "HEAD")
    _git(repo, "checkout", "-q", "-b", "next")
    (repo / "flows" / "etl.py").write_text(FLOW_FILE.format(name="etl", suffix=" v2"))
    _git(repo, "commit", "-q", "-am", "v2")
    _git(repo, "checkout", "-q", "main")
    with prefect_jupyter.context(secrets={"REPO_URL": f"file://{repo}"}):
        yield first


@pytest.mark.parametrize(
    ("ref", "expected"),
    [({}, "HI v1"), ({"branch_name": "next"}, "HI v2"), ({"tag": "v1"}, "HI v1")],
)
def test_git_storage_clones_and_loads_at_a_ref(repository, ref, expected) -> None:
    storage = Git(flow_path="flows/etl.py", git_clone_url_secret_name="REPO_URL", **ref)
    storage.add_flow(Flow("etl"))
    assert _result_of(storage.get_flow("etl")) == expected


def test_git_storage_at_a_commit(repository) -> None:
    storage = Git(flow_path="flows/etl.py", git_clone_url_secret_name="REPO_URL", commit=repository)
    storage.add_flow(Flow("etl"))
    assert _result_of(storage.get_flow("etl")) == "HI v1"


def test_git_errors_name_the_cause(repository) -> None:
    with pytest.raises(ValueError, match="only one of"):
        Git(flow_path="f.py", repo="o/r", tag="v1", branch_name="main")
    with pytest.raises(ValueError, match="Either `repo` or `git_clone_url_secret_name`"):
        Git(flow_path="f.py")
    missing = Git(flow_path="flows/nope.py", git_clone_url_secret_name="REPO_URL")
    missing.add_flow(Flow("etl"))
    with pytest.raises(ValueError, match="no file 'flows/nope.py'"):
        missing.get_flow("etl")
    with prefect_jupyter.context(secrets={"TOKEN": "s3cr3t"}):
        bad = Git(flow_path="f.py", repo="o/r", repo_host="127.0.0.1:9", git_token_secret_name="TOKEN")
        assert bad.git_clone_url == "https://o:s3cr3t@127.0.0.1:9/o/r.git"
        bad.add_flow(Flow("etl"))
        with pytest.raises(FlowStorageError) as info:
            bad.get_flow("etl")
    assert "s3cr3t" not in str(info.value) and "***@127.0.0.1:9" in str(info.value)


# -- S3 -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server_module = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def test_s3_storage_uploads_on_build_and_loads(s3_endpoint, caplog) -> None:
    from prefect_jupyter.utilities.aws import get_boto_client

    options = {"endpoint_url": s3_endpoint, "region_name": "us-east-1"}
    credentials = {"ACCESS_KEY": "testing", "SECRET_ACCESS_KEY": "testing"}
    with prefect_jupyter.context(secrets={"AWS_CREDENTIALS": credentials}):
        get_boto_client("s3", **options).create_bucket(Bucket="flows")
        storage = S3(bucket="flows", client_options=options)
        key = storage.add_flow(_greeting_flow())
        assert key.startswith("greeting/")
        storage.build()
        fresh = S3(bucket="flows", client_options=options)
        fresh.flows = dict(storage.flows)
        with caplog.at_level("INFO"):
            assert _result_of(fresh.get_flow("greeting"), name="s3") == "hello s3"
    downloaded = [r.getMessage() for r in caplog.records if "successfully downloaded" in r.getMessage()]
    assert len(downloaded) == 1 and "ETag: " in downloaded[0] and "LastModified: 20" in downloaded[0]


# -- registration-only storages, the base class, the default -------------------------------------
@pytest.mark.parametrize(
    "storage",
    [
        GCS(bucket="b"),
        Azure(container="c"),
        GitHub(repo="o/r", path="flows/etl.py"),
        Docker(image_name="img", image_tag="1"),
    ],
    ids=lambda s: type(s).__name__,
)
def test_registration_only_storages_record_flows_and_say_what_loading_needs(storage) -> None:
    storage.add_flow(Flow("etl"))
    assert "etl" in storage
    with pytest.raises(FlowStorageError, match=f"{type(storage).__name__} storage can't load"):
        storage.get_flow("etl")


def test_validation_of_the_registration_only_storages() -> None:
    with pytest.raises(RuntimeError, match="HTTP method 'FETCH' not recognized"):
        Webhook(build_request_kwargs={}, build_request_http_method="FETCH",
                get_flow_request_kwargs={}, get_flow_request_http_method="GET")
    with pytest.raises(ValueError, match="Only one of `base_image` and `dockerfile`"):
        Docker(base_image="python", dockerfile="Dockerfile")
    with pytest.raises(ValueError, match="not absolute"):
        Docker(files={"relative/path": "/opt/x"})
    assert Docker().add_flow(Flow("My Flow")) == "/opt/prefect/flows/my-flow.prefect"


def test_the_base_class_is_abstract_and_refuses_a_string_of_labels() -> None:
    with pytest.raises(TypeError):
        Storage()  # type: ignore[abstract]
    with pytest.raises(TypeError, match="lists of names"):
        Module("m", labels="a")


def test_default_storage_class_from_config() -> None:
    assert get_default_storage_class() is Local
    with set_temporary_config({"flows.defaults.storage.default_class": "prefect_jupyter.storage.S3"}):
        assert get_default_storage_class() is S3
    with set_temporary_config({"flows.defaults.storage.default_class": "no.such.Storage"}):
        with pytest.warns(UserWarning, match="default_class = 'no.such.Storage' is ignored"):
            assert get_default_storage_class() is Local


# -- CodeCommit (AWS's file API can't run here: a stand-in client answers get_file) --------------
class CodeCommitFiles:
    def __init__(self, files):
        self.files = files
        self.asked = []

    def get_file(self, repositoryName, commitSpecifier, filePath):  # noqa: N803 - boto3's names
        self.asked.append((repositoryName, commitSpecifier, filePath))
        return {"fileContent": self.files[filePath].encode()}


def test_codecommit_storage_reads_the_file_at_its_commit_and_runs_the_flow() -> None:
    script = (
        "from prefect_jupyter import Flow, task\n"
        "@task\ndef hello():\n    return 'hello codecommit'\n"
        "with Flow('greeting') as flow:\n    hello()\n"
    )
    storage = CodeCommit(repo="flows", path="etl/flow.py", commit="main")
    storage.add_flow(Flow("greeting"))
    storage._boto3_client = CodeCommitFiles({"etl/flow.py": script})
    flow = storage.get_flow("greeting")
    assert storage._boto3_client.asked == [("flows", "main", "etl/flow.py")]
    state = flow.run()
    assert state.result[flow.get_tasks(name="hello")[0]].result == "hello codecommit"
    with pytest.raises(ValueError):
        storage.get_flow("other")
