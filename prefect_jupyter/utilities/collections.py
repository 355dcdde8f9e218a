"""Dictionary and sequence helpers used by configuration, context and the engine.

`DotDict` is the mapping behind `prefect_jupyter.config` and `prefect_jupyter.context`. It keeps
its items in the instance `__dict__`, so reading `d.key` is the interpreter's own attribute lookup
(no Python-level `__getattr__` runs on the hot path), and a `threading.local` subclass such as
`Context` gets per-thread storage for free.

The flat-dict helpers turn nested mappings into `{CompoundKey(("a", "b")): value}` and back;
configuration loading uses them to interpolate and override values one key path at a time.
"""

from __future__ import annotations

from collections.abc import (
    Generator,
    ItemsView,
    Iterable,
    Iterator,
    KeysView,
    Mapping,
    MutableMapping,
    ValuesView,
)
from typing import Any, TypeVar

__all__ = [
    "CompoundKey",
    "DotDict",
    "as_nested_dict",
    "dict_to_flatdict",
    "flatdict_to_dict",
    "flatten_seq",
    "merge_dicts",
    "to_dotdict",
]

M = TypeVar("M", bound=MutableMapping)


def _check_key(key: Any) -> None:
    # Items live in the instance __dict__. A single non-string key there would push CPython off
    # its string-only dict lookup for *every* attribute read, and could never be read by dot
    # access anyway, so refuse it up front.
    if not isinstance(key, str):
        raise TypeError(
            f"DotDict keys must be strings, got {key!r} ({type(key).__name__}). "
            "Convert the key with str(), or use a plain dict for non-string keys."
        )


class DotDict(MutableMapping):
    """A mutable mapping whose string keys can also be read and written as attributes.

    Any string is accepted as an item key (`d["my-key"]`); only keys that are valid Python
    identifiers can be reached with dot syntax. A key that has the name of a method (`"get"`,
    `"items"`, ...) shadows that method for attribute access, so avoid such keys.

    Args:
        init_dict: Optional mapping to copy items from.
        **kwargs: Further items; they win over `init_dict`.

    Example:
        ```python
        d = DotDict({"a": 1}, b=2)
        d.a          # 1
        d["b"]       # 2
        d.c = 3      # same as d["c"] = 3
        d.to_dict()  # {'a': 1, 'b': 2, 'c': 3}
        ```
    """

    def __init__(self, init_dict: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        if init_dict:
            self.update(init_dict)
        if kwargs:
            self.__dict__.update(kwargs)

    # -- mapping protocol; everything goes straight to __dict__ so that keys which shadow
    # -- method names (e.g. a config key called "items") cannot break the implementation.

    def __getitem__(self, key: str) -> Any:
        return self.__dict__[key]

    def __setitem__(self, key: str, value: Any) -> None:
        _check_key(key)
        self.__dict__[key] = value

    def __delitem__(self, key: str) -> None:
        del self.__dict__[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __len__(self) -> int:
        return len(self.__dict__)

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.isidentifier():
            raise AttributeError(
                f"{name!r} is not a valid identifier, so it cannot be set as an attribute; "
                f"use item assignment instead: obj[{name!r}] = value"
            )
        self.__dict__[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DotDict):
            return self.__dict__ == other.__dict__
        if isinstance(other, Mapping):
            return self.__dict__ == dict(other.items())
        return NotImplemented

    def __repr__(self) -> str:
        # Only keys: configs and contexts carry secrets, which must not end up in tracebacks.
        if not self.__dict__:
            return f"<{type(self).__name__}>"
        keys = ", ".join(sorted(repr(k) for k in self.__dict__))
        return f"<{type(self).__name__}: {keys}>"

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value for `key`, or `default` when it is missing."""
        return self.__dict__.get(key, default)

    def keys(self) -> KeysView[str]:
        """Return a view of the keys."""
        return self.__dict__.keys()

    def values(self) -> ValuesView[Any]:
        """Return a view of the values."""
        return self.__dict__.values()

    def items(self) -> ItemsView[str, Any]:
        """Return a view of the `(key, value)` pairs."""
        return self.__dict__.items()

    def update(
        self, other: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), /, **kwargs: Any
    ) -> None:
        """Set items from a mapping (or iterable of pairs) and keyword arguments."""
        new = dict(other.__dict__ if isinstance(other, DotDict) else other)
        for key in new:
            _check_key(key)
        self.__dict__.update(new)
        if kwargs:
            self.__dict__.update(kwargs)

    def clear(self) -> None:
        """Remove every item."""
        self.__dict__.clear()

    def copy(self) -> DotDict:
        """Return a shallow copy of the same class."""
        return type(self)(self.__dict__.copy())

    def to_dict(self) -> dict[str, Any]:
        """Return a plain nested `dict`, converting every `DotDict` inside as well."""
        return as_nested_dict(self, dct_class=dict)


def merge_dicts(d1: M, d2: Mapping) -> M:
    """Return a copy of `d1` updated from `d2`, merging nested mappings key by key.

    Neither argument is modified. Where both sides hold a mapping under the same key, the two are
    merged recursively; otherwise the value from `d2` wins.

    Args:
        d1: The base mapping; the result has its type (via `d1.copy()`).
        d2: The mapping whose values take precedence.

    Returns:
        The merged mapping.

    Example:
        ```python
        merge_dicts({"a": {"b": 1, "c": 2}}, {"a": {"b": 3}})  # {'a': {'b': 3, 'c': 2}}
        ```
    """
    merged = d1.copy()
    for key, value in d2.items():
        current = merged.get(key)
        if isinstance(current, MutableMapping) and isinstance(value, Mapping):
            merged[key] = merge_dicts(current, value)
        else:
            merged[key] = value
    return merged


def as_nested_dict(obj: Any, dct_class: type = DotDict) -> Any:
    """Convert `obj`, and every mapping nested in it, to `dct_class`.

    Lists, tuples and sets are walked (and rebuilt with their own type) so mappings inside them
    are converted too; any other value is returned unchanged.

    Args:
        obj: A mapping, a collection of mappings, or any other value.
        dct_class: The mapping class to build (default `DotDict`, as in Prefect 1), e.g. `dict`.

    Returns:
        The converted object.
    """
    if isinstance(obj, (list, tuple, set)):
        return type(obj)(as_nested_dict(item, dct_class) for item in obj)
    if isinstance(obj, DotDict):
        items = obj.__dict__.items()
    elif isinstance(obj, Mapping):
        items = obj.items()
    else:
        return obj
    return dct_class({key: as_nested_dict(value, dct_class) for key, value in items})


def to_dotdict(obj: Any) -> Any:
    """Convert `obj` (and nested mappings, also inside lists/tuples/sets) to `DotDict`s."""
    return as_nested_dict(obj, dct_class=DotDict)


def flatten_seq(seq: Iterable) -> Generator[Any, None, None]:
    """Yield the items of a possibly nested iterable, depth first.

    Every iterable is descended into except strings and bytes, which are yielded whole (as in
    Prefect 1, this includes sets and mappings, whose keys are yielded).

    Example:
        ```python
        list(flatten_seq([1, [2, (3, [4])], "ab"]))  # [1, 2, 3, 4, 'ab']
        ```
    """
    for item in seq:
        if isinstance(item, Iterable) and not isinstance(item, (str, bytes, bytearray)):
            yield from flatten_seq(item)
        else:
            yield item


class CompoundKey(tuple):
    """The key of a flattened dict: the chain of keys leading to a value, e.g. `("a", "b")`."""


def dict_to_flatdict(dct: Mapping, parent: CompoundKey | None = None) -> dict[CompoundKey, Any]:
    """Flatten a nested mapping into `{CompoundKey(path): value}`.

    Empty nested mappings have no leaves and therefore disappear, as in Prefect 1.

    Args:
        dct: The mapping to flatten.
        parent: The key path of `dct` itself; only used by the recursion.

    Returns:
        A flat dict keyed by `CompoundKey` tuples.

    Example:
        ```python
        dict_to_flatdict({"a": {"b": 1}, "c": 2})
        # {CompoundKey(('a', 'b')): 1, CompoundKey(('c',)): 2}
        ```
    """
    prefix: tuple = parent or ()
    flat: dict[CompoundKey, Any] = {}
    for key, value in dct.items():
        path = CompoundKey((*prefix, key))
        if isinstance(value, Mapping):
            flat.update(dict_to_flatdict(value, parent=path))
        else:
            flat[path] = value
    return flat


def flatdict_to_dict(dct: Mapping, dct_class: type[M] | None = None) -> M:
    """Rebuild a nested mapping from a flat one made by `dict_to_flatdict`.

    Keys that are not `CompoundKey`s are set at the top level unchanged.

    Args:
        dct: The flat mapping.
        dct_class: The class of the result and of every nested level; defaults to `dict`.

    Returns:
        The nested mapping.
    """
    cls = dct_class or dict
    result = cls()
    for key, value in dct.items():
        if not isinstance(key, CompoundKey):
            result[key] = value
            continue
        level = result
        for part in key[:-1]:
            if not isinstance(level.get(part), MutableMapping):
                level[part] = cls()
            # read it back: some mapping classes (box.Box) store a copy of what is assigned
            level = level[part]
        level[key[-1]] = value
    return result
