"""Each integration's libraries are an extra: without them, importing (or using) the module
fails at once with the extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

CASES = [
    ("boto3", "import prefect_jupyter.tasks.aws", "prefect_jupyter.tasks.aws", "aws"),
    ("boto3", "from prefect_jupyter.engine.results import S3Result; "
              "S3Result(bucket='b').client", "prefect_jupyter.tasks.aws", "aws"),
    ("psycopg", "import prefect_jupyter.tasks.postgres", "prefect_jupyter.tasks.postgres", "sql"),
    ("papermill", "from prefect_jupyter.tasks.jupyter import ExecuteNotebook",
     "prefect_jupyter.tasks.jupyter", "notebook-tasks"),
    ("jinja2", "from prefect_jupyter.tasks.templates import JinjaTemplate",
     "prefect_jupyter.tasks.templates.jinja2", "templates"),
    ("google", "from prefect_jupyter.engine.results import GCSResult; GCSResult('b').gcs_bucket",
     "GCSResult", "gcp"),
    ("azure", "from prefect_jupyter.engine.results import AzureResult; "
              "AzureResult('c', connection_string='x').service", "AzureResult", "azure"),
]


@pytest.mark.parametrize(("hidden", "code", "feature", "extra"), CASES)
def test_a_missing_library_names_the_extra_to_install(hidden, code, feature, extra):
    # a None entry in sys.modules makes `import <hidden>` fail as if it were not installed
    script = f"import sys; sys.modules[{hidden!r}] = None\n{code}"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(("ImportError", "prefect_jupyter.utilities.extras.MissingExtraError"))
    assert f"Using `{feature}` requires prefect_jupyter to be installed with the \"{extra}\" extra" in last
    assert f'pip install "prefect_jupyter[{extra}]"' in last


def test_importing_prefect_jupyter_loads_no_task_library_dependency():
    script = ("import sys, prefect_jupyter, prefect_jupyter.engine.results, prefect_jupyter.tasks; "
              "print(sorted(m for m in ('boto3', 'papermill', 'jinja2', 'psycopg', 'requests', "
              "'nbconvert') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[]", done.stderr
