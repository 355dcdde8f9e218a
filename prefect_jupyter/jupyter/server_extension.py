"""The Jupyter server extension of prefect_jupyter: the API proxy the JupyterLab extension uses.

Installing the package enables it (``etc/jupyter/jupyter_server_config.d/prefect_jupyter.json``);
``jupyter server extension list`` shows it as ``prefect_jupyter.jupyter.server_extension``. It adds
the handlers of :mod:`prefect_jupyter.jupyter.api_proxy` under ``<base_url>/prefect-jupyter/``.

The API server's address and token come from the client's settings (``config.cloud.graphql``,
``config.server.api_token``, so ``PREFECT_JUPYTER__...`` variables work too) and can be set for
Jupyter alone with traitlets config, e.g. in ``jupyter_server_config.py``::

    c.PrefectApiProxy.graphql_url = "http://127.0.0.1:4300/graphql"
    c.PrefectApiProxy.api_token = "s3cret"

or on the command line: ``jupyter lab --PrefectApiProxy.graphql_url=http://...``.
"""

from __future__ import annotations

from typing import Any

from traitlets import Float, Unicode, default
from traitlets.config import Configurable

from prefect_jupyter.jupyter.api_proxy import GraphQLProxyHandler, ProxyTarget, StatusHandler

__all__ = ["PrefectApiProxy", "_jupyter_server_extension_points", "load_handlers"]

#: the URL path (below Jupyter's base_url) of the handlers
URL_PREFIX = "prefect-jupyter"


class PrefectApiProxy(Configurable):
    """Where the Jupyter server forwards the labextension's API requests."""

    graphql_url = Unicode(
        help="The prefect_jupyter API server's GraphQL endpoint. Default: the client's "
        "`config.cloud.graphql` (http://127.0.0.1:4200/graphql unless configured)."
    ).tag(config=True)
    api_token = Unicode(
        help="Bearer token sent to the API server. Default: the client's "
        "`config.server.api_token` ('' = none)."
    ).tag(config=True)
    request_timeout = Float(
        30.0, help="Seconds to wait for the API server's answer to one request."
    ).tag(config=True)

    @default("graphql_url")
    def _default_graphql_url(self) -> str:
        from prefect_jupyter import config

        return str(config.cloud.graphql)

    @default("api_token")
    def _default_api_token(self) -> str:
        from prefect_jupyter import config

        return str(config.server.get("api_token") or "")

    def target(self) -> ProxyTarget:
        return ProxyTarget(self.graphql_url, self.api_token, self.request_timeout)


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "prefect_jupyter.jupyter.server_extension"}]


def load_handlers(web_app: Any, target: ProxyTarget) -> None:
    """Add the ``/prefect-jupyter/*`` handlers, forwarding to ``target``, to ``web_app``."""
    from jupyter_server.utils import url_path_join

    base = url_path_join(web_app.settings["base_url"], URL_PREFIX)
    handlers = [
        (url_path_join(base, "graphql"), GraphQLProxyHandler, {"target": target}),
        (url_path_join(base, "status"), StatusHandler, {"target": target}),
    ]
    web_app.add_handlers(".*$", handlers)


def _load_jupyter_server_extension(server_app: Any) -> None:
    proxy = PrefectApiProxy(parent=server_app)
    target = proxy.target()
    load_handlers(server_app.web_app, target)
    server_app.log.info(
        "prefect_jupyter: forwarding /%s/graphql to %s", URL_PREFIX, target.graphql_url
    )
