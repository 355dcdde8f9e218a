"""Test support shared by the whole suite, loaded as a pytest plugin from tests/conftest.py.

* :mod:`support.browser` — headless Debian Chromium through Python Playwright (never a
  downloaded browser): the launch recipe and the ``page`` fixture.
* :mod:`support.jupyter_server` — real Jupyter servers and JupyterLab as subprocesses on
  127.0.0.1 (free port, random token, every Jupyter dir in a temp dir), stopped by PID.
* :mod:`support.node` — running the browser's plain ES modules under Node.js.
* :mod:`support.lab_notebook` — a notebook in JupyterLab driven from Playwright: open it, run
  all its cells (failing on stderr), forget earlier tabs.
* :mod:`support.widget_scale` — the 1,000-task widget run, its in-page recorder and figures
  (the scale browser test and the widget benchmark).
* :mod:`support.plugin` — the fixtures: ``artifacts``, ``console``, ``page``,
  ``jupyter_factory``, ``unused_port`` and ``shell`` (a real IPython ``InteractiveShell`` with
  the extension loaded).
"""
