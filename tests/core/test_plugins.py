from __future__ import annotations

import pytest

from alcore.plugins import build_registry, require
from alcore.sdk.errors import ConfigError, PluginError, UnknownNameError
from alcore.sdk.hookspecs import hookimpl
from alcore.sdk.params import Param


class Strategy:
    requires = ()

    def __init__(self, k: int = 1) -> None:
        self.k = k


class First:
    @staticmethod
    @hookimpl
    def register_acquisitions(register):
        register("mine", Strategy, help="first", params=[Param("k", int, 1)])


class Second:
    @staticmethod
    @hookimpl
    def register_acquisitions(register):
        register("mine", Strategy, help="second")
        register("other", Strategy, help="other")


class Broken:
    @staticmethod
    @hookimpl
    def register_acquisitions(register):
        raise RuntimeError("boom")


def test_builtins_are_entry_points():
    reg = build_registry()
    assert {"random", "entropy"} <= set(reg.names("acquisition"))
    assert "mmseg" in reg.names("model")
    assert "none" in reg.names("ssl")
    assert all(p.dist == "alcore" for p in reg.plugins if p.name in {"mmseg", "acquisition"})


def test_unknown_name_lists_known():
    reg = build_registry()
    with pytest.raises(UnknownNameError) as info:
        reg.get("acquisition", "nosuch")
    assert "random" in str(info.value) and "entropy" in str(info.value)


def test_duplicate_name_names_both_plugins_and_keeps_first():
    reg = build_registry(extra_plugins=[("first", First), ("second", Second)],
                         load_entry_points=False)
    assert reg.get("acquisition", "mine").help == "first"
    assert "other" in reg.names("acquisition")
    assert any("'first'" in w and "'second'" in w for w in reg.warnings)


def test_plugin_raising_in_hook_leaves_others_working():
    reg = build_registry(extra_plugins=[("broken", Broken), ("first", First)])
    assert "mine" in reg.names("acquisition")
    assert "random" in reg.names("acquisition")
    assert any("broken" in w and "boom" in w for w in reg.warnings)
    with pytest.raises(PluginError, match="broken"):
        require(reg, "acquisition", "missing")


def test_options_are_validated_and_converted():
    reg = build_registry(extra_plugins=[("first", First)], load_entry_points=False)
    built = reg.get("acquisition", "mine").build({"k": "7"})
    assert built.k == 7
    with pytest.raises(ConfigError, match="no option 'j'"):
        reg.get("acquisition", "mine").build({"j": 1})
    with pytest.raises(ConfigError, match="expected int"):
        reg.get("acquisition", "mine").build({"k": "seven"})
