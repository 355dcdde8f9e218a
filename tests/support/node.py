"""Running the browser's plain ES modules under Node.js, to test them against Python."""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
from typing import Any

import pytest

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")


def run_es_module(
    tmp_path: pathlib.Path, modules: dict[str, pathlib.Path], body: str, data: Any = None
) -> Any:
    """Run ``body`` under Node and return the JSON it prints with ``console.log``.

    ``modules`` maps a name to an ES module file: ``body`` sees each module's exports under
    that name (``{"S": states_js}`` gives ``S.nodeState``), and ``data`` as ``data``. The files
    are copied as ``.mjs`` so Node loads them as ES modules; they must not import each other.
    """
    lines = []
    for name, path in modules.items():
        copy = tmp_path / f"{name}.mjs"
        copy.write_text(path.read_text())
        lines.append(f"import * as {name} from {json.dumps(copy.as_uri())};")
    script = tmp_path / "main.mjs"
    script.write_text("\n".join([*lines, f"const data = {json.dumps(data)};", body, ""]))
    out = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)
