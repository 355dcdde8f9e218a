"""Reading a notebook cell with ``ast``: the names it reads before assigning them, the names it
assigns, and the names it defines (imports, functions, classes).

Function bodies, lambdas and comprehensions have their own scopes: their local names are not the
cell's. A name a function body reads is a read of the cell unless the cell assigns it somewhere
(the function is called later, when the cell's names exist).
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterable
from typing import Any

__all__ = ["CellNames", "scan_cell", "defined_functions"]


@dataclasses.dataclass
class CellNames:
    """What a cell reads before assigning, what it assigns, and what it defines (imports, defs)."""

    reads: list[str]
    assigns: list[str]
    defines: set[str]


class _Scanner(ast.NodeVisitor):
    """Walks a cell's top-level statements in execution order, tracking cell-level bindings."""

    def __init__(self) -> None:
        self.reads: dict[str, None] = {}
        self.assigns: dict[str, None] = {}
        self.defines: set[str] = set()
        self.bound: set[str] = set()
        self.scopes: list[set[str]] = []
        self.late_reads: dict[str, None] = {}  # free names of function bodies: read when called

    def _read(self, name: str) -> None:
        if any(name in scope for scope in self.scopes):
            return
        if self.scopes:
            self.late_reads.setdefault(name, None)
        elif name not in self.bound:
            self.reads.setdefault(name, None)

    def _bind(self, name: str, definition: bool = False) -> None:
        if self.scopes:
            self.scopes[-1].add(name)
            return
        self.bound.add(name)
        if definition:
            self.defines.add(name)
        else:
            self.assigns.setdefault(name, None)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._read(node.id)
        else:
            self._bind(node.id)

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._read(node.target.id)
        self.visit(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for stmt in (*node.body, *node.orelse):
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name != "*":
                self._bind(alias.asname or alias.name.split(".")[0], definition=True)

    visit_ImportFrom = visit_Import

    def _function(self, node: Any, body: Iterable[ast.AST]) -> None:
        args = node.args
        for default in (*args.defaults, *(d for d in args.kw_defaults if d is not None)):
            self.visit(default)
        params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
        params |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
        body = list(body)
        local = {
            n.id for stmt in body for n in ast.walk(stmt)
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)
        }
        self.scopes.append(params | local)
        for stmt in body:
            self.visit(stmt)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._bind(node.name, definition=True)
        self._function(node, node.body)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._function(node, [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in (*node.decorator_list, *node.bases, *(k.value for k in node.keywords)):
            self.visit(expr)
        self._bind(node.name, definition=True)
        self.scopes.append(set())
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()

    def _comprehension(self, node: Any, parts: list[ast.AST]) -> None:
        self.visit(node.generators[0].iter)
        targets = {
            n.id for gen in node.generators for n in ast.walk(gen.target) if isinstance(n, ast.Name)
        }
        self.scopes.append(targets)
        for i, gen in enumerate(node.generators):
            if i:
                self.visit(gen.iter)
            for cond in gen.ifs:
                self.visit(cond)
        for part in parts:
            self.visit(part)
        self.scopes.pop()

    def visit_ListComp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node: ast.DictComp) -> None:
        self._comprehension(node, [node.key, node.value])


def scan_cell(source: str) -> CellNames:
    """The names a cell reads (before assigning them), assigns, and defines (imports, defs).

    Example:
        >>> scan_cell("import math\\ny = math.sqrt(x)\\nx = y").reads
        ['math', 'x']
    """
    tree = ast.parse(source)
    scanner = _Scanner()
    for stmt in tree.body:
        scanner.visit(stmt)
    reads = dict(scanner.reads)
    for name in scanner.late_reads:
        if name not in scanner.bound:
            reads.setdefault(name, None)
    reads_list = list(reads)
    assigns = [n for n in scanner.assigns if n not in scanner.defines]
    return CellNames(reads=reads_list, assigns=assigns, defines=scanner.defines)


def defined_functions(source: str) -> list[str]:
    """Names of the functions a cell defines at its top level."""
    tree = ast.parse(source)
    return [s.name for s in tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
