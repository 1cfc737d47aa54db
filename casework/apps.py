from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casuïstiek")

    def ready(self) -> None:
        # The belteam pages show where a transfer request came from without placements
        # importing casework (placements/origins.py).
        from placements import origins

        from .origins import describe_transfer_origins

        origins.register(describe_transfer_origins)
