"""structure_hash: the same for an unchanged flow in every process, different for any change."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

from prefect_jupyter import Flow, Parameter, Task, task
from prefect_jupyter.schedules import IntervalSchedule
from prefect_jupyter.serialization import serialize_flow, structure_hash

SCRIPT = textwrap.dedent(
    """
    from prefect_jupyter import Flow, Parameter, Task, task

    KINDS = {"a", "b", "c", "d"}

    def helper(x):
        return x in {"alpha", "beta", "gamma"} or x in KINDS

    @task(tags={"t1", "t2", "t3"})
    def check(x):
        return helper(x) + BODY

    class Upper(Task):
        def run(self, s):
            return str(s).upper()

    with Flow("hashing") as flow:
        p = Parameter("p", default={"k": [1, 2]})
        Upper(name="upper")(check(p))
        check(3)
    print(flow.serialized_hash())
    """
)


def hashes_in_subprocesses(tmp_path: Path, variants: dict[str, tuple[str, str, bool]]) -> dict[str, str]:
    """Run SCRIPT for each variant (body, hash seed, from a file?) in parallel processes."""
    running = {}
    for name, (body, seed, as_file) in variants.items():
        code = SCRIPT.replace("BODY", body)
        if as_file:
            path = tmp_path / f"flow_script_{name}.py"
            path.write_text(code)
            args = [sys.executable, str(path)]
        else:
            args = [sys.executable, "-c", code]  # no source file: the bytecode is hashed
        env = {**os.environ, "PYTHONHASHSEED": seed}
        running[name] = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    hashes = {}
    for name, proc in running.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        hashes[name] = out.strip()
    return hashes


@task
def inc(x):
    return x + 1


def build(default: int = 1, const: int = 10, labels: bool = False) -> Flow:
    with Flow("f") as flow:
        inc(Parameter("p", default=default))
        inc(const)
    return flow


def test_stable_across_processes_and_changed_by_task_code(tmp_path):
    hashes = hashes_in_subprocesses(tmp_path, {
        "file": ("0", "1", True),
        "file, other seed": ("0", "2", True),
        "file, new code": ("1", "1", True),
        "no source": ("0", "1", False),
        "no source, other seed": ("0", "3", False),
        "no source, new code": ("1", "1", False),
    })
    assert len(hashes["file"]) == 64
    assert hashes["file, other seed"] == hashes["file"]
    assert hashes["no source, other seed"] == hashes["no source"]
    assert hashes["file, new code"] != hashes["file"]
    assert hashes["no source, new code"] != hashes["no source"]


def test_same_flow_built_twice_has_the_same_hash():
    assert structure_hash(build()) == structure_hash(build())
    assert structure_hash(build()) == serialize_flow(build(), build_storage=False)["structure_hash"]


def test_changes_with_structure_values_and_settings():
    base = structure_hash(build())
    assert structure_hash(build(default=2)) != base  # a parameter default
    assert structure_hash(build(const=11)) != base  # a constant argument
    with_edge = build()
    a, b = sorted(with_edge.get_tasks(name="inc"), key=with_edge.slugs.__getitem__)
    with_edge.add_edge(a, b)
    assert structure_hash(with_edge) != base
    scheduled = build()
    scheduled.schedule = IntervalSchedule(interval=timedelta(hours=1))
    assert structure_hash(scheduled) != base
    labelled = build()
    assert serialize_flow(labelled, build_storage=False, labels=["gpu"])["structure_hash"] != base
    retried = build()
    next(iter(retried.get_tasks(name="inc"))).max_retries = 3
    assert structure_hash(retried) != base


def test_changes_when_a_helper_or_a_task_class_changes():
    def make(helper_offset: int, class_suffix: str) -> Flow:
        namespace: dict = {}
        exec(  # noqa: S102  (code without a source file: its bytecode and constants are hashed)
            textwrap.dedent(
                f"""
                from prefect_jupyter import Task, task

                def helper(x):
                    return x + {helper_offset}

                @task
                def uses_helper(x):
                    return helper(x)

                class Tail(Task):
                    def run(self, x):
                        return str(x) + {class_suffix!r}
                """
            ),
            namespace,
        )
        with Flow("helpers") as flow:
            namespace["Tail"](name="tail")(namespace["uses_helper"](1))
        return flow

    base = structure_hash(make(1, "!"))
    assert structure_hash(make(1, "!")) == base
    assert structure_hash(make(2, "!")) != base
    assert structure_hash(make(1, "?")) != base


def test_built_in_tasks_count_by_name_only():
    class Wrapper(Task):
        def run(self):
            return 1

    with Flow("builtins") as flow:
        inc(1) + 2  # an operator task from prefect_jupyter
        Wrapper()()
    assert structure_hash(flow) == structure_hash(flow)
