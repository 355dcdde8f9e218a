"""Prefect 1's ``prefect.cli.build_register``: finding flows to register, and registering them.

* :func:`expand_paths` — files, directories (their ``*.py``) and globs to ``.py`` files.
* :func:`load_flows_from_script` / :func:`load_flows_from_module` / :func:`load_flows_from_json`
  — the flows a script defines (run with its directory importable, not as ``__main__``; flows
  without storage get ``Local`` storage of that script), a module defines (``Module`` storage),
  or a flows file of ``prefect build`` lists (``{"version": 1, "flows": [serialized flows]}``).
* :func:`collect_flows` — all of those, by source, keeping only the flows named.
* :func:`get_project_id`, :func:`register_serialized_flow` and :func:`build_and_register`
  (labels added, each storage built once, each flow registered) — the registration itself.
* :func:`watch_for_changes` — the scripts and modules that changed, again and again.

A problem the user must fix raises :class:`TerminalError`, whose message is what to show; the
error of a script or module that fails to load is printed first, with its traceback.
"""

from __future__ import annotations

import glob
import hashlib
import importlib.util
import json
import os
import runpy
import sys
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import click

from prefect_jupyter.utilities.filesystems import read_bytes_from_path

__all__ = [
    "TerminalError",
    "build_and_register",
    "build_flows",
    "collect_flows",
    "expand_paths",
    "get_project_id",
    "load_flows_from_json",
    "load_flows_from_module",
    "load_flows_from_script",
    "register_serialized_flow",
    "watch_for_changes",
]


class TerminalError(Exception):
    """A problem to report to the user (the message says what and how to fix it), then exit 1."""


def _report_load_error(source: str, exc: BaseException) -> None:
    click.secho(f"Error loading {source!r}:", fg="red")
    _echo_traceback(exc, 2)


def _echo_traceback(exc: BaseException, indent: int) -> None:
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    click.echo("".join(" " * indent + line for line in "".join(lines).splitlines(True)))


# -- what to register -----------------------------------------------------------------------------
def expand_paths(paths: Sequence[str]) -> list[str]:
    """Absolute paths of the ``.py`` files that ``paths`` name: files as given, directories by
    their ``*.py`` files (not recursively), globs (``**`` recursive) by the ``.py`` files they match.

    Raises:
        TerminalError: for a path (not a glob) that does not exist.
    """
    found: list[str] = []
    for path in paths:
        if not glob.has_magic(path) and not os.path.exists(path):
            raise TerminalError(f"Path {path!r} doesn't exist")
        if glob.has_magic(path):
            found.extend(p for p in glob.glob(path, recursive=True) if p.endswith(".py") and os.path.isfile(p))
        elif os.path.isdir(path):
            with os.scandir(path) as entries:
                found.extend(e.path for e in entries if e.is_file() and e.name.endswith(".py"))
        else:
            found.append(path)
    return [os.path.abspath(p) for p in found]


def flows_in_namespace(namespace: dict[str, Any]) -> list[Any]:
    """The distinct ``Flow`` objects bound in a module's namespace, in definition order."""
    from prefect_jupyter.core.flow import Flow

    found: list[Any] = []
    for value in namespace.values():
        if isinstance(value, Flow) and all(value is not f for f in found):
            found.append(value)
    return found


def load_flows_from_script(path: str) -> list[Any]:
    """The flows the script at ``path`` defines; those without storage get
    ``Local(path=<the script>, stored_as_script=True)``.

    The script runs with ``__name__`` other than ``"__main__"``, its own directory first on
    ``sys.path`` (so its local imports work) and ``context.loading_flow`` set.

    Raises:
        TerminalError: when the script can't be read or raises (its error is printed first).
    """
    from prefect_jupyter.context import context
    from prefect_jupyter.storage import Local

    abs_path = os.path.abspath(path)
    if not os.path.isfile(abs_path):
        raise TerminalError(f"Path {path!r} doesn't exist")
    sys.path.insert(0, os.path.dirname(abs_path))
    try:
        with context(loading_flow=True, local_script_path=abs_path):
            namespace = runpy.run_path(abs_path, run_name="<flow>")
    except Exception as exc:
        _report_load_error(path, exc)
        raise TerminalError(f"Error loading {path!r}: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(os.path.dirname(abs_path))
    flows = flows_in_namespace(namespace)
    for flow in flows:
        if flow.storage is None:
            flow.storage = Local(path=abs_path, stored_as_script=True)
    return flows


def load_flows_from_module(name: str) -> list[Any]:
    """The flows the module ``name`` defines (or the flow ``name`` is, for ``module.attribute``);
    those without storage get ``Module(name)``.

    Raises:
        TerminalError: when there is no such module or attribute, or importing it fails (its
            error is printed first).
    """
    from prefect_jupyter.context import context
    from prefect_jupyter.core.flow import Flow
    from prefect_jupyter.storage import Module
    from prefect_jupyter.utilities.importtools import import_object

    try:
        with context(loading_flow=True):
            obj = import_object(name)
    except (ModuleNotFoundError, AttributeError) as exc:
        missing = getattr(exc, "name", None)
        if isinstance(exc, AttributeError) or (missing and (name == missing or name.startswith(missing + "."))):
            raise TerminalError(str(exc)) from exc
        _report_load_error(name, exc)
        raise TerminalError(f"Error loading {name!r}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        _report_load_error(name, exc)
        raise TerminalError(f"Error loading {name!r}: {type(exc).__name__}: {exc}") from exc
    flows = [obj] if isinstance(obj, Flow) else flows_in_namespace(vars(obj)) if hasattr(obj, "__dict__") else []
    for flow in flows:
        if flow.storage is None:
            flow.storage = Module(name)
    return flows


def load_flows_from_json(path: str) -> list[dict[str, Any]]:
    """The serialized flows listed in a flows file (a path or URL): ``{"version": 1, "flows": [...]}``.

    Raises:
        TerminalError: when it can't be read, is not such a file, or has another version.
    """
    try:
        contents = read_bytes_from_path(path)
    except FileNotFoundError as exc:
        raise TerminalError(f"Path {path!r} doesn't exist") from exc
    except Exception as exc:
        _report_load_error(path, exc)
        raise TerminalError(f"Error loading {path!r}: {type(exc).__name__}: {exc}") from exc
    try:
        data = json.loads(contents)
        version, flows = data["version"], data["flows"]
        if not isinstance(version, int) or not isinstance(flows, list):
            raise TypeError("`version` must be an integer and `flows` a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise TerminalError(
            f"{path!r} is not a valid Prefect flows `json` file: it should be "
            '{"version": 1, "flows": [...]}, as `prefect build` writes.'
        ) from exc
    if version != 1:
        raise TerminalError(f"{path!r} is version {version}, only version 1 is supported")
    return flows


def collect_flows(
    paths: Sequence[str] = (),
    modules: Sequence[str] = (),
    json_paths: Sequence[str] = (),
    names: Sequence[str] = (),
) -> dict[str, list[Any]]:
    """``{source: flows}`` for each script (after :func:`expand_paths`), module and flows file,
    keeping only the flows in ``names`` when given.

    Raises:
        TerminalError: for a source that can't be loaded, or a name that no source defines.
    """
    scripts = expand_paths(paths)
    click.echo("Collecting flows...")
    found: dict[str, list[Any]] = {}
    for source, load in (
        *((p, load_flows_from_script) for p in scripts),
        *((m, load_flows_from_module) for m in modules),
        *((j, load_flows_from_json) for j in json_paths),
    ):
        flows = load(source)
        if names:
            flows = [f for f in flows if _name(f) in names]
        found[source] = flows
    if names:
        seen = {_name(f) for flows in found.values() for f in flows}
        missing = sorted(set(names) - seen)
        if missing:
            raise TerminalError("\n".join(["Failed to find the following flows:", *(f"- {n}" for n in missing)]))
    return found


def _name(flow: Any) -> str:
    return flow["name"] if isinstance(flow, dict) else flow.name


# -- registering ----------------------------------------------------------------------------------
def get_project_id(client: Any, project: str) -> str:
    """The id of the project named ``project``.

    Raises:
        TerminalError: when there is no such project, with the command that creates it.
    """
    from prefect_jupyter.utilities.graphql import with_args

    query = {"query": {with_args("project", {"where": {"name": {"_eq": project}}}): {"id"}}}
    found = client.graphql(query).data.project
    if found:
        return found[0].id
    raise TerminalError(
        f"Project {project!r} does not exist: create it with `prefect-jupyter create project {project!r}`."
    )


def register_serialized_flow(
    client: Any,
    serialized_flow: dict[str, Any],
    project_id: str,
    force: bool = False,
    schedule: bool = True,
) -> tuple[str, int, bool]:
    """Register one serialized flow in the project ``project_id``; returns ``(flow id, version,
    whether a new version was made)``.

    Without ``force`` a flow that has not changed since its last registration keeps its id and
    version (the idempotency key is the flow's ``structure_hash``, else a hash of its JSON).
    """
    from prefect_jupyter.utilities.graphql import EnumValue, compress, with_args

    where = {"name": {"_eq": serialized_flow["name"]}, "project": {"id": {"_eq": project_id}}}
    latest = {"where": {"_and": where}, "order_by": {"version": EnumValue("desc")}, "limit": 1}
    previous = client.graphql({"query": {with_args("flow", latest): {"id", "version"}}}).data.flow
    previous_id, previous_version = (previous[0].id, previous[0].version) if previous else (None, 0)

    inputs: dict[str, Any] = {
        "project_id": project_id,
        "serialized_flow": compress(serialized_flow),
        "set_schedule_active": schedule,
    }
    if not force:
        inputs["idempotency_key"] = serialized_flow.get("structure_hash") or hashlib.sha256(
            json.dumps(serialized_flow, sort_keys=True).encode()
        ).hexdigest()
    mutation = {
        "mutation($input: create_flow_from_compressed_string_input!)": {
            "create_flow_from_compressed_string(input: $input)": {"id"}
        }
    }
    created = client.graphql(mutation, variables={"input": inputs}, retry_on_api_error=False)
    flow_id = created.data.create_flow_from_compressed_string.id
    if flow_id == previous_id:
        return flow_id, previous_version, False
    return flow_id, previous_version + 1, True


def _by_storage(flows: Sequence[Any]) -> list[tuple[Any, list[Any]]]:
    """The flows grouped by storage object (serialized flows under ``None``), in first-seen order."""
    groups: dict[int, tuple[Any, list[Any]]] = {}
    for flow in flows:
        storage = None if isinstance(flow, dict) else flow.storage
        groups.setdefault(id(storage), (storage, []))[1].append(flow)
    return list(groups.values())


def _add_labels(flow: Any, storage: Any, labels: Sequence[str]) -> None:
    """``labels`` (and the storage's) on the flow's run config, a ``UniversalRun`` if it has
    none; the storage's result as the flow's when it has none."""
    from prefect_jupyter.run_configs import UniversalRun

    if isinstance(flow, dict):
        run_config = flow.get("run_config") or {"type": "UniversalRun", "labels": []}
        run_config["labels"] = sorted(set(run_config.get("labels") or ()) | set(labels))
        flow["run_config"] = run_config
        return
    if flow.run_config is None:
        flow.run_config = UniversalRun()
    flow.run_config.labels.update(labels)
    if storage is not None:
        flow.run_config.labels.update(storage.labels)
        if flow.result is None and getattr(storage, "result", None) is not None:
            flow.result = storage.result


def _build_storage(storage: Any, group: list[Any], verb: str) -> bool:
    """Add the group's flows to ``storage`` and build it once; on failure print why and each
    flow as errored, and return ``False``."""
    click.echo(f"  Building `{type(storage).__name__}` storage...")
    try:
        for flow in group:
            if flow.name not in storage:
                storage.add_flow(flow)
        storage.build()
    except Exception as exc:  # reported with its traceback; its flows go no further
        click.secho("    Error building storage:", fg="red")
        _echo_traceback(exc, 6)
        for flow in group:
            click.echo(f"  {verb} {flow.name!r}... {click.style('Error', fg='red')}")
        return False
    return True


def build_and_register(
    client: Any,
    flows: Sequence[Any],
    project_id: str,
    labels: Sequence[str] | None = None,
    force: bool = False,
    schedule: bool = True,
) -> Counter:
    """Register ``flows`` (``Flow`` objects, or serialized flows from a flows file) in the
    project ``project_id``, printing each step; returns the counts ``registered``, ``skipped``
    and ``errored``.

    Each flow gets ``labels`` and its storage's labels added to its run config (a
    ``UniversalRun`` when it has none) and its storage's result when it has none. Each storage
    object is built once, for all its flows; the flows of a storage that fails to build are
    errored. A flow's code travels with its registration (see ``flow.serialize(build=True)``).
    """
    stats: Counter = Counter(registered=0, skipped=0, errored=0)
    for storage, group in _by_storage(flows):
        for flow in group:
            _add_labels(flow, storage, labels or ())
        if storage is not None and not _build_storage(storage, group, "Registering"):
            stats["errored"] += len(group)
            continue
        for flow in group:
            click.echo(f"  Registering {_name(flow)!r}...", nl=False)
            try:
                serialized = flow if isinstance(flow, dict) else flow.serialize(build=True)
                flow_id, version, is_new = register_serialized_flow(
                    client=client, serialized_flow=serialized, project_id=project_id, force=force,
                    schedule=schedule,
                )
            except Exception as exc:  # one flow's failure is reported and the others go on
                click.secho(" Error", fg="red")
                _echo_traceback(exc, 4)
                stats["errored"] += 1
            else:
                if is_new:
                    click.secho(" Done", fg="green")
                    click.echo(f"  └── ID: {flow_id}\n  └── Version: {version}")
                    stats["registered"] += 1
                else:
                    click.secho(" Skipped (metadata unchanged)", fg="yellow")
                    stats["skipped"] += 1
    return stats


def build_flows(flows: Sequence[Any], labels: Sequence[str] | None = None) -> tuple[list[dict[str, Any]], Counter]:
    """Build the storage of ``flows`` (as :func:`build_and_register` does) and serialize them,
    code included, for a flows file; returns the serialized flows and the counts ``built`` and
    ``errored``."""
    built: list[dict[str, Any]] = []
    stats: Counter = Counter(built=0, errored=0)
    for storage, group in _by_storage(flows):
        for flow in group:
            _add_labels(flow, storage, labels or ())
        if storage is not None and not _build_storage(storage, group, "Building"):
            stats["errored"] += len(group)
            continue
        for flow in group:
            click.echo(f"  Building {flow.name!r}...", nl=False)
            try:
                built.append(flow.serialize(build=True))
            except Exception as exc:  # one flow's failure is reported and the others go on
                click.secho(" Error", fg="red")
                _echo_traceback(exc, 4)
                stats["errored"] += 1
            else:
                click.secho(" Done", fg="green")
                stats["built"] += 1
    return built, stats


def summary_line(stats: Counter, word: str = "registered") -> str:
    """``===== 2 registered, 1 skipped, 1 errored =====``, 60 characters wide or more."""
    parts = [click.style(f"{stats[word]} {word}", fg="green")]
    if stats["skipped"]:
        parts.append(click.style(f"{stats['skipped']} skipped", fg="yellow"))
    if stats["errored"]:
        parts.append(click.style(f"{stats['errored']} errored", fg="red"))
    message = ", ".join(parts)
    bar = "=" * (max(60 - len(click.unstyle(message)), 4) // 2)
    return f"{bar} {message} {bar}"


# -- watching -------------------------------------------------------------------------------------
def watch_for_changes(
    paths: Sequence[str] | None = None, modules: Sequence[str] | None = None, period: float = 0.5
) -> Iterator[tuple[list[str], list[str]]]:
    """Yield ``(changed scripts, changed modules)``: first all of them, then those modified or
    re-created since, checking every ``period`` seconds (directories: their ``*.py`` files).

    Raises:
        TerminalError: for a path that does not exist or a module that can't be found.
    """
    paths = list(paths or ())
    for path in paths:
        if not os.path.exists(path):
            raise TerminalError(f"Path {path!r} doesn't exist")
    module_of: dict[str, str] = {}
    for module in modules or ():
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.origin:
            raise TerminalError(f"Module {module!r} not found")
        module_of[spec.origin] = module
    seen: dict[str, float | None] = dict.fromkeys(module_of)
    while True:
        changed = {}
        for path in [*paths, *module_of]:
            for file, mtime in _python_files(path):
                if seen.get(file) != mtime:
                    changed[file] = mtime
            if not os.path.exists(path):
                seen.pop(path, None)
        if changed:
            seen.update(changed)
            yield (
                [f for f in changed if f not in module_of],
                [module_of[f] for f in changed if f in module_of],
            )
        time.sleep(period)


def _python_files(path: str) -> Iterator[tuple[str, float]]:
    try:
        if os.path.isdir(path):
            with os.scandir(path) as entries:
                for entry in entries:
                    if entry.is_file() and entry.name.endswith(".py"):
                        yield entry.path, entry.stat().st_mtime
        else:
            yield path, os.stat(path).st_mtime
    except FileNotFoundError:  # deleted since: it counts as new if it comes back
        return
