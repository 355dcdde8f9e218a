"""Schedules and clocks as Prefect 1's JSON: ``ScheduleSchema``, ``ClockSchema``.

Importable from ``prefect_jupyter.serialization.schedule`` (Prefect 1's path). This is the
JSON Prefect 1.4.1 writes — clock dates as ``{"dt": naive ISO, "tz": zone name}``, intervals
in microseconds, rrules as their text plus ``_dtstart``/``_until``, filters and adjustments as
``{"fn": "<module>.<factory>", "kwargs": {...}}`` with datetimes, times and timedeltas tagged
``"//datetime:..."``, ``"//time:..."``, ``"//timedelta:<seconds>"`` — so a schedule dumped by
Prefect 1 loads here (``prefect.schedules...`` references included) and the other way round.
The filter and adjustment functions are the ones
:mod:`prefect_jupyter.serialization.schedule_values` can rebuild (its ``FACTORIES`` table).

As in Prefect 1, an ``IntervalClock`` shorter than one minute is refused both ways.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, post_dump, post_load

from prefect_jupyter.schedules import clocks
from prefect_jupyter.schedules.schedules import Schedule
from prefect_jupyter.serialization import schedule_values as plain
from prefect_jupyter.utilities.serialization import (
    DateTimeTZ,
    JSONCompatible,
    ObjectSchema,
    OneOfSchema,
    _decode_closure_value,
    _encode_closure_value,
)

__all__ = ["ClockSchema", "ScheduleSchema"]

_SHORTEST = "Interval can not be less than one minute when deploying to Prefect Cloud."


class ScheduleFunction(fields.Field):
    """A filter or adjustment, by the factory that made it and that factory's arguments."""

    def __init__(self, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        try:
            data = plain.function_to_dict(value, self.kind)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if "kwargs" not in data:
            return {"fn": data["fn"], "kwargs": {}}
        factory = data["fn"].rpartition(".")[2]
        arguments = plain.FACTORIES[factory][2](data["kwargs"])  # back to Python values
        return {"fn": data["fn"], "kwargs": {k: _encode_closure_value(v) for k, v in arguments.items()}}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        module, _, name = str(value.get("fn")).rpartition(".")
        # Prefect 1 writes prefect.schedules.filters.<name>; this package its own module
        if not module.endswith((".schedules.filters", ".schedules.adjustments")):
            raise ValidationError(f"Invalid function reference: {value}")
        ours = f"{plain.FILTER_MODULE if module.endswith('filters') else plain.ADJUSTMENT_MODULE}.{name}"
        if ours in plain.PLAIN:
            return plain.PLAIN[ours]
        if name not in plain.FACTORIES:
            raise ValidationError(f"Invalid function reference: {value}")
        arguments = {k: _decode_closure_value(v) for k, v in (value.get("kwargs") or {}).items()}
        return plain.FACTORIES[name][0](**arguments)


def _defaults() -> fields.Field:
    return fields.Dict(keys=fields.Str(), values=JSONCompatible(), allow_none=True)


def _labels() -> fields.Field:
    return fields.List(fields.Str(), allow_none=True)


class IntervalClockSchema(ObjectSchema):
    """``IntervalClock``: ``interval`` in microseconds, at least one minute."""

    class Meta:
        object_class = clocks.IntervalClock

    start_date = DateTimeTZ(allow_none=True)
    end_date = DateTimeTZ(allow_none=True)
    interval = fields.TimeDelta(precision="microseconds", required=True)
    parameter_defaults = _defaults()
    labels = _labels()

    @post_dump
    def _at_least_a_minute(self, data: dict, **kwargs: Any) -> dict:
        if data["interval"] < 60_000_000:
            raise ValueError(_SHORTEST)
        return data

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The clock; refused below one minute."""
        if data["interval"].total_seconds() < 60:
            raise ValueError(_SHORTEST)
        return super().create_object(data)


class CronClockSchema(ObjectSchema):
    """``CronClock``: the cron string and ``day_or``."""

    class Meta:
        object_class = clocks.CronClock

    start_date = DateTimeTZ(allow_none=True)
    end_date = DateTimeTZ(allow_none=True)
    cron = fields.String(required=True)
    parameter_defaults = _defaults()
    labels = _labels()
    day_or = fields.Boolean(allow_none=True)


class DatesClockSchema(ObjectSchema):
    """``DatesClock``: its dates."""

    class Meta:
        object_class = clocks.DatesClock

    dates = fields.List(DateTimeTZ(), required=True)
    parameter_defaults = _defaults()
    labels = _labels()


class RRuleSchema(ObjectSchema):
    """A dateutil ``rrule``: its text, plus ``_dtstart``/``_until`` (the text drops zones)."""

    class Meta:
        object_class = None

    rr = fields.Method("dump_rrule_str", "load_rrule_str")
    _dtstart = fields.DateTime(allow_none=True)
    _until = fields.DateTime(allow_none=True)

    def dump_rrule_str(self, obj: Any) -> str:
        """The rule as RFC 5545 text."""
        return str(obj)

    def load_rrule_str(self, value: str) -> Any:
        """The rule the text describes."""
        from dateutil import rrule

        return rrule.rrulestr(value)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The rule with its zone-aware start (and end) put back."""
        import pendulum

        changes = {"dtstart": data.get("_dtstart") or pendulum.datetime(2018, 6, 20)}
        if "_until" in data:
            changes["until"] = data["_until"]
        return data["rr"].replace(**changes)


class RRuleSetSchema(ObjectSchema):
    """A dateutil ``rruleset``: its rules, dates, exclusion rules and exclusion dates."""

    class Meta:
        object_class = None

    _rrule = fields.List(fields.Nested(RRuleSchema))
    _rdate = fields.List(fields.DateTime)
    _exrule = fields.List(fields.Nested(RRuleSchema))
    _exdate = fields.List(fields.DateTime)

    @post_load
    def create_object(self, data: dict, **kwargs: Any) -> Any:
        """The rule set."""
        from dateutil import rrule

        ruleset = rrule.rruleset()
        for rule in data.get("_rrule", []):
            ruleset.rrule(rule)
        for dt in data.get("_rdate", []):
            ruleset.rdate(dt)
        for rule in data.get("_exrule", []):
            ruleset.exrule(rule)
        for dt in data.get("_exdate", []):
            ruleset.exdate(dt)
        return ruleset


class RRuleBaseSchema(OneOfSchema):
    """An ``rrule`` or an ``rruleset``."""

    type_schemas = {"rrule": RRuleSchema, "rruleset": RRuleSetSchema}


class RRuleClockSchema(ObjectSchema):
    """``RRuleClock``: its rule (or rule set)."""

    class Meta:
        object_class = clocks.RRuleClock

    rrule_obj = fields.Nested(RRuleBaseSchema)
    start_date = DateTimeTZ(allow_none=True)
    end_date = DateTimeTZ(allow_none=True)
    parameter_defaults = _defaults()
    labels = _labels()


class ClockSchema(OneOfSchema):
    """Any clock: ``type`` (the class name) picks the schema."""

    type_schemas = {
        "IntervalClock": IntervalClockSchema,
        "CronClock": CronClockSchema,
        "DatesClock": DatesClockSchema,
        "RRuleClock": RRuleClockSchema,
    }


class ScheduleSchema(ObjectSchema):
    """A schedule: clocks, filters, or-filters, not-filters and adjustments."""

    class Meta:
        object_class = Schedule

    clocks = fields.Nested(ClockSchema, required=True, many=True)
    filters = fields.List(ScheduleFunction("filter", allow_none=True))
    or_filters = fields.List(ScheduleFunction("filter", allow_none=True))
    not_filters = fields.List(ScheduleFunction("filter", allow_none=True))
    adjustments = fields.List(ScheduleFunction("adjustment", allow_none=True))
