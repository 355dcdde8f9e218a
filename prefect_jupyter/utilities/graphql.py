"""GraphQL helpers shared by the API client, the server and flow code (Prefect 1's ``prefect.utilities.graphql``).

* Building documents from Python: :func:`parse_graphql` turns nested dicts/lists/strings into a
  query (``{"query": {"flow": {"id", "name"}}}`` → ``query { flow { id name } }``; a value of
  ``True`` or ``...`` marks a plain field), :func:`with_args` adds arguments
  (``with_args("flow", {"where": {"name": {"_eq": "etl"}}})``), :class:`EnumValue` writes an
  unquoted enum, :func:`LiteralSetValue` a ``{a, b}`` set, :class:`GQLObject` a reusable field.
* Results: :class:`GraphQLResult`, a JSON object whose keys are also attributes
  (``result.data.flow[0].id``).
* Flow metadata travels as one compressed string (JSON, gzip, base64: Prefect 1's format for
  ``create_flow_from_compressed_string``): :func:`compress` and :func:`decompress`, which also
  reads zlib-compressed strings.

Example:
    >>> print(parse_graphql({"query": {with_args("flow", {"limit": 1}): {"id", "name"}}}))
    query {
        flow(limit: 1) {
            id
            name
        }
    }
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import textwrap
import uuid
import zlib
from collections.abc import KeysView, ValuesView
from typing import Any

__all__ = [
    "EnumValue",
    "GQLObject",
    "GraphQLResult",
    "LiteralSetValue",
    "compress",
    "decompress",
    "format_graphql_request_error",
    "lowercase_first_letter",
    "multiline_indent",
    "parse_graphql",
    "parse_graphql_arguments",
    "with_args",
]

_INDENT = "    "


def lowercase_first_letter(s: str) -> str:
    """``s`` with its first letter lower-cased (``"FlowRun"`` → ``"flowRun"``)."""
    return s[:1].lower() + s[1:]


def multiline_indent(string: str, spaces: int) -> str:
    """``string`` with every line after the first indented by ``spaces``."""
    return string.replace("\n", "\n" + " " * spaces)


class GraphQLResult(dict):
    """A JSON object from the API whose keys can also be read as attributes.

    ``client.graphql(q).data.flow[0].id``; nested objects (in lists too) are ``GraphQLResult``
    too, as in Prefect 1: ``GraphQLResult({"data": {"flow": []}}).data.flow``. It prints as
    indented JSON.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, value in self.items():
            if isinstance(value, (dict, list)) and not isinstance(value, GraphQLResult):
                self[key] = type(self).from_json(value)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"The result has no field {name!r} (fields: {', '.join(self) or 'none'}); "
                "ask for it in the query."
            ) from None

    def __repr__(self) -> str:
        try:
            return json.dumps(self, indent=4)
        except TypeError:
            return repr(self.to_dict())

    @classmethod
    def from_json(cls, value: Any) -> Any:
        """``value`` with every JSON object turned into a ``GraphQLResult``."""
        if isinstance(value, GraphQLResult):
            return value
        if isinstance(value, dict):
            return cls({k: cls.from_json(v) for k, v in value.items()})
        if isinstance(value, list):
            return [cls.from_json(v) for v in value]
        return value

    def to_dict(self) -> dict[str, Any]:
        """A plain ``dict`` copy (nested values too)."""
        return _plain(self)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class EnumValue:
    """A GraphQL enum value: written without quotes (``order_by: {created: EnumValue("desc")}``)."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def __hash__(self) -> int:
        return hash((type(self), self.value))

    def __eq__(self, other: Any) -> Any:
        if not isinstance(other, EnumValue):
            return NotImplemented
        return self.value == other.value


def LiteralSetValue(value: list) -> str:  # noqa: N802 - Prefect 1's name
    """A GraphQL set literal, ``{a, b}``, from a list of names."""
    return "{" + ", ".join(value) + "}"


class GQLObject:
    """A named GraphQL field; call it with arguments to get the field with those arguments.

    Its name is the class name with a lower-case first letter unless given.

    Example:
        >>> class Flow(GQLObject): ...
        >>> str(Flow()('where: {id: {_eq: "1"}}'))
        'flow(where: {id: {_eq: "1"}})'
    """

    def __init__(self, name: str | None = None, _arguments: str | None = None) -> None:
        self.__name = name or lowercase_first_letter(type(self).__name__)
        self.__arguments = _arguments

    def __call__(self, arguments: Any) -> GQLObject:
        return type(self)(name=self.__name, _arguments=arguments)

    def __repr__(self) -> str:
        return f'<GQL: "{self.__name}">'

    def __str__(self) -> str:
        return with_args(self.__name, self.__arguments) if self.__arguments else self.__name


def parse_graphql(document: Any) -> str:
    """A GraphQL document from nested Python values (see the module docstring).

    Raises:
        TypeError: for a ``GQLObject`` class where an instance was meant.
    """
    text = _document(document).replace(_INDENT + "}", "}")
    return textwrap.dedent(text).strip()


def _document(document: Any) -> str:
    if isinstance(document, (tuple, list, set, KeysView, ValuesView)):
        return "\n".join(_document(item) for item in document)
    if isinstance(document, dict):
        lines = []
        for key, value in document.items():
            if value is True or value is Ellipsis:
                lines.append(key)
            else:
                lines.append(f"{key} {{\n{_document(value)}\n}}")
        return _document(lines)
    if isinstance(document, type) and issubclass(document, GQLObject):
        raise TypeError(
            f'It looks like you included a `GQLObject` class ("{document.__name__}") in your '
            "document. Did you mean to use an instance of that type?"
        )
    return str(document).replace("\n", "\n" + _INDENT)


def parse_graphql_arguments(arguments: Any) -> str:
    """GraphQL arguments from a dict (``{"limit": 1}`` → ``limit: 1``), or a string as is."""
    if isinstance(arguments, dict):
        return _argument(arguments)[2:-2]
    if isinstance(arguments, str):
        return json.dumps(arguments)[1:-1]  # as a JSON string, without its quotes
    return _argument(arguments)


def _argument(value: Any) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{k}: {_argument(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple, set, KeysView, ValuesView)):
        return "[" + ", ".join(_argument(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, uuid.UUID):
        return json.dumps(str(value))
    return str(value)


def with_args(field: Any, arguments: Any) -> str:
    """``field(arguments)``: the field (parsed) with its arguments (parsed)."""
    return f"{parse_graphql(field)}({parse_graphql_arguments(arguments)})"


def format_graphql_request_error(response: Any) -> str:
    """A readable account of a failed GraphQL request: the query, variables and errors.

    Args:
        response: the HTTP response (``requests`` or ``httpx``), whose request body was the
            JSON ``{"query": ..., "variables": ...}``.
    """
    request = response.request
    body = getattr(request, "body", None)
    if body is None and hasattr(request, "content"):
        body = request.content
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    params = json.loads(body or "{}")
    query = parse_graphql(params.get("query", {})) or "null"
    variables = parse_graphql(params.get("variables", {})) or "null"
    messages = []
    for error in response.json().get("errors", []):
        code = (error.get("extensions") or {}).get("code", "UNKNOWN_ERROR")
        text = error.get("message", "No error message supplied.")
        messages.append(multiline_indent(textwrap.fill(f"{code}: {text}", 80), 4))
    header = (
        "The following error messages were provided by the GraphQL server:\n"
        if messages
        else "The server did not provide any error messages."
    )
    listed = f"    {multiline_indent(chr(10).join(messages), 4)}" if messages else ""
    return (
        f"\n{header}\n{listed}\n\n"
        f"The GraphQL query was:\n\n    {multiline_indent(query, 4)}\n\n"
        f"The passed variables were:\n\n    {multiline_indent(variables, 4)}\n"
    )


def compress(value: Any) -> str:
    """A JSON value as one ASCII string: JSON, gzip, base64 (Prefect 1's format)."""
    return base64.b64encode(gzip.compress(json.dumps(value).encode("utf-8"))).decode("ascii")


def decompress(text: str) -> Any:
    """The value of a string made by :func:`compress` (gzip) or by zlib compression.

    Raises:
        ValueError: if ``text`` is not base64 of compressed JSON, saying what went wrong.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else zlib.decompress(raw)
        return json.loads(data.decode("utf-8"))
    except (binascii.Error, zlib.error, OSError, EOFError, UnicodeError, ValueError) as exc:
        raise ValueError(
            f"The compressed string could not be decoded ({exc}); it must be base64 of "
            "gzip- (or zlib-) compressed JSON, as made by "
            "prefect_jupyter.utilities.graphql.compress."
        ) from exc
