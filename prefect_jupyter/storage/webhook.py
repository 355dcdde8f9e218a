"""``Webhook`` storage: flows sent to and fetched from HTTP endpoints (registration only here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage, unavailable

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Webhook"]

HTTP_METHODS = ("GET", "PATCH", "POST", "PUT")


class Webhook(Storage):
    """A flow uploaded by one HTTP request and downloaded by another (Prefect 1's ``Webhook``).

    Holds one flow at a time. Kept for registration (arguments, validation, JSON); the
    requests themselves are not sent by prefect_jupyter.

    Args:
        build_request_kwargs: ``requests`` arguments of the upload (``url``, ``headers``, ...).
        build_request_http_method: ``"GET"``, ``"PATCH"``, ``"POST"`` or ``"PUT"``.
        get_flow_request_kwargs: ``requests`` arguments of the download.
        get_flow_request_http_method: the download's method, likewise.
        stored_as_script: the flow is sent as its ``.py`` script.
        flow_script_path: the script to send.
        **kwargs: :class:`~prefect_jupyter.storage.base.Storage` arguments.

    Raises:
        RuntimeError: for an HTTP method other than those above (as Prefect 1 did).
    """

    def __init__(
        self,
        build_request_kwargs: dict[str, Any],
        build_request_http_method: str,
        get_flow_request_kwargs: dict[str, Any],
        get_flow_request_http_method: str,
        stored_as_script: bool = False,
        flow_script_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        for method in (build_request_http_method, get_flow_request_http_method):
            if method not in HTTP_METHODS:
                raise RuntimeError(
                    f"HTTP method '{method}' not recognized; use one of {', '.join(HTTP_METHODS)}."
                )
        self.flow_script_path = flow_script_path
        self.build_request_kwargs = build_request_kwargs
        self.build_request_http_method = build_request_http_method
        self.get_flow_request_kwargs = get_flow_request_kwargs
        self.get_flow_request_http_method = get_flow_request_http_method
        super().__init__(stored_as_script=stored_as_script, **kwargs)

    def add_flow(self, flow: Flow) -> str:
        """Hold ``flow`` (replacing any other: a webhook storage holds one flow)."""
        self.flows = {flow.name: flow.name}
        self._flows = {flow.name: flow}
        return flow.name

    def build(self) -> Storage:
        """Refused: prefect_jupyter does not send the upload request."""
        raise unavailable(self, "upload flows", "sending the webhook requests (requests)")

    def get_flow(self, flow_name: str) -> Flow:
        """Refused: prefect_jupyter does not send the download request."""
        raise unavailable(self, "load flows", "sending the webhook requests (requests)")
