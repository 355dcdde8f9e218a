"""A flow whose task publishes artifacts with hostile text, for the UI's artifact card; the
agent's flow-run processes import this module by name (this directory is on their path)."""

from __future__ import annotations

from prefect_jupyter import Flow, task
from prefect_jupyter.backend.artifacts import create_link_artifact, create_markdown_artifact

MARKDOWN = "# Report\n<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script>"
SAFE_LINK = "https://example.com/report?a=1&b=2"
BAD_LINK = "javascript:window.__xss=3"


@task
def publish() -> None:
    create_markdown_artifact(MARKDOWN)
    create_link_artifact(SAFE_LINK)
    create_link_artifact(BAD_LINK)


def artifact_flow() -> Flow:
    with Flow("ui-artifacts") as flow:
        publish()
    return flow


@task
def nothing() -> int:
    return 1


def plain_flow() -> Flow:
    with Flow("ui-no-artifacts") as flow:
        nothing()
    return flow
