"""Command-line plugin options: repeated ``key=value`` items, typed later against each plugin's params."""

from __future__ import annotations

from alcore.sdk.errors import ConfigError


def parse_kv(items: list[str] | None, flag: str) -> dict[str, str]:
    """Parse repeated ``key=value`` command-line items into a dict."""
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} expects key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out
