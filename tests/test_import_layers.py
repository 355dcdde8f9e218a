"""No import loops among prefect_jupyter's modules (issue 16).

Every import counts, also one inside a function (a lazy import still runs, on first call), except:

* an import under ``if TYPE_CHECKING:`` (it never runs);
* an import of one's own ancestor package, which counts as imports of the modules that define
  the names it takes (``from prefect_jupyter.storage import Git`` counts as ``storage.git``, a
  function defined in ``engine/__init__.py`` as ``prefect_jupyter.engine``); a plain ``import
  prefect_jupyter`` and values that name no module (``__version__``) count as nothing: Python
  imports every ancestor package before the module itself;
* the lazy imports in :data:`LAZY_ENTRY_POINTS`: the few places where Prefect 1's API has a lower
  layer reach a higher one, each importing on first use. ``pyproject.toml``'s import-linter
  contracts name the same exceptions.

A failure lists each loop as a chain of imports, with the lines that make them.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import itertools
import types
from collections import deque
from functools import cache

import grimp
import pytest

PACKAGE = "prefect_jupyter"

# (importer, imported): lazy imports that may point back up; "*" is any module
LAZY_ENTRY_POINTS = {
    # Flow's Prefect 1 pass-through methods (run, visualize, serialize, register, run_agent,
    # ...): the one door from the graph a user builds to the layers above it
    ("prefect_jupyter.core._integrations", "*"),
    # Task's operators (task + 1, task["key"], ...) build Prefect 1's operator tasks
    ("prefect_jupyter.core.task", "prefect_jupyter.tasks.core.operators"),
    # Prefect 1's Storage.serialize() and RunConfig.serialize(): their schemas name every kind
    ("prefect_jupyter.storage.base", "prefect_jupyter.storage.schema"),
    ("prefect_jupyter.run_configs.base", "prefect_jupyter.run_configs.schema"),
    # Prefect 1's Secret.client: a secret not set locally is asked of the API (only with
    # backend = "cloud" and cloud.use_local_secrets = false); storage, results and tasks read
    # secrets, and the client ships flows in their storage
    ("prefect_jupyter.client.secrets", "prefect_jupyter.client.client"),
}


@cache
def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(PACKAGE, exclude_type_checking_imports=True, cache_dir=None)


@cache
def _tree(module: str) -> ast.Module:
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    with open(spec.origin, encoding="utf-8") as file:
        return ast.parse(file.read())


def _is_package(module: str) -> bool:
    spec = importlib.util.find_spec(module)
    return spec is not None and spec.submodule_search_locations is not None


def _names_taken(importer: str, package: str) -> set[str]:
    """The names ``importer`` takes with ``from <package> import ...`` (relative ones too)."""
    own_package = importer if _is_package(importer) else importer.rpartition(".")[0]
    names = set()
    for node in ast.walk(_tree(importer)):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = own_package.split(".")[: len(own_package.split(".")) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module
        if source == package:
            names.update(alias.name for alias in node.names)
    return names


def _defining_module(package: str, name: str) -> str | None:
    obj = getattr(importlib.import_module(package), name, None)
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and (module == PACKAGE or module.startswith(PACKAGE + ".")):
        return module
    return None


def _allowed(importer: str, imported: str) -> bool:
    return (importer, imported) in LAZY_ENTRY_POINTS or (importer, "*") in LAZY_ENTRY_POINTS


# (importer, module defining a name) -> the ancestor package the importer took the name from
_THROUGH_PACKAGE: dict[tuple[str, str], str] = {}


@cache
def _imports() -> dict[str, set[str]]:
    """Each module's imports, as this module's docstring counts them."""
    graph = _graph()
    imports: dict[str, set[str]] = {}
    for importer in graph.modules:
        targets = set()
        for imported in graph.find_modules_directly_imported_by(importer):
            if not importer.startswith(imported + "."):
                targets.add(imported)
                continue
            for name in _names_taken(importer, imported):
                defining = _defining_module(imported, name)
                if defining is not None:
                    targets.add(defining)
                    _THROUGH_PACKAGE.setdefault((importer, defining), imported)
        targets.discard(importer)
        imports[importer] = {t for t in targets if not _allowed(importer, t)}
    return imports


def _strongly_connected(imports: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(imports):
        if root in index:
            continue
        work = [(root, iter(sorted(imports[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports.get(child, ())))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == module:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def _shortest_loop(imports: dict[str, set[str]], group: list[str]) -> list[str]:
    """A shortest import chain from the group's first module back to itself, inside the group."""
    members, start = set(group), group[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for child in sorted(imports[module] & members):
            if child == start:
                chain = [module]
                while chain[-1] != start:
                    chain.append(came_from[chain[-1]])
                return [*reversed(chain), start]
            if child not in came_from:
                came_from[child] = module
                queue.append(child)
    raise AssertionError(f"no loop through {start}")


def _describe(chain: list[str]) -> str:
    lines = []
    for importer, imported in itertools.pairwise(chain):
        package = _THROUGH_PACKAGE.get((importer, imported))
        details = _graph().get_import_details(importer=importer, imported=imported)
        if not details and package:
            details = _graph().get_import_details(importer=importer, imported=package)
        where = ", ".join(f"line {d['line_number']}" for d in details)
        through = f", from {package}" if package and importer.startswith(package + ".") else ""
        lines.append(f"  {importer} -> {imported} ({where}{through})")
    return "\n".join(lines)


def test_no_import_loops() -> None:
    imports = _imports()
    loops = [_shortest_loop(imports, group) for group in _strongly_connected(imports)]
    report = "\n\n".join(_describe(chain) for chain in loops)
    assert not loops, (
        f"{len(loops)} import loop(s) among {PACKAGE}'s modules. Move the shared piece down a "
        f"layer, or import at the one place Prefect 1's API demands it and name that place in "
        f"LAZY_ENTRY_POINTS and pyproject.toml:\n{report}"
    )


@pytest.mark.parametrize("importer, imported", sorted(LAZY_ENTRY_POINTS))
def test_lazy_entry_points_are_used_and_import_on_first_use(importer: str, imported: str) -> None:
    graph = _graph()
    targets = graph.find_modules_directly_imported_by(importer)
    used = sorted(targets) if imported == "*" else [imported] if imported in targets else []
    assert used, f"{importer} no longer imports {imported}: remove it from LAZY_ENTRY_POINTS"
    function_lines = {
        inner.lineno
        for node in ast.walk(_tree(importer))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        for inner in ast.walk(node)
        if isinstance(inner, (ast.Import, ast.ImportFrom))
    }
    for target in used:
        for detail in graph.get_import_details(importer=importer, imported=target):
            assert detail["line_number"] in function_lines, (
                f"{importer} imports {target} at import time (line {detail['line_number']}); "
                "an entry point imports inside the function that needs it"
            )


def test_the_loop_finder_sees_a_loop() -> None:
    imports = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    groups = _strongly_connected(imports)
    assert groups == [["a", "b", "c"]]
    assert _shortest_loop(imports, groups[0]) == ["a", "b", "c", "a"]
