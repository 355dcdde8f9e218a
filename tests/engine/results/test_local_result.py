import json
import os
import sys
import types

import cloudpickle
import pytest

from prefect_jupyter.engine.results import LocalResult
from prefect_jupyter.engine.results import local_result as local_result_module
from prefect_jupyter.engine.results.local_result import default_results_dir
from prefect_jupyter.engine.serializers import JSONSerializer, Serializer


def all_files(directory):
    return sorted(
        os.path.relpath(os.path.join(root, name), directory)
        for root, _, names in os.walk(directory)
        for name in names
    )


def test_write_then_read_round_trip(tmp_path):
    result = LocalResult(dir=str(tmp_path), location="{task_name}.pkl")
    written = result.write({"rows": [1, 2]}, task_name="load")
    assert written.location == str(tmp_path / "load.pkl")
    assert written.value == {"rows": [1, 2]}
    assert result.read(written.location).value == {"rows": [1, 2]}


def test_write_does_not_change_the_original_result(tmp_path):
    result = LocalResult(dir=tmp_path, location="{task_name}.pkl")
    result.write(1, task_name="t")
    assert result.location == "{task_name}.pkl"
    assert result.value is None


def test_a_cloudpickled_closure_round_trips_through_a_file(tmp_path):
    factor = 7

    def scale(x):
        return x * factor

    written = LocalResult(dir=tmp_path).write(scale)
    restored = LocalResult(dir=tmp_path).read(written.location).value
    assert restored(3) == 21


def test_templated_location_creates_subdirectories(tmp_path):
    result = LocalResult(dir=tmp_path, location="{flow_run_name}/{today}/{task_name}-{map_index}")
    written = result.write(5, flow_run_name="run-1", today="2024-05-06", task_name="t", map_index=3)
    assert written.location == str(tmp_path / "run-1" / "2024-05-06" / "t-3")
    assert all_files(tmp_path) == [os.path.join("run-1", "2024-05-06", "t-3")]


def test_callable_location(tmp_path):
    result = LocalResult(dir=tmp_path, location=lambda **kw: f"{kw['task_name'].upper()}.out")
    assert result.write(1, task_name="abc").location == str(tmp_path / "ABC.out")


def test_default_locations_are_unique_files_in_dir(tmp_path):
    result = LocalResult(dir=tmp_path)
    first, second = result.write(1), result.write(2)
    assert first.location != second.location
    for written in (first, second):
        assert os.path.dirname(written.location) == str(tmp_path)
        assert os.path.basename(written.location).startswith("prefect-result-")
    assert len(all_files(tmp_path)) == 2


def test_atomic_write_leaves_no_temporary_file(tmp_path):
    result = LocalResult(dir=tmp_path, location="out.pkl")
    result.write(list(range(1000)))
    result.write("second version")
    assert all_files(tmp_path) == ["out.pkl"]
    assert result.read("out.pkl").value == "second version"


def test_failed_rename_cleans_up_and_keeps_the_old_file(tmp_path, monkeypatch):
    result = LocalResult(dir=tmp_path, location="out.pkl")
    result.write("old")

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(local_result_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        result.write("new")
    monkeypatch.undo()
    assert all_files(tmp_path) == ["out.pkl"]
    assert result.read("out.pkl").value == "old"


def test_serialization_error_creates_no_file(tmp_path):
    class Exploding(Serializer):
        def serialize(self, value):
            raise RuntimeError("cannot serialize")

    result = LocalResult(dir=tmp_path, location="sub/out.bin", serializer=Exploding())
    with pytest.raises(RuntimeError, match="cannot serialize"):
        result.write(1)
    assert all_files(tmp_path) == []


def test_custom_serializer_controls_the_file_contents(tmp_path):
    written = LocalResult(dir=tmp_path, serializer=JSONSerializer(), location="r.json").write(
        {"a": 1}
    )
    assert json.loads((tmp_path / "r.json").read_text()) == {"a": 1}
    assert written.serializer == JSONSerializer()


def test_exists_formats_the_location(tmp_path):
    result = LocalResult(dir=tmp_path, location="{task_name}/{map_index}.pkl")
    assert not result.exists("{task_name}/{map_index}.pkl", task_name="t", map_index=0)
    result.write(1, task_name="t", map_index=0)
    assert result.exists("{task_name}/{map_index}.pkl", task_name="t", map_index=0)
    assert result.exists(str(tmp_path / "t" / "0.pkl"))
    assert not result.exists("{task_name}/{map_index}.pkl", task_name="t", map_index=1)


def test_exists_is_false_for_a_directory(tmp_path):
    (tmp_path / "folder").mkdir()
    assert not LocalResult(dir=tmp_path).exists("folder")


def test_exists_accepts_a_callable_location(tmp_path):
    (tmp_path / "x.out").write_bytes(b"")
    assert LocalResult(dir=tmp_path).exists(lambda **kw: f"{kw['name']}.out", name="x")


def test_read_of_a_relative_location_uses_dir(tmp_path):
    result = LocalResult(dir=tmp_path, location="nested/value.pkl")
    result.write(42)
    read = result.read("nested/value.pkl")
    assert read.value == 42
    assert read.location == "nested/value.pkl"
    assert read is not result


def test_read_of_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        LocalResult(dir=tmp_path).read("nope.pkl")
    assert str(tmp_path / "nope.pkl") in str(info.value)
    assert "exists()" in str(info.value)


def test_dir_is_made_absolute_and_created(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = LocalResult(dir="a/b")
    assert result.dir == str(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


def test_dir_expands_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert LocalResult(dir="~/results-here").dir == str(tmp_path / "results-here")


def test_validate_dir_false_leaves_dir_untouched(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = LocalResult(dir="not/yet", validate_dir=False)
    assert result.dir == "not/yet"
    assert not (tmp_path / "not").exists()


def test_uncreatable_dir_names_the_fix(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OSError, match="could not create its results directory") as info:
        LocalResult(dir=blocker / "results")
    assert "validate_dir=False" in str(info.value)


def test_default_dir_comes_from_configuration_home_dir(tmp_path, monkeypatch):
    fake = types.ModuleType("prefect_jupyter.configuration")
    fake.config = types.SimpleNamespace(home_dir=str(tmp_path / "home"))
    monkeypatch.setitem(sys.modules, "prefect_jupyter.configuration", fake)
    assert default_results_dir() == str(tmp_path / "home" / "results")
    result = LocalResult()
    assert result.dir == str(tmp_path / "home" / "results")
    assert os.path.isdir(result.dir)


def test_home_dir_itself_means_its_results_directory(tmp_path, monkeypatch):
    fake = types.ModuleType("prefect_jupyter.configuration")
    fake.config = types.SimpleNamespace(home_dir=str(tmp_path / "home"))
    monkeypatch.setitem(sys.modules, "prefect_jupyter.configuration", fake)
    assert LocalResult(dir=tmp_path / "home").dir == str(tmp_path / "home" / "results")
    assert LocalResult(dir=tmp_path / "home" / "x").dir == str(tmp_path / "home" / "x")


def test_default_dir_without_configuration_module(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "prefect_jupyter.configuration", None)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_results_dir() == str(tmp_path / ".prefect_jupyter" / "results")


def test_equality_includes_dir(tmp_path):
    assert LocalResult(dir=tmp_path / "a") == LocalResult(dir=tmp_path / "a")
    assert LocalResult(dir=tmp_path / "a") != LocalResult(dir=tmp_path / "b")


def test_local_result_survives_cloudpickle(tmp_path):
    result = LocalResult(dir=tmp_path, location="{task_name}.pkl")
    restored = cloudpickle.loads(cloudpickle.dumps(result))
    assert restored == result
    assert restored.write(3, task_name="t").location == str(tmp_path / "t.pkl")
