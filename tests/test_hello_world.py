"""prefect_jupyter.hello_world: Prefect 1's first flow."""

from __future__ import annotations

import logging

from prefect_jupyter.hello_world import hello_flow


def test_greets_the_capitalized_name_in_the_log(caplog) -> None:
    with caplog.at_level(logging.INFO):
        assert hello_flow.run(name="marvin").is_successful()
        assert hello_flow.run().is_successful()
    assert "Hello Marvin" in caplog.text and "Hello World" in caplog.text
