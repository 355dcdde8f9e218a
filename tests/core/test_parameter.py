"""Parameters: required/default values, checks before a run, DateTimeParameter parsing."""

import datetime
from typing import Any

import pytest

from prefect_jupyter import DateTimeParameter, Flow, Parameter, Task, task
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.results import PrefectResult
from prefect_jupyter.engine.state import Failed, Success, TriggerFailed

UTC = datetime.UTC


@task
def ident(x: Any) -> Any:
    return x


class TestRequiredAndDefault:
    @pytest.mark.parametrize(
        ("kwargs", "required", "default"),
        [
            ({}, True, None),
            ({"default": None}, False, None),
            ({"default": 3}, False, 3),
            ({"default": 3, "required": True}, True, 3),
            ({"required": False}, False, None),
        ],
    )
    def test_required_follows_the_default(self, kwargs: dict, required: bool, default: Any) -> None:
        p = Parameter("x", **kwargs)
        assert (p.required, p.default) == (required, default)

    def test_a_parameter_is_a_checkpointed_root_task_named_by_its_slug(self) -> None:
        p = Parameter("x", tags=["t"])
        assert (p.name, p.slug, p.tags, p.checkpoint) == ("x", "x", {"t"}, True)
        assert isinstance(p.result, PrefectResult)
        assert repr(p) == "<Parameter: x>"

    def test_run_returns_the_default(self) -> None:
        assert Parameter("x", default=4).run() == 4

    def test_run_of_a_required_parameter_without_a_value_fails(self) -> None:
        with pytest.raises(signals.FAIL, match='Parameter "x" was required but not provided.'):
            Parameter("x").run()

    def test_a_parameter_needs_a_name(self) -> None:
        with pytest.raises(TypeError, match="A Parameter needs a name"):
            Parameter("")


class TestInAFlow:
    def test_calling_a_parameter_adds_it_and_returns_it(self) -> None:
        p = Parameter("x", default=1)
        with Flow("f") as flow:
            assert p() is p
        assert flow.parameters() == {p}

    def test_calling_a_parameter_outside_a_flow(self) -> None:
        with pytest.raises(ValueError, match="Could not infer an active Flow context"):
            Parameter("x")()

    def test_copy_with_a_new_name(self) -> None:
        p = Parameter("x", default=1)
        c = p.copy("y")
        assert (type(c), c.name, c.slug, c.default) == (Parameter, "y", "y", 1)
        with Flow("f") as flow:
            ident(p)
            ident(c)
        assert {q.name for q in flow.parameters()} == {"x", "y"}

    def test_duplicate_names_in_one_flow(self) -> None:
        with Flow("f"):
            ident(Parameter("x"))
            with pytest.raises(ValueError, match='already has a parameter named "x"'):
                ident(Parameter("x"))

    def test_a_parameter_cannot_have_upstream_tasks(self) -> None:
        with Flow("f"):
            p = Parameter("x")
            with pytest.raises(ValueError, match="Parameters must be root tasks"):
                p.set_upstream(Task())


class TestRunParameters:
    def build(self) -> tuple[Flow, Task, Task, list]:
        ran: list = []

        @task
        def record(x: Any, y: Any) -> tuple:
            ran.append((x, y))
            return x, y

        with Flow("f") as flow:
            out = record(Parameter("a"), Parameter("b", default=2))
        return flow, out, record, ran

    def test_parameters_as_keywords(self) -> None:
        flow, out, _, ran = self.build()
        assert flow.run(a=1).result[out].result == (1, 2)

    def test_parameters_as_a_dict(self) -> None:
        flow, out, _, ran = self.build()
        assert flow.run(parameters={"a": 5, "b": 6}).result[out].result == (5, 6)

    def test_keywords_win_over_the_dict(self) -> None:
        flow, out, _, ran = self.build()
        assert flow.run(parameters={"a": 5}, a=6).result[out].result == (6, 2)

    def test_missing_required_parameter_fails_before_any_task_runs(self) -> None:
        flow, out, _, ran = self.build()
        with pytest.raises(
            ValueError, match="did not receive the following required parameters: a"
        ):
            flow.run(b=1)
        assert ran == []

    def test_unknown_parameter_fails_before_any_task_runs(self) -> None:
        flow, out, _, ran = self.build()
        with pytest.raises(ValueError, match="received the following unexpected parameters: zz"):
            flow.run(parameters={"a": 1, "zz": 3})
        assert ran == []

    def test_unknown_keyword_is_refused_before_any_task_runs(self) -> None:
        # as in Prefect 1, a keyword that names no parameter goes to the runner, which refuses it
        flow, out, _, ran = self.build()
        with pytest.raises(TypeError, match="unexpected keyword argument 'zz'"):
            flow.run(a=1, zz=3)
        assert ran == []


class TestDateTimeParameter:
    def run(self, value: Any, required: bool = True) -> tuple[Any, Any]:
        with Flow("dates") as flow:
            when = DateTimeParameter("when", required=required)
            out = ident(when)
        state = flow.run(when=value) if value is not None else flow.run()
        return state.result[when], state.result[out]

    def test_required_by_default(self) -> None:
        assert DateTimeParameter("d").required is True
        assert DateTimeParameter("d", required=False).default is None

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (
                "2024-01-31T10:00:00+01:00",
                datetime.datetime(
                    2024, 1, 31, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
                ),
            ),
            ("2024-01-31", datetime.datetime(2024, 1, 31, tzinfo=UTC)),
            ("2024-01-31 10:00", datetime.datetime(2024, 1, 31, 10, tzinfo=UTC)),
            (datetime.datetime(2024, 1, 1, 5), datetime.datetime(2024, 1, 1, 5, tzinfo=UTC)),
            (
                datetime.datetime(2024, 1, 1, 5, tzinfo=UTC),
                datetime.datetime(2024, 1, 1, 5, tzinfo=UTC),
            ),
            (datetime.date(2024, 1, 2), datetime.datetime(2024, 1, 2, tzinfo=UTC)),
        ],
    )
    def test_values_become_aware_datetimes(self, value: Any, expected: datetime.datetime) -> None:
        param_state, out_state = self.run(value)
        assert isinstance(param_state, Success)
        assert out_state.result == expected
        assert out_state.result.utcoffset() == expected.utcoffset()

    def test_a_bad_string_fails_the_parameter_with_a_clear_message(self) -> None:
        param_state, out_state = self.run("not a date")
        assert isinstance(param_state, Failed)
        assert "'not a date' is not an ISO 8601 date-time" in param_state.message
        assert isinstance(out_state, TriggerFailed)

    def test_optional_without_a_value_is_none(self) -> None:
        param_state, out_state = self.run(None, required=False)
        assert out_state.result is None
