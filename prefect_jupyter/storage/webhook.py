"""``Webhook`` storage: flows sent to and fetched from HTTP endpoints with ``requests``.

The upload sends the pickled flow (or, with ``stored_as_script``, the script at
``flow_script_path``) as the request body; the download reads it back from the response body.
Strings of the form ``"${NAME}"`` anywhere in the request arguments are filled in when the
request is sent: from the environment variable ``NAME`` if set, else from the secret ``NAME``
(so credentials never sit in the stored arguments).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from prefect_jupyter.storage.base import Storage

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = ["Webhook"]

HTTP_METHODS = ("GET", "PATCH", "POST", "PUT")
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


class Webhook(Storage):
    """A flow uploaded by one HTTP request and downloaded by another (Prefect 1's ``Webhook``).

    Holds one flow at a time. The requests are sent with ``requests`` (install it with
    ``pip install requests``).

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

    Example:
        >>> storage = Webhook(
        ...     build_request_kwargs={"url": "https://files.example.com/flow",
        ...                           "headers": {"X-Api-Key": "${FILES_API_KEY}"}},
        ...     build_request_http_method="PUT",
        ...     get_flow_request_kwargs={"url": "https://files.example.com/flow"},
        ...     get_flow_request_http_method="GET",
        ... )
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
        self._method_to_function: dict[str, Callable[..., Any]] | None = None
        super().__init__(stored_as_script=stored_as_script, **kwargs)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_method_to_function"] = None  # requests' functions are looked up again where it loads
        return state

    def _send(self, method: str, kwargs: dict[str, Any], **extra: Any) -> Any:
        functions = self._method_to_function or _requests_functions()
        response = functions[method](**_render_dict(kwargs), **extra)
        response.raise_for_status()
        return response

    def add_flow(self, flow: Flow) -> str:
        """Hold ``flow`` (replacing any other: a webhook storage holds one flow)."""
        self.flows = {flow.name: flow.name}
        self._flows = {flow.name: flow}
        return flow.name

    def build(self) -> Storage:
        """Send the flow (pickled, or its script) with the upload request; returns the storage.

        Raises:
            RuntimeError: for ``stored_as_script`` without an existing ``flow_script_path``, or
                a ``"${NAME}"`` that is neither an environment variable nor a secret.
            requests.HTTPError: when the endpoint answers with an error status.
        """
        from prefect_jupyter.utilities.storage import flow_to_bytes_pickle

        self.run_basic_healthchecks()
        if "data" in self.build_request_kwargs:
            warnings.warn(
                "'data' found in build_request_kwargs. This value is overwritten with the flow "
                "content and should not be set directly.",
                RuntimeWarning,
                stacklevel=2,
            )
        kwargs = {k: v for k, v in self.build_request_kwargs.items() if k != "data"}
        for flow in self._flows.values():
            if self.stored_as_script:
                body = self._script()
            else:
                body = flow_to_bytes_pickle(flow)
            self.logger.info("Uploading flow %r (%s %s)", flow.name, self.build_request_http_method, kwargs.get("url"))
            self._send(self.build_request_http_method, kwargs, data=body)
        return self

    def _script(self) -> bytes:
        if not self.flow_script_path:
            raise RuntimeError(
                "flow_script_path must be provided if stored_as_script=True: the flow's .py file "
                "to upload."
            )
        try:
            with open(self.flow_script_path, "rb") as script:
                return script.read()
        except FileNotFoundError:
            raise RuntimeError(
                f"The file {self.flow_script_path!r} passed to flow_script_path does not exist."
            ) from None

    def get_flow(self, flow_name: str | None = None) -> Flow:
        """Fetch the flow with the download request and load it.

        Raises:
            requests.HTTPError: when the endpoint answers with an error status.
        """
        from prefect_jupyter.utilities.storage import extract_flow_from_file, flow_from_bytes_pickle

        self.logger.info("Downloading flow (%s %s)", self.get_flow_request_http_method, self.get_flow_request_kwargs.get("url"))
        data = self._send(self.get_flow_request_http_method, self.get_flow_request_kwargs).content
        if self.stored_as_script:
            return extract_flow_from_file(file_contents=data, flow_name=flow_name)
        return flow_from_bytes_pickle(data)


def _requests_functions() -> dict[str, Callable[..., Any]]:
    try:
        import requests
    except ImportError as exc:
        raise ImportError(
            "Webhook storage sends its requests with `requests`, which is not installed: "
            "`pip install requests`."
        ) from exc
    return {"GET": requests.get, "PATCH": requests.patch, "POST": requests.post, "PUT": requests.put}


def _render_dict(arguments: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``arguments`` (nested dicts and lists too) with each ``"${NAME}"`` filled in from
    the environment variable ``NAME``, else the secret ``NAME``."""
    return {key: _render(value) for key, value in arguments.items()}


def _render(value: Any) -> Any:
    if isinstance(value, dict):
        return _render_dict(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_render(item) for item in value)
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda match: _lookup(match.group(1)), value)
    return value


def _lookup(name: str) -> str:
    if name in os.environ:
        return os.environ[name]
    from prefect_jupyter.client.secrets import Secret

    try:
        return str(Secret(name).get())
    except Exception as exc:  # not found locally or on the server: say where we looked
        raise RuntimeError(
            f"Template value '${{{name}}}' does not refer to an environment variable or a secret "
            f"({type(exc).__name__}: {exc}): set the environment variable {name} or the secret {name}."
        ) from exc
