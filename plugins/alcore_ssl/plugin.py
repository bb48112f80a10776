"""Entry point of the built-in semi-supervised learning methods."""

from __future__ import annotations

from typing import Any

from alcore.hookspecs import hookimpl


def _supervised() -> None:
    return None


@hookimpl
def register_ssl_methods(register: Any) -> None:
    register("none", _supervised, help="supervised training on the labeled set only")
