"""API keys: stored as a digest only, shown once, expiring, revoked with the password and the
account, and listed and revoked by their owner only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from rcvs.accounts.models import ApiToken
from rcvs.accounts.services import API_TOKENS_PER_USER, api_token_create
from tests.conftest import PASSWORD

TOKEN = "/api/v1/auth/token/"
LOCATIONS = "/api/v1/locations/"
TOKENS_PAGE = reverse("accounts:api_tokens")
NEW_PASSWORD = "een-heel-ander-wachtwoord-42"


def api_with(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def obtain(username: str = "gemeente_a", name: str = "LCVS-koppeling") -> str:
    response = APIClient().post(TOKEN, {"username": username, "password": PASSWORD, "name": name}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def test_endpoint_answers_key_name_and_expiry(personas):
    before = timezone.now()
    response = APIClient().post(TOKEN, {"username": "gemeente_a", "password": PASSWORD, "name": "LCVS"},
                                format="json")
    body = response.json()
    assert set(body) == {"token", "name", "expires_at"}
    assert body["name"] == "LCVS"
    token = ApiToken.objects.get(user=personas.gemeente_a)
    ttl = dt.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert before + ttl <= token.expiry <= timezone.now() + ttl
    assert api_with(body["token"]).get(LOCATIONS).status_code == 200


def test_plain_key_is_in_no_column_of_the_database(personas):
    key = obtain()
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(t)::text FROM accounts_apitoken t")
        rows = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT coalesce(string_agg(post_data || get_data, ''), '') FROM axes_accessattempt")
        rows.append(cursor.fetchone()[0])
    assert len(rows) == 2 and rows[0]
    assert all(key not in row for row in rows)
    assert all(key[len("rcvs_"):] not in row for row in rows)  # not even without the prefix


def test_expired_key_is_refused_and_deleted(personas):
    key = obtain()
    ApiToken.objects.update(expiry=timezone.now() - dt.timedelta(seconds=1))
    response = api_with(key).get(LOCATIONS)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not ApiToken.objects.exists()


def test_last_use_is_recorded(personas):
    key = obtain()
    assert ApiToken.objects.get().last_used_at is None
    api_with(key).get(LOCATIONS)
    assert ApiToken.objects.get().last_used_at is not None


def test_password_change_on_the_page_revokes_keys(personas, client):
    key = obtain()
    other = api_token_create(user=personas.belteam, name="niet van gemeente_a")[1]
    client.force_login(personas.gemeente_a)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert api_with(key).get(LOCATIONS).status_code == 401
    assert not ApiToken.objects.filter(user=personas.gemeente_a).exists()
    assert api_with(other).get(LOCATIONS).status_code == 200  # someone else's key lives on


def test_password_set_by_a_beheerder_or_in_code_revokes_keys(personas):
    key = obtain()
    user = personas.gemeente_a
    user.set_password(NEW_PASSWORD)
    user.save()
    assert api_with(key).get(LOCATIONS).status_code == 401

    key = obtain("belteam")
    personas.belteam.set_unusable_password()
    personas.belteam.save()
    assert api_with(key).get(LOCATIONS).status_code == 401


def test_silent_rehash_at_login_keeps_keys(personas, client):
    """Django rehashes a password at login when the preferred hasher changed: the same password,
    so the user's integrations keep their keys."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher", "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=hashers):
        user = personas.gemeente_a
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        user.save()
        _, key = api_token_create(user=user, name="LCVS")  # not obtain(): that would rehash first
        assert client.post(reverse("login"), {"username": "gemeente_a", "password": PASSWORD}).status_code == 302
        user.refresh_from_db()
        assert user.password.startswith("md5$")  # it was rehashed
    assert api_with(key).get(LOCATIONS).status_code == 200


def test_deactivation_revokes_keys(personas):
    key = obtain()
    user = personas.gemeente_a
    user.is_active = False
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()
    user.is_active = True
    user.save()
    assert api_with(key).get(LOCATIONS).status_code == 401


def test_inactive_user_gets_no_key(personas):
    personas.gemeente_a.is_active = False
    personas.gemeente_a.save()
    response = APIClient().post(TOKEN, {"username": "gemeente_a", "password": PASSWORD}, format="json")
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


# --- the page ------------------------------------------------------------------------------------------------

def test_page_makes_a_key_and_shows_it_once(personas, client):
    client.force_login(personas.belteam)
    response = client.post(TOKENS_PAGE, {"name": "Rapportage"})
    assert response.status_code == 200
    key = response.context["new_key"]
    html = response.content.decode()
    assert key in html and "maar één keer" in html
    assert "no-store" in response["Cache-Control"]
    assert api_with(key).get(LOCATIONS).status_code == 200

    again = client.get(TOKENS_PAGE).content.decode()
    assert key not in again
    assert "Rapportage" in again and ApiToken.objects.get().token_key in again


def test_page_refuses_a_key_without_name(personas, client):
    client.force_login(personas.belteam)
    response = client.post(TOKENS_PAGE, {"name": "  "})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


def test_page_lists_only_own_keys_that_still_work(personas, client):
    api_token_create(user=personas.belteam, name="Mijn sleutel")
    old, _ = api_token_create(user=personas.belteam, name="Verlopen sleutel")
    ApiToken.objects.filter(pk=old.pk).update(expiry=timezone.now() - dt.timedelta(minutes=1))
    api_token_create(user=personas.coordinator, name="Sleutel van een collega")
    client.force_login(personas.belteam)
    html = client.get(TOKENS_PAGE).content.decode()
    assert "Mijn sleutel" in html
    assert "Verlopen sleutel" not in html
    assert "Sleutel van een collega" not in html


def test_owner_revokes_own_key(personas, client):
    token, key = api_token_create(user=personas.belteam, name="Weg ermee")
    client.force_login(personas.belteam)
    response = client.post(reverse("accounts:api_token_revoke", args=[token.public_id]))
    assert response.status_code == 302
    assert not ApiToken.objects.exists()
    assert api_with(key).get(LOCATIONS).status_code == 401


@pytest.mark.parametrize("intruder", ["outsider", "beheerder", "coordinator"])
def test_nobody_else_revokes_a_key(personas, intruder):
    token, key = api_token_create(user=personas.belteam, name="Van belteam")
    client = Client()
    client.force_login(getattr(personas, intruder))
    response = client.post(reverse("accounts:api_token_revoke", args=[token.public_id]))
    assert response.status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert "Van belteam" not in client.get(TOKENS_PAGE).content.decode()


def test_revoke_is_post_only_and_page_needs_login(personas, client):
    token, _ = api_token_create(user=personas.belteam, name="x")
    assert client.get(TOKENS_PAGE).status_code == 302
    assert client.post(reverse("accounts:api_token_revoke", args=[token.public_id])).status_code == 302
    client.force_login(personas.belteam)
    assert client.get(reverse("accounts:api_token_revoke", args=[token.public_id])).status_code == 405
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_database_refuses_a_key_that_never_expires(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(user=personas.belteam, name="eeuwig", expiry=None)


def test_user_menu_links_to_the_keys_page(personas, client):
    client.force_login(personas.gemeente_a)
    assert f'href="{TOKENS_PAGE}"' in client.get(reverse("locations:overview")).content.decode()


def test_at_most_twenty_live_keys_per_user_expired_ones_make_room(personas, client):
    for i in range(API_TOKENS_PER_USER):
        api_token_create(user=personas.belteam, name=f"k{i}")
    response = APIClient().post(TOKEN, {"username": "belteam", "password": PASSWORD}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "too_many_tokens"
    client.force_login(personas.belteam)
    page = client.post(TOKENS_PAGE, {"name": "nog een"})
    assert page.status_code == 400 and "Trek er eerst een in" in page.content.decode()
    assert ApiToken.objects.filter(user=personas.belteam).count() == API_TOKENS_PER_USER

    ApiToken.objects.filter(name="k0").update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert APIClient().post(TOKEN, {"username": "belteam", "password": PASSWORD}, format="json").status_code == 200
    assert not ApiToken.objects.filter(name="k0").exists()
