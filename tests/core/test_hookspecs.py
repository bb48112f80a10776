"""Every hook is documented the same way: when it is called, each argument, what it returns."""

from __future__ import annotations

import inspect

import pytest

from alcore import hookspecs

SPECS = [f for name, f in vars(hookspecs).items()
         if callable(f) and hasattr(f, "alcore_spec")]


def test_there_are_hooks_for_each_kind_and_the_cycle():
    names = {f.__name__ for f in SPECS}
    assert {"register_datasets", "register_models", "register_ssl_methods",
            "register_quantities", "register_acquisitions", "on_cycle_end"} <= names


@pytest.mark.parametrize("spec", SPECS, ids=lambda f: f.__name__)
def test_hook_is_fully_documented(spec):
    doc = inspect.getdoc(spec) or ""
    assert doc.splitlines()[0].strip(), "summary line"
    assert "Called" in doc, "when it is called"
    for arg in inspect.signature(spec).parameters:
        assert f":param {arg}:" in doc, f"argument {arg}"
    assert ":return:" in doc
