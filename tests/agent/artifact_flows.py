"""A flow whose tasks publish artifacts (Prefect 1's ``prefect.backend.artifacts``); the agent's
flow-run processes import this module by name (``--import-path``), as ``agent_flows``."""

from __future__ import annotations

from prefect_jupyter import Flow, task
from prefect_jupyter.backend.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    delete_artifact,
    update_markdown_artifact,
)


@task
def publish() -> list[str | None]:
    """A markdown artifact (then updated), a link artifact, and one made and deleted."""
    markdown = create_markdown_artifact("# Draft")
    update_markdown_artifact(markdown, "# Report\n<script>alert(1)</script>")
    link = create_link_artifact("https://example.com/report")
    gone = create_markdown_artifact("temporary")
    delete_artifact(gone)
    return [markdown, link]


@task
def publish_each(n: int) -> str | None:
    """Each mapped child publishes its own artifact, onto its own task run."""
    return create_markdown_artifact(f"child {n}")


def artifacts_flow() -> Flow:
    with Flow("artifacts") as flow:
        publish()
        publish_each.map([0, 1, 2])
    return flow
