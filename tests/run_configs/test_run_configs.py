"""Run configs: Prefect 1's arguments, validation, and their JSON round trip."""

from __future__ import annotations

import os

import pytest

from prefect_jupyter import Flow
from prefect_jupyter.run_configs import (
    DockerRun,
    ECSRun,
    KubernetesRun,
    LocalRun,
    UniversalRun,
    VertexRun,
)

pytest.importorskip("marshmallow", reason="the serialization extra is not installed")
from prefect_jupyter.serialization.run_config import RunConfigSchema  # noqa: E402


def test_local_run_makes_working_dir_absolute_and_keeps_labels_as_a_set() -> None:
    config = LocalRun(env={"STAGE": "dev"}, working_dir=os.path.join("a", "b"), labels=["x", "x"])
    assert config.working_dir == os.path.abspath(os.path.join("a", "b"))
    assert config.labels == {"x"}
    assert config.env == {"STAGE": "dev"}
    assert LocalRun().labels == set() and LocalRun().env is None


def test_arguments_are_keyword_only_as_in_prefect_1() -> None:
    with pytest.raises(TypeError):
        LocalRun({"A": "1"})  # type: ignore[misc]


def test_a_single_string_as_labels_is_refused_with_the_fix() -> None:
    with pytest.raises(TypeError, match=r"labels=\['gpu'\]"):
        UniversalRun(labels="gpu")


def test_kubernetes_validation_and_normalisation(tmp_path) -> None:
    with pytest.raises(ValueError, match="Cannot provide both"):
        KubernetesRun(job_template_path="x.yaml", job_template={})
    with pytest.raises(ValueError, match="Invalid image_pull_policy 'Sometimes'"):
        KubernetesRun(image_pull_policy="Sometimes")
    template = tmp_path / "job.yaml"
    template.write_text("apiVersion: batch/v1\nkind: Job\n")
    local = KubernetesRun(job_template_path=str(template), cpu_limit=2, image_pull_secrets=("s",))
    assert local.job_template == {"apiVersion": "batch/v1", "kind": "Job"}
    assert local.job_template_path is None  # read now: it travels with the registration
    assert local.cpu_limit == "2" and local.image_pull_secrets == ["s"]
    remote = KubernetesRun(job_template_path="s3://bucket/job.yaml")
    assert remote.job_template_path == "s3://bucket/job.yaml" and remote.job_template is None
    assert KubernetesRun(job_template="kind: Job").job_template == {"kind": "Job"}


def test_unreadable_local_template_names_the_argument(tmp_path) -> None:
    with pytest.raises(ValueError, match="job_template_path=.*can't be read as YAML"):
        KubernetesRun(job_template_path=str(tmp_path / "missing.yaml"))


def test_ecs_validation() -> None:
    with pytest.raises(ValueError, match="Can only provide one of"):
        ECSRun(task_definition={}, task_definition_arn="arn:x")
    with pytest.raises(ValueError, match="Cannot provide both `task_definition_arn` and `image`"):
        ECSRun(task_definition_arn="arn:x", image="img")
    assert ECSRun(cpu=1024, memory=2048).cpu == "1024"


@pytest.mark.parametrize(
    "config",
    [
        UniversalRun(env={"A": "1"}, labels=["b", "a"]),
        LocalRun(working_dir="/srv/flows", labels=["l"]),
        DockerRun(image="python:3.11", ports=[8080], host_config={"mem_limit": "1g"}),
        KubernetesRun(image="img", cpu_request="500m", job_template={"kind": "Job"}),
        ECSRun(image="img", cpu="1 vcpu", run_task_kwargs={"cluster": "c"}),
        VertexRun(machine_type="n1-standard-8", network="net"),
    ],
    ids=lambda c: type(c).__name__,
)
def test_round_trip_through_json(config) -> None:
    data = RunConfigSchema().dump(config)
    assert data["type"] == type(config).__name__
    assert data["labels"] == sorted(config.labels)
    assert RunConfigSchema().load(data) == config
    assert config.serialize() == data


def test_a_flows_run_config_labels_are_registered() -> None:
    from prefect_jupyter.serialization import serialize_flow

    flow = Flow("f", run_config=LocalRun(labels=["gpu"]))
    assert "gpu" in serialize_flow(flow, build_storage=False)["labels"]
