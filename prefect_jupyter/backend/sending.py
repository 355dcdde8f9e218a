"""Sending a run's writes to the server: reports, their fallbacks, and flow-run states.

:class:`ReportSender` is the reporter's half that talks to the server (``reporter.py`` keeps
the queues and decides what goes when). Given a batch of writes, it

- names the task runs they belong to. A new mapped child is created by the report that
  carries its first writes: the sender makes its id (a UUID) and the report lists it in
  ``new_task_runs``, so a child costs the server one insert, not a request to create it and
  an update per report. A server without that, and a run after a report creating children
  was refused (e.g. a restart, whose children exist already), get them found or created
  first (all children of a mapped task at once, as soon as its ``Mapped`` state said how
  many, a request per :data:`MAX_CHILDREN`);
- sends task states and log records together as one :class:`Report` (``write_run_report``: one
  request, one transaction). A report is made (:meth:`ReportSender.prepare`) apart from being
  sent (:meth:`ReportSender.store`), so that the next one can be made while this one is in
  flight (its versions follow this one's);
- falls back, for a server without reports or one that refused a report, to the states in one
  ``set_task_run_states`` request (then one by one, to find the one refused: it is retried
  once with a fresh version, then dropped and noted in ``refusals``) and the records in one
  ``write_run_logs`` request;
- writes flow-run states one at a time (retried once with a fresh version; a cancelled run's
  states are not written).

A write whose answer was lost (``ServerUnavailable`` in flight) may have been stored: the next
attempt is *uncertain*. A report's log records carry ids made here, so before sending it again
the sender asks whether its first record is stored (a report is one transaction: then all of
it is); for task states, if the server refuses them, the task runs' versions tell whether the
first attempt landed — versions only grow by accepted writes. Nothing is stored twice (log
records sent apart, by ``write_run_logs`` to a server without reports, carry no id and can be).

Versions: each task run's version is known from when it was found, and each accepted write adds
one, as the server does.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable
from typing import Any

from prefect_jupyter.backend.writes import LogWrite, ReportAPI, StateWrite, TaskKey, TaskRunRef
from prefect_jupyter.client.errors import ServerUnavailable, WriteRejected
from prefect_jupyter.utilities.ids import new_id

__all__ = ["MAX_CHILDREN", "Report", "ReportSender"]

_logger = logging.getLogger("prefect_jupyter.cloud.reporter")

#: the most mapped children found or created in one request (the server counts each as a row
#: of its answer: see ``server.graphql.max_list_rows``)
MAX_CHILDREN = 5_000


@dataclasses.dataclass
class Report:
    """Task states and log records made ready for one ``write_run_report`` request.

    Attributes:
        task_writes, log_writes: the writes it was made from (the head of their queues).
        known: the task writes it carries (those of task runs the server has, or that the
            report creates).
        items: their ``{task_run_id, version, state}`` items; ``logs``: the log records.
        versions: the version of each task run once the report is stored.
        children: the ``{id, task_id, map_index}`` of the mapped children it creates (those
            not known to be stored yet); ``child_keys``: their keys.
    """

    task_writes: list[StateWrite]
    log_writes: list[LogWrite]
    known: list[StateWrite]
    items: list[dict[str, Any]]
    logs: list[dict[str, Any]]
    versions: dict[TaskKey, int]
    children: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    child_keys: list[TaskKey] = dataclasses.field(default_factory=list)


class ReportSender:
    """Sends batches of one flow run's writes to the server (see the module docstring).

    Args:
        api: the server calls.
        flow_run_id: the flow run reported.
        task_runs: the task runs the server has, by ``(slug, map_index)``.
        task_ids: the server's task id of each slug (needed to create mapped children).
        flow_run_version: the flow run's current version on the server.
    """

    def __init__(self, api: ReportAPI, flow_run_id: str, task_runs: dict[TaskKey, TaskRunRef],
                 task_ids: dict[str, str], flow_run_version: int) -> None:
        self.api = api
        self.flow_run_id = flow_run_id
        self.task_runs = task_runs
        self.task_ids = task_ids
        self.flow_run_version = flow_run_version
        self.announced: dict[str, int] = {}  # mapped tasks' child counts, not created yet
        #: mapped children named by reports not known to be stored yet (ids made here)
        self.proposed: dict[TaskKey, TaskRunRef] = {}
        self._proposing: bool | None = None  # whether reports create new children (asked once)
        self.running: set[TaskKey] = set()  # task runs to send heartbeats for
        self.uncertain = False  # a write failed in flight: it may have been stored
        self.apart = False  # the server can't take states and logs in one report
        self.took_report = False  # the server has stored a report (it has them)
        self.cancelled = False  # the server said the flow run was cancelled
        self.sent = {"task_states": 0, "flow_states": 0, "logs": 0, "requests": 0}
        #: what the server refused (and so was dropped), one line each, for the run's logs
        self.refusals: list[str] = []

    # -- reports -------------------------------------------------------------------------------
    @property
    def reports(self) -> bool:
        """Whether task states and logs go in reports (the server has them, took them so far)."""
        return not self.apart and getattr(self.api, "write_run_report", None) is not None

    @property
    def proposing(self) -> bool:
        """Whether new mapped children are created by the reports that name them (the server
        can, and has not refused such a report in this run)."""
        if self._proposing is None:
            ask = getattr(self.api, "reports_create_children", None)
            self._proposing = bool(ask is not None and ask())
        return self._proposing and self.reports

    def _ref(self, key: TaskKey | None) -> TaskRunRef | None:
        """The task run of ``key``: one the server has, else one a report creates."""
        return self.task_runs.get(key) or self.proposed.get(key)  # type: ignore[arg-type]

    def resolved(self, writes: Iterable[StateWrite | LogWrite]) -> bool:
        """Whether every task run ``writes`` need is known or made by their report (no
        request needed to find them)."""
        proposing = self.proposing
        if self.announced and not proposing:
            return False
        task_runs, task_ids, proposed = self.task_runs, self.task_ids, self.proposed
        return not any(w.key is not None and w.key not in task_runs and w.key not in proposed
                       and w.key[0] in task_ids and not (proposing and w.key[1] >= 0)
                       for w in writes)

    def prepare(self, task_writes: list[StateWrite], log_writes: list[LogWrite],
                after: Report | None = None) -> Report:
        """The report of these writes, their task runs found or created first (or, for new
        mapped children, made with the report).

        Args:
            after: a report not stored yet that goes first: the versions follow its own (the
                writes' task runs must be known then, see :meth:`resolved`).
        """
        proposing = self.proposing
        if proposing:
            self.announced.clear()  # the children come with the reports that name them
        if after is None:
            self.resolve((w.key for w in (*task_writes, *log_writes)), children=not proposing)
        child_keys = self._propose((*task_writes, *log_writes)) if proposing else []
        task_runs, proposed = self.task_runs, self.proposed
        known = [w for w in task_writes
                 if (w.key in task_runs or w.key in proposed) and not w.done]
        items, versions = self._state_items(known, after.versions if after else {})
        logs = self._log_items(log_writes, with_flow_run=False)  # the report's flow run
        for write, record in zip(log_writes, logs, strict=True):
            if write.id is None:
                write.id = new_id()  # the same when the report goes again: see landed()
            record["id"] = write.id
        task_ids = self.task_ids
        children = [{"id": proposed[key].id, "task_id": task_ids[key[0]], "map_index": key[1]}
                    for key in child_keys]
        return Report(task_writes, log_writes, known, items, logs, versions, children,
                      child_keys)

    def _propose(self, writes: Iterable[StateWrite | LogWrite]) -> list[TaskKey]:
        """The keys of the mapped children ``writes`` name that are not known to be stored,
        each given an id first if it has none (in order, once each)."""
        task_runs, task_ids, proposed = self.task_runs, self.task_ids, self.proposed
        keys: dict[TaskKey, None] = {}
        for w in writes:
            key = w.key
            if key is None or key[1] < 0 or key in task_runs or key in keys:
                continue
            if key not in proposed:
                if key[0] not in task_ids:
                    continue  # a task the server does not know: its writes are skipped
                proposed[key] = TaskRunRef(new_id(), 1)  # created Pending: version 1
            keys[key] = None
        return list(keys)

    def request(self, report: Report) -> bool:
        """Make the request of ``report`` (only that: :meth:`store` does the bookkeeping);
        ``False`` when the server has no reports. Safe on another thread."""
        if report.children:
            return self.api.write_run_report(  # type: ignore[attr-defined]
                self.flow_run_id, report.items, report.logs, report.children)
        return self.api.write_run_report(self.flow_run_id, report.items, report.logs)  # type: ignore[attr-defined]

    def _children_stored(self, report: Report) -> None:
        """The children ``report`` created are stored: they become task runs the server has."""
        for key, child in zip(report.child_keys, report.children, strict=True):
            ref = self.proposed.pop(key, None)
            if key not in self.task_runs:
                # (a report stored ahead may find its proposals cleared by a refusal meanwhile)
                self.task_runs[key] = ref or TaskRunRef(child["id"], 1)

    def store(self, report: Report, answer: Callable[[], bool] | None = None) -> bool:
        """Send ``report`` (or take the ``answer`` of its request, made already); whether it is
        stored.

        ``False`` when its writes must go apart instead: the server has no reports, or refused
        this one (the states then go through :meth:`send_task_states`, which finds the one
        refused; the logs through :meth:`send_logs`).
        """
        if not report.items and not report.logs:
            return True
        try:
            if not (answer or (lambda: self.request(report)))():
                self.apart = True  # an older server: not asked again
                return False
            self.took_report = True
            self.sent["requests"] += 1
        except ServerUnavailable:
            self.uncertain = True  # it may have landed: the versions will tell
            raise
        except WriteRejected as exc:
            versions = report.versions
            if not (self.uncertain and versions and self._batch_landed(versions)):
                _logger.debug("Report refused (%s); sending states and logs apart.", exc)
                self.uncertain = False
                if report.children:
                    # e.g. a restarted run's children exist already: find them the old way
                    self._proposing = False
                    self.proposed.clear()
                return False
            _logger.debug("The report was stored before the connection dropped.")
        self._stored(report)
        return True

    def landed(self, report: Report) -> bool:
        """Whether ``report`` was stored by an attempt whose answer was lost (asked only while
        that is uncertain; a report is one transaction, so its first log record tells). A
        report of task states alone is told by their versions instead (see :meth:`store`)."""
        ask = getattr(self.api, "stored_log_ids", None)
        if not (self.uncertain and report.logs and ask is not None):
            return False
        first = report.logs[0]["id"]
        if first not in ask([first]):
            return False
        _logger.debug("The report was stored before the connection dropped.")
        self._stored(report)
        return True

    def stored_ahead(self, report: Report) -> None:
        """Note ``report`` stored out of turn: sent ahead of one that was not stored (see
        ``RunReporter._settle``); what is uncertain about that one stays so."""
        uncertain = self.uncertain
        self.sent["requests"] += 1
        self._stored(report)
        self.uncertain = uncertain

    def _stored(self, report: Report) -> None:
        """Note that ``report`` is stored: its children and versions, what it carried."""
        self._children_stored(report)
        for key, version in report.versions.items():
            self.task_runs[key].version = version
        self.uncertain = False
        self._stored_states(report.known)
        self.sent["logs"] += len(report.logs)

    # -- task runs -----------------------------------------------------------------------------
    def resolve(self, keys: Iterable[TaskKey | None], children: bool = True) -> None:
        """Find or create the task runs of keys not seen yet, and all children of mapped tasks
        announced since (a request per :data:`MAX_CHILDREN` of them).

        Args:
            children: also mapped children (``False``: their reports create them).
        """
        missing: dict[TaskKey, None] = {}
        for key in keys:
            if (key is not None and key not in self.task_runs and key[0] in self.task_ids
                    and (children or key[1] < 0)):
                missing[key] = None
        announced = dict(self.announced)
        for slug, count in announced.items():
            if slug in self.task_ids:
                missing.update(dict.fromkeys(
                    k for k in ((slug, i) for i in range(count)) if k not in self.task_runs))
        keys_left = list(missing)
        for start in range(0, len(keys_left), MAX_CHILDREN):
            self._resolve_chunk(keys_left[start:start + MAX_CHILDREN])
        for slug in announced:
            self.announced.pop(slug, None)

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
            self.refuse(f"The server has no task run for {key[0]}[{key[1]}] ({exc}); its states "
                        "and logs are not reported.")
            return None

    # -- task states and logs apart ------------------------------------------------------------
    def _state_items(
        self, known: list[StateWrite], start: dict[TaskKey, int]
    ) -> tuple[list[dict[str, Any]], dict[TaskKey, int]]:
        """The ``{task_run_id, version, state}`` items of ``known`` writes, and the version
        each task run is at once they are stored (from ``start``, else its known version)."""
        items = []
        versions: dict[TaskKey, int] = {}
        task_runs, proposed = self.task_runs, self.proposed
        for w in known:
            key = w.key
            ref = task_runs.get(key) or proposed[key]  # type: ignore[arg-type,index]
            version = versions.get(key)  # type: ignore[arg-type]
            if version is None:
                version = start.get(key, ref.version)  # type: ignore[arg-type]
            items.append({"task_run_id": ref.id, "version": version, "state": w.state})
            versions[key] = version + 1  # type: ignore[index]
        return items, versions

    def _stored_states(self, known: list[StateWrite]) -> None:
        """Count stored task states; follow which task runs are running (for heartbeats)."""
        self.sent["task_states"] += len(known)
        for w in known:
            if w.running:
                self.running.add(w.key)  # type: ignore[arg-type]
            else:
                self.running.discard(w.key)  # type: ignore[arg-type]

    def send_task_states(self, writes: list[StateWrite]) -> None:
        """Task states in one ``set_task_run_states`` request (one by one if it is refused)."""
        self.resolve(w.key for w in writes)
        known = [w for w in writes if w.key in self.task_runs and not w.done]
        if known:
            items, versions = self._state_items(known, {})
            try:
                self._call_uncertain(self.api.set_task_run_states, items)
            except WriteRejected as exc:
                if self.uncertain and self._batch_landed(versions):
                    _logger.debug("Task run states were stored before the connection dropped.")
                else:
                    _logger.debug("Batch of task run states refused (%s); sending one by one.", exc)
                    self._send_one_by_one(known)
            else:
                for key, version in versions.items():
                    self.task_runs[key].version = version
            self.uncertain = False
        self._stored_states(known)

    def _call_uncertain(self, call: Any, items: list[dict[str, Any]]) -> None:
        """Make a write; if the server went away meanwhile, it may have landed (see above)."""
        try:
            call(items)
            self.sent["requests"] += 1
        except ServerUnavailable:
            self.uncertain = True
            raise

    def _batch_landed(self, versions: dict[TaskKey, int]) -> bool:
        """Whether a batch sent before a lost connection was stored after all.

        Versions only grow by accepted writes, so the batch landed exactly when every task run
        it touched is now at the version the batch would have left it at.
        """
        refs = {key: self._ref(key) for key in versions}
        ids = {refs[key].id: version for key, version in versions.items()}  # type: ignore[union-attr]
        current = self.api.task_run_versions(list(ids))
        if all(current.get(i) == v for i, v in ids.items()):
            for key, version in versions.items():
                refs[key].version = version  # type: ignore[union-attr]
            return True
        return False

    def _send_one_by_one(self, writes: list[StateWrite]) -> None:
        for w in writes:
            if w.done:
                continue
            ref = self.task_runs[w.key]  # type: ignore[index]
            for attempt in (1, 2):
                try:
                    self.api.set_task_run_states(
                        [{"task_run_id": ref.id, "version": ref.version, "state": w.state}]
                    )
                    self.sent["requests"] += 1
                    ref.version += 1
                    break
                except WriteRejected as exc:
                    name = f"{w.key[0]}[{w.key[1]}]"  # type: ignore[index]
                    if attempt == 2:
                        self.refuse(f"The server refused state {w.state['type']} for task run "
                                    f"{ref.id} ({name}): {exc}")
                    else:
                        current = self.api.task_run_versions([ref.id]).get(ref.id)
                        if current is None:  # the task run is gone (its flow run was deleted)
                            self.refuse(f"Task run {ref.id} ({name}) is gone; its state "
                                        f"{w.state['type']} is not written.")
                            break
                        ref.version = current
            w.done = True  # sent or refused twice: either way, not again

    def _log_items(self, writes: list[LogWrite], with_flow_run: bool = True) -> list[dict[str, Any]]:
        """The records of log writes, with their task run's id (and their flow run's)."""
        logs = []
        task_runs, proposed = self.task_runs, self.proposed
        for w in writes:
            ref = (task_runs.get(w.key) or proposed.get(w.key)) if w.key is not None else None
            record = {**w.record, "task_run_id": ref.id if ref else None}
            if with_flow_run:
                record["flow_run_id"] = self.flow_run_id
            else:
                record.pop("flow_run_id", None)
            logs.append(record)
        return logs

    def send_logs(self, writes: list[LogWrite]) -> None:
        """Log records in one ``write_run_logs`` request (refused: noted and dropped)."""
        self.resolve(w.key for w in writes)
        logs = self._log_items(writes)
        try:
            self.api.write_run_logs(logs)
            self.sent["requests"] += 1
        except WriteRejected as exc:
            self.refuse(f"The server refused {len(logs)} log records: {exc}")
        self.sent["logs"] += len(logs)

    # -- flow-run states -----------------------------------------------------------------------
    def send_flow_states(self, writes: list[StateWrite]) -> None:
        """Flow-run states, in order, one request each."""
        for w in writes:
            if self.cancelled or w.done:
                continue
            stored = self._write_flow_state(w.state)
            self.uncertain = False
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
                    self.refuse(f"The flow run can't be read any more ({gone}); its state "
                                f"{state['type']} is not written.")
                    return False
                if self.uncertain and version == self.flow_run_version + 1 and current == state["type"]:
                    return True  # stored before the connection dropped
                if current in ("Cancelling", "Cancelled"):
                    # the run was cancelled meanwhile: its agent writes the final state
                    self.cancelled = True
                    self.refuse(f"The flow run was cancelled meanwhile; its state "
                                f"{state['type']} is not written.", logging.INFO)
                    return False
                self.flow_run_version = version
                self.uncertain = False
                if attempt == 2:
                    self.refuse(f"The server refused flow-run state {state['type']}: {exc}")
        return False

    def refuse(self, message: str, level: int = logging.WARNING) -> None:
        """Note a write the server refused (and that is dropped): logged, kept in ``refusals``."""
        self.refusals.append(message)
        _logger.log(level, "Flow run %s: %s", self.flow_run_id, message)
