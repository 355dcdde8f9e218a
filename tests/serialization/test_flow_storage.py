"""The flow's code in `storage`: pickled by value, loaded back elsewhere, clear errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path

import cloudpickle
import pytest

from prefect_jupyter import Flow, Parameter, Task, task
from prefect_jupyter.serialization import (
    FlowLoadError,
    FlowSerializationError,
    Module,
    load_flow,
    serialize_flow,
)

LOAD_AND_RUN = textwrap.dedent(
    """
    import json, sys
    from prefect_jupyter.serialization import load_flow
    flow = load_flow(json.load(open(sys.argv[1])))
    state = flow.run(parameters=json.loads(sys.argv[2]))
    final = {t.name: s.result for t, s in state.result.items()}
    print(json.dumps({"state": type(state).__name__, "results": final}, default=repr))
    """
)


def run_python(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def load_elsewhere(serialized: dict, tmp_path: Path, parameters: dict | None = None) -> dict:
    """Load and run a serialized flow in a fresh Python process, in an empty directory."""
    (tmp_path / "flow.json").write_text(json.dumps(serialized))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    out = run_python(["-c", LOAD_AND_RUN, str(tmp_path / "flow.json"), json.dumps(parameters or {})], elsewhere)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@task
def double(x):
    return 2 * x


def test_load_flow_round_trip_in_process():
    with Flow("double") as flow:
        double(Parameter("x", default=4))
    loaded = load_flow(json.loads(json.dumps(serialize_flow(flow))))
    assert loaded is not flow and loaded.name == "double"
    state = loaded.run(x=5)
    assert state.is_successful()
    assert state.result[loaded.get_tasks(name="double")[0]].result == 10


def test_main_script_code_travels_by_value(tmp_path):
    """Tasks, a helper, a Task class and a closure from a script run elsewhere after it is gone."""
    script = tmp_path / "my_flow.py"
    script.write_text(textwrap.dedent(
        """
        import json
        from prefect_jupyter import Flow, Parameter, Task, task
        from prefect_jupyter.serialization import serialize_flow

        OFFSET = 100

        def helper(x):
            return x + OFFSET

        def make_scaler(k):
            return lambda v: v * k

        scale = make_scaler(3)

        @task
        def prepare(x):
            return helper(x)

        class Finish(Task):
            def run(self, y):
                return {"value": scale(y)}

        with Flow("script-flow") as flow:
            Finish(name="finish")(prepare(Parameter("x")))

        json.dump(serialize_flow(flow), open("flow.json", "w"))
        """
    ))
    out = run_python([str(script)], tmp_path)
    assert out.returncode == 0, out.stderr
    script.unlink()  # the code now exists only in the serialized flow
    serialized = json.loads((tmp_path / "flow.json").read_text())
    result = load_elsewhere(serialized, tmp_path, {"x": 1})
    assert result["state"] == "Success"
    assert result["results"]["finish"] == {"value": 303}


def test_unimportable_module_code_travels_by_value(tmp_path):
    """Code from a module made at run time (as a notebook importer does) is pickled by value."""
    module = types.ModuleType("made_at_runtime")
    exec(  # noqa: S102
        "from prefect_jupyter import task\n"
        "FACTOR = 7\n"
        "@task\n"
        "def times(x):\n"
        "    return x * FACTOR\n",
        module.__dict__,
    )
    sys.modules["made_at_runtime"] = module
    try:
        with Flow("runtime-module") as flow:
            module.times(6)
        serialized = serialize_flow(flow)
    finally:
        del sys.modules["made_at_runtime"]
    assert "made_at_runtime" not in cloudpickle.list_registry_pickle_by_value()
    assert load_elsewhere(serialized, tmp_path)["results"]["times"] == 42


def test_a_module_missing_where_the_flow_loads_is_named(tmp_path):
    (tmp_path / "local_helpers.py").write_text("def triple(x):\n    return 3 * x\n")
    script = tmp_path / "register_it.py"
    script.write_text(textwrap.dedent(
        """
        import json
        from local_helpers import triple
        from prefect_jupyter import Flow, task
        from prefect_jupyter.serialization import serialize_flow

        @task
        def work():
            return triple(2)

        with Flow("uses-local-module") as flow:
            work()
        json.dump(serialize_flow(flow), open("flow.json", "w"))
        """
    ))
    assert run_python([str(script)], tmp_path).returncode == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = run_python(["-c", LOAD_AND_RUN, str(tmp_path / "flow.json"), "{}"], elsewhere)
    assert out.returncode != 0
    assert "FlowLoadError" in out.stderr
    assert "imports the module 'local_helpers', which is not installed here" in out.stderr


class TestUnpicklableObjects:
    def test_a_lock_in_a_global_names_the_task_type_and_path(self):
        lock = threading.Lock()

        @task
        def guarded(x):
            with lock:
                return x

        with Flow("locks") as flow:
            guarded(double(1))
        with pytest.raises(FlowSerializationError) as info:
            serialize_flow(flow)
        message = str(info.value)
        assert "Task 'guarded' (slug 'guarded-1') of flow 'locks' can't be registered" in message
        assert "_thread.lock" in message
        assert "closure variable `lock`" in message
        assert "create such objects inside the task's function" in message

    def test_an_open_socket_as_a_task_attribute(self):
        class Fetch(Task):
            def __init__(self, conn, **kwargs):
                self.conn = conn
                super().__init__(**kwargs)

            def run(self):
                return self.conn.fileno()

        with socket.socket() as conn:
            flow = Flow("sockets", tasks=[Fetch(conn, name="fetch")])
            with pytest.raises(FlowSerializationError, match=r"Task 'fetch' .* socket\.socket object \(task 'fetch' → attribute `conn`\)"):
                serialize_flow(flow)

    def test_a_generator_in_a_closure(self):
        numbers = (i for i in range(3))

        @task
        def take():
            return next(numbers)

        with Flow("generators") as flow:
            take()
        with pytest.raises(FlowSerializationError, match="Task 'take' .* a generator object"):
            serialize_flow(flow)

    def test_an_open_file_given_as_an_argument(self, tmp_path):
        @task
        def read(handle):
            return handle.read()

        with open(tmp_path / "data.txt", "w") as handle:
            with Flow("files") as flow:
                read(handle)
            with pytest.raises(FlowSerializationError, match="Task 'read' .* its argument 'handle' is a _io.TextIOWrapper"):
                serialize_flow(flow)

    def test_only_storage_needs_pickling(self):
        lock = threading.Lock()

        @task
        def guarded():
            with lock:
                return 1

        with Flow("metadata-only") as flow:
            guarded()
        assert serialize_flow(flow, build_storage=False)["storage"] is None


class TestLoadErrors:
    def make_serialized(self) -> dict:
        with Flow("versions") as flow:
            double(1)
        return serialize_flow(flow)

    def test_registered_without_code(self):
        with Flow("no-code") as flow:
            double(1)
        with pytest.raises(FlowLoadError, match=r"registered without its code \(build=False\)"):
            load_flow(serialize_flow(flow, build_storage=False))

    def test_another_python_version_is_refused_before_unpickling(self):
        data = self.make_serialized()
        data["storage"]["python_version"] = "3.99.0"
        with pytest.raises(FlowLoadError) as info:
            load_flow(data)
        assert "pickled by Python 3.99.0" in str(info.value)
        assert "run it with Python 3.99, or register the flow again" in str(info.value)

    def test_a_broken_pickle_from_another_cloudpickle_names_both_versions(self):
        data = self.make_serialized()
        data["storage"]["cloudpickle_version"] = "0.1.0"
        data["storage"]["flow"] = data["storage"]["flow"][:40]
        with pytest.raises(FlowLoadError) as info:
            load_flow(data)
        message = str(info.value)
        assert message.startswith("An error occurred while unpickling flow 'versions':")
        assert (
            f"  - cloudpickle: (flow built with '0.1.0', currently running with '{cloudpickle.__version__}')"
            in message
        )
        assert "install the same versions, or register the flow again" in message
        assert "python:" not in message  # only the versions that differ

    def test_module_storage_loads_by_import(self, tmp_path, monkeypatch):
        (tmp_path / "stored_flows.py").write_text(textwrap.dedent(
            """
            from prefect_jupyter import Flow, task

            @task
            def hello():
                return "hi"

            with Flow("greeting") as flow:
                hello()
            """
        ))
        monkeypatch.syspath_prepend(str(tmp_path))
        with Flow("greeting") as flow:
            double(1)
        flow.storage = Module("stored_flows")
        loaded = load_flow(serialize_flow(flow))
        assert [t.name for t in loaded.tasks] == ["hello"]
        flow.storage = Module("no_such_module_anywhere")
        with pytest.raises(FlowLoadError, match="'no_such_module_anywhere', which can't be imported"):
            load_flow(serialize_flow(flow))
