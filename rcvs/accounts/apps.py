from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "rcvs.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from . import admin_lockouts, signals  # noqa: F401  (registers the lockout admin, connects receivers)
        from .address_guard import record_failure

        user_login_failed.connect(record_failure, dispatch_uid="rcvs.accounts.address_guard")
