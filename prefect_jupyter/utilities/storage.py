"""Turning flows into stored bytes and back, and finding flows in files and modules.

Prefect 1's ``prefect.utilities.storage``; the pickling itself (cloudpickle, by value for code
that can't be imported elsewhere, with version checks on load) is
:mod:`prefect_jupyter.serialization.storage`'s, reused here.

* :func:`flow_to_bytes_pickle` / :func:`flow_from_bytes_pickle` — a flow as JSON bytes
  ``{"flow": base64 cloudpickle, "versions": {"cloudpickle", "prefect", "python"}}``.
* :func:`extract_flow_from_file` — run a ``.py`` file (or its text) and take a flow from it.
* :func:`extract_flow_from_module` — import a module and take a flow from it.
* :func:`get_flow_image` — the Docker image a flow runs in.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import json
import platform
from operator import attrgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prefect_jupyter.core.flow import Flow

__all__ = [
    "extract_flow_from_file",
    "extract_flow_from_module",
    "flow_from_bytes_pickle",
    "flow_to_bytes_pickle",
    "get_flow_image",
]


def get_flow_image(flow: Flow) -> str:
    """The image a flow runs in: its run config's ``image``, else its ``Docker`` storage's name.

    Raises:
        ValueError: the run config names no image and the storage is not ``Docker``.
    """
    image = getattr(flow.run_config, "image", None)
    if image is not None:
        return image
    from prefect_jupyter.storage.docker import Docker

    if not isinstance(flow.storage, Docker):
        raise ValueError(
            f"Flow {flow.name!r} names no image: its run config has no `image` and its storage is "
            "not Docker. Give it a run config with an image (e.g. DockerRun(image=...)) or Docker storage."
        )
    return flow.storage.name


def _versions() -> dict[str, str]:
    import cloudpickle

    from prefect_jupyter import __version__

    return {
        "cloudpickle": cloudpickle.__version__,
        "prefect": __version__,
        "python": platform.python_version(),
    }


def flow_to_bytes_pickle(flow: Flow) -> bytes:
    """``flow`` pickled, with the versions that pickled it, as JSON bytes.

    Raises:
        prefect_jupyter.serialization.storage.FlowSerializationError: naming the task (and
            object) that can't be pickled.
    """
    from prefect_jupyter.storage.pickling import pickle_flow

    return json.dumps({"flow": pickle_flow(flow), "versions": _versions()}).encode("utf-8")


def flow_from_bytes_pickle(data: bytes) -> Flow:
    """The flow :func:`flow_to_bytes_pickle` made (or plain cloudpickle bytes).

    Raises:
        prefect_jupyter.exceptions.FlowStorageError: when the flow can't be unpickled here,
            naming the versions that pickled it and the module that is missing.
    """
    from prefect_jupyter.storage.pickling import unpickle_flow

    try:
        info = json.loads(data.decode("utf-8"))
        payload, versions = info["flow"], dict(info.get("versions") or {})
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        payload, versions = base64.b64encode(data).decode("ascii"), {}
    try:
        base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        # Prefect 1 writes base64 with the standard alphabet too; anything else is not a flow
        from prefect_jupyter.exceptions import FlowStorageError

        raise FlowStorageError("The stored flow is not a pickled flow (bad base64).") from None
    _warn_on_prefect_version(versions.get("prefect"))
    return unpickle_flow(
        None,
        {
            "flow": payload,
            "python_version": versions.get("python"),
            "cloudpickle_version": versions.get("cloudpickle"),
            "prefect_version": versions.get("prefect"),
        },
    )


def _warn_on_prefect_version(built_with: str | None) -> None:
    from prefect_jupyter import __version__

    if built_with and built_with != __version__:
        import warnings

        warnings.warn(
            f"This flow was built using Prefect {built_with!r}, but you currently have Prefect "
            f"{__version__!r} installed. We recommend loading flows with the same Prefect version "
            "they were built with, failure to do so may result in errors.",
            stacklevel=3,
        )


def _pick(flows: dict[str, Flow], flow_name: str | None, where: str, first: bool) -> Flow:
    """The flow named ``flow_name`` (or, without a name, the first one or the only one)."""
    if not flows:
        raise ValueError(f"No flows found in {where}.")
    if flow_name is None:
        if len(flows) > 1 and not first:
            raise ValueError(
                f"Multiple flows found in {where}, please provide `flow_name` to select one."
            )
        return next(iter(flows.values()))
    if flow_name in flows:
        return flows[flow_name]
    found = "\n".join(f"- {name!r}" for name in sorted(flows))
    raise ValueError(f"Flow {flow_name!r} not found in {where}. Found flows:\n{found}")


def extract_flow_from_file(
    file_path: str | None = None,
    file_contents: str | bytes | None = None,
    flow_name: str | None = None,
) -> Flow:
    """Run a flow's ``.py`` file (given by path or as text) and return a flow it defines.

    Args:
        file_path: the file to run (its ``__file__`` is set).
        file_contents: the file's text instead.
        flow_name: which flow to return (default: the first one defined).

    Raises:
        ValueError: for both or neither of ``file_path`` and ``file_contents``, no flow in the
            file, or none named ``flow_name`` (listing those found).
        TypeError: if ``file_contents`` is neither ``str`` nor ``bytes``.
    """
    from prefect_jupyter.core.flow import Flow

    if file_path is not None and file_contents is not None:
        raise ValueError("Provide either `file_path` or `file_contents` but not both.")
    if file_path is not None:
        with open(file_path, "rb") as f:
            contents: str | bytes = f.read()
    elif file_contents is not None:
        if not isinstance(file_contents, (str, bytes)):
            raise TypeError("`file_contents` must be string or bytes.")
        contents = file_contents
    else:
        raise ValueError("Provide either `file_path` or `file_contents`.")
    namespace: dict[str, Any] = {"__file__": file_path} if file_path else {}
    namespace["__name__"] = "__prefect_jupyter_flow_file__"
    exec(compile(contents, file_path or "<flow file>", "exec"), namespace)
    flows: dict[str, Flow] = {}
    for value in namespace.values():
        if isinstance(value, Flow):
            flows.setdefault(value.name, value)
    return _pick(flows, flow_name, "file", first=True)


def extract_flow_from_module(module_str: str, flow_name: str | None = None) -> Flow:
    """Import a module and return a flow from it.

    Args:
        module_str: ``"pkg.module"``, or ``"pkg.module:attr"`` / ``"pkg.module:Obj.attr"``
            naming the flow (or a function returning it).
        flow_name: which flow to return; needed when the module holds several.

    Raises:
        ValueError: no flow (or several, without ``flow_name``), or a name mismatch.
        TypeError: the attribute named is not a flow.
        ImportError: the module can't be imported here.
    """
    from prefect_jupyter.core.flow import Flow

    module_name, _, attribute = module_str.partition(":")
    module = importlib.import_module(module_name)
    if not attribute:
        flows = {v.name: v for v in (getattr(module, a, None) for a in dir(module)) if isinstance(v, Flow)}
        if flow_name is not None and flow_name not in flows:
            raise ValueError(f"Failed to find flow {flow_name!r} in {module_str!r}")
        return _pick(flows, flow_name, repr(module_str), first=False)
    try:
        flow = attrgetter(attribute)(module)
    except AttributeError:
        raise ValueError(f"Failed to find flow at {module_str!r}") from None
    if callable(flow) and not isinstance(flow, Flow):
        flow = flow()
    if not isinstance(flow, Flow):
        raise TypeError(f"Object at {module_str!r} is a {type(flow)} not a `prefect.Flow`")
    if flow_name is not None and flow.name != flow_name:
        raise ValueError(f"Flow at {module_str!r} is named {flow.name!r}, expected {flow_name!r}")
    return flow
