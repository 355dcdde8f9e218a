"""The server's services: loops in the server process that keep runs moving.

- :class:`~.scheduler.Scheduler` — keeps the next runs of every active schedule created
  (idempotent per flow and scheduled time);
- :class:`~.zombie_killer.ZombieKiller` — a running task run whose heartbeat stopped is retried
  (retries left) or marked ``Failed``;
- :class:`~.lazarus.Lazarus` — a submitted or running flow run whose process is gone is
  rescheduled, at most ``resurrection_attempt_limit`` times, then marked ``Failed``.

Together: when an agent or its machine dies mid-run, within about ``heartbeat_window`` plus the
loops' intervals the task that was running is failed (or retried) and the flow run is
rescheduled — its finished tasks are not run again — or, after too many attempts, failed.
Nothing stays ``Running`` forever.

``serve()`` starts them (:func:`start_services`) unless ``server.services.enabled`` is false or
the server runs with ``--no-services``. Settings live under ``[server.services]`` in the
configuration (:class:`ServiceSettings`). Several servers may share one PostgreSQL database and
all run services: every change locks its row and checks its condition again, and scheduled runs
have idempotency keys.

The windows must be longer than the flow runs' heartbeat interval (``cloud.heartbeat_interval``,
10 s by default); with heartbeats turned off (0), turn the zombie killer and Lazarus off too,
or they fail long tasks.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from prefect_jupyter.server.database.engine import Database
from prefect_jupyter.server.services.lazarus import Lazarus
from prefect_jupyter.server.services.loop import LoopService
from prefect_jupyter.server.services.scheduler import Scheduler
from prefect_jupyter.server.services.zombie_killer import ZombieKiller

__all__ = [
    "Lazarus",
    "LoopService",
    "Scheduler",
    "ServiceSettings",
    "Services",
    "ZombieKiller",
    "start_services",
]


@dataclasses.dataclass(frozen=True)
class ServiceSettings:
    """What the services do and how often (config ``[server.services]``)."""

    enabled: bool = True
    heartbeat_window: float = 120.0
    scheduler: bool = True
    scheduler_loop_seconds: float = 30.0
    max_scheduled_runs: int = 10
    zombie_killer: bool = True
    zombie_killer_loop_seconds: float = 30.0
    lazarus: bool = True
    lazarus_loop_seconds: float = 60.0
    resurrection_attempt_limit: int = 3

    @classmethod
    def from_config(cls, **overrides: Any) -> ServiceSettings:
        """The settings in ``config.server.services`` (defaults for missing keys)."""
        from prefect_jupyter import config

        section = config.server.get("services") or {}

        def sub(name: str) -> Any:
            return section.get(name) or {}

        defaults = cls()
        values = {
            "enabled": section.get("enabled", defaults.enabled),
            "heartbeat_window": section.get("heartbeat_window", defaults.heartbeat_window),
            "scheduler": sub("scheduler").get("enabled", defaults.scheduler),
            "scheduler_loop_seconds": sub("scheduler").get(
                "loop_seconds", defaults.scheduler_loop_seconds),
            "max_scheduled_runs": sub("scheduler").get(
                "max_scheduled_runs", defaults.max_scheduled_runs),
            "zombie_killer": sub("zombie_killer").get("enabled", defaults.zombie_killer),
            "zombie_killer_loop_seconds": sub("zombie_killer").get(
                "loop_seconds", defaults.zombie_killer_loop_seconds),
            "lazarus": sub("lazarus").get("enabled", defaults.lazarus),
            "lazarus_loop_seconds": sub("lazarus").get(
                "loop_seconds", defaults.lazarus_loop_seconds),
            "resurrection_attempt_limit": sub("lazarus").get(
                "resurrection_attempt_limit", defaults.resurrection_attempt_limit),
        }
        values.update(overrides)
        return cls(**values)


class Services:
    """The services one server runs; :meth:`stop` ends them all."""

    def __init__(self, services: list[LoopService]) -> None:
        self.services = services

    def start(self) -> Services:
        for service in self.services:
            service.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        for service in self.services:
            service.stop(timeout)

    def __iter__(self) -> Any:
        return iter(self.services)

    def __repr__(self) -> str:
        return f"<Services {', '.join(s.name for s in self.services) or 'none'}>"


def make_services(database: Database, settings: ServiceSettings | None = None) -> Services:
    """The services ``settings`` turn on, not started yet."""
    settings = settings or ServiceSettings.from_config()
    services: list[LoopService] = []
    if not settings.enabled:
        return Services(services)
    if settings.scheduler:
        services.append(Scheduler(database, settings.scheduler_loop_seconds,
                                  settings.max_scheduled_runs))
    if settings.zombie_killer:
        services.append(ZombieKiller(database, settings.zombie_killer_loop_seconds,
                                     settings.heartbeat_window))
    if settings.lazarus:
        services.append(Lazarus(database, settings.lazarus_loop_seconds,
                                settings.heartbeat_window, settings.resurrection_attempt_limit))
    return Services(services)


def start_services(database: Database, settings: ServiceSettings | None = None) -> Services:
    """Start the services ``settings`` (default: the configuration) turn on."""
    return make_services(database, settings).start()
