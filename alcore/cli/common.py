"""Helpers shared by the commands: the one place where errors become a single line."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

from alcore.sdk.errors import AlcoreError


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
        try:
            return command(*args, **kwargs)
        except AlcoreError as exc:
            fail(str(exc), exc, code=2)
        except KeyboardInterrupt:
            sys.stderr.write("interrupted; a run continues with: alcore run --resume RUN_DIR\n")
            sys.exit(130)
        except Exception as exc:
            text = str(exc).splitlines()[0] if str(exc) else ""
            fail(f"unexpected {type(exc).__name__}: {text} (rerun with --debug for the "
                 "traceback)", exc, code=1)

    return wrapper
