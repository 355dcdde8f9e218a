"""How a state carries its value: a plain value, wrapped in a ``Result`` only on request.

The engine makes several states per task run and most never need the ``Result`` wrapper, so a
state keeps the value itself (``_result_value``) and builds the wrapper (``_result_obj``) the
first time someone asks for ``state._result`` — with the task's own result type when the task
runner left it as ``_result_template``, so that it has the serializer the task asked for. A state
given a ``Result`` keeps that object instead. ``_NOTHING`` marks "no value" (``None`` is a value).

:class:`ResultCarrier` is mixed into :class:`~prefect_jupyter.engine.state.State`; it also
reads values back from where they were written (``load_result``, ``load_cached_results``) and
keeps a failed state picklable when its exception is not.
"""

from __future__ import annotations

from typing import Any, Self

__all__ = ["ResultCarrier"]


class _Nothing:
    """The marker for "no result"; pickles by reference so it survives a trip to a worker."""

    def __repr__(self) -> str:
        return "<no result>"

    def __reduce__(self) -> str:
        return "_NOTHING"


_NOTHING: Any = _Nothing()

_RESULT_CLASS: Any = None


def _result_class() -> type:
    # imported on first use: results import states' neighbours, and states are made very often
    global _RESULT_CLASS
    if _RESULT_CLASS is None:
        from prefect_jupyter.engine.result.base import Result

        _RESULT_CLASS = Result
    return _RESULT_CLASS


class ResultCarrier:
    """The value-carrying half of ``State`` (see the module docstring)."""

    _result_value: Any
    _result_obj: Any
    cached_inputs: dict

    def __getstate__(self) -> dict:
        # A failed state travels (to and from Dask workers, into caches) even when its exception
        # cannot be pickled: such an exception is replaced by a description of it.
        value = self.result
        if isinstance(value, Exception):  # signals derive from BaseException: never here
            import cloudpickle

            try:
                cloudpickle.dumps(value)
            except Exception as exc:
                data = dict(self.__dict__)
                data["_result_obj"] = None
                data["_result_value"] = (
                    f"The following exception could not be pickled due to {exc!r}: {value!r}"
                )
                return data
        return self.__dict__

    # -- result ---------------------------------------------------------------------------
    @property
    def result(self) -> Any:
        """The value this state carries (``None`` when it carries nothing)."""
        if self._result_obj is not None:
            return self._result_obj.value
        return None if self._result_value is _NOTHING else self._result_value

    @result.setter
    def result(self, value: Any) -> None:
        self._result = value

    @property
    def _result(self) -> Any:
        """The ``Result`` object holding this state's value (``NoResult`` when empty)."""
        from prefect_jupyter.engine.result import NoResult, Result

        if self._result_obj is None:
            if self._result_value is _NOTHING:
                return NoResult
            # the task runner leaves its task's result type here, so that the wrapper has the
            # type (and serializer) the task asked for, as in Prefect 1
            template = self.__dict__.get("_result_template")
            if template is not None:
                self._result_obj = template.from_value(self._result_value)
            else:
                self._result_obj = Result(value=self._result_value)
        return self._result_obj

    @_result.setter
    def _result(self, value: Any) -> None:
        if isinstance(value, _result_class()):
            self._result_obj = value
            self._result_value = _NOTHING
        else:
            self._result_obj = None
            self._result_value = value

    @property
    def has_result(self) -> bool:
        """Whether a value (or a result object) was attached to this state."""
        return self._result_obj is not None or self._result_value is not _NOTHING

    def load_result(self, result: Any = None) -> Self:
        """Read this state's value from the location it was written to (a mapped state's
        children too), through ``result`` if given, else through its own ``Result``.

        Nothing is read when the value is already there or no location is known.
        """
        reader = result or self._result_obj
        location = getattr(self._result_obj, "location", None)
        if reader is not None and location is not None and self._result_obj.value is None:
            self._result = reader.read(location)
        return self

    def load_cached_results(self, results: dict | None = None) -> Self:
        """Read the values of ``cached_inputs`` (name -> Result) from their locations, through
        the matching entry of ``results`` if given, else through the cached input's own Result.
        """
        results = results or {}
        loaded = {}
        for name, cached in self.cached_inputs.items():
            reader = results.get(name, cached)
            location = getattr(cached, "location", None) or getattr(reader, "location", None)
            if getattr(cached, "value", None) is None and location is not None:
                loaded[name] = reader.read(location)
            else:
                loaded[name] = cached
        self.cached_inputs = loaded
        return self
