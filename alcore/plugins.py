"""The plugin manager: built-in and third-party plugins, all loaded from entry points in group ``alcore``.

Nothing is loaded at ``import alcore``; :func:`get_registry` builds the manager on first use.
Each entry point loads in isolation: one that fails to import, or raises inside a hook, becomes
a one-line warning naming its distribution, and everything else keeps working.
Set ``ALCORE_DISABLE_PLUGINS=1`` to load only the plugins that ship with alcore.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from alcore import group_limits, hookspecs
from alcore.acquisition import Param, Registration
from alcore.errors import PluginError, UnknownNameError

log = logging.getLogger("alcore")

GROUP = "alcore"
BUILTIN_DIST = "alcore"
KINDS = {
    "dataset": "register_datasets",
    "model": "register_models",
    "ssl": "register_ssl_methods",
    "quantity": "register_quantities",
    "acquisition": "register_acquisitions",
}


@dataclass
class PluginInfo:
    """A loaded (or failed) plugin: its entry-point name, distribution and what it registered."""

    name: str
    dist: str
    version: str
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    @property
    def builtin(self) -> bool:
        return self.dist == BUILTIN_DIST


class Registry:
    """Named factories of every kind, with the plugin that registered each."""

    def __init__(self, pm: pluggy.PluginManager, plugins: list[PluginInfo]) -> None:
        self.pm = pm
        self.plugins = plugins
        self.warnings: list[str] = [p.error for p in plugins if p.error]
        self._by_kind: dict[str, dict[str, Registration]] = {k: {} for k in KINDS}
        for kind, hook in KINDS.items():
            self._collect(kind, hook)

    def _collect(self, kind: str, hook_name: str) -> None:
        info_by_name = {p.name: p for p in self.plugins}
        for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
            plugin_info = info_by_name.get(impl.plugin_name)
            plugin_label = plugin_info.dist if plugin_info else impl.plugin_name
            added: list[Registration] = []

            def register(
                name: str,
                factory: Callable[..., Any],
                help: str = "",
                params: Sequence[Param] = (),
                _added: list[Registration] = added,
                _label: str = plugin_label,
            ) -> None:
                if kind == "acquisition":  # generic per-group limits apply to every strategy
                    factory, params = group_limits.generic(factory, params)
                _added.append(Registration(kind, name, factory, _label, help, list(params)))

            try:
                impl.function(register=register)
            except Exception as exc:  # a broken plugin must not take the others down
                self._fail(plugin_info, plugin_label, f"{hook_name} raised {exc!r}")
                continue
            table = self._by_kind[kind]
            for reg in added:
                if reg.name in table:
                    first = table[reg.name].plugin
                    self._fail(
                        plugin_info,
                        plugin_label,
                        f"{kind} '{reg.name}' is registered by both '{first}' and '{reg.plugin}'; "
                        f"keeping '{first}'",
                    )
                    continue
                table[reg.name] = reg
                if plugin_info is not None:
                    plugin_info.registered.setdefault(kind, []).append(reg.name)

    def _fail(self, info: PluginInfo | None, label: str, message: str) -> None:
        text = f"plugin '{label}': {message}"
        log.debug("%s\n%s", text, traceback.format_exc())
        self.warnings.append(text)
        if info is not None and info.error is None:
            info.error = message

    def names(self, kind: str) -> list[str]:
        return sorted(self._by_kind[kind])

    def all(self, kind: str) -> list[Registration]:
        return [self._by_kind[kind][n] for n in self.names(kind)]

    def get(self, kind: str, name: str) -> Registration:
        """The registration for ``name``, or an error listing the known names of that kind."""
        try:
            return self._by_kind[kind][name]
        except KeyError:
            raise UnknownNameError(kind, name, self.names(kind)) from None


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=GROUP)


def build_registry(
    extra_plugins: Iterable[tuple[str, Any]] = (), load_entry_points: bool = True
) -> Registry:
    """Build a fresh plugin manager and registry (tests call this; the CLI uses :func:`get_registry`).

    :param extra_plugins: ``(name, module_or_object)`` pairs registered after the entry points.
    :param load_entry_points: False loads nothing from installed distributions.
    """
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    only_builtin = os.environ.get("ALCORE_DISABLE_PLUGINS", "").strip() not in ("", "0")
    seen: set[str] = set()
    for ep in sorted(_entry_points(), key=lambda e: e.name) if load_entry_points else []:
        dist = ep.dist.name if ep.dist is not None else "?"
        version = ep.dist.version if ep.dist is not None else "?"
        if only_builtin and dist != BUILTIN_DIST:
            continue
        if ep.name in seen:
            continue
        seen.add(ep.name)
        info = PluginInfo(ep.name, dist, version)
        infos.append(info)
        try:
            obj = ep.load()
            pm.register(obj, name=ep.name)
        except Exception as exc:
            info.error = f"failed to load ({type(exc).__name__}: {exc})"
            log.debug("plugin %s failed to load\n%s", ep.name, traceback.format_exc())
            continue
        info.hooks = sorted(h.name for h in pm.get_hookcallers(obj) or [])
    for name, obj in extra_plugins:
        pm.register(obj, name=name)
        info = PluginInfo(name, name, "local")
        info.hooks = sorted(h.name for h in pm.get_hookcallers(obj) or [])
        infos.append(info)
    return Registry(pm, infos)


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = build_registry()
    return _REGISTRY


def require(registry: Registry, kind: str, name: str) -> Registration:
    """Like :meth:`Registry.get`, but first surfaces a failed plugin that may have meant to provide it."""
    try:
        return registry.get(kind, name)
    except UnknownNameError as exc:
        broken = [p for p in registry.plugins if p.error]
        if broken:
            detail = "; ".join(f"'{p.dist}' {p.error}" for p in broken)
            raise PluginError(f"{exc.message} (plugins that failed: {detail})") from None
        raise
