"""prefect_jupyter.utilities.importtools: dotted paths and lazily imported modules."""

import sys

import pytest

from prefect_jupyter.utilities.imports import import_object as config_import_object
from prefect_jupyter.utilities.importtools import import_object, lazy_import


def test_import_object_finds_modules_attributes_and_unimported_submodules():
    import json

    assert import_object("json") is json
    assert import_object("json.dumps") is json.dumps
    sys.modules.pop("prefect_jupyter.hello_world", None)
    assert import_object("prefect_jupyter.hello_world").__name__ == "prefect_jupyter.hello_world"


def test_import_object_tells_a_missing_module_from_a_missing_attribute():
    with pytest.raises(ImportError):
        import_object("no_such_module_anywhere.thing")
    with pytest.raises(AttributeError, match="has no attribute 'no_such_thing'"):
        import_object("json.no_such_thing")


def test_configuration_reports_both_as_import_errors():
    with pytest.raises(ImportError, match="no_such_thing"):
        config_import_object("json.no_such_thing")
    with pytest.raises(ImportError, match="no_such_module_anywhere"):
        config_import_object("no_such_module_anywhere.thing")


def test_lazy_import_runs_the_module_on_first_use():
    sys.modules.pop("colorsys", None)
    module = lazy_import("colorsys")
    assert "colorsys" in sys.modules
    assert module.rgb_to_hsv(1.0, 0.0, 0.0) == (0.0, 1.0, 1.0)
    with pytest.raises(ImportError):
        lazy_import("no_such_module_anywhere")
