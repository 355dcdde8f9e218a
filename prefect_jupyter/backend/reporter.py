"""Reporting a flow run to the server while it runs: states, logs and heartbeats, batched.

:class:`RunReporter` is an *observer* of the run's state-event stream (``engine/events.py``), not a
runner subclass: the engine publishes each transition, the reporter turns it into a write for the
server. Observers are called on the engine's threads, so :meth:`RunReporter.__call__` only appends
to a queue; one background thread sends what has queued up every ``flush_interval`` seconds:

1. task-run states, in the order they happened, and log records, together in one
   ``write_run_report`` request — one transaction on the server (mapped children's task runs
   are found or created first: all children of a task at once, as soon as its ``Mapped`` state
   says how many there are, with ``create_mapped_task_runs``). A server without that call, or
   one that refuses a report, gets them apart: the states in one ``set_task_run_states``
   request, the records in one ``write_run_logs`` request;
2. flow-run states — each only once every task state and log record queued before it has been
   acknowledged, and a *finished* flow state only when the run is over (:meth:`close`) and
   everything else is stored: the server never shows a run finished while its task states or
   logs are unsent.

Nothing is dropped when the server can't take a write — it could not be reached, or answered
that its database is unavailable (:class:`~prefect_jupyter.client.errors.ServerUnavailable`):
the write stays at the head of its queue and is sent again, in order, with a growing pause (up
to ``max_backoff``), until :meth:`RunReporter.close` gives up after ``retry_budget`` seconds
without progress. What is left then can be spooled to disk and delivered later
(``backend/spool.py``). Only a write the server *refuses*
(:class:`~prefect_jupyter.client.errors.WriteRejected`: a stale version, a transition it does
not allow, invalid input) is given up: a state is retried once with a fresh version, then logged
(and kept in :attr:`RunReporter.refusals`) and dropped, so one bad write never blocks the rest.

The same thread sends heartbeats: the flow run's every ``heartbeat_interval`` seconds, and one for
each task run that is ``Running`` at the time.

Versions: each task run's version is known from when it was found (``get_or_create_task_run_info``)
and each accepted write adds one, as the server does.

Example:
    >>> reporter = RunReporter(api, flow_run_id, flow, task_runs, task_ids, flow_run_version=2)
    >>> with reporter:                     # starts the thread; on exit, flushes everything
    ...     FlowRunner(flow, observers=[reporter]).run(...)
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any, Protocol

from prefect_jupyter.client.errors import ServerUnavailable, WriteRejected
from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state_schema import state_to_dict

__all__ = ["ReportAPI", "RunReporter", "TaskRunRef"]

# (task slug, map index) where the map index is -1 for a task run that is not a mapped child
TaskKey = tuple[str, int]

_logger = logging.getLogger("prefect_jupyter.cloud.reporter")

#: the most task states (and, separately, log records) sent in one request: a 10,000-child map
#: queues ~30,000 states in a second, and one request with all of them would outlast the
#: client's timeout; fewer, larger reports spend less on each request's fixed costs (HTTP,
#: parsing, a transaction) — a report of 2,000 of each takes the server ~0.3 s
MAX_BATCH = 2_000

#: the most mapped children found or created in one request (the server counts each as a row
#: of its answer: see ``server.graphql.max_list_rows``)
MAX_CHILDREN = 5_000


@dataclasses.dataclass
class TaskRunRef:
    """A task run on the server: its id and the version its next write must carry."""

    id: str
    version: int


class ReportAPI(Protocol):
    """What the reporter needs from the server (see ``backend/api.py`` for the real one).

    Every method raises the client's ``ServerUnavailable`` when the server can't take the call
    now, and ``WriteRejected`` when it refuses it (``client/errors.py``).
    """

    def task_runs(self, flow_run_id: str, keys: list[tuple[str, int]]) -> list[TaskRunRef]:
        """Find or create the task runs of ``(task_id, map_index)`` pairs, in order."""

    def task_run_versions(self, task_run_ids: list[str]) -> dict[str, int]:
        """The current version of each task run."""

    def flow_run_state(self, flow_run_id: str) -> tuple[str, int]:
        """The flow run's current state name and version."""

    def set_task_run_states(self, states: list[dict[str, Any]]) -> None:
        """Write ``{task_run_id, version, state}`` items, in order."""

    def set_flow_run_states(self, states: list[dict[str, Any]]) -> None:
        """Write ``{flow_run_id, version, state}`` items, in order."""

    def write_run_logs(self, logs: list[dict[str, Any]]) -> None:
        """Store log records."""

    # optional: ``write_run_report(flow_run_id, states, logs) -> bool`` stores task states and
    # log records in one request (see BackendAPI); without it they are sent apart

    def flow_run_heartbeat(self, flow_run_id: str) -> None:
        """Tell the server the flow run is alive."""

    def task_run_heartbeat(self, task_run_id: str) -> None:
        """Tell the server a task run is alive."""


#: one sequence for every write of every reporter: the order in which they were queued
_SEQUENCE = itertools.count()


@dataclasses.dataclass(slots=True)
class StateWrite:
    """A task-run (``key`` set) or flow-run (``key=None``) state waiting for the server."""

    key: TaskKey | None
    state: dict[str, Any]
    running: bool
    finished: bool
    done: bool = False
    seq: int = dataclasses.field(default_factory=lambda: next(_SEQUENCE))


@dataclasses.dataclass(slots=True)
class LogWrite:
    """A log record waiting for the server (``key``: its task run, ``None`` for the flow run)."""

    key: TaskKey | None
    record: dict[str, Any]
    seq: int = dataclasses.field(default_factory=lambda: next(_SEQUENCE))


class RunReporter:
    """Sends one flow run's state changes, logs and heartbeats to the server in batches.

    Args:
        api: the server calls (:class:`ReportAPI`).
        flow_run_id: the flow run being reported.
        flow: the flow being run (its ``slugs`` name each task's events).
        task_runs: the task runs the server already has, by ``(slug, map_index)``; task runs of
            mapped children are found or created on first use.
        task_ids: the server's task id of each slug (needed to create mapped children).
        flow_run_version: the flow run's current version on the server.
        flush_interval: seconds between two batches.
        heartbeat_interval: seconds between two heartbeats (``0`` turns them off).
        retry_budget: how long :meth:`close` keeps trying to reach the server.
        max_backoff: the longest pause between two attempts while the server is away.
        skip_first_running: the caller set the flow run ``Running`` itself, so the engine's own
            first ``Running`` event is not written again.
    """

    def __init__(
        self,
        api: ReportAPI,
        flow_run_id: str,
        flow: Any,
        task_runs: dict[TaskKey, TaskRunRef],
        task_ids: dict[str, str],
        flow_run_version: int,
        flush_interval: float = 0.25,
        heartbeat_interval: float = 10.0,
        retry_budget: float = 120.0,
        max_backoff: float = 5.0,
        skip_first_running: bool = True,
    ) -> None:
        self.api = api
        self.flow_run_id = flow_run_id
        self.flow = flow
        self.task_runs = dict(task_runs)
        self.task_ids = dict(task_ids)
        self.flow_run_version = flow_run_version
        self.flush_interval = flush_interval
        self.heartbeat_interval = heartbeat_interval
        self.retry_budget = retry_budget
        self.max_backoff = max_backoff
        self._skip_running = skip_first_running
        self._slugs: dict[Any, str] = dict(getattr(flow, "slugs", {}) or {})
        # the three queues; each item leaves its queue only once the server has it
        self._task_states: collections.deque[StateWrite] = collections.deque()
        self._logs: collections.deque[LogWrite] = collections.deque()
        self._flow_states: collections.deque[StateWrite] = collections.deque()
        self._running: set[TaskKey] = set()  # task runs to send heartbeats for
        self._announced: dict[str, int] = {}  # mapped tasks' child counts, not created yet
        self._wake = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._last_heartbeat = 0.0
        self._backoff = 0.0
        self._uncertain = False  # a write failed in flight: it may have been stored
        self._apart = False  # the server can't take states and logs in one report
        self.cancelled = False  # the server said the flow run was cancelled
        self.sent = {"task_states": 0, "flow_states": 0, "logs": 0, "requests": 0}
        #: what the server refused (and so was dropped), one line each, for the run's logs
        self.refusals: list[str] = []

    # -- the observer (engine threads) ---------------------------------------------------------
    def __call__(self, event: StateEvent) -> None:
        """Queue one state change; never blocks on the network."""
        running = event.new_state.is_running()
        write = StateWrite(None, state_to_dict(event.new_state), running, event.new_state.is_finished())
        if event.task is None:
            if self._skip_running and running:
                self._skip_running = False
                return
            self._flow_states.append(write)
            return
        slug = self._slugs.get(event.task) or getattr(event.task, "slug", None)
        if slug is None:
            return  # not one of the flow's tasks (e.g. a folded constant)
        write.key = (slug, -1 if event.map_index is None else event.map_index)
        if event.map_index is None and getattr(event.new_state, "n_map_states", None):
            self._announced[slug] = event.new_state.n_map_states  # its children come next
        self._task_states.append(write)

    def add_log(self, key: TaskKey | None, record: dict[str, Any]) -> None:
        """Queue one log record (see :class:`~prefect_jupyter.utilities.logging.CloudHandler`)."""
        self._logs.append(LogWrite(key, record))

    def task_contexts(self) -> dict[Any, dict[str, Any]]:
        """The context of each task for ``FlowRunner.run(task_contexts=...)``: the server's ids.

        The slug in each task's context is what ties its log records to its task run.
        """
        contexts = {}
        for task, slug in self._slugs.items():
            ref = self.task_runs.get((slug, -1))
            contexts[task] = {
                "task_slug": slug,
                "task_id": self.task_ids.get(slug, slug),
                "task_run_id": ref.id if ref else None,
            }
        return contexts

    def pending(self) -> int:
        """How many writes wait for the server."""
        return len(self._task_states) + len(self._logs) + len(self._flow_states)

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> RunReporter:
        """Start the background thread (once)."""
        if self._thread is None:
            self._last_heartbeat = time.monotonic()
            self._thread = threading.Thread(
                target=self._loop, name=f"prefect_jupyter-reporter-{self.flow_run_id}", daemon=True
            )
            self._thread.start()
        return self

    def close(self, timeout: float | None = None) -> bool:
        """Send everything still queued (the final flow state last), then stop the thread.

        Gives up after ``retry_budget`` seconds in which nothing reached the server; what is
        left is then in :meth:`unsent` (see ``backend/spool.py``).

        Args:
            timeout: the longest wait for the thread (default: until it gives up; a request in
                flight then ends within the client's timeout).

        Returns:
            Whether everything reached the server.
        """
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        else:
            self._drain()
        return self.pending() == 0

    def unsent(self) -> list[StateWrite | LogWrite]:
        """The writes not yet stored, in the order they were queued (after :meth:`close`)."""
        writes: list[StateWrite | LogWrite] = [
            w for w in (*self._task_states, *self._flow_states) if not w.done
        ]
        writes.extend(self._logs)
        return sorted(writes, key=lambda w: w.seq)

    def requeue(self, writes: Iterable[StateWrite | LogWrite], uncertain: bool = False) -> None:
        """Queue writes read back from a spool, in their order (before :meth:`start`)."""
        for write in sorted(writes, key=lambda w: w.seq):
            if isinstance(write, LogWrite):
                self._logs.append(write)
            elif write.key is None:
                self._flow_states.append(write)
            else:
                self._task_states.append(write)
        self._uncertain = uncertain

    @property
    def uncertain(self) -> bool:
        """Whether the last write failed in flight (it may have been stored)."""
        return self._uncertain

    def __enter__(self) -> RunReporter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the background thread -----------------------------------------------------------------
    def _loop(self) -> None:
        while not self._closing:
            self._wake.wait(self.flush_interval + self._backoff)
            self._wake.clear()
            if self._closing:
                break
            self._round()
            self._maybe_heartbeat()
        self._drain()

    def _drain(self) -> None:
        """Flush until every queue is empty, or no progress for ``retry_budget`` seconds."""
        last_progress = time.monotonic()
        while self.pending():
            before = self.pending()
            self._round()
            if self.pending() < before:
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > self.retry_budget:
                _logger.error(
                    "Gave up reporting flow run %s to the server after %.0f s without progress "
                    "(config `cloud.agent.retry_budget`); %d state changes and log records are "
                    "not stored yet.", self.flow_run_id, self.retry_budget, self.pending(),
                )
                return
            if self.pending():
                time.sleep(max(self._backoff, 0.05))

    def _round(self) -> None:
        """One batch of each kind; backs off when the server is away."""
        try:
            self._flush()
        except ServerUnavailable as exc:
            self._backoff = min(self.max_backoff, max(0.1, self._backoff * 2))
            _logger.warning(
                "The server can't take the reports of flow run %s now (%s); %d writes kept, "
                "retrying in %.1f s.", self.flow_run_id, exc, self.pending(), self._backoff,
            )
        except Exception:
            # a bug here must not end reporting: keep the writes, try again, give up on budget
            self._backoff = self.max_backoff
            _logger.exception("Unexpected error while reporting flow run %s", self.flow_run_id)
        else:
            self._backoff = 0.0

    def _flush(self) -> None:
        n_task = min(len(self._task_states), MAX_BATCH)
        n_logs = min(len(self._logs), MAX_BATCH)
        if len(self._task_states) > n_task or len(self._logs) > n_logs:
            self._wake.set()  # a backlog: the next batch goes without waiting
        task_writes = [self._task_states[i] for i in range(n_task)]
        log_writes = [self._logs[i] for i in range(n_logs)]
        if (n_task or n_logs) and self._send_report(task_writes, log_writes):
            task_writes = log_writes = []
            for _ in range(n_task):
                self._task_states.popleft()
            for _ in range(n_logs):
                self._logs.popleft()
        if task_writes:
            self._send_task_states(task_writes)
            for _ in range(n_task):
                self._task_states.popleft()
        if log_writes:
            self._send_logs(log_writes)
            for _ in range(n_logs):
                self._logs.popleft()
        n_flow = self._flow_states_due()
        if n_flow:
            self._send_flow_states([self._flow_states[i] for i in range(n_flow)])
            for _ in range(n_flow):
                self._flow_states.popleft()

    def _flow_states_due(self) -> int:
        """How many flow states at the head of their queue may be sent now.

        One may go once every task state and log record queued before it is stored; a finished
        one only when the run is over and nothing else waits (no log can follow it then).
        """
        horizon = min(
            self._task_states[0].seq if self._task_states else float("inf"),
            self._logs[0].seq if self._logs else float("inf"),
        )
        all_stored = self._closing and not self._task_states and not self._logs
        due = 0
        for write in self._flow_states:
            if write.seq > horizon or (write.finished and not all_stored):
                break
            due += 1
        return due

    def _resolve(self, keys: Iterable[TaskKey | None]) -> None:
        """Find or create the task runs of keys not seen yet, and all children of mapped tasks
        announced since (a request per :data:`MAX_CHILDREN` of them)."""
        missing: dict[TaskKey, None] = {}
        for key in keys:
            if key is not None and key not in self.task_runs and key[0] in self.task_ids:
                missing[key] = None
        announced = dict(self._announced)
        for slug, count in announced.items():
            if slug in self.task_ids:
                missing.update(dict.fromkeys(
                    k for k in ((slug, i) for i in range(count)) if k not in self.task_runs))
        keys_left = list(missing)
        for start in range(0, len(keys_left), MAX_CHILDREN):
            self._resolve_chunk(keys_left[start:start + MAX_CHILDREN])
        for slug in announced:
            self._announced.pop(slug, None)

    def _resolve_chunk(self, missing: list[TaskKey]) -> None:
        missing = [key for key in missing if key[0] in self.task_ids]  # some may be refused now
        if not missing:
            return
        try:
            refs = self.api.task_runs(
                self.flow_run_id, [(self.task_ids[slug], index) for slug, index in missing]
            )
        except WriteRejected:
            refs = []
            for key in missing:  # find the one that fails; a task refused once is not asked again
                ref = self._resolve_one(key) if key[0] in self.task_ids else None
                if ref is None:
                    self.task_ids.pop(key[0], None)
                refs.append(ref)
        self.sent["requests"] += 1
        for key, ref in zip(missing, refs, strict=True):
            if ref is not None:
                self.task_runs[key] = ref
            else:
                self.task_ids.pop(key[0], None)  # don't ask again: its states are skipped

    def _resolve_one(self, key: TaskKey) -> TaskRunRef | None:
        try:
            return self.api.task_runs(self.flow_run_id, [(self.task_ids[key[0]], key[1])])[0]
        except WriteRejected as exc:
            self._refuse(f"The server has no task run for {key[0]}[{key[1]}] ({exc}); its states "
                         "and logs are not reported.")
            return None

    def _send_report(self, task_writes: list[StateWrite], log_writes: list[LogWrite]) -> bool:
        """Send task states and log records together, one request and one transaction
        (``write_run_report``); whether they are stored.

        ``False`` when they must go apart instead: the server has no such call, or refused
        the report (the states then go through :meth:`_send_task_states`, which finds the one
        refused; the logs through :meth:`_send_logs`).
        """
        report = getattr(self.api, "write_run_report", None)
        if report is None or self._apart:
            return False
        self._resolve(w.key for w in (*task_writes, *log_writes))
        known = [w for w in task_writes if w.key in self.task_runs and not w.done]
        items, versions = self._state_items(known)
        logs = self._log_items(log_writes, with_flow_run=False)  # the report's flow run
        if not items and not logs:
            return True
        try:
            if not report(self.flow_run_id, items, logs):
                self._apart = True  # an older server: not asked again
                return False
            self.sent["requests"] += 1
        except ServerUnavailable:
            self._uncertain = True  # it may have landed: the versions will tell
            raise
        except WriteRejected as exc:
            if not (self._uncertain and versions and self._batch_landed(versions)):
                _logger.debug("Report refused (%s); sending states and logs apart.", exc)
                self._uncertain = False
                return False
            _logger.debug("The report was stored before the connection dropped.")
        else:
            for key, version in versions.items():
                self.task_runs[key].version = version
        self._uncertain = False
        self._stored_states(known)
        self.sent["logs"] += len(logs)
        return True

    def _state_items(self, known: list[StateWrite]) -> tuple[list[dict[str, Any]], dict[TaskKey, int]]:
        """The ``{task_run_id, version, state}`` items of ``known`` writes, and the version
        each task run is at once they are stored."""
        items = []
        versions: dict[TaskKey, int] = {}
        for w in known:
            ref = self.task_runs[w.key]
            version = versions.get(w.key, ref.version)
            items.append({"task_run_id": ref.id, "version": version, "state": w.state})
            versions[w.key] = version + 1
        return items, versions

    def _stored_states(self, known: list[StateWrite]) -> None:
        """Count stored task states; follow which task runs are running (for heartbeats)."""
        self.sent["task_states"] += len(known)
        for w in known:
            if w.running:
                self._running.add(w.key)
            else:
                self._running.discard(w.key)

    def _send_task_states(self, writes: list[StateWrite]) -> None:
        self._resolve(w.key for w in writes)
        known = [w for w in writes if w.key in self.task_runs and not w.done]
        if known:
            items, versions = self._state_items(known)
            try:
                self._call_uncertain(self.api.set_task_run_states, items)
            except WriteRejected as exc:
                if self._uncertain and self._batch_landed(versions):
                    _logger.debug("Task run states were stored before the connection dropped.")
                else:
                    _logger.debug("Batch of task run states refused (%s); sending one by one.", exc)
                    self._send_one_by_one(known)
            else:
                for key, version in versions.items():
                    self.task_runs[key].version = version
            self._uncertain = False
        self._stored_states(known)

    def _call_uncertain(self, call: Any, items: list[dict[str, Any]]) -> None:
        """Make a write; if the server went away meanwhile, it may have landed (see below)."""
        try:
            call(items)
            self.sent["requests"] += 1
        except ServerUnavailable:
            self._uncertain = True
            raise

    def _batch_landed(self, versions: dict[TaskKey, int]) -> bool:
        """Whether a batch sent before a lost connection was stored after all.

        Versions only grow by accepted writes, so the batch landed exactly when every task run
        it touched is now at the version the batch would have left it at.
        """
        ids = {self.task_runs[key].id: version for key, version in versions.items()}
        current = self.api.task_run_versions(list(ids))
        if all(current.get(i) == v for i, v in ids.items()):
            for key, version in versions.items():
                self.task_runs[key].version = version
            return True
        return False

    def _send_one_by_one(self, writes: list[StateWrite]) -> None:
        for w in writes:
            if w.done:
                continue
            ref = self.task_runs[w.key]
            for attempt in (1, 2):
                try:
                    self.api.set_task_run_states(
                        [{"task_run_id": ref.id, "version": ref.version, "state": w.state}]
                    )
                    self.sent["requests"] += 1
                    ref.version += 1
                    break
                except WriteRejected as exc:
                    if attempt == 2:
                        self._refuse(f"The server refused state {w.state['type']} for task run "
                                     f"{ref.id} ({w.key[0]}[{w.key[1]}]): {exc}")
                    else:
                        current = self.api.task_run_versions([ref.id]).get(ref.id)
                        if current is None:  # the task run is gone (its flow run was deleted)
                            self._refuse(f"Task run {ref.id} ({w.key[0]}[{w.key[1]}]) is gone; "
                                         f"its state {w.state['type']} is not written.")
                            break
                        ref.version = current
            w.done = True  # sent or refused twice: either way, not again

    def _log_items(self, writes: list[LogWrite], with_flow_run: bool = True) -> list[dict[str, Any]]:
        """The records of log writes, with their task run's id (and their flow run's)."""
        logs = []
        for w in writes:
            ref = self.task_runs.get(w.key) if w.key is not None else None
            record = {**w.record, "task_run_id": ref.id if ref else None}
            if with_flow_run:
                record["flow_run_id"] = self.flow_run_id
            else:
                record.pop("flow_run_id", None)
            logs.append(record)
        return logs

    def _send_logs(self, writes: list[LogWrite]) -> None:
        self._resolve(w.key for w in writes)
        logs = self._log_items(writes)
        try:
            self.api.write_run_logs(logs)
            self.sent["requests"] += 1
        except WriteRejected as exc:
            self._refuse(f"The server refused {len(logs)} log records: {exc}")
        self.sent["logs"] += len(logs)

    def _send_flow_states(self, writes: list[StateWrite]) -> None:
        for w in writes:
            if self.cancelled or w.done:
                continue
            stored = self._write_flow_state(w.state)
            self._uncertain = False
            w.done = True
            if stored:
                self.flow_run_version += 1
                self.sent["flow_states"] += 1

    def _write_flow_state(self, state: dict[str, Any]) -> bool:
        """Write one flow-run state (retried once with a fresh version); whether it is stored."""
        for attempt in (1, 2):
            item = {"flow_run_id": self.flow_run_id, "version": self.flow_run_version, "state": state}
            try:
                self._call_uncertain(self.api.set_flow_run_states, [item])
                return True
            except WriteRejected as exc:
                try:
                    current, version = self.api.flow_run_state(self.flow_run_id)
                except WriteRejected as gone:
                    self._refuse(f"The flow run can't be read any more ({gone}); its state "
                                 f"{state['type']} is not written.")
                    return False
                if self._uncertain and version == self.flow_run_version + 1 and current == state["type"]:
                    return True  # stored before the connection dropped
                if current in ("Cancelling", "Cancelled"):
                    # the run was cancelled meanwhile: its agent writes the final state
                    self.cancelled = True
                    self._refuse(f"The flow run was cancelled meanwhile; its state "
                                 f"{state['type']} is not written.", logging.INFO)
                    return False
                self.flow_run_version = version
                self._uncertain = False
                if attempt == 2:
                    self._refuse(f"The server refused flow-run state {state['type']}: {exc}")
        return False

    def _refuse(self, message: str, level: int = logging.WARNING) -> None:
        """Note a write the server refused (and that is dropped): logged, kept in ``refusals``."""
        self.refusals.append(message)
        _logger.log(level, "Flow run %s: %s", self.flow_run_id, message)

    def _maybe_heartbeat(self) -> None:
        if self.heartbeat_interval <= 0:
            return
        now = time.monotonic()
        if now - self._last_heartbeat < self.heartbeat_interval:
            return
        self._last_heartbeat = now
        try:
            self.api.flow_run_heartbeat(self.flow_run_id)
            for key in list(self._running):
                ref = self.task_runs.get(key)
                if ref is not None:
                    self.api.task_run_heartbeat(ref.id)
        except (ServerUnavailable, WriteRejected) as exc:
            # a missed heartbeat is not worth a retry: the next one comes soon
            _logger.debug("Heartbeat for flow run %s failed: %s", self.flow_run_id, exc)
