"""Tests for prefect_jupyter.utilities.collections."""

import pickle

import cloudpickle
import pytest

from prefect_jupyter.utilities.collections import (
    CompoundKey,
    DotDict,
    as_nested_dict,
    dict_to_flatdict,
    flatdict_to_dict,
    flatten_seq,
    merge_dicts,
    to_dotdict,
)


class TestDotDict:
    def test_init_from_dict_and_kwargs(self):
        d = DotDict({"a": 1, "b": 2}, b=3, c=4)
        assert d.a == 1
        assert d.b == 3  # kwargs win
        assert d["c"] == 4
        assert len(d) == 3

    def test_empty(self):
        d = DotDict()
        assert len(d) == 0
        assert not d
        assert list(d) == []

    def test_attribute_and_item_access_share_storage(self):
        d = DotDict()
        d.x = 1
        d["y"] = 2
        assert d["x"] == 1
        assert d.y == 2
        assert dict(d.items()) == {"x": 1, "y": 2}

    def test_missing_attribute_raises_attribute_error(self):
        with pytest.raises(AttributeError):
            DotDict().missing  # noqa: B018

    def test_missing_item_raises_key_error(self):
        with pytest.raises(KeyError):
            DotDict()["missing"]

    def test_getattr_with_default(self):
        assert getattr(DotDict(), "missing", 5) == 5

    def test_get(self):
        d = DotDict(a=1)
        assert d.get("a") == 1
        assert d.get("b") is None
        assert d.get("b", "default") == "default"

    def test_contains(self):
        d = DotDict(a=1)
        assert "a" in d
        assert "b" not in d

    def test_delete_item_and_attribute(self):
        d = DotDict(a=1, b=2)
        del d["a"]
        del d.b
        assert d == {}
        with pytest.raises(KeyError):
            del d["a"]
        with pytest.raises(AttributeError):
            del d.b

    def test_non_identifier_string_key_allowed_as_item(self):
        d = DotDict({"my-key": 1, "1abc": 2})
        assert d["my-key"] == 1
        assert d["1abc"] == 2

    def test_setattr_with_non_identifier_raises(self):
        d = DotDict()
        with pytest.raises(AttributeError, match="not a valid identifier"):
            setattr(d, "my-key", 1)

    @pytest.mark.parametrize("key", [1, None, ("a",), 1.5])
    def test_non_string_keys_rejected(self, key):
        with pytest.raises(TypeError, match="keys must be strings"):
            DotDict()[key] = 1
        with pytest.raises(TypeError, match="keys must be strings"):
            DotDict({key: 1})

    def test_update_from_mapping_pairs_and_kwargs(self):
        d = DotDict(a=1)
        d.update({"b": 2})
        d.update([("c", 3)], d=4)
        d.update(DotDict(e=5))
        assert d.to_dict() == {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}

    def test_update_from_dotdict_with_key_shadowing_a_method(self):
        other = DotDict({"keys": 1, "items": 2})
        d = DotDict()
        d.update(other)
        assert d["keys"] == 1 and d["items"] == 2
        assert to_dotdict(other)["keys"] == 1

    def test_mutable_mapping_mixins(self):
        d = DotDict(a=1, b=2)
        assert d.pop("a") == 1
        assert d.setdefault("c", 3) == 3
        assert d.setdefault("c", 4) == 3
        d.clear()
        assert len(d) == 0

    def test_equality(self):
        assert DotDict(a=1) == DotDict(a=1)
        assert DotDict(a=1) == {"a": 1}
        assert DotDict(a=1) != DotDict(a=2)
        assert DotDict(a=1) != [("a", 1)]

    def test_unhashable(self):
        with pytest.raises(TypeError):
            hash(DotDict())

    def test_repr_shows_sorted_keys_not_values(self):
        d = DotDict(b="secret-b", a="secret-a")
        assert repr(d) == "<DotDict: 'a', 'b'>"
        assert "secret" not in repr(d)
        assert repr(DotDict()) == "<DotDict>"

    def test_copy_is_shallow_and_same_type(self):
        class Sub(DotDict):
            pass

        inner = {"x": 1}
        d = Sub(a=inner)
        c = d.copy()
        assert type(c) is Sub
        c.b = 2
        assert "b" not in d
        assert c.a is inner

    def test_to_dict_converts_nested(self):
        d = DotDict(a=DotDict(b=DotDict(c=1)), l=[DotDict(x=1)])
        out = d.to_dict()
        assert out == {"a": {"b": {"c": 1}}, "l": [{"x": 1}]}
        assert type(out) is dict
        assert type(out["a"]["b"]) is dict
        assert type(out["l"][0]) is dict

    def test_pickle_round_trip(self):
        d = DotDict(a=1, b=DotDict(c=2))
        for dumps, loads in [(pickle.dumps, pickle.loads), (cloudpickle.dumps, pickle.loads)]:
            restored = loads(dumps(d))
            assert restored == d
            assert restored.b.c == 2


class TestMergeDicts:
    def test_recursive_merge(self):
        d1 = {"a": {"b": 1, "c": 2}, "x": 1}
        d2 = {"a": {"b": 3, "d": 4}, "y": 2}
        assert merge_dicts(d1, d2) == {"a": {"b": 3, "c": 2, "d": 4}, "x": 1, "y": 2}

    def test_inputs_unchanged(self):
        d1 = {"a": {"b": 1}}
        d2 = {"a": {"b": 2}}
        merge_dicts(d1, d2)
        assert d1 == {"a": {"b": 1}}
        assert d2 == {"a": {"b": 2}}

    def test_non_mapping_replaces_mapping_and_vice_versa(self):
        assert merge_dicts({"a": {"b": 1}}, {"a": 5}) == {"a": 5}
        assert merge_dicts({"a": 5}, {"a": {"b": 1}}) == {"a": {"b": 1}}

    def test_keeps_type_of_first_argument(self):
        merged = merge_dicts(DotDict(a=DotDict(b=1)), {"a": {"c": 2}})
        assert isinstance(merged, DotDict)
        assert isinstance(merged.a, DotDict)
        assert merged.a.to_dict() == {"b": 1, "c": 2}


class TestAsNestedDict:
    def test_dict_to_dotdict(self):
        out = as_nested_dict({"a": {"b": [{"c": 1}]}}, DotDict)
        assert isinstance(out, DotDict)
        assert out.a.b[0].c == 1

    def test_default_class_is_dotdict_as_in_prefect_1(self):
        out = as_nested_dict({"a": {"b": 1}, "c": [{"d": 2}]})
        assert type(out) is DotDict and type(out.a) is DotDict and type(out.c[0]) is DotDict
        assert out.a.b == 1

    def test_plain_dicts_on_request(self):
        out = as_nested_dict(DotDict(a=DotDict(b=1)), dict)
        assert out == {"a": {"b": 1}}
        assert type(out["a"]) is dict

    def test_collections_keep_their_type(self):
        out = as_nested_dict(({"a": 1},), DotDict)
        assert isinstance(out, tuple)
        assert out[0].a == 1

    def test_other_values_unchanged(self):
        sentinel = object()
        assert as_nested_dict(sentinel) is sentinel
        assert as_nested_dict("text") == "text"

    def test_to_dotdict(self):
        d = to_dotdict({"a": {"b": 1}})
        assert d.a.b == 1


class TestFlattenSeq:
    def test_nested_lists_and_tuples(self):
        assert list(flatten_seq([1, [2, (3, [4])], 5, [[[]]]])) == [1, 2, 3, 4, 5]

    def test_strings_and_bytes_are_atoms(self):
        assert list(flatten_seq(["ab", [b"cd", ["ef"]]])) == ["ab", b"cd", "ef"]

    def test_returns_generator(self):
        gen = flatten_seq([1, [2]])
        assert next(gen) == 1


class TestFlatDicts:
    def test_dict_to_flatdict(self):
        flat = dict_to_flatdict({"a": {"b": 1, "c": {"d": 2}}, "e": 3})
        assert flat == {("a", "b"): 1, ("a", "c", "d"): 2, ("e",): 3}
        assert all(isinstance(key, CompoundKey) for key in flat)

    def test_dict_to_flatdict_flattens_dotdicts(self):
        flat = dict_to_flatdict(DotDict(a=DotDict(b=1)))
        assert flat == {CompoundKey(("a", "b")): 1}

    def test_empty_sections_disappear(self):
        assert dict_to_flatdict({"a": {}, "b": 1}) == {("b",): 1}

    def test_round_trip(self):
        nested = {"a": {"b": 1, "c": {"d": [1, 2]}}, "e": 3}
        assert flatdict_to_dict(dict_to_flatdict(nested)) == nested

    def test_flatdict_to_dict_with_class(self):
        out = flatdict_to_dict({CompoundKey(("a", "b")): 1}, dct_class=DotDict)
        assert isinstance(out.a, DotDict)
        assert out.a.b == 1

    def test_plain_keys_kept_at_top_level(self):
        out = flatdict_to_dict({("a", "b"): 1, CompoundKey(("c",)): 2})
        assert out == {("a", "b"): 1, "c": 2}
