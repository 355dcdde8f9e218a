"""The web UI: static ES modules and CSS served by :func:`prefect_jupyter.ui.app.create_ui_app`.

The UI is a single page (``static/index.html``) with hash routing; it talks to the API only
through ``/api/graphql`` on its own origin, where :func:`create_ui_app` mounts the API app. The
flow schematic is drawn by the notebook widget's ES module (``jupyter/static/flow_widget.js``),
served under ``/widget/`` so that the drawing code exists once.
"""

from prefect_jupyter.ui.app import create_ui_app

__all__ = ["create_ui_app"]
