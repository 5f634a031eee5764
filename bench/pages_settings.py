"""The portal's production settings plus the bench's timing middleware (``bench.pages``)."""

from portal.settings import *  # noqa: F403
from portal.settings import MIDDLEWARE

MIDDLEWARE = ["bench.pages_timing.ServerTiming", *MIDDLEWARE]
