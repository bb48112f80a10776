"""Domain errors: each becomes one line on the command line, never a traceback (unless --debug)."""

from __future__ import annotations


class AlcoreError(Exception):
    """An error the user can act on: a message plus, optionally, the next step to take."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(AlcoreError):
    """A config file or option is malformed or names something that does not exist."""


class DataError(AlcoreError):
    """A dataset file is missing, unreadable or inconsistent."""


class PluginError(AlcoreError):
    """A plugin failed to load, registered a duplicate name, or raised inside a hook."""


class UnknownNameError(ConfigError):
    """A name given for a dataset, model, SSL method or acquisition is not registered."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        listing = ", ".join(sorted(known)) or "none registered"
        super().__init__(f"unknown {kind} '{name}'; known: {listing}")
        self.kind = kind
        self.name = name
        self.known = known


class StateError(AlcoreError):
    """A run directory is not a run, is in use, or its state does not match the request."""


class CorruptFileError(StateError):
    """A file alcore wrote cannot be read back: truncated, not JSON, or not of the expected shape."""

    def __init__(self, path: object, reason: str, hint: str | None = None) -> None:
        super().__init__(f"{path} is damaged: {reason}", hint)
        self.path = path
        self.reason = reason


class EnvironmentFailure(AlcoreError):
    """The machine, not the input, failed: a full disk, a missing permission, a read-only file system."""
