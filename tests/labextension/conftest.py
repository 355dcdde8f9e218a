"""The labextension tests use the shared test support (tests/support): real Jupyter servers and
JupyterLab as subprocesses (``jupyter_factory``), headless Debian Chromium (``page``) and
``unused_port``; artifacts go to ``tests/artifacts/browser/``."""
