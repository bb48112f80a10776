"""Entry point of the built-in datasets plugin."""

from alcore.hookspecs import hookimpl  # noqa: F401

