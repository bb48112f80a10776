"""Former home of alcore.sdk.hookspecs, kept so plugins written against it keep working."""

from alcore.sdk.hookspecs import *  # noqa: F401,F403
