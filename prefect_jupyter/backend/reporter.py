"""Reporting a flow run to the server while it runs: states, logs and heartbeats, batched.

:class:`RunReporter` is an *observer* of the run's state-event stream (``engine/events.py``), not a
runner subclass: the engine publishes each transition, the reporter turns it into a write for the
server. Observers are called on the engine's threads, so :meth:`RunReporter.__call__` only appends
to a queue; one background thread sends what has queued up every ``flush_interval`` seconds (at
once when :data:`EAGER_WRITES` or more queued while the last batch was in flight, or when a
mapped task announced its children):

1. task-run states, in the order they happened, and log records, together in one report
   (``write_run_report``: one request, one transaction on the server; a new mapped child is
   created by the report that first names it, with an id made here — or, on a server without
   that or when its children exist already, found or created first, all of a task's at once,
   as soon as its ``Mapped`` state says how many there are). While a report is in flight the
   next one is made ready, its versions following the first's. When no task run has writes
   in both (batches are cut so that a mapped child's writes go together) and the server has
   stored a report already, it is sent at once:
   two reports in flight, the server storing one while it reads the next and the database
   takes the other's rows. Otherwise it goes as soon as the first is stored. A report sent
   ahead whose predecessor is not stored is settled on its own (:meth:`RunReporter._settle`).
   A server without reports, or one that refuses a report, gets them apart (``sending.py``);
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
A batch whose answer was lost is sent again exactly as it was, unless it had landed: the ids
the reporter gave its log records (or, for task states alone, their versions) tell, and it is
not stored twice.

The same thread sends heartbeats: the flow run's every ``heartbeat_interval`` seconds, and one for
each task run that is ``Running`` at the time.

Example:
    >>> reporter = RunReporter(api, flow_run_id, flow, task_runs, task_ids, flow_run_version=2)
    >>> with reporter:                     # starts the thread; on exit, flushes everything
    ...     FlowRunner(flow, observers=[reporter]).run(...)
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from prefect_jupyter.backend.sending import MAX_CHILDREN, Report, ReportSender
from prefect_jupyter.backend.writes import LogWrite, ReportAPI, StateWrite, TaskKey, TaskRunRef
from prefect_jupyter.client.errors import ServerUnavailable, WriteRejected
from prefect_jupyter.engine.events import StateEvent
from prefect_jupyter.engine.state_schema import state_to_dict

__all__ = ["MAX_BATCH", "MAX_CHILDREN", "LogWrite", "ReportAPI", "RunReporter", "StateWrite",
           "TaskRunRef"]

_logger = logging.getLogger("prefect_jupyter.cloud.reporter")

#: the fewest writes left queued after a report that make the next one go at once instead of
#: after ``flush_interval``: a busy run keeps the server working (each report carries what was
#: queued while the one before was in flight), a quiet one sends a request per interval
EAGER_WRITES = 200

#: how many task states (and, separately, log records) one request carries — grown, to twice
#: this at most, to keep a task run's writes together (``_batch_sizes``): a 10,000-child map
#: queues ~30,000 states in a second, and one request with all of them would outlast the
#: client's timeout; fewer, larger reports spend less on each request's fixed costs (HTTP,
#: parsing, a transaction) — a report of 2,000 of each takes the server ~0.15 s
MAX_BATCH = 2_000


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
        self.flush_interval = flush_interval
        self.heartbeat_interval = heartbeat_interval
        self.retry_budget = retry_budget
        self.max_backoff = max_backoff
        self._sender = ReportSender(api, flow_run_id, dict(task_runs), dict(task_ids),
                                    flow_run_version)
        self._skip_running = skip_first_running
        self._slugs: dict[Any, str] = dict(getattr(flow, "slugs", {}) or {})
        # the three queues; each item leaves its queue only once the server has it
        self._task_states: collections.deque[StateWrite] = collections.deque()
        self._logs: collections.deque[LogWrite] = collections.deque()
        self._flow_states: collections.deque[StateWrite] = collections.deque()
        self._ready: Report | None = None  # the next report, made while the last was in flight
        self._ahead: tuple[Report, _Call] | None = None  # ``_ready``, sent already (see _settle)
        self._unsettled: Report | None = None  # a report sent ahead whose answer was lost
        self._resend: tuple[int, int] | None = None  # sizes of a batch whose answer was lost
        self._wake = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._last_heartbeat = 0.0
        self._backoff = 0.0

    # what the server has of the run, and what happened to the writes (kept by the sending)
    @property
    def task_runs(self) -> dict[TaskKey, TaskRunRef]:
        """The task runs the server has, by ``(slug, map_index)``."""
        return self._sender.task_runs

    @property
    def task_ids(self) -> dict[str, str]:
        """The server's task id of each slug (a task the server refused is left out)."""
        return self._sender.task_ids

    @property
    def flow_run_version(self) -> int:
        """The flow run's version on the server, as far as this reporter knows."""
        return self._sender.flow_run_version

    @property
    def sent(self) -> dict[str, int]:
        """How many task states, flow states, log records and requests reached the server."""
        return self._sender.sent

    @property
    def refusals(self) -> list[str]:
        """What the server refused (and so was dropped), one line each, for the run's logs."""
        return self._sender.refusals

    @property
    def cancelled(self) -> bool:
        """Whether the server said the flow run was cancelled (its states are not written)."""
        return self._sender.cancelled

    @property
    def uncertain(self) -> bool:
        """Whether the last write failed in flight (it may have been stored)."""
        return self._sender.uncertain

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
            self._sender.announced[slug] = event.new_state.n_map_states  # its children come next
            self._wake.set()  # create them now: every child's state waits for them
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
        self._sender.uncertain = uncertain

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
                if self._ahead is not None:  # what it stored is not left to be sent again
                    self._settle(*self._take_ahead())
                _logger.error(
                    "Gave up reporting flow run %s to the server after %.0f s without progress "
                    "(config `cloud.agent.retry_budget`); %d state changes and log records are "
                    "not stored yet.", self.flow_run_id, self.retry_budget, self.pending(),
                )
                return
            if self.pending() >= before:  # nothing went: the server is away, or refused
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
        ready, self._ready = self._ready, None
        ahead = self._ahead
        if ahead is not None and not (ready is ahead[0] and self._resend is None
                                      and self._at_head(ready)):
            # not its turn after all (before the sizes: a stored one leaves the queues)
            self._settle(*self._take_ahead())
        n_task, n_logs = self._batch_sizes(0, 0)
        if self._resend is not None:
            # the batch whose answer was lost goes again exactly as it was (not grown by what
            # was queued since), so that the versions tell whether it landed
            n_task, n_logs = (min(n, len(queue)) for n, queue in
                              zip(self._resend, (self._task_states, self._logs), strict=True))
        if self._unsettled is not None and self._resend is None and self._at_head(self._unsettled):
            # sent ahead, its answer lost: it goes again exactly as it was, asked about first
            ready, self._unsettled = self._unsettled, None
            self._sender.uncertain = True
        if ready is not None and self._at_head(ready):
            n_task, n_logs = len(ready.task_writes), len(ready.log_writes)
        else:
            ready = None
        if len(self._task_states) > n_task or len(self._logs) > n_logs:
            self._wake.set()  # a backlog: the next batch goes without waiting
        task_writes = [self._task_states[i] for i in range(n_task)]
        log_writes = [self._logs[i] for i in range(n_logs)]
        self._resend = (n_task, n_logs)  # until they are stored or given up
        self._send_batch(task_writes, log_writes, ready)
        self._resend = None
        n_flow = self._flow_states_due()
        if n_flow:
            self._sender.send_flow_states([self._flow_states[i] for i in range(n_flow)])
            for _ in range(n_flow):
                self._flow_states.popleft()
        if self.pending() >= EAGER_WRITES:
            self._wake.set()  # what queued while this batch was in flight goes now

    def _send_batch(self, task_writes: list[StateWrite], log_writes: list[LogWrite],
                    ready: Report | None) -> None:
        """Send the head of the task-state and log queues: in a report, else apart."""
        n_task, n_logs = len(task_writes), len(log_writes)
        if (n_task or n_logs) and self._send_report(task_writes, log_writes, ready):
            task_writes = log_writes = []
            for _ in range(n_task):
                self._task_states.popleft()
            for _ in range(n_logs):
                self._logs.popleft()
        if task_writes:
            self._sender.send_task_states(task_writes)
            for _ in range(n_task):
                self._task_states.popleft()
        if log_writes:
            self._sender.send_logs(log_writes)
            for _ in range(n_logs):
                self._logs.popleft()

    def _at_head(self, report: Report) -> bool:
        """Whether the writes of ``report`` are still the head of their queues."""
        return all(not writes or (queue and queue[0] is writes[0]) for writes, queue in (
            (report.task_writes, self._task_states), (report.log_writes, self._logs)))

    def _send_report(self, task_writes: list[StateWrite], log_writes: list[LogWrite],
                     ready: Report | None) -> bool:
        """Send the writes as one report (``ready``: made already); whether they are stored.

        While its request is in flight, the report of the writes queued after them is made
        ready for the next round (when no request is needed to find their task runs): its
        versions follow this report's, so it is only used once this one is stored.
        """
        sender = self._sender
        # a report sent ahead is ``ready`` (_flush settled it otherwise): its answer is awaited
        _, call = self._take_ahead()
        if call is None and not sender.reports:
            return False
        report = ready or sender.prepare(task_writes, log_writes)
        if call is None:
            if not report.items and not report.logs:
                return sender.store(report)
            if sender.landed(report):  # the last attempt's answer was lost, but it was stored
                return True
            call = _Call(sender.request, report)
        upcoming = self._prepare_next(report, len(task_writes), len(log_writes))
        ahead = None
        # (not before the server has taken a report: an older one is asked once, not twice)
        if (upcoming is not None and (upcoming.items or upcoming.logs) and sender.took_report
                and not sender.uncertain and _independent(report, upcoming)):
            ahead = _Call(sender.request, upcoming)  # two in flight: see _settle for failures
        try:
            stored = sender.store(report, call.result)
        except BaseException:
            if ahead is not None:
                self._settle(upcoming, ahead)  # type: ignore[arg-type]
            raise
        if stored:
            self._ready = upcoming
            self._ahead = (upcoming, ahead) if ahead is not None else None  # type: ignore[assignment]
        elif ahead is not None:
            self._settle(upcoming, ahead)  # type: ignore[arg-type]
        return stored

    def _take_ahead(self) -> tuple[Report | None, _Call | None]:
        """The report sent ahead and its request (``None``s: none), no longer pending here."""
        ahead, self._ahead = self._ahead, None
        return ahead if ahead is not None else (None, None)

    def _settle(self, report: Report, call: _Call) -> None:
        """Settle a report sent ahead whose turn did not come: the one before it was not
        stored (it is retried, or sent apart), or it is not the head of its queues any more.

        Its writes are of other task runs than any before it (:func:`_independent`), so it may
        be stored out of turn: stored, its writes leave their queues (noted as the sending
        notes a report); refused, nothing of it was stored and its writes go again later;
        its answer lost, it goes again exactly as it was once its turn comes, and its first
        log record (or its versions) tells whether it had landed, as for any lost answer.
        """
        try:
            stored = call.result()
        except WriteRejected:
            return  # one transaction: nothing of it is stored
        except Exception:  # the answer was lost: it may have landed
            self._unsettled = report
            return
        if not stored:
            return  # a server without reports: sent apart later
        self._sender.stored_ahead(report)
        self._remove(report)

    def _remove(self, report: Report) -> None:
        """Take a stored report's writes out of their queues (they follow the head's: deleted
        by place; the engine's threads only append at the other end)."""
        for writes, queue in ((report.task_writes, self._task_states),
                              (report.log_writes, self._logs)):
            if not writes:
                continue
            # found in a copy: iterating the queue itself fails if an engine thread appends
            first = next(i for i, w in enumerate(list(queue)) if w is writes[0])
            for _ in writes:
                del queue[first]

    def _prepare_next(self, report: Report, n_task: int, n_logs: int) -> Report | None:
        """The report of the next batch, after ``report`` (``None``: made in its own round)."""
        more_task, more_logs = self._batch_sizes(n_task, n_logs)
        task_writes = [self._task_states[i] for i in range(n_task, n_task + more_task)]
        log_writes = [self._logs[i] for i in range(n_logs, n_logs + more_logs)]
        if not (task_writes or log_writes) or not self._sender.resolved([*task_writes, *log_writes]):
            return None
        try:
            return self._sender.prepare(task_writes, log_writes, after=report)
        except Exception:  # a bug here must not lose the answer of the report in flight
            _logger.exception("Could not prepare the next report of flow run %s", self.flow_run_id)
            return None

    def _batch_sizes(self, task_start: int, log_start: int) -> tuple[int, int]:
        """How many task states and log records from these places go in the next batch.

        Up to :data:`MAX_BATCH` of each, grown (to twice that at most) by the writes queued
        right after them that are of task runs the batch has: a mapped child's ``Success`` and
        last log record join its ``Running`` and first one. The batch after it then has writes
        of other task runs only, and can be sent before this one is stored
        (:func:`_independent`).
        """
        states, logs = self._task_states, self._logs
        n_task = min(len(states) - task_start, MAX_BATCH)
        n_logs = min(len(logs) - log_start, MAX_BATCH)
        keys = {states[i].key for i in range(task_start, task_start + n_task)}
        keys.update(logs[i].key for i in range(log_start, log_start + n_logs))
        keys.discard(None)
        limit_task = min(len(states) - task_start, 2 * MAX_BATCH)
        limit_logs = min(len(logs) - log_start, 2 * MAX_BATCH)
        grew = True
        while grew:
            grew = False
            while n_task < limit_task and states[task_start + n_task].key in keys:
                n_task += 1
                grew = True
            while n_logs < limit_logs and logs[log_start + n_logs].key in keys:
                n_logs += 1
                grew = True
        return n_task, n_logs

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

    def _maybe_heartbeat(self) -> None:
        if self.heartbeat_interval <= 0:
            return
        now = time.monotonic()
        if now - self._last_heartbeat < self.heartbeat_interval:
            return
        self._last_heartbeat = now
        try:
            self.api.flow_run_heartbeat(self.flow_run_id)
            for key in list(self._sender.running):
                ref = self.task_runs.get(key)
                if ref is not None:
                    self.api.task_run_heartbeat(ref.id)
        except (ServerUnavailable, WriteRejected) as exc:
            # a missed heartbeat is not worth a retry: the next one comes soon
            _logger.debug("Heartbeat for flow run %s failed: %s", self.flow_run_id, exc)


def _independent(first: Report, second: Report) -> bool:
    """Whether ``second`` may be stored before ``first`` is (or without it): no task run has
    writes in both (states or log records), so neither's versions or children depend on the
    other's."""
    keys = {w.key for w in (*first.task_writes, *first.log_writes)}
    keys.discard(None)  # the flow run's own log records: any order
    return not any(w.key in keys for w in (*second.task_writes, *second.log_writes)
                   if w.key is not None)


class _Call:
    """A call made on a thread of its own, so that the caller can do other work meanwhile;
    :meth:`result` waits for its value (or raises its exception)."""

    def __init__(self, function: Callable[[Report], bool], report: Report) -> None:
        self._done = threading.Event()
        self._value = False
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(function, report), daemon=True,
                         name="prefect_jupyter-report").start()

    def _run(self, function: Callable[[Report], bool], report: Report) -> None:
        try:
            self._value = function(report)
        except BaseException as exc:  # handed to the caller, which decides
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> bool:
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value
