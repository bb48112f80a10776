"""Entry point of the built-in ssl plugin."""

from alcore.hookspecs import hookimpl  # noqa: F401

