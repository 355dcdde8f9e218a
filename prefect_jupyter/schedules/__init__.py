"""Schedules: when ``flow.run()`` runs a flow (Prefect 1's ``prefect.schedules``).

A :class:`Schedule` merges the events of its clocks (``clocks``), keeps those its ``filters``
pass, and moves them with its ``adjustments``. ``Flow(schedule=...)`` then makes ``flow.run()``
wait for each time and run the flow, until the schedule has no more times.

Example:
    >>> from datetime import timedelta
    >>> from prefect_jupyter import Flow
    >>> from prefect_jupyter.schedules import IntervalSchedule
    >>> flow = Flow("hourly", schedule=IntervalSchedule(interval=timedelta(hours=1)))
"""

from prefect_jupyter.schedules import adjustments, clocks, filters, schedules
from prefect_jupyter.schedules.schedules import (
    CronSchedule,
    IntervalSchedule,
    RRuleSchedule,
    Schedule,
)

__all__ = [
    "CronSchedule",
    "IntervalSchedule",
    "RRuleSchedule",
    "Schedule",
    "adjustments",
    "clocks",
    "filters",
    "schedules",
]
