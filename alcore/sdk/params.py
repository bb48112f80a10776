"""Plugin options: declared with :class:`Param`, given as strings (CLI) or values (YAML), checked here.

A ``Param``'s default is the one source of truth: a registration's factory receives every
declared option, the given ones converted to their type and the others at their declared default.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alcore.sdk.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass
class Param:
    """A documented option of a plugin factory, shown by ``alcore plugins`` and validated on use."""

    name: str
    type: type
    default: Any
    help: str = ""
    #: inclusive bounds of a numeric option (None: unbounded), checked when options are parsed
    low: float | None = None
    high: float | None = None
    #: a further check of a given value (a file that must exist, a device that must be present):
    #: returns what is wrong, or None; runs when options are parsed, before any work
    rule: Callable[[Any], str | None] | None = None

    def check(self, value: Any, where: str) -> Any:
        """``value`` if it lies within the bounds (and is finite), else a ConfigError naming the option."""
        if value is not None and self.rule is not None:
            problem = self.rule(value)
            if problem:
                raise ConfigError(f"{where}: {problem}")
        if value is None or self.type not in (int, float):
            return value
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{where}: must be a finite number, got {value!r}")
        if self.low is not None and value < self.low:
            raise ConfigError(f"{where}: must be at least {self.low}, got {value!r}")
        if self.high is not None and value > self.high:
            raise ConfigError(f"{where}: must be at most {self.high}, got {value!r}")
        return value


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


def coerce_options(
    params: Sequence[Param], options: Mapping[str, Any], where: str
) -> dict[str, Any]:
    """Validate ``options`` against declared ``params``; unknown keys are errors naming ``where``."""
    declared = {p.name: p for p in params}
    out: dict[str, Any] = {}
    for key, value in options.items():
        if key not in declared:
            known = ", ".join(sorted(declared)) or "none"
            raise ConfigError(f"{where} has no option '{key}'; its options: {known}")
        param, label = declared[key], f"{where} option '{key}'"
        out[key] = param.check(convert(value, param.type, label), label)
    return out
