"""Reports a run process could not send: kept on disk, delivered when the server is back.

A flow run's :class:`~prefect_jupyter.backend.reporter.RunReporter` keeps every write the server
can't take now and sends it again, in order, until ``cloud.agent.retry_budget`` seconds pass
without progress after the run ended. What is left then — task-run states, flow-run states
(the final one last) and log records, in the order they happened, with the task-run ids and
versions the reporter knew — is written by :func:`write_spool` to one JSON file per flow run,
``<cloud.agent.spool_dir>/<flow run id>.json`` (default ``~/.prefect_jupyter/spool``), and the
run process exits with :data:`SPOOLED_EXIT_CODE` and a message saying so.

:func:`deliver_spools` sends them: the agent calls it at the start of every pass, and a run
process calls it for its own flow run before it starts (so ``prefect-jupyter execute flow-run
--id RUN`` delivers by hand). Delivery replays the writes through a ``RunReporter`` — the same
ordering, versions, and handling of refusals — then deletes the file and stores a log line with
the run saying what arrived late. A spool is delivered only to the server it was written for.

When delivery is impossible the result is never silently wrong: a run deleted meanwhile drops
its spool with an error in the agent's log; writes the server refuses (a run cancelled or
finished meanwhile, a stale state) are listed in a ``WARNING`` log line with the run. While the
server still can't take them, the file stays (with what is left) for the next attempt.

The spool directory is locked (``flock`` on its ``.lock`` file) while spools are written or
delivered, so two agents on one machine never send one twice; files are replaced atomically, so
a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prefect_jupyter.backend.reporter import RunReporter
from prefect_jupyter.backend.writes import LogWrite, StateWrite, TaskRunRef
from prefect_jupyter.configuration import config
from prefect_jupyter.utilities.logging import get_logger

__all__ = ["SPOOLED_EXIT_CODE", "Delivery", "deliver_spools", "spool_dir", "spool_path", "write_spool"]

#: the exit code of a run process that spooled reports (``EX_TEMPFAIL``: try again later)
SPOOLED_EXIT_CODE = 75

_FORMAT = 1
_LOG_NAME = "prefect_jupyter.cloud.spool"
_logger = get_logger("cloud.spool")


def spool_dir() -> Path:
    """The spool directory (config ``cloud.agent.spool_dir``)."""
    return Path(os.path.expanduser(str(config.cloud.agent.spool_dir)))


def spool_path(flow_run_id: str, directory: Path | None = None) -> Path:
    """The spool file of one flow run."""
    return (directory or spool_dir()) / f"{flow_run_id}.json"


def _same_server(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


# -- writing -------------------------------------------------------------------------------------
def _encode(write: StateWrite | LogWrite) -> dict[str, Any]:
    key = list(write.key) if write.key is not None else None
    if isinstance(write, LogWrite):
        return {"kind": "log", "seq": write.seq, "key": key, "record": write.record}
    return {"kind": "state", "seq": write.seq, "key": key, "state": write.state,
            "running": write.running, "finished": write.finished}


def _decode(item: dict[str, Any]) -> StateWrite | LogWrite:
    key = tuple(item["key"]) if item.get("key") is not None else None
    if item["kind"] == "log":
        return LogWrite(key, item["record"], seq=item["seq"])  # type: ignore[arg-type]
    return StateWrite(key, item["state"], item["running"], item["finished"],  # type: ignore[arg-type]
                      seq=item["seq"])


def write_spool(reporter: RunReporter, api_server: str, directory: Path | None = None) -> Path:
    """Write what ``reporter`` could not send (after its ``close``) to its run's spool file.

    Writes already spooled for the run by an earlier process come first.

    Returns:
        The file's path.
    """
    directory = directory or spool_dir()
    path = spool_path(reporter.flow_run_id, directory)
    with _dir_lock(directory, wait=True):
        earlier = _read(path)["writes"] if path.exists() else []
        offset = max((item["seq"] for item in earlier), default=-1) + 1
        writes = [*earlier, *({**_encode(w), "seq": offset + i}
                              for i, w in enumerate(reporter.unsent()))]
        _replace(path, {
            "format": _FORMAT,
            "flow_run_id": reporter.flow_run_id,
            "api_server": api_server,
            "written": datetime.datetime.now(datetime.UTC).isoformat(),
            "pid": os.getpid(),
            "flow_run_version": reporter.flow_run_version,
            "uncertain": reporter.uncertain,
            "task_ids": reporter.task_ids,
            "task_runs": _task_runs(reporter),
            "writes": writes,
        })
    return path


def _replace(path: Path, data: dict[str, Any]) -> None:
    """Write ``path`` atomically (a reader sees the old file or the new one, never half)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _read(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def _task_runs(reporter: RunReporter) -> list[list[Any]]:
    return [[slug, index, ref.id, ref.version] for (slug, index), ref in reporter.task_runs.items()]


@contextlib.contextmanager
def _dir_lock(directory: Path, wait: bool) -> Iterator[bool]:
    """Hold the spool directory's lock; yields whether it was taken (always, with ``wait``)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


# -- delivering ----------------------------------------------------------------------------------
@dataclasses.dataclass
class Delivery:
    """What became of one spool file.

    Attributes:
        flow_run_id: its flow run.
        path: the file.
        delivered: every write was sent (stored or refused) and the file is deleted.
        sent: how many writes the server stored.
        refusals: what the server refused, one line each.
    """

    flow_run_id: str
    path: Path
    delivered: bool
    sent: int = 0
    refusals: list[str] = dataclasses.field(default_factory=list)


def deliver_spools(
    api: Any,
    api_server: str,
    flow_run_id: str | None = None,
    retry_budget: float | None = None,
    directory: Path | None = None,
    wait: bool = False,
) -> list[Delivery]:
    """Deliver the spool files of server ``api_server`` (only ``flow_run_id``'s, if given).

    Args:
        api: the server calls (``backend/api.BackendAPI``).
        api_server: the server's GraphQL address; spools of other servers are left alone.
        flow_run_id: deliver only this run's spool.
        retry_budget: seconds without progress after which a delivery stops (the file then
            keeps what is left); default config ``cloud.agent.retry_budget``.
        directory: the spool directory (default :func:`spool_dir`).
        wait: wait while another process delivers (else return at once: it sends them).

    Raises:
        ServerUnavailable: the server can't take them now (the files stay).
    """
    directory = directory or spool_dir()
    if not directory.is_dir():
        return []
    budget = float(config.cloud.agent.retry_budget if retry_budget is None else retry_budget)
    deliveries = []
    with _dir_lock(directory, wait) as mine:
        if not mine:
            return []  # another process is delivering: it sends them
        if flow_run_id is not None:
            paths = [spool_path(flow_run_id, directory)]
        else:
            paths = sorted(directory.glob("*.json"), key=lambda p: p.stat().st_mtime)
        for path in paths:
            if not path.exists():
                continue
            data = _read_or_set_aside(path)
            if data is not None and _same_server(str(data.get("api_server", "")), api_server):
                deliveries.append(_deliver(api, path, data, budget))
    return deliveries


def _read_or_set_aside(path: Path) -> dict[str, Any] | None:
    """A spool's contents; a file that is not one is renamed ``*.unreadable`` and reported."""
    try:
        data = _read(path)
        if data.get("format") == _FORMAT and isinstance(data.get("writes"), list):
            return data
        problem = f"format {data.get('format')!r} is not {_FORMAT}"
    except (OSError, ValueError, AttributeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    aside = path.with_suffix(".unreadable")
    path.rename(aside)
    _logger.error("The spool file %s can't be read (%s); it is set aside as %s and not delivered.",
                  path, problem, aside)
    return None


def _deliver(api: Any, path: Path, data: dict[str, Any], budget: float) -> Delivery:
    """Send one spool's writes (its lock held); delete it, or keep what is left."""
    run_id = data["flow_run_id"]
    writes = [_decode(item) for item in data["writes"]]
    if not api.flow_runs([run_id]):
        _logger.error(
            "Flow run %s no longer exists on the server at %s: its %d spooled state changes and "
            "log records in %s can't be delivered and are dropped.",
            run_id, data["api_server"], len(writes), path,
        )
        path.unlink()
        return Delivery(run_id, path, True, refusals=["the flow run no longer exists"])
    reporter = RunReporter(
        api, run_id, None,
        {(slug, index): TaskRunRef(id_, version) for slug, index, id_, version in data["task_runs"]},
        data["task_ids"], data["flow_run_version"],
        heartbeat_interval=0, retry_budget=budget, max_backoff=min(5.0, budget),
        skip_first_running=False,
    )
    reporter.requeue(writes, uncertain=bool(data.get("uncertain")))
    done = reporter.close()
    sent = sum(reporter.sent[k] for k in ("task_states", "flow_states", "logs"))
    if not done:
        left = reporter.unsent()
        _replace(path, {**data, "flow_run_version": reporter.flow_run_version,
                        "uncertain": reporter.uncertain,
                        "task_runs": _task_runs(reporter),
                        "writes": [_encode(w) for w in left]})
        _logger.warning("Delivered part of the spooled reports of flow run %s; %d are left in %s "
                        "for the next attempt.", run_id, len(left), path)
        return Delivery(run_id, path, False, sent, reporter.refusals)
    path.unlink()
    _report(api, run_id, data, len(writes), reporter.refusals)
    return Delivery(run_id, path, True, sent, reporter.refusals)


def _report(api: Any, run_id: str, data: dict[str, Any], count: int, refusals: list[str]) -> None:
    """Store a log line with the run saying what arrived late, and what could not be stored."""
    message = (
        f"{count} state changes and log records of this run arrived late: process "
        f"{data.get('pid')} could not send them when the run ended (the server could not take "
        f"them) and spooled them at {data.get('written')}."
    )
    _logger.info("Flow run %s: %s", run_id, message)
    api.write_run_log(run_id, message, level="INFO", name=_LOG_NAME)
    if refusals:
        problem = (
            f"The server refused {len(refusals)} of this run's spooled reports, so the run's "
            "record may be incomplete: " + " ".join(refusals)
        )
        _logger.warning("Flow run %s: %s", run_id, problem)
        api.write_run_log(run_id, problem, level="WARNING", name=_LOG_NAME)
