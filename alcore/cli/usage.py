"""The command-line library's own usage errors (a bad integer, an unknown option) as one line, exit 2.

The library prints such errors as a usage banner plus a boxed message; alcore prints every failure
as one ``error:`` line naming the option, so the root command group turns them into that line.
``--help`` and a bare ``alcore`` (which shows the help) are left as they are.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

from typer.core import TyperGroup

try:  # newer typer vendors its command-line library
    from typer._click import exceptions as _exc
except ImportError:  # pragma: no cover - typer that uses click itself
    from click import exceptions as _exc  # type: ignore[no-redef]

BAD_INPUT = 2


def _option(exc: Any) -> str:
    """The option or argument an error is about, as typed (``--cycles``), or ''."""
    name = getattr(exc, "option_name", None)
    if name:
        return str(name)
    param = getattr(exc, "param", None)
    opts = [o for o in getattr(param, "opts", None) or [] if isinstance(o, str)]
    longest = max(opts, key=len) if opts else None
    if longest:
        return longest if longest.startswith("-") else longest.upper()
    hint = getattr(exc, "param_hint", None)
    return str(hint) if isinstance(hint, str) else ""


def _given(exc: BaseException) -> str:
    """The value the user typed, where the conversion error carries it."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
        except Exception:  # not a validation error after all
            return ""
        if "input" in first:
            return f"{first['input']!r} "
    return ""


def usage_line(exc: Any) -> str:
    """One line for a usage error: the option, what is wrong, and where the help is."""
    command = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "alcore"
    see = f" (see '{command} --help')"
    option = _option(exc)
    if isinstance(exc, _exc.MissingParameter):
        return f"{option or 'a required value'}: missing{see}"
    if isinstance(exc, _exc.NoSuchOption):
        close = list(getattr(exc, "possibilities", None) or [])
        maybe = f"; did you mean {', '.join(close)}?" if close else ""
        return f"{option}: no such option{maybe}{see}"
    text = str(exc.message).strip().rstrip(".")
    if isinstance(exc, _exc.BadOptionUsage) and "requires an argument" in text:
        return f"{option}: needs a value{see}"
    if isinstance(exc, _exc.BadParameter):
        value = _given(exc)
        what = text[0].lower() + text[1:] if text else "invalid value"
        if value and what.startswith("input should be"):
            what = f"is not {what[len('input should be '):].split(',')[0]}"
        return f"{option}: {value}{what}{see}" if option else f"{value}{what}{see}"
    if option and option not in text:
        return f"{option}: {text}{see}"
    return f"{text[:1].lower()}{text[1:]}{see}"


def usage_exit(exc: Any) -> NoReturn:
    """Print the one ``error:`` line of a usage error and exit 2."""
    sys.stderr.write(f"error: {usage_line(exc)}\n")
    sys.stderr.flush()
    sys.exit(BAD_INPUT)


class OneLineGroup(TyperGroup):
    """The root command group: usage errors of it and of every command below it as one line."""

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except _exc.NoArgsIsHelpError:
            raise  # a bare ``alcore`` shows the help, as before
        except _exc.UsageError as exc:
            usage_exit(exc)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _exc.NoArgsIsHelpError:
            raise
        except _exc.UsageError as exc:
            usage_exit(exc)
