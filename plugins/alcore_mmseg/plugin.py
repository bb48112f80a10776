"""Entry point of the built-in mmseg plugin."""

from alcore.hookspecs import hookimpl  # noqa: F401

