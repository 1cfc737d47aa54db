from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Rapportages")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .reference_data import ensure_after_migrate

        post_migrate.connect(ensure_after_migrate, sender=self, dispatch_uid="reporting.ensure_norm_rates")
