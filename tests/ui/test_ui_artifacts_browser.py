"""A run's artifacts on its page, in a real browser: markdown shown as text (never HTML), an
http(s) link as a link that cannot reach back into the page, any other link as text."""

from __future__ import annotations

import re
from typing import Any

import pytest
import ui_artifact_flows as flows

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_a_runs_artifacts_are_shown_as_text_and_safe_links(
    backend: Any, agent: Any, page: Any, console: Any
):
    flow_id = backend.register(flows.artifact_flow())
    with backend.client() as client:
        run_id = client.create_flow_run(flow_id)
    page.goto(f"{backend.ui_url}/#/flow-run/{run_id}")
    page.wait_for_function(
        "() => document.querySelector('.run-head .pj-badge')?.dataset.state === 'Success'",
        timeout=120_000,
    )
    page.wait_for_function("() => document.querySelectorAll('.artifact').length === 3")
    card = page.locator(".card:has(h2:text-is('Artifacts'))")
    assert card.is_visible()
    kinds = card.locator(".artifact").evaluate_all("(els) => els.map((e) => e.dataset.kind)")
    assert kinds == ["markdown", "link", "link"]
    assert card.locator("pre.artifact-markdown").inner_text() == flows.MARKDOWN
    link = card.locator("a.artifact-link")
    assert link.count() == 1
    assert link.inner_text() == flows.SAFE_LINK
    assert link.get_attribute("href") == flows.SAFE_LINK
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert card.locator("code.artifact-link").inner_text() == flows.BAD_LINK
    assert re.search(r"publish · markdown", card.inner_text())
    # nothing ran and no element was made from the text
    assert page.evaluate("() => window.__xss") is None
    assert card.locator("img, script").count() == 0
    assert not console.errors


def test_a_run_without_artifacts_shows_no_artifact_card(backend: Any, agent: Any, page: Any):
    flow_id = backend.register(flows.plain_flow())
    with backend.client() as client:
        run_id = client.create_flow_run(flow_id)
    page.goto(f"{backend.ui_url}/#/flow-run/{run_id}")
    page.wait_for_function(
        "() => document.querySelector('.run-head .pj-badge')?.dataset.state === 'Success'",
        timeout=120_000,
    )
    assert page.locator(".card:has(h2:text-is('Artifacts'))").is_hidden()
