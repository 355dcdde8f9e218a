"""The shape of a parsed query — depth, aliases, fields — measured before validation.

Validation itself costs more than executing a small query (and some of its rules grow faster
than the query), so the shape is measured first, in one pass over the document with every
fragment measured once and reused wherever it is spread: a document that spreads a fragment
that spreads another ten times each is counted as executed (100 times), in linear time.

- **depth**: fields on the longest chain from the root to a leaf (``{ hello }`` is 1). The
  subtrees of the introspection fields ``__schema`` and ``__type`` count as one level:
  graphql-core's ``MaxIntrospectionDepthRule`` bounds them, and GraphiQL's introspection
  query nests type references a dozen levels deep.
- **aliases**: fields with an alias, except the root fields of a mutation — a batch of writes
  is one aliased mutation per item (the run reporter sends hundreds), and each item's work is
  bounded by the other limits.
- **fields**: every field selection, fragments expanded.

A document with several operations is measured by its largest one. Unknown fragments and
fragment cycles count as empty here; validation reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from prefect_jupyter.server.graphql.limits import QueryLimitExceeded, QueryLimits, exceeded

_INTROSPECTION = frozenset({"__schema", "__type"})
_ADVICE = "simplify the query (or split it into several requests)"


@dataclass(frozen=True)
class QueryShape:
    """Depth, aliases and fields of a query (see the module docstring)."""

    depth: int = 0
    aliases: int = 0
    fields: int = 0

    def __add__(self, other: QueryShape) -> QueryShape:
        return QueryShape(max(self.depth, other.depth), self.aliases + other.aliases,
                          self.fields + other.fields)

    def problems(self, limits: QueryLimits) -> list[QueryLimitExceeded]:
        """One exception per limit this shape goes over."""
        found = []
        for head, setting, value in (
            (f"query depth {self.depth}", "max_depth", self.depth),
            (f"alias count {self.aliases:,}", "max_aliases", self.aliases),
            (f"field count {self.fields:,}", "max_fields", self.fields),
        ):
            maximum = getattr(limits, setting)
            if value > maximum:
                found.append(exceeded(head, setting, value, maximum, _ADVICE))
        return found


class _Measure:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[str, QueryShape] = {}
        self.visiting: set[str] = set()

    def selection_set(self, selection_set: SelectionSetNode | None,
                      root_mutation: bool = False) -> QueryShape:
        total = QueryShape()
        for node in selection_set.selections if selection_set else ():
            if isinstance(node, FieldNode):
                total += self.field(node, root_mutation)
            elif isinstance(node, InlineFragmentNode):
                total += self.selection_set(node.selection_set, root_mutation)
            elif isinstance(node, FragmentSpreadNode):
                total += self.fragment(node.name.value)
        return total

    def field(self, node: FieldNode, root_mutation: bool) -> QueryShape:
        inner = self.selection_set(node.selection_set)
        depth = 1 if node.name.value in _INTROSPECTION else inner.depth + 1
        aliased = node.alias is not None and not root_mutation
        return QueryShape(depth, inner.aliases + aliased, inner.fields + 1)

    def fragment(self, name: str) -> QueryShape:
        if name in self.done:
            return self.done[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.visiting:
            return QueryShape()
        self.visiting.add(name)
        shape = self.done[name] = self.selection_set(definition.selection_set)
        self.visiting.discard(name)
        return shape


def measure(document: DocumentNode) -> QueryShape:
    """The shape of the largest operation of ``document`` (each measure at its maximum)."""
    measure_ = _Measure(document)
    depth = aliases = fields = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            mutation = definition.operation is OperationType.MUTATION
            shape = measure_.selection_set(definition.selection_set, root_mutation=mutation)
            depth = max(depth, shape.depth)
            aliases = max(aliases, shape.aliases)
            fields = max(fields, shape.fields)
    return QueryShape(depth, aliases, fields)
