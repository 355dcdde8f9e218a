"""prefect_jupyter.utilities.storage: a flow's image, flows as pickled bytes and back."""

import json
import warnings

import cloudpickle
import pytest

import prefect_jupyter
from prefect_jupyter import Flow, Task
from prefect_jupyter.exceptions import FlowStorageError
from prefect_jupyter.run_configs import DockerRun, UniversalRun
from prefect_jupyter.storage import Docker, Local
from prefect_jupyter.utilities.storage import (
    flow_from_bytes_pickle,
    flow_to_bytes_pickle,
    get_flow_image,
)


def test_the_run_configs_image_comes_first_then_docker_storage():
    both = Flow("f", run_config=DockerRun(image="org/run:1"), storage=Docker(image_name="img", image_tag="2"))
    assert get_flow_image(both) == "org/run:1"
    storage_only = Flow("f", run_config=UniversalRun(), storage=Docker(registry_url="reg", image_name="img", image_tag="2"))
    assert get_flow_image(storage_only) == "reg/img:2"


def test_a_flow_without_an_image_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"DockerRun\(image=...\)"):
        get_flow_image(Flow("f", run_config=UniversalRun(), storage=Local()))


def test_plain_cloudpickle_bytes_load_too():
    assert flow_from_bytes_pickle(cloudpickle.dumps(Flow("old"))).name == "old"


def test_a_flow_built_by_another_version_loads_with_a_warning():
    data = json.loads(flow_to_bytes_pickle(Flow("built-elsewhere")))
    data["versions"]["prefect"] = "0.0.1"
    with pytest.warns(UserWarning, match="This flow was built using Prefect '0.0.1'"):
        flow = flow_from_bytes_pickle(json.dumps(data).encode())
    assert flow.name == "built-elsewhere"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flow_from_bytes_pickle(flow_to_bytes_pickle(Flow("same")))


class FailsToLoad(Task):
    def __init__(self, error):
        super().__init__()
        self.error = error

    def __reduce__(self):
        return (_raise, (self.error,))


def _raise(error):
    raise error


def test_a_missing_module_is_named_as_a_likely_cause():
    data = flow_to_bytes_pickle(Flow("f", tasks=[FailsToLoad(ImportError("No module named 'gone'", name="gone"))]))
    with pytest.raises(FlowStorageError) as info:
        flow_from_bytes_pickle(data)
    message = str(info.value)
    assert message.startswith("An error occurred while unpickling the flow:\n  ImportError: No module named 'gone'")
    assert "missing Python module in your current environment: its code imports the module 'gone'" in message
    assert "version mismatches" not in message


def test_versions_that_differ_are_listed(monkeypatch):
    data = flow_to_bytes_pickle(Flow("f", tasks=[FailsToLoad(ValueError("broken"))]))
    built_with = prefect_jupyter.__version__
    monkeypatch.setattr(prefect_jupyter, "__version__", "9.9.9")
    with pytest.raises(FlowStorageError) as info, pytest.warns(UserWarning):
        flow_from_bytes_pickle(data)
    message = str(info.value)
    assert "ValueError: broken" in message
    assert "missing Python module" not in message
    assert f"  - prefect: (flow built with '{built_with}', currently running with '9.9.9')" in message
