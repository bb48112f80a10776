"""Former home of alcore.sdk.testing, kept so plugins written against it keep working."""

from alcore.sdk.testing import *  # noqa: F401,F403
