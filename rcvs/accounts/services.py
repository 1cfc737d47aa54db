"""Writes for accounts: API keys made, revoked and ended with the password or the account."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rcvs.errors import ApplicationError, Conflict, NotFound

from .models import ApiToken, User

log = logging.getLogger(__name__)

API_TOKEN_NAME_MAX = ApiToken._meta.get_field("name").max_length
# Enough for every integration a user could run; a bound, so that a script in a loop (or someone
# with a stolen password) cannot fill the table.
API_TOKENS_PER_USER = 20


def api_token_create(*, user: User, name: str, otp_verified: bool = False) -> tuple[ApiToken, str]:
    """Make a key for `user`. Returns the stored row (a digest only) and the plain key, which the
    caller shows once: it cannot be read back later. `otp_verified`: the key is made from a
    session that passed the second factor, so it may read case content (rcvs.accounts.otp)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("Geef de sleutel een naam, bijvoorbeeld de koppeling die hem gebruikt."),
                               code="invalid", extra={"fields": {"name": [_("Dit veld is verplicht.")]}})
    if len(name) > API_TOKEN_NAME_MAX:
        raise ApplicationError(
            _("De naam is te lang (hoogstens %(max)d tekens).") % {"max": API_TOKEN_NAME_MAX},
            code="invalid", extra={"fields": {"name": [_("Te lang.")]}})
    if not user.is_active:
        raise ApplicationError(_("Een gedeactiveerd account krijgt geen API-sleutel."), code="inactive")
    with transaction.atomic():
        # One user's keys are counted under a lock on the user, so two requests at once cannot
        # both take the last place.
        User.objects.select_for_update().filter(pk=user.pk).first()
        ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
        if ApiToken.objects.filter(user=user).count() >= API_TOKENS_PER_USER:
            raise Conflict(
                _("Je hebt al %(n)d geldige API-sleutels. Trek er eerst een in op de pagina API-sleutels.")
                % {"n": API_TOKENS_PER_USER}, code="too_many_tokens")
        token, plain = ApiToken.objects.create(user=user, name=name, otp_verified=otp_verified)
    log.info("API key %s made for user %s", token.token_key, user.pk)
    return token, plain


def api_token_revoke(*, user: User, public_id: str) -> ApiToken:
    """Revoke one of `user`'s own keys. Someone else's key is "not found", like any key that does
    not exist, so nobody learns which keys others have."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, public_id=public_id).first()
        if token is None:
            raise NotFound(_("Deze API-sleutel bestaat niet (meer)."), code="not_found")
        token.delete()
    log.info("API key %s revoked by its owner %s", token.token_key, user.pk)
    return token


def api_tokens_purge_expired(*, now: dt.datetime) -> int:
    """Delete keys that expired before `now`. They no longer authenticate (knox checks the
    expiry), but a digest that is kept for nothing is still a row to protect."""
    count, _ = ApiToken.objects.filter(expiry__lte=now).delete()
    if count:
        log.info("%d expired API key(s) deleted", count)
    return count


def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """End every key of `user` (password changed, account deactivated)."""
    count, _ = ApiToken.objects.filter(user=user).delete()
    if count:
        log.info("%d API key(s) of user %s revoked: %s", count, user.pk, reason)
    return count


def sessions_end_for(user: User) -> int:
    """Delete every stored session of `user` (on deactivation: an account that is switched back on
    later must not find its old sessions alive). Reads the database sessions one by one: fine for
    the few hundred staff sessions this system has at most."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0  # other engines expire on their own; ModelBackend refuses inactive users meanwhile
    ended = [s.pk for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
             if s.get_decoded().get(SESSION_KEY) == str(user.pk)]
    Session.objects.filter(pk__in=ended).delete()
    if ended:
        log.info("%d session(s) of user %s ended: account deactivated", len(ended), user.pk)
    return len(ended)
