"""Former home of the acquisition contract and ``Param``, kept so existing plugins keep working."""

from alcore.sdk.acquisition import Acquisition  # noqa: F401
from alcore.sdk.params import Param  # noqa: F401
