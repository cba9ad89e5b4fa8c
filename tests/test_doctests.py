"""Runs the `>>>` examples in every docstring of the installed package."""

import doctest
import importlib
import pkgutil

import pytest

import rkeras

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(rkeras.__path__, "rkeras.")
    if not m.name.endswith("_rkeras")
)


def test_every_module_is_covered():
    assert "rkeras.backend.functions" in MODULES and "rkeras.utils.np_utils" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
