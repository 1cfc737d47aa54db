from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = _("Casuïstiek")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .categories import ensure_categories_after_migrate

        post_migrate.connect(ensure_categories_after_migrate, sender=self,
                             dispatch_uid="casework.ensure_categories")
        # The belteam pages show where a transfer request came from without placements
        # importing casework (placements/origins.py).
        from placements import origins

        from .origins import describe_transfer_origins

        origins.register(describe_transfer_origins)
