"""Reporting models, one module per capability (so they can grow apart): the dated capacity
snapshots and money reference tables (core), KCIO deliveries, the weekday occupancy mail, the
targets' split, cost declarations and the board's reports and decision list."""

from .board import *  # noqa: F403
from .core import *  # noqa: F403
from .costs import *  # noqa: F403
from .delivery import *  # noqa: F403
from .mail import *  # noqa: F403
from .targets import *  # noqa: F403
