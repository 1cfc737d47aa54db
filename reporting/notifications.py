"""Outbox handlers of reporting (rcvs/outbox autodiscovers `notifications` modules): the KCIO
delivery (reporting/delivery.py) and the weekday occupancy mail (reporting/occupancy_mail.py)
register theirs on import."""

from . import delivery, occupancy_mail  # noqa: F401
