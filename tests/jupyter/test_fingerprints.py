"""Task fingerprints: they change with a task's code and with the parameters it depends on."""

from __future__ import annotations

from prefect_jupyter import Flow, Parameter
from prefect_jupyter.jupyter import cells
from prefect_jupyter.jupyter.fingerprints import fingerprints


def _flow_with(fn_source: str) -> Flow:
    namespace: dict = {"__name__": "__main__"}
    exec(compile(fn_source, cells.cell_filename(fn_source), "exec"), namespace)  # noqa: S102
    with Flow("f") as flow:
        namespace["step"](Parameter("p", default=1))
    return flow


def test_fingerprints_follow_code_and_parameters() -> None:
    a = _flow_with("from prefect_jupyter import task\n@task\ndef step(p):\n    return p\n")
    b = _flow_with("from prefect_jupyter import task\n@task\ndef step(p):\n    return p + 1\n")
    fa, fb = fingerprints(a, {}), fingerprints(b, {})
    assert fa["p"] == fb["p"] and fa["step-1"] != fb["step-1"]
    assert fingerprints(a, {"p": 2})["step-1"] != fa["step-1"]
