"""Credentials die with the password and with the account.

Connected in AccountsConfig.ready. On the model rather than in the password views, so that every
path counts: the password page, a beheerder setting a password in the admin, `changepassword`,
and deactivating an account in the admin or from code."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest

from .models import User
from .services import api_tokens_revoke_all, sessions_end_for
from .sessions import stamp_login

log = logging.getLogger(__name__)


@receiver(pre_save, sender=User)
def _note_credential_change(sender: type[User], instance: User, raw: bool = False, **kwargs: Any) -> None:
    instance._rcvs_password_changed = instance._rcvs_deactivated = False
    if raw or instance.pk is None:
        return
    old = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    # `_password` holds the raw password between set_password() and save(). Django's silent
    # rehash at login (a stronger hasher, more iterations) clears it first: that is the same
    # password and must not kill the user's integrations.
    instance._rcvs_password_changed = old["password"] != instance.password and (
        getattr(instance, "_password", None) is not None or not instance.has_usable_password()
    )
    instance._rcvs_deactivated = old["is_active"] and not instance.is_active


@receiver(post_save, sender=User)
def _end_credentials(sender: type[User], instance: User, created: bool, **kwargs: Any) -> None:
    if getattr(instance, "_rcvs_deactivated", False):
        api_tokens_revoke_all(user=instance, reason="account deactivated")
        sessions_end_for(instance)
    elif getattr(instance, "_rcvs_password_changed", False):
        # Other sessions end by themselves: their session hash no longer matches the password.
        api_tokens_revoke_all(user=instance, reason="password changed")


@receiver(user_logged_in)
def _stamp_session(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        stamp_login(request.session)
