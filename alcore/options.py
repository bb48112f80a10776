"""Turn user-given plugin options (strings from the CLI, values from YAML) into typed arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from alcore.errors import ConfigError

if TYPE_CHECKING:
    from alcore.acquisition import Registration

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def convert(value: Any, typ: type, where: str) -> Any:
    """Convert ``value`` to ``typ``; strings as typed on a command line are parsed."""
    if value is None or isinstance(value, typ) and not (typ is int and isinstance(value, bool)):
        return value
    try:
        if typ is bool:
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(value)
        if typ is int and isinstance(value, float) and not value.is_integer():
            raise ValueError(value)
        return typ(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {typ.__name__}, got {value!r}") from None


def coerce_options(reg: Registration, options: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``options`` against the registration's declared params; unknown keys are errors."""
    declared = {p.name: p for p in reg.params}
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(
                f"{reg.kind} '{reg.name}' has no option '{key}'; its options: {known}"
            )
        out[key] = convert(value, declared[key].type, f"{reg.kind} '{reg.name}' option '{key}'")
    return out


def parse_kv(items: list[str] | None, flag: str) -> dict[str, str]:
    """Parse repeated ``key=value`` command-line items into a dict."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out
