"""The public names import at their Prefect 1 paths (``prefect`` -> ``prefect_jupyter``)."""

import importlib
import inspect
import subprocess
import sys
import types

import pytest

import prefect_jupyter
from prefect_jupyter.core.task import Task

TOP_LEVEL_CLASSES = ["Task", "Flow", "Parameter", "DateTimeParameter", "Edge", "case"]
TOP_LEVEL_FUNCTIONS = ["task", "apply_map", "tags", "merge", "ifelse", "switch", "resource_manager"]
ANNOTATIONS = ["unmapped", "mapped", "flatten"]

# Every Prefect 1 state class, with its direct parent in Prefect 1's hierarchy.
STATE_PARENTS = {
    "Pending": "State",
    "Scheduled": "Pending",
    "Paused": "Scheduled",
    "Resume": "Scheduled",
    "Retrying": "Scheduled",
    "Submitted": "_MetaState",
    "Queued": "_MetaState",
    "ClientFailed": "_MetaState",
    "Running": "State",
    "Cancelling": "Running",
    "Finished": "State",
    "Success": "Finished",
    "Cached": "Success",
    "Mapped": "Success",
    "Skipped": "Success",
    "Looped": "Finished",
    "Failed": "Finished",
    "TimedOut": "Failed",
    "TriggerFailed": "Failed",
    "ValidationFailed": "Failed",
    "Cancelled": "Finished",
}

# Each Prefect 1 signal with the state class it leads to.
SIGNAL_STATES = {
    "SUCCESS": "Success",
    "FAIL": "Failed",
    "TRIGGERFAIL": "TriggerFailed",
    "VALIDATIONFAIL": "ValidationFailed",
    "RETRY": "Retrying",
    "SKIP": "Skipped",
    "PAUSE": "Paused",
    "LOOP": "Looped",
}

# (module path, names that must be classes, names that must be functions)
MODULES = [
    ("prefect_jupyter.engine.flow_runner", ["FlowRunner"], []),
    ("prefect_jupyter.engine.task_runner", ["TaskRunner"], []),
    ("prefect_jupyter.engine.results", ["LocalResult", "PrefectResult", "ConstantResult"], []),
    ("prefect_jupyter.engine.result", ["Result", "NoResultType"], []),
    (
        "prefect_jupyter.engine.serializers",
        [
            "Serializer",
            "PickleSerializer",
            "JSONSerializer",
            "DateTimeSerializer",
            "PandasSerializer",
            "CompressedSerializer",
        ],
        [],
    ),
    (
        "prefect_jupyter.engine.cache_validators",
        [],
        [
            "never_use",
            "duration_only",
            "all_inputs",
            "all_parameters",
            "partial_parameters_only",
            "partial_inputs_only",
        ],
    ),
    ("prefect_jupyter.executors", ["LocalExecutor", "Executor"], []),
    ("prefect_jupyter.utilities.edges", ["EdgeAnnotation", "unmapped", "mapped", "flatten"], []),
    (
        "prefect_jupyter.utilities.tasks",
        [],
        ["task", "tags", "as_task", "apply_map", "defaults_from_attrs", "pause_task"],
    ),
    ("prefect_jupyter.utilities.configuration", [], ["set_temporary_config"]),
    ("prefect_jupyter.utilities.debug", [], ["raise_on_exception"]),
    ("prefect_jupyter.utilities.logging", [], ["get_logger"]),
    ("prefect_jupyter.utilities.compatibility", ["nullcontext"], []),
    ("prefect_jupyter.engine.cloud", ["CloudFlowRunner", "CloudTaskRunner", "RunReporter"],
     ["execute_flow_run"]),
    ("prefect_jupyter.engine.cloud.flow_runner", ["CloudFlowRunner"], []),
    ("prefect_jupyter.engine.cloud.task_runner", ["CloudTaskRunner"], []),
    ("prefect_jupyter.tasks.core.constants", ["Constant"], []),
    ("prefect_jupyter.tasks.core.collections", ["List", "Tuple", "Set", "Dict", "VarArgsTask"], []),
    ("prefect_jupyter.tasks.core.function", ["FunctionTask"], []),
    (
        "prefect_jupyter.tasks.core.operators",
        ["GetItem", "GetAttr", "Add", "Sub", "Mul", "Div", "FloorDiv", "Pow", "Mod", "And", "Or"]
        + ["Not", "Equal", "NotEqual", "GreaterThan", "GreaterThanOrEqual", "LessThan"]
        + ["LessThanOrEqual"],
        [],
    ),
    (
        "prefect_jupyter.tasks.core.resource_manager",
        ["ResourceManager", "ResourceInitTask", "ResourceSetupTask", "ResourceCleanupTask"],
        ["resource_manager", "resource_cleanup_trigger"],
    ),
    ("prefect_jupyter.tasks.control_flow", ["case", "FilterTask"], ["merge", "ifelse", "switch"]),
    (
        "prefect_jupyter.triggers",
        [],
        ["all_successful", "all_failed", "all_finished", "always_run", "manual_only"]
        + ["any_successful", "any_failed", "some_successful", "some_failed", "not_all_skipped"],
    ),
]

TASK_CLASSES = {
    "Constant",
    "List",
    "Tuple",
    "Set",
    "Dict",
    "VarArgsTask",
    "FunctionTask",
    "GetItem",
    "Add",
    "Not",
    "LessThanOrEqual",
    "ResourceInitTask",
    "ResourceSetupTask",
    "ResourceCleanupTask",
    "FilterTask",
}


class TestTopLevel:
    @pytest.mark.parametrize("name", TOP_LEVEL_CLASSES + ANNOTATIONS)
    def test_classes(self, name: str) -> None:
        assert inspect.isclass(getattr(prefect_jupyter, name))

    @pytest.mark.parametrize("name", TOP_LEVEL_FUNCTIONS)
    def test_functions(self, name: str) -> None:
        assert inspect.isfunction(getattr(prefect_jupyter, name))

    def test_task_classes(self) -> None:
        from prefect_jupyter import DateTimeParameter, Parameter

        assert issubclass(Parameter, Task) and issubclass(DateTimeParameter, Parameter)

    def test_context_config_and_triggers(self) -> None:
        from prefect_jupyter import config, context, triggers

        assert isinstance(triggers, types.ModuleType)
        assert triggers.__name__ == "prefect_jupyter.triggers"
        assert not isinstance(context, types.ModuleType) and callable(context)
        assert config.flows.eager_edge_validation is False

    def test_all_lists_only_importable_names(self) -> None:
        for name in prefect_jupyter.__all__:
            assert hasattr(prefect_jupyter, name), name

    def test_the_same_objects_at_the_core_paths(self) -> None:
        from prefect_jupyter.core.flow import Flow
        from prefect_jupyter.core.parameter import Parameter

        assert prefect_jupyter.Flow is Flow and prefect_jupyter.Parameter is Parameter


class TestEngine:
    @pytest.mark.parametrize(("name", "parent"), sorted(STATE_PARENTS.items()))
    def test_state_classes_and_hierarchy(self, name: str, parent: str) -> None:
        from prefect_jupyter.engine import state

        cls = getattr(state, name)
        assert issubclass(cls, state.State) and cls.__bases__[0].__name__ == parent

    @pytest.mark.parametrize(("name", "state_name"), sorted(SIGNAL_STATES.items()))
    def test_signals_lead_to_their_state(self, name: str, state_name: str) -> None:
        from prefect_jupyter.engine import signals

        signal = getattr(signals, name)("message")
        assert isinstance(signal, BaseException) and not isinstance(signal, Exception)
        assert type(signal.state).__name__ == state_name
        assert signal.state.message == "message"
        assert signals.signal_from_state(signal.state) is type(signal)

    def test_endrun_carries_a_state(self) -> None:
        from prefect_jupyter.engine.signals import ENDRUN
        from prefect_jupyter.engine.state import Success

        assert isinstance(ENDRUN(Success()).state, Success)

    def test_signal_from_state_without_a_signal(self) -> None:
        from prefect_jupyter.engine.signals import signal_from_state
        from prefect_jupyter.engine.state import Running

        with pytest.raises(ValueError, match="No signal matches the provided state"):
            signal_from_state(Running())

    def test_no_result(self) -> None:
        from prefect_jupyter.engine.result import NoResult, NoResultType

        assert isinstance(NoResult, NoResultType)


class TestModulePaths:
    @pytest.mark.parametrize(
        ("module", "classes", "functions"), MODULES, ids=[m[0] for m in MODULES]
    )
    def test_names_are_the_right_kind(
        self, module: str, classes: list[str], functions: list[str]
    ) -> None:
        mod = importlib.import_module(module)
        for name in classes:
            obj = getattr(mod, name)
            assert inspect.isclass(obj), name
            if name in TASK_CLASSES:
                assert issubclass(obj, Task), name
        for name in functions:
            assert callable(getattr(mod, name)) and not inspect.isclass(getattr(mod, name)), name

    def test_task_core_submodules(self) -> None:
        from prefect_jupyter.tasks.core import (
            collections,
            constants,
            function,
            operators,
            resource_manager,
        )

        for module in (collections, constants, function, operators, resource_manager):
            assert module.__name__.startswith("prefect_jupyter.tasks.core.")


HEAVY = ["dask", "distributed", "graphviz", "pandas", "IPython", "sqlalchemy"]


def test_import_is_light_and_fast() -> None:
    code = (
        "import sys, time\n"
        "start = time.process_time()\n"
        "import prefect_jupyter\n"
        "elapsed = time.process_time() - start\n"
        f"print(elapsed, [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    elapsed, loaded = out.stdout.split(" ", 1)
    assert loaded.strip() == "[]"
    assert float(elapsed) < 0.5
