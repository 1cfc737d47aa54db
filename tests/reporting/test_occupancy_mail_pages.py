"""The occupancy mail's pages: the contacts per municipality (staff: their regions; a gemeente: its
own municipalities; everyone else 403; outside the scope 404), bad input (400, Dutch, nothing
written), the last mail's preview, and the contact's own unsubscribe link (no login, signed,
expiring, confirm before switching off)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from reporting.models import MailContact, MailContactEvent, OccupancyMailing
from reporting.occupancy_mail import (
    UNSUBSCRIBE_SALT,
    mail_contact_create,
    occupancy_mails_send,
    unsubscribe_token,
    unsubscribe_url,
)

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 30)


@pytest.fixture
def contacts(world, personas):
    def add(municipality, name, email):
        return mail_contact_create(user=personas.coordinator, municipality=municipality,
                                   data={"name": name, "email": email, "function": "beleidsadviseur"})

    return {
        "a": add(world.mun_a, "Anna Aadorp-Test", "anna@aadorp.example"),
        "b": add(world.mun_b, "Dirk Beekdal-Test", "dirk@beekdal.example"),
        "c": add(world.mun_c, "Zeger Zuid-Test", "zeger@zuid.example"),
    }


def _state(contact):
    contact.refresh_from_db()
    return (contact.name, contact.email, contact.function, contact.active)


# --- who may open what --------------------------------------------------------------------------


def test_staff_see_every_municipality_of_their_regions(contacts, personas, login):
    response = login(personas.coordinator).get(reverse("reporting:mail_contacts"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "anna@aadorp.example" in html and "dirk@beekdal.example" in html
    assert "zeger@zuid.example" not in html and "Cranendonck-Test" not in html
    assert reverse("reporting:mail_contacts") in login(personas.coordinator).get(reverse("reporting:index")).content.decode()


def test_a_gemeente_sees_only_its_own_municipality(contacts, personas, login):
    html = login(personas.gemeente_a).get(reverse("reporting:mail_contacts")).content.decode()
    assert "anna@aadorp.example" in html
    assert "dirk@beekdal.example" not in html and "Beekdal" not in html


def test_the_outsider_sees_only_its_own_region(contacts, personas, login):
    html = login(personas.outsider).get(reverse("reporting:mail_contacts")).content.decode()
    assert "zeger@zuid.example" in html
    assert "anna@aadorp.example" not in html and "Aadorp" not in html


@pytest.mark.parametrize("who", ["bestuur", "belteam"])
def test_roles_without_the_capability_are_refused_everywhere(contacts, personas, login, who):
    client = login(getattr(personas, who))
    a = contacts["a"]
    assert client.get(reverse("reporting:mail_contacts")).status_code == 403
    assert client.get(reverse("reporting:mail_contact_add", args=[a.municipality_id])).status_code == 403
    assert client.post(reverse("reporting:mail_contact_add", args=[a.municipality_id]),
                       {"name": "X", "email": "x@example.org"}).status_code == 403
    assert client.post(reverse("reporting:mail_contact_edit", args=[a.pk]),
                       {"name": "X", "email": "x@example.org"}).status_code == 403
    assert client.post(reverse("reporting:mail_contact_switch_off", args=[a.pk])).status_code == 403
    assert client.post(reverse("reporting:mail_contact_delete", args=[a.pk])).status_code == 403
    assert client.get(reverse("reporting:mail_preview", args=[a.municipality_id])).status_code == 403
    assert _state(a) == ("Anna Aadorp-Test", "anna@aadorp.example", "beleidsadviseur", True)
    assert MailContact.objects.count() == 3


def test_anonymous_is_sent_to_the_login_page(contacts, client):
    response = client.get(reverse("reporting:mail_contacts"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("who,target", [("gemeente_a", "b"), ("outsider", "a"), ("outsider", "b"),
                                        ("coordinator", "c"), ("gemeente_b", "a")])
def test_out_of_scope_is_a_404_and_changes_nothing(contacts, personas, login, who, target):
    client = login(getattr(personas, who))
    contact = contacts[target]
    before = _state(contact)
    events = MailContactEvent.objects.count()
    urls = [
        ("get", reverse("reporting:mail_contact_add", args=[contact.municipality_id]), {}),
        ("post", reverse("reporting:mail_contact_add", args=[contact.municipality_id]),
         {"name": "Indringer", "email": "indringer@example.org"}),
        ("get", reverse("reporting:mail_contact_edit", args=[contact.pk]), {}),
        ("post", reverse("reporting:mail_contact_edit", args=[contact.pk]),
         {"name": "Indringer", "email": "indringer@example.org"}),
        ("post", reverse("reporting:mail_contact_switch_off", args=[contact.pk]), {}),
        ("post", reverse("reporting:mail_contact_switch_on", args=[contact.pk]), {}),
        ("get", reverse("reporting:mail_contact_delete", args=[contact.pk]), {}),
        ("post", reverse("reporting:mail_contact_delete", args=[contact.pk]), {}),
        ("get", reverse("reporting:mail_preview", args=[contact.municipality_id]), {}),
    ]
    for method, url, data in urls:
        assert getattr(client, method)(url, data).status_code == 404, (method, url)
    assert _state(contact) == before
    assert MailContactEvent.objects.count() == events
    assert not MailContact.objects.filter(email="indringer@example.org").exists()


# --- managing contacts ---------------------------------------------------------------------------


def test_a_gemeente_manages_its_own_contacts(contacts, personas, login, world):
    client = login(personas.gemeente_a)
    response = client.post(reverse("reporting:mail_contact_add", args=[world.mun_a.pk]),
                           {"name": "Nieuw Aadorp-Test", "email": "nieuw@aadorp.example", "function": "teamleider"})
    assert response.status_code == 302 and response["Location"] == reverse("reporting:mail_contacts")
    new = MailContact.objects.get(email="nieuw@aadorp.example")
    assert (new.municipality, new.active, new.function) == (world.mun_a, True, "teamleider")
    assert MailContactEvent.objects.filter(contact=new, kind="created", user=personas.gemeente_a).exists()

    response = client.post(reverse("reporting:mail_contact_edit", args=[new.pk]),
                           {"name": "Nieuw Aadorp-Test", "email": "nieuw2@aadorp.example", "function": ""})
    assert response.status_code == 302
    assert _state(new) == ("Nieuw Aadorp-Test", "nieuw2@aadorp.example", "", True)

    assert client.post(reverse("reporting:mail_contact_switch_off", args=[new.pk])).status_code == 302
    new.refresh_from_db()
    assert (new.active, new.switched_off_by, new.switched_off_via) == (False, personas.gemeente_a, "staff")
    page = client.get(reverse("reporting:mail_contacts")).content.decode()
    assert "uitgezet" in page and "Weer aanzetten" in page
    assert client.post(reverse("reporting:mail_contact_switch_on", args=[new.pk])).status_code == 302
    new.refresh_from_db()
    assert (new.active, new.switched_off_at, new.switched_off_by, new.switched_off_via) == (True, None, None, "")
    kinds = list(MailContactEvent.objects.filter(contact_ref=new.pk).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["created", "changed", "switched_off", "switched_on"]


def test_delete_asks_first_and_keeps_the_history_without_the_address(contacts, personas, login):
    client = login(personas.coordinator)
    a = contacts["a"]
    confirm = client.get(reverse("reporting:mail_contact_delete", args=[a.pk]))
    assert confirm.status_code == 200 and "anna@aadorp.example" in confirm.content.decode()
    assert MailContact.objects.filter(pk=a.pk).exists()  # a GET removes nothing
    assert client.post(reverse("reporting:mail_contact_delete", args=[a.pk])).status_code == 302
    assert not MailContact.objects.filter(pk=a.pk).exists()
    deleted = MailContactEvent.objects.get(contact_ref=a.pk, kind="deleted")
    assert (deleted.contact, deleted.user, deleted.municipality_id) == (None, personas.coordinator, a.municipality_id)
    assert MailContactEvent.objects.filter(contact_ref=a.pk).count() == 2  # created, deleted


def test_bad_input_is_a_400_in_dutch_and_writes_nothing(contacts, personas, login, world):
    client = login(personas.coordinator)
    events = MailContactEvent.objects.count()
    duplicate = client.post(reverse("reporting:mail_contact_add", args=[world.mun_a.pk]),
                            {"name": "Dubbel", "email": "Anna@Aadorp.example"})
    assert duplicate.status_code == 400
    assert "Dit e-mailadres staat al bij deze gemeente." in duplicate.content.decode()
    invalid = client.post(reverse("reporting:mail_contact_add", args=[world.mun_a.pk]),
                          {"name": "", "email": "geen-adres"})
    assert invalid.status_code == 400
    html = invalid.content.decode()
    assert "Voer een geldig e-mailadres in." in html and "Dit veld is vereist." in html
    b = contacts["b"]
    mail_contact_create(user=personas.coordinator, municipality=world.mun_b,
                        data={"name": "Tweede", "email": "tweede@beekdal.example", "function": ""})
    events += 1
    clash = client.post(reverse("reporting:mail_contact_edit", args=[b.pk]),
                        {"name": "Dirk", "email": "TWEEDE@beekdal.example"})
    assert clash.status_code == 400 and "Dit e-mailadres staat al bij deze gemeente." in clash.content.decode()
    assert _state(b) == ("Dirk Beekdal-Test", "dirk@beekdal.example", "beleidsadviseur", True)
    assert MailContact.objects.filter(municipality=world.mun_a).count() == 1
    assert MailContactEvent.objects.count() == events


def test_the_list_page_uses_a_fixed_number_of_queries(world, personas, login, django_assert_max_num_queries):
    from tests.factories import MunicipalityFactory

    for n in range(8):
        municipality = MunicipalityFactory(region=world.noord, name=f"Extra gemeente {n}")
        for k in range(3):
            mail_contact_create(user=None, municipality=municipality,
                                data={"name": f"C{n}-{k}", "email": f"c{n}-{k}@example.org", "function": ""})
    client = login(personas.coordinator)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reporting:mail_contacts"))
    assert response.content.decode().count("Bewerken") == 24


def test_preview_shows_the_last_mail_as_sent(contacts, personas, login, monkeypatch, world):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: MONDAY)
    occupancy_mails_send(as_of=MONDAY)
    mailing = OccupancyMailing.objects.get(municipality=world.mun_a)
    response = login(personas.gemeente_a).get(reverse("reporting:mail_preview", args=[world.mun_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bezetting van de opvang in Aadorp op 30-11-2026" in html and "Het Anker" in html
    assert f'<td class="num">{mailing.realised}</td>' in html
    list_page = login(personas.gemeente_a).get(reverse("reporting:mail_contacts")).content.decode()
    assert "Laatste mail: 30-11-2026." in list_page
    empty = login(personas.coordinator).get(reverse("reporting:mail_preview", args=[world.mun_b.pk]))
    assert empty.status_code == 200  # Beekdal had a mail too
    none_yet = login(personas.outsider).get(reverse("reporting:mail_preview", args=[world.mun_c.pk]))
    assert none_yet.status_code == 200


# --- the unsubscribe link -----------------------------------------------------------------------------


def _unsubscribe_path(contact):
    return reverse("reporting:mail_unsubscribe", kwargs={"token": unsubscribe_token(contact)})


def test_unsubscribe_needs_no_login_and_asks_before_it_switches_off(contacts, client):
    a = contacts["a"]
    path = _unsubscribe_path(a)
    assert "anna" not in path.lower() and "aadorp" not in path.lower()
    # Nothing but the id and a keyed tag of the address (not the address, nor a plain hash of it).
    contact_id, tag = signing.loads(path.rstrip("/").rsplit("/", 1)[1], salt=UNSUBSCRIBE_SALT)
    assert contact_id == a.pk and len(tag) == 16 and a.email.lower() not in tag
    assert tag != hashlib.sha256(a.email.lower().encode()).hexdigest()[:16]
    page = client.get(path)
    assert page.status_code == 200 and "Wilt u de dagelijkse bezettingsmail van Aadorp niet meer ontvangen?" in (
        page.content.decode())
    a.refresh_from_db()
    assert a.active  # a mail scanner following the link switches nobody off
    done = client.post(path)
    assert done.status_code == 200
    assert "U bent afgemeld: u ontvangt de bezettingsmail van Aadorp niet meer." in done.content.decode()
    a.refresh_from_db()
    assert (a.active, a.switched_off_via, a.switched_off_by) == (False, "link", None)
    event = MailContactEvent.objects.get(contact=a, kind="switched_off")
    assert (event.via, event.user) == ("link", None)
    again = client.post(path)
    assert again.status_code == 200 and "niet (meer)" in again.content.decode()
    assert MailContactEvent.objects.filter(contact=a, kind="switched_off").count() == 1


def test_the_mail_carries_the_link_to_the_site(contacts, settings):
    settings.OCCUPANCY_MAIL_SITE_URL = "https://rcvs.example.org"
    url = unsubscribe_url(contacts["a"])
    assert url.startswith("https://rcvs.example.org/rapportage/bezettingsmail/afmelden/")


def test_a_tampered_token_is_refused_with_a_clear_message(contacts, client):
    a = contacts["a"]
    token = unsubscribe_token(a)
    forged_id = signing.dumps(contacts["b"].pk, salt=UNSUBSCRIBE_SALT).split(":")[0]
    tampered = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature changed
        forged_id + token[token.index(":"):],  # another contact's id under this signature
        signing.dumps(a.pk),  # signed, but not for this purpose (another salt)
        signing.dumps("anna@aadorp.example", salt=UNSUBSCRIBE_SALT),  # not an id
        "zomaar-iets",
    ]
    for bad in tampered:
        path = reverse("reporting:mail_unsubscribe", kwargs={"token": bad})
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 400, bad
            html = response.content.decode()
            assert "Deze afmeldlink is ongeldig." in html or "ongeldig" in html, bad
    for contact in contacts.values():
        contact.refresh_from_db()
        assert contact.active


def test_an_expired_token_is_refused_with_a_clear_message(contacts, client, settings, monkeypatch):
    settings.OCCUPANCY_MAIL_UNSUBSCRIBE_DAYS = 7
    a = contacts["a"]
    path = _unsubscribe_path(a)
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 6 * 86400)
    assert client.get(path).status_code == 200  # within the week
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + 8 * 86400)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert response.status_code == 400
        assert "Deze afmeldlink is verlopen." in response.content.decode()
    a.refresh_from_db()
    assert a.active


def test_the_link_of_a_removed_contact_says_there_is_nothing_to_do(contacts, client, personas):
    from reporting.occupancy_mail import mail_contact_delete

    path = _unsubscribe_path(contacts["a"])
    mail_contact_delete(user=personas.coordinator, contact=contacts["a"])
    response = client.post(path)
    assert response.status_code == 200 and "niet (meer)" in response.content.decode()
