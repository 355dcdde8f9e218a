"""Storage and run configs serialize themselves without ``serialization/`` (issue 16: no circle).

``serialization/`` imports storage and run configs (its schemas build them); their own
``serialize()`` and flow pickling live beside them, and Prefect 1's paths name the same objects.
"""

from __future__ import annotations

import subprocess
import sys

from prefect_jupyter.run_configs import LocalRun
from prefect_jupyter.run_configs.schema import RunConfigSchema
from prefect_jupyter.storage import Local, pickling, schema


def test_serialize_loads_nothing_from_the_serialization_package(tmp_path) -> None:
    code = (
        "import sys\n"
        "from prefect_jupyter.run_configs import LocalRun\n"
        "from prefect_jupyter.storage import Local\n"
        "run = LocalRun(env={'A': '1'}, labels=['b', 'a']).serialize()\n"
        f"store = Local(directory={str(tmp_path)!r}).serialize()\n"
        "assert run['type'] == 'LocalRun' and run['labels'] == ['a', 'b'], run\n"
        "assert store['type'] == 'Local', store\n"
        "print(sorted(m for m in sys.modules if m.startswith('prefect_jupyter.serialization')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_prefect_1_paths_name_the_same_schemas_and_functions(tmp_path) -> None:
    from prefect_jupyter.serialization import run_config, storage

    assert run_config.RunConfigSchema is RunConfigSchema
    assert storage.StorageSchema is schema.StorageSchema
    assert storage.LocalSchema is schema.LocalSchema
    assert storage.pickle_flow is pickling.pickle_flow
    assert storage.FlowLoadError is pickling.FlowLoadError
    local = Local(directory=str(tmp_path))
    assert storage.StorageSchema().load(local.serialize()).directory == local.directory
    config = LocalRun(env={"A": "1"})
    assert run_config.RunConfigSchema().load(config.serialize()) == config
