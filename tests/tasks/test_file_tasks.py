"""Copy, Move, Remove, Glob, Zip and Unzip on real files."""

from __future__ import annotations

import pytest

from prefect_jupyter import Flow
from prefect_jupyter.tasks.files import Copy, Glob, Move, Remove, Unzip, Zip


def test_copy_move_glob_zip_unzip_remove_in_one_flow(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "a.csv").write_text("a")
    (src / "sub" / "b.csv").write_text("b")
    with Flow("files") as flow:
        copied = Copy(source_path=src, target_path=tmp_path / "copy")()
        moved = Move(target_path=tmp_path / "moved")(source_path=copied)
        found = Glob(pattern="**/*.csv")(path=moved)
        zipped = Zip(zip_path=tmp_path / "out.zip", compression_method="lzma")(source_path=moved)
        unzipped = Unzip(extract_dir=tmp_path / "x")(zip_path=tmp_path / "out.zip",
                                                     upstream_tasks=[zipped])
        Remove(path=tmp_path / "moved" / "a.csv")(upstream_tasks=[found, zipped])
    state = flow.run()
    assert state.is_successful()
    assert sorted(p.name for p in state.result[found].result) == ["a.csv", "b.csv"]
    assert (state.result[unzipped].result / "moved" / "sub" / "b.csv").read_text() == "b"
    assert not (tmp_path / "copy").exists()
    assert not (tmp_path / "moved" / "a.csv").exists()


def test_bad_paths_raise_naming_the_argument(tmp_path):
    with pytest.raises(ValueError, match="No `source_path` provided"):
        Copy(target_path="x").run()
    with pytest.raises(ValueError, match="not found"):
        Move().run(source_path=tmp_path / "nope", target_path=tmp_path / "y")
    with pytest.raises(ValueError, match="No `path` provided"):
        Remove().run()
    (tmp_path / "plain.txt").write_text("not a zip")
    with pytest.raises(TypeError, match="is not a zip file"):
        Unzip().run(zip_path=tmp_path / "plain.txt")
    with pytest.raises(ValueError, match="not supported"):
        Zip(compression_method="rar")
