"""Build the JupyterLab extension while the Python package is built (hatch-jupyter-builder hook).

``pyproject.toml`` names :func:`build` as the hook's build function. It runs, in ``labextension/``:

* ``npm ci`` — only when ``node_modules`` is missing or older than ``package-lock.json``, so the
  dependencies are exactly the committed lock file's;
* ``npm run build:prod`` — only when the bundle in ``prefect_jupyter/labextension/`` is missing
  or older than a source file (``src/``, ``style/``, the widget's shared
  ``prefect_jupyter/jupyter/static/{flow_widget.js,flow_widget.css,states.js}``,
  the web UI's ``prefect_jupyter/ui/static/js/{format,poll}.js``, ``package.json``).

An sdist carries the built bundle, so installing from it needs no Node.js; a source checkout
needs Node.js 20+ and npm. ``HATCH_JUPYTER_BUILDER_SKIP_NPM=1`` (or ``SKIP_JUPYTER_BUILDER=1``)
skips this step.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("prefect_jupyter.build")

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "prefect_jupyter" / "labextension"
SHARED = [
    ROOT / "prefect_jupyter" / "jupyter" / "static" / "flow_widget.js",
    ROOT / "prefect_jupyter" / "jupyter" / "static" / "flow_widget.css",
    ROOT / "prefect_jupyter" / "jupyter" / "static" / "states.js",
    ROOT / "prefect_jupyter" / "ui" / "static" / "js",  # format.js and poll.js
]


def _newest(paths: list[Path]) -> float:
    mtimes = [0.0]
    for p in paths:
        if p.is_dir():
            mtimes += [f.stat().st_mtime for f in p.rglob("*") if f.is_file()]
        elif p.exists():
            mtimes.append(p.stat().st_mtime)
    return max(mtimes)


def bundle_is_stale(path: Path) -> bool:
    """Whether the built bundle is missing or older than one of its sources."""
    marker = BUNDLE / "package.json"
    if not marker.exists():
        return True
    sources = [path / "src", path / "style", path / "package.json", path / "tsconfig.json"]
    return _newest(sources + SHARED) > marker.stat().st_mtime


def _run(cmd: list[str], cwd: Path) -> None:
    log.info("> %s (in %s)", " ".join(cmd), cwd)
    subprocess.run(cmd, cwd=cwd, check=True)


def build(
    target_name: str,
    version: str,
    path: str = "labextension",
    build_cmd: str = "build:prod",
) -> None:
    """Install the locked npm dependencies when needed and build the bundle when stale."""
    if os.environ.get("HATCH_JUPYTER_BUILDER_SKIP_NPM") == "1":
        log.info("HATCH_JUPYTER_BUILDER_SKIP_NPM=1: not building the JupyterLab extension")
        return
    package = (ROOT / path).resolve()
    if not bundle_is_stale(package):
        log.info("The JupyterLab extension in %s is up to date", BUNDLE)
        return
    npm = shutil.which("npm")
    if npm is None:
        if (BUNDLE / "package.json").exists():
            log.warning(
                "npm not found: shipping the existing (possibly stale) bundle in %s", BUNDLE
            )
            return
        raise RuntimeError(
            "Building prefect_jupyter from a source checkout builds its JupyterLab extension, "
            "which needs Node.js 20+ and npm on PATH (e.g. `apt-get install nodejs npm`). "
            "Install them, or install a released wheel/sdist, which carries the built extension."
        )
    lock = package / "package-lock.json"
    installed = package / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        _run([npm, "ci", "--no-audit", "--no-fund"], package)
    _run([npm, "run", build_cmd], package)
