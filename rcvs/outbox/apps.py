from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "rcvs.outbox"
    label = "outbox"
    verbose_name = _("Uitgaande berichten")

    def ready(self) -> None:
        # Handlers register themselves (registry.register) in their app's notifications.py; import
        # them all at start-up, in the web process and in the worker alike, so that a message's kind
        # can be checked when it is written and found when it is delivered.
        autodiscover_modules("notifications")
