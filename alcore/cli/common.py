"""Helpers shared by the commands: the one place where errors become a single line."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from alcore.cli import failures


class _Debug:
    enabled = False


DEBUG = _Debug()


def fail(message: str, exc: BaseException | None = None, code: int = 2) -> NoReturn:
    """Print ``error: message`` (and the traceback under --debug) and exit with ``code``."""
    if DEBUG.enabled and exc is not None:
        traceback.print_exception(exc)
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command so domain errors exit 2 and unexpected ones exit 1, each as one line."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        failures.install_sigterm()
        try:
            return command(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader went away (``alcore status | head``); click ends quietly
        except (Exception, KeyboardInterrupt, failures.Terminated) as exc:
            message, code = failures.classify(exc)
            fail(message, exc, code=code)

    return wrapper
