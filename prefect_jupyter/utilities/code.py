"""Reading Python code objects: what a function refers to by name.

Used wherever the package follows a function's code to what it uses — pickling notebook code by
value (``serialization.storage``), hashing a flow's code (``serialization.hashing``) and the
notebook's ``rerun --changed`` fingerprints (``jupyter.fingerprints``).
"""

from __future__ import annotations

import types

__all__ = ["global_names"]


def global_names(code: types.CodeType) -> set[str]:
    """The global (and attribute) names ``code`` and the code nested in it refer to.

    ``co_names`` holds both global names and attribute names, so the result may include names
    that are not globals; callers look each name up in the function's ``__globals__``. Nested
    code (lambdas, comprehensions, inner functions) is walked too, since their globals are the
    enclosing function's.

    Example:
        >>> def f(x):
        ...     return [math.floor(v) for v in x]
        >>> sorted(global_names(f.__code__))
        ['floor', 'math']
    """
    names = set(code.co_names)
    todo = [code]
    while todo:
        for const in todo.pop().co_consts:
            if isinstance(const, types.CodeType):
                names.update(const.co_names)
                todo.append(const)
    return names
