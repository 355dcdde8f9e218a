"""What a GraphQL query asks of a field: its selection set's fields by response key.

:func:`collect_fields` reads a selection set as the executor would — fragments (inline and
named) expanded, ``@skip``/``@include`` applied, and the nodes that ask for the same response
key merged into one :class:`FieldRequest`. The loader uses it to look ahead at relationship
fields, and :mod:`.aggregates` to read what an ``aggregate { ... }`` selection asks; it imports
neither of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
    VariableNode,
)

__all__ = ["FieldRequest", "collect_fields"]


@dataclass
class FieldRequest:
    """One field of a selection set, merged across the nodes that ask for it."""

    name: str
    nodes: list[FieldNode]
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def selection_sets(self) -> list[SelectionSetNode]:
        return [n.selection_set for n in self.nodes if n.selection_set is not None]


def _variables(info: GraphQLResolveInfo) -> dict[str, Any]:
    values = info.variable_values
    return getattr(values, "coerced", values) or {}


def _included(node: Any, variables: dict[str, Any]) -> bool:
    for directive in node.directives or ():
        if directive.name.value not in ("skip", "include"):
            continue
        arg = next((a for a in directive.arguments if a.name.value == "if"), None)
        if arg is None:
            continue
        if isinstance(arg.value, VariableNode):
            flag = bool(variables.get(arg.value.name.value))
        else:
            flag = isinstance(arg.value, BooleanValueNode) and arg.value.value
        if flag == (directive.name.value == "skip"):
            return False
    return True


def collect_fields(
    info: GraphQLResolveInfo, selection_sets: Iterable[SelectionSetNode]
) -> dict[str, FieldRequest]:
    """The fields of ``selection_sets`` by response key (fragments expanded)."""
    variables = _variables(info)
    found: dict[str, FieldRequest] = {}

    def visit(selection_set: SelectionSetNode) -> None:
        for node in selection_set.selections:
            if not _included(node, variables):
                continue
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                found.setdefault(key, FieldRequest(node.name.value, [])).nodes.append(node)
            elif isinstance(node, InlineFragmentNode):
                visit(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                fragment = info.fragments[node.name.value]
                visit(getattr(fragment, "definition", fragment).selection_set)

    for selection_set in selection_sets:
        visit(selection_set)
    return found
