"""The plugin manager: built-in and third-party plugins, all loaded from entry points in group ``alcore``.

Nothing is loaded at ``import alcore``; :func:`get_registry` builds the manager on first use.
Each entry point loads in isolation: one that fails to import, or raises inside a hook, becomes
a one-line warning naming its distribution, and everything else keeps working.
Set ``ALCORE_DISABLE_PLUGINS=1`` to load only the plugins that ship with alcore.
"""

from __future__ import annotations

import importlib
import logging
import os
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from alcore import group_limits
from alcore.sdk import hookspecs
from alcore.sdk.errors import PluginError, UnknownNameError
from alcore.sdk.params import Param, coerce_options

log = logging.getLogger("alcore")

GROUP = "alcore"
BUILTIN_DIST = "alcore"
#: the entry points alcore itself ships; with plugins disabled only these load (a name is not enough)
BUILTIN_ENTRY_POINTS = {
    "datasets": "alcore_datasets.plugin",
    "mmseg": "alcore_mmseg.plugin",
    "acquisition": "alcore_acquisition.plugin",
    "ssl": "alcore_ssl.plugin",
}
KINDS = {
    "dataset": "register_datasets",
    "model": "register_models",
    "ssl": "register_ssl_methods",
    "quantity": "register_quantities",
    "acquisition": "register_acquisitions",
}


@dataclass
class Registration:
    """One named factory registered by one plugin for one kind (dataset, model, ssl, acquisition)."""

    kind: str
    name: str
    factory: Any
    plugin: str
    help: str = ""
    params: list[Param] = field(default_factory=list)

    def build(self, options: Mapping[str, Any] | None = None, **context: Any) -> Any:
        """Call the factory with every declared option (given ones typed, the rest at their default)."""
        given = coerce_options(self.params, options or {}, f"{self.kind} '{self.name}'")
        defaults = {p.name: p.default for p in self.params if p.name not in given}
        return self.factory(**context, **defaults, **given)


@dataclass
class PluginInfo:
    """A loaded (or failed) plugin: its entry-point name, distribution and what it registered."""

    name: str
    dist: str
    version: str
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None


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

    def cycle_end(self, run_dir: Path, cycle: int, record: dict) -> None:
        """Tell every plugin's ``on_cycle_end`` that a cycle is durable (a raising one is a warning)."""
        fire_cycle_end(self.pm.hook, run_dir, cycle, record)

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


def fire_cycle_end(hooks: Any, run_dir: Path, cycle: int, record: dict) -> None:
    """Call every ``on_cycle_end``; one that raises is a warning naming its plugin, never a failure."""
    if hooks is None:
        return
    for impl in hooks.on_cycle_end.get_hookimpls():
        try:
            impl.function(run_dir=run_dir, cycle=cycle, record=record)
        except Exception as exc:  # an observer must not take a finished cycle down
            log.warning("warning: plugin '%s': on_cycle_end raised %r", impl.plugin_name, exc)


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
    seen: dict[str, str] = {}
    duplicates: list[str] = []
    if only_builtin and load_entry_points:
        infos.extend(_register_builtins(pm))
    for ep in sorted(_entry_points(), key=lambda e: e.name) if load_entry_points else []:
        dist = ep.dist.name if ep.dist is not None else "?"
        version = ep.dist.version if ep.dist is not None else "?"
        if only_builtin:
            continue  # no distribution's metadata is consulted: a name cannot get a plugin in
        if ep.name in seen:
            duplicates.append(
                f"plugin '{dist}': entry point '{ep.name}' is also provided by '{seen[ep.name]}'; "
                f"keeping '{seen[ep.name]}'"
            )
            continue
        seen[ep.name] = dist
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
    registry = Registry(pm, infos)
    registry.warnings[:0] = duplicates
    return registry


def _register_builtins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """With plugins disabled: import alcore's own plugin modules directly, from beside alcore itself."""
    import alcore

    home = Path(alcore.__file__).resolve().parent.parent
    infos = []
    for name, module in sorted(BUILTIN_ENTRY_POINTS.items()):
        info = PluginInfo(name, BUILTIN_DIST, getattr(alcore, "__version__", "?"))
        infos.append(info)
        try:
            obj = importlib.import_module(module)
            where = Path(getattr(obj, "__file__", "") or "").resolve()
            if home not in where.parents:
                raise ImportError(f"{module} comes from {where}, not from alcore's installation {home}")
            pm.register(obj, name=name)
        except Exception as exc:
            info.error = f"failed to load ({type(exc).__name__}: {exc})"
            continue
        info.hooks = sorted(h.name for h in pm.get_hookcallers(obj) or [])
    return infos


def is_builtin(ep: metadata.EntryPoint, dist: str) -> bool:
    """Whether an entry point is one alcore ships: its distribution and its module both match."""
    return dist == BUILTIN_DIST and BUILTIN_ENTRY_POINTS.get(ep.name) == ep.value


_REGISTRY: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = build_registry()
    return _REGISTRY


def check_options(registry: Registry, named: Iterable[tuple[str, str, Mapping[str, Any] | None]]) -> None:
    """Resolve each ``(kind, name, options)`` and check its options, before anything is built or written."""
    for kind, name, options in named:
        reg = require(registry, kind, name)
        coerce_options(reg.params, options or {}, f"{kind} '{name}'")


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
