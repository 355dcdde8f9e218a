"""prefect_jupyter.cli.build_register: finding flows and registering them (Prefect 1's steps)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import click
import pytest

from prefect_jupyter import Flow
from prefect_jupyter.cli.build_register import (
    TerminalError,
    build_and_register,
    expand_paths,
    load_flows_from_json,
    load_flows_from_module,
    load_flows_from_script,
    summary_line,
    watch_for_changes,
)
from prefect_jupyter.run_configs import LocalRun
from prefect_jupyter.storage import Local, Module


def test_expand_paths_takes_files_directories_and_globs(tmp_path: Path) -> None:
    for name in ("a.py", "b.txt", "sub/c.py", "sub/deeper/d.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    assert set(expand_paths([str(tmp_path)])) == {str(tmp_path / "a.py")}
    assert set(expand_paths([str(tmp_path / "**" / "*.py")])) == {
        str(tmp_path / p) for p in ("a.py", "sub/c.py", "sub/deeper/d.py")
    }
    with pytest.raises(TerminalError, match="doesn't exist"):
        expand_paths([str(tmp_path / "missing.py")])


def test_a_script_runs_with_its_directory_importable_and_gets_local_storage(tmp_path: Path) -> None:
    (tmp_path / "helper_for_flows.py").write_text("NAME = 'from-helper'\n")
    script = tmp_path / "flows.py"
    script.write_text(textwrap.dedent("""
        from helper_for_flows import NAME
        from prefect_jupyter import Flow
        from prefect_jupyter.storage import Module
        assert __name__ != "__main__"
        plain = Flow(NAME)
        kept = Flow("kept", storage=Module("somewhere"))
    """))
    flows = {f.name: f for f in load_flows_from_script(os.path.relpath(script))}
    assert isinstance(flows["from-helper"].storage, Local)
    assert flows["from-helper"].storage.path == str(script)
    assert flows["from-helper"].storage.stored_as_script
    assert isinstance(flows["kept"].storage, Module)


def test_a_script_ending_in_flow_run_is_loaded_without_running_it(tmp_path: Path) -> None:
    ran = tmp_path / "ran.txt"
    script = tmp_path / "runs_at_the_end.py"
    script.write_text(textwrap.dedent(f"""
        from prefect_jupyter import Flow, task

        @task
        def touch():
            open({str(ran)!r}, "w").close()

        with Flow("runs-at-the-end") as flow:
            touch()

        state = flow.run()
        assert state is None
    """))
    with pytest.warns(UserWarning, match="call `flow.run` during execution of flow file"):
        (flow,) = load_flows_from_script(str(script))
    assert flow.name == "runs-at-the-end"
    assert not ran.exists()


def test_a_failing_script_prints_its_error_then_stops(tmp_path: Path, capsys) -> None:
    script = tmp_path / "broken.py"
    script.write_text("raise ValueError('no good')\n")
    with pytest.raises(TerminalError):
        load_flows_from_script(str(script))
    out = capsys.readouterr().out
    assert f"Error loading {str(script)!r}:" in out and "ValueError: no good" in out


def test_modules_get_module_storage_and_missing_ones_are_named(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "flows_mod.py").write_text("from prefect_jupyter import Flow\nf = Flow('m')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    (flow,) = load_flows_from_module("flows_mod")
    assert isinstance(flow.storage, Module) and flow.storage.module == "flows_mod"
    assert load_flows_from_module("flows_mod.f") == [flow]
    with pytest.raises(TerminalError, match="No module named 'not_a_module_here'"):
        load_flows_from_module("not_a_module_here.sub")
    with pytest.raises(TerminalError, match="has no attribute 'nothing'"):
        load_flows_from_module("flows_mod.nothing")


def test_flows_files_are_checked(tmp_path: Path) -> None:
    good = tmp_path / "flows.json"
    good.write_text(json.dumps({"version": 1, "flows": [{"name": "x"}]}))
    assert load_flows_from_json(str(good)) == [{"name": "x"}]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"bad": "file"}))
    with pytest.raises(TerminalError, match="is not a valid Prefect flows `json` file"):
        load_flows_from_json(str(bad))
    bad.write_text(json.dumps({"version": 2, "flows": []}))
    with pytest.raises(TerminalError, match="is version 2, only version 1"):
        load_flows_from_json(str(bad))
    with pytest.raises(TerminalError, match="doesn't exist"):
        load_flows_from_json(str(tmp_path / "missing.json"))


class Recording(Module):
    builds = 0

    def build(self):
        type(self).builds += 1
        return self


class Broken(Module):
    def build(self):
        raise ValueError("cannot build")


def test_build_and_register_builds_each_storage_once_and_counts(monkeypatch, capsys) -> None:
    registered = []

    def register(client, serialized_flow, project_id, force, schedule):
        registered.append((serialized_flow["name"], sorted(serialized_flow["run_config"]["labels"])))
        if serialized_flow["name"] == "fails":
            raise RuntimeError("server said no")
        return f"id-{serialized_flow['name']}", 1, serialized_flow["name"] != "same"

    monkeypatch.setattr("prefect_jupyter.cli.build_register.register_serialized_flow", register)
    shared, broken = Recording("pkg"), Broken("pkg")
    flows = [
        Flow("new", storage=shared, run_config=LocalRun(labels=["x"])),
        Flow("same", storage=shared),
        Flow("fails", storage=Recording("pkg")),
        Flow("unbuilt", storage=broken),
    ]
    Recording.builds = 0
    stats = build_and_register(object(), flows, "project-id", labels=["team"])
    assert Recording.builds == 2
    assert dict(stats) == {"registered": 1, "skipped": 1, "errored": 2}
    assert registered == [("new", ["team", "x"]), ("same", ["team"]), ("fails", ["team"])]
    out = capsys.readouterr().out
    assert "  Registering 'new'... Done\n  └── ID: id-new\n  └── Version: 1\n" in out
    assert "  Registering 'same'... Skipped (metadata unchanged)\n" in out
    assert "RuntimeError: server said no" in out
    assert "    Error building storage:" in out and "  Registering 'unbuilt'... Error" in out
    assert click.unstyle(summary_line(stats)) == "=" * 13 + " 1 registered, 1 skipped, 2 errored " + "=" * 13


def test_watch_yields_everything_then_what_changed(tmp_path: Path) -> None:
    first, second = tmp_path / "one.py", tmp_path / "two.py"
    first.touch()
    second.touch()
    changes = watch_for_changes(paths=[str(tmp_path)], period=0.01)
    assert set(next(changes)[0]) == {str(first), str(second)}
    stamp = os.stat(first).st_mtime + 10
    os.utime(first, (stamp, stamp))
    assert next(changes) == ([str(first)], [])
    with pytest.raises(TerminalError, match="not_a_module_here"):
        next(watch_for_changes(modules=["not_a_module_here"]))


def test_build_update_keeps_other_flows_and_a_broken_storage_fails_the_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from prefect_jupyter.cli import cli

    script = tmp_path / "flows.py"
    script.write_text(textwrap.dedent("""
        from prefect_jupyter import Flow
        from prefect_jupyter.storage import Module

        class Broken(Module):
            def build(self):
                raise ValueError("storage is down")

        fresh = Flow("fresh")
        broken = Flow("broken", storage=Broken("x"))
    """))
    output = tmp_path / "flows.json"
    output.write_text(json.dumps({"version": 1, "flows": [{"name": "fresh"}, {"name": "older"}]}))
    result = CliRunner().invoke(cli, ["build", "-p", str(script), "-o", str(output), "--update"])
    assert result.exit_code == 1
    assert "ValueError: storage is down" in result.output
    assert "1 built, 1 errored" in result.output
    names = [f["name"] for f in json.loads(output.read_text())["flows"]]
    assert names == ["fresh", "older"]
    assert json.loads(output.read_text())["flows"][0]["type"]  # rebuilt, not the old entry
