"""Mapping: children per element, chained and nested maps, reduce, unmapped, flatten (Prefect 1.4.1)."""

from __future__ import annotations

import datetime

from prefect_jupyter import Flow, Parameter, context, flatten, task, unmapped
from prefect_jupyter.engine import signals
from prefect_jupyter.engine.state import Failed, Mapped, Skipped, Success, TriggerFailed


@task
def inc(x):
    return x + 1


@task
def add(x, y):
    return x + y


@task
def total(xs):
    return sum(xs)


@task
def ident(x):
    return x


@task
def numbers():
    return [1, 2, 3]


@task
def nested():
    return [[1, 2], [3]]


def run(flow, *tasks):
    state = flow.run()
    return state, [state.result[t] for t in tasks]


class TestBasics:
    def test_map_over_a_list(self):
        with Flow("map") as flow:
            m = inc.map([1, 2, 3])
        state, [mapped] = run(flow, m)
        assert state.is_successful()
        assert type(mapped) is Mapped
        assert mapped.message == "Ready to proceed with mapping."
        assert mapped.result == [2, 3, 4]
        assert mapped.n_map_states == 3
        assert [type(s) for s in mapped.map_states] == [Success] * 3

    def test_map_over_a_task_result(self):
        with Flow("map") as flow:
            m = inc.map(numbers)
        _, [mapped] = run(flow, m)
        assert mapped.result == [2, 3, 4]

    def test_map_over_a_parameter(self):
        with Flow("map") as flow:
            m = inc.map(Parameter("xs"))
        assert flow.run(xs=[10, 20]).result[m].result == [11, 21]

    def test_map_over_a_tuple_and_a_string(self):
        with Flow("map") as flow:
            t = ident.map((1, 2))
            s = ident.map("ab")
        _, [tup, text] = run(flow, t, s)
        assert tup.result == [1, 2]
        assert text.result == ["a", "b"]

    def test_chained_maps(self):
        with Flow("chain") as flow:
            m = inc.map(inc.map(numbers))
        _, [mapped] = run(flow, m)
        assert mapped.result == [3, 4, 5]

    def test_map_of_map_over_nested_lists(self):
        with Flow("nested") as flow:
            m = ident.map(ident.map([[1, 2], [3]]))
            sums = total.map(nested)
        _, [inner, summed] = run(flow, m, sums)
        assert inner.result == [[1, 2], [3]]
        assert summed.result == [3, 3]

    def test_reduce_over_mapped_output(self):
        with Flow("reduce") as flow:
            t = total(inc.map(numbers))
        _, [reduced] = run(flow, t)
        assert type(reduced) is Success
        assert reduced.result == 9

    def test_unmapped_argument(self):
        with Flow("unmapped") as flow:
            m = add.map([1, 2, 3], y=unmapped(10))
        _, [mapped] = run(flow, m)
        assert mapped.result == [11, 12, 13]

    def test_unmapped_list_is_passed_whole(self):
        @task
        def pair(x, ys):
            return (x, len(ys))

        with Flow("unmapped") as flow:
            m = pair.map([1, 2], ys=unmapped([7, 8, 9]))
        _, [mapped] = run(flow, m)
        assert mapped.result == [(1, 3), (2, 3)]

    def test_unmapped_task_result(self):
        with Flow("unmapped") as flow:
            m = add.map(numbers, y=unmapped(total(numbers)))
        _, [mapped] = run(flow, m)
        assert mapped.result == [7, 8, 9]

    def test_two_mapped_arguments_zip_and_the_shortest_wins(self):
        with Flow("zip") as flow:
            m = add.map([1, 2, 3], [10, 20])
        _, [mapped] = run(flow, m)
        assert mapped.result == [11, 22]
        assert mapped.n_map_states == 2

    def test_mapping_over_a_dict_fails_the_flow(self):
        @task
        def a_dict():
            return {"a": 1, "b": 2}

        with Flow("dict") as flow:
            mapped = ident.map(a_dict)
        state = flow.run()
        # Prefect 1 crashed the whole run with KeyError(0); we fail the mapped task and say why
        assert state.is_failed()
        failed = state.result[mapped]
        assert failed.is_failed() and not failed.is_mapped()
        assert "a dict can't be mapped over by position" in failed.message
        assert "list(d.items())" in failed.message


class TestFlatten:
    def test_flatten_a_task_result_for_mapping(self):
        with Flow("flatten") as flow:
            m = inc.map(flatten(nested))
        _, [mapped] = run(flow, m)
        assert mapped.result == [2, 3, 4]

    def test_flatten_a_task_result_for_a_plain_call(self):
        with Flow("flatten") as flow:
            f = ident(flatten(nested))
        _, [flat] = run(flow, f)
        assert flat.result == [1, 2, 3]

    def test_flatten_a_mapped_tasks_output_for_mapping(self):
        @task
        def repeat(x):
            return [x] * x

        with Flow("flatten-mapped") as flow:
            m = inc.map(flatten(repeat.map([1, 2])))
        _, [mapped] = run(flow, m)
        assert mapped.result == [2, 3, 3]
        assert mapped.n_map_states == 3

    def test_flatten_a_mapped_tasks_output_for_a_reduce(self):
        @task
        def repeat(x):
            return [x] * x

        with Flow("flatten-reduce") as flow:
            r = ident(flatten(repeat.map([1, 2])))
        _, [reduced] = run(flow, r)
        assert reduced.result == [1, 2, 2]


class TestEmptyAndUnmappable:
    def test_empty_map_has_no_children(self):
        @task
        def empty():
            return []

        with Flow("empty") as flow:
            m = inc.map(empty)
            r = ident(m)
        state, [mapped, reduced] = run(flow, m, r)
        assert type(mapped) is Mapped
        assert mapped.map_states == []
        assert mapped.result == []
        assert reduced.result == []
        assert state.is_successful()

    def test_mapping_over_a_non_iterable_result_fails(self):
        @task
        def five():
            return 5

        with Flow("unmappable") as flow:
            m = inc.map(five)
        state, [mapped] = run(flow, m)
        assert type(mapped) is Failed
        assert mapped.message == "At least one upstream state has an unmappable result."
        assert state.is_failed()

    def test_mapping_over_a_failed_upstream(self):
        @task
        def broken():
            raise ValueError("no list")

        with Flow("failed-upstream") as flow:
            m = inc.map(broken)
        _, [mapped] = run(flow, m)
        assert type(mapped) is Failed
        assert mapped.message == "No upstream states can be mapped over."

    def test_mapping_over_a_skipped_upstream_skips(self):
        @task
        def skipper():
            raise signals.SKIP("nothing")

        with Flow("skipped-upstream") as flow:
            m = inc.map(skipper)
        _, [mapped] = run(flow, m)
        assert type(mapped) is Skipped


@task
def maybe_fail(x):
    if x == 2:
        raise ValueError("two")
    return x


class TestFailingChildren:
    def test_one_failing_child(self):
        with Flow("child-fails") as flow:
            m = maybe_fail.map([1, 2, 3])
            r = total(m)
        state, [mapped, reduced] = run(flow, m, r)
        assert type(mapped) is Mapped
        assert [type(s) for s in mapped.map_states] == [Success, Failed, Success]
        assert mapped.map_states[1].message == "Error during execution of task: ValueError('two')"
        assert mapped.result[0] == 1 and mapped.result[2] == 3
        assert type(reduced) is TriggerFailed
        assert state.is_failed()
        assert state.message == "Some reference tasks failed."

    def test_a_failing_child_fails_the_flow_when_mapped_is_terminal(self):
        with Flow("child-fails") as flow:
            maybe_fail.map([1, 2, 3])
        assert flow.run().is_failed()

    def test_chained_map_only_fails_the_matching_child(self):
        with Flow("chained-fail") as flow:
            m = inc.map(maybe_fail.map([1, 2, 3]))
        _, [mapped] = run(flow, m)
        assert [type(s) for s in mapped.map_states] == [Success, TriggerFailed, Success]
        assert mapped.map_states[0].result == 2

    def test_mapped_children_with_retries(self):
        runs = []

        @task(max_retries=2, retry_delay=datetime.timedelta(seconds=0.01))
        def flaky(x):
            runs.append((context.map_index, context.task_run_count))
            if x == 2 and context.task_run_count < 2:
                raise ValueError("flake")
            return x * 10

        with Flow("child-retries") as flow:
            m = flaky.map([1, 2, 3])
        state, [mapped] = run(flow, m)
        assert state.is_successful()
        assert mapped.result == [10, 20, 30]
        assert sorted(runs) == [(0, 1), (1, 1), (1, 2), (2, 1)]


class TestChildContext:
    def test_map_index_and_full_name(self):
        @task
        def who(x):
            return context.map_index, context.task_full_name, context.task_name

        with Flow("ctx") as flow:
            m = who.map([5, 6, 7, 8])
        _, [mapped] = run(flow, m)
        assert mapped.result[0] == (0, "who[0]", "who")
        assert mapped.result[3] == (3, "who[3]", "who")

    def test_task_run_name_template_from_inputs(self):
        @task(task_run_name="run-{x}")
        def named(x):
            return context.task_run_name

        with Flow("names") as flow:
            m = named.map(["a", "b"])
        _, [mapped] = run(flow, m)
        assert mapped.result == ["run-a", "run-b"]

    def test_task_run_name_function(self):
        @task(task_run_name=lambda **kwargs: f"fn-{kwargs['x']}")
        def named(x):
            return context.task_run_name

        with Flow("names") as flow:
            m = named.map([7, 8])
        _, [mapped] = run(flow, m)
        assert mapped.result == ["fn-7", "fn-8"]

    def test_task_run_name_can_use_parameters(self):
        @task(task_run_name="{p}-{x}")
        def named(x, p):
            return context.task_run_name

        with Flow("names") as flow:
            m = named.map([1, 2], p=unmapped(Parameter("p", default="P")))
        _, [mapped] = run(flow, m)
        assert mapped.result == ["P-1", "P-2"]

    def test_mapped_events_and_logs_name_children(self, caplog):
        with Flow("logs") as flow:
            inc.map([1, 2])
        flow.run()
        messages = [r.getMessage() for r in caplog.records]
        assert "Task 'inc[1]': Finished task run for task with final state: 'Success'" in messages


def test_a_rerun_of_a_mapped_task_remakes_its_children_without_the_upstream_result():
    from prefect_jupyter.engine.flow_runner import FlowRunner
    from prefect_jupyter.engine.result import Result
    from prefect_jupyter.engine.state import Mapped, Pending, Success

    @task
    def numbers():
        return [1, 2, 3]

    @task
    def identity(x):
        return x

    with Flow("rerun") as flow:
        n = numbers()
        x = identity.map(n)
        total = identity(x)

    from_map_states = FlowRunner(flow=flow).run(
        task_states={n: Success(), x: Mapped(map_states=[Pending() for _ in range(3)])},
        return_tasks=flow.tasks,
    )
    assert from_map_states.is_successful()
    assert from_map_states.result[x].result == [None, None, None]

    from_a_count = flow.run(task_states={x: Mapped(n_map_states=3), n: Success(result=Result())})
    assert from_a_count.is_successful()
    assert from_a_count.result[total].result == [None, None, None]


def test_flatten_passes_a_child_that_is_not_a_sequence_on_with_a_warning(caplog):
    @task
    def nest(x):
        return x if x == 2 else [x]

    @task
    def add_one(x):
        return x + 1

    with Flow("flat") as flow:
        z = add_one.map(flatten(nest.map([1, 2, 3])))

    state = flow.run()
    assert state.result[z].result == [2, 3, 4]
    warnings = [r for r in caplog.records if r.levelname == "WARNING"]
    assert [r.getMessage() for r in warnings] == [
        "`flatten` was used on upstream task that did not return an iterable. "
        "The value will be passed downstream unmodified."
    ]
    assert warnings[0].name == "prefect_jupyter.FlowRunner"
