"""Entry point of the built-in acquisition plugin."""

from alcore.hookspecs import hookimpl  # noqa: F401

