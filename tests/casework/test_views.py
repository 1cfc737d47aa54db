"""The case pages (/casussen/): access per role and per municipality on every page and POST, the
read log written before content is shown (part and channel "page"), break-glass with a reason,
the second factor, bad input (Dutch 400, nothing written), special-category text only for those
with the right, and constant query counts of dashboard and case page."""

from __future__ import annotations

import datetime as dt
import re
import uuid as uuid_mod

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework import services
from casework.models import (
    CaseAccess,
    CaseEntry,
    CaseShare,
    CaseStatus,
    Referral,
    ReferralStatus,
)
from tests.casework.conftest import category, open_case
from tests.otp import verified_login

pytestmark = pytest.mark.django_db

SPECIAL_TEXT = "Diagnose PTSS-geheimtekst"
PLAIN_TEXT = "Gesprek over de huisregels"


def _client(user) -> Client:
    return verified_login(Client(), user)


def _detail(case) -> str:
    return reverse("casework:case_detail", args=[case.uuid])


def _reads(case, **filters):
    return CaseAccess.objects.filter(case_id=case.pk, channel="page", **filters)


@pytest.fixture
def case(cw, personas):
    """A case in a special category owned by the coordinator, with a plain and a special entry."""
    c = open_case(user=personas.coordinator, household=cw.household, code="psychisch_trauma",
                  owner=personas.coordinator)
    services.case_assign(user=personas.coordinator, case=c, owner=personas.coordinator, co_workers=[cw.special])
    services.entry_add(user=personas.coordinator, case=c, kind="notitie", text=PLAIN_TEXT, special_category=False)
    services.entry_add(user=cw.special, case=c, kind="telefoongesprek", text=SPECIAL_TEXT, special_category=True)
    return c


def _share(case, user, by, *, include_special=False, until=None):
    return services.share_create(user=by, case=case, to_user=user, purpose="Afstemming onderwijs",
                                 until=until or timezone.localdate() + dt.timedelta(days=10),
                                 include_special=include_special)


# --- the case page per role ---------------------------------------------------------------------------

def test_owner_sees_plain_entries_but_not_special_ones_without_the_right(case, personas):
    response = _client(personas.coordinator).get(_detail(case))
    assert response.status_code == 200
    html = response.content.decode()
    assert PLAIN_TEXT in html and case.number in html
    assert SPECIAL_TEXT not in html
    assert "Bondarenko-Test" in html  # the household's main applicant: the case is about them
    # Logged before rendering: the case and the read-log list, not "special" (none was shown).
    parts = set(_reads(case, user_id=personas.coordinator.pk).values_list("part", flat=True))
    assert parts == {"case", "history"}


def test_coordinator_with_the_right_sees_special_entries_and_that_read_is_logged_as_such(case, cw):
    response = _client(cw.special).get(_detail(case))
    html = response.content.decode()
    assert response.status_code == 200
    assert SPECIAL_TEXT in html and "bijzonder persoonsgegeven" in html
    assert _reads(case, user_id=cw.special.pk, part="special", break_glass=False).count() == 1
    assert _reads(case, user_id=cw.special.pk, part="case").count() == 1


def test_mental_coach_outside_the_caseload_needs_a_reason_then_sees_special_entries(case, cw, personas):
    client = _client(cw.coach)
    response = client.get(_detail(case))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Reden om deze casus in te zien" in html
    assert PLAIN_TEXT not in html and SPECIAL_TEXT not in html and "Bondarenko" not in html
    assert not _reads(case, user_id=cw.coach.pk).exists()

    # An empty reason is refused: a Dutch message, nothing logged, nothing shown.
    response = client.post(_detail(case), {"reason": "  "})
    assert response.status_code == 400
    assert "Geef een reden" in response.content.decode()
    assert not _reads(case, user_id=cw.coach.pk).exists()

    response = client.post(_detail(case), {"reason": "Vervanging collega, acute melding"})
    assert response.status_code == 200
    assert SPECIAL_TEXT in response.content.decode()
    rows = _reads(case, user_id=cw.coach.pk)
    assert set(rows.values_list("part", flat=True)) == {"case", "special", "history"}
    assert all(r.break_glass and r.reason == "Vervanging collega, acute melding" for r in rows)

    # The owner's dashboard lists it.
    dashboard = _client(personas.coordinator).get(reverse("casework:dashboard")).content.decode()
    assert "Vervanging collega, acute melding" in dashboard and "coach" in dashboard


def test_coordinator_of_the_region_outside_the_caseload_is_break_glass_too(case, cw):
    response = _client(cw.colleague).get(_detail(case))
    assert response.status_code == 403 and PLAIN_TEXT not in response.content.decode()
    # And cannot write in the case without a reason either.
    response = _client(cw.colleague).post(reverse("casework:entry_add", args=[case.uuid]),
                                          {"kind": "notitie", "text": "Stiekem"})
    assert response.status_code == 403
    assert not CaseEntry.objects.filter(case=case, versions__text="Stiekem").exists()


@pytest.mark.parametrize("who", ["belteam", "bestuur", "beheerder", "outsider", "gemeente_a"])
def test_roles_without_case_access_get_404_and_nothing_is_logged(case, personas, who):
    client = _client(getattr(personas, who))
    for url in (_detail(case), reverse("casework:dashboard"), reverse("casework:case_new")):
        response = client.get(url)
        assert response.status_code == 404, url
        assert case.number not in response.content.decode()
    assert not CaseAccess.objects.exists()


def test_coordinator_of_another_region_gets_404_everywhere(case, cw):
    client = _client(cw.coordinator_zuid)
    assert client.get(_detail(case)).status_code == 404
    assert client.post(_detail(case), {"reason": "nieuwsgierig"}).status_code == 404
    for name in ("entry_add", "referral_add", "case_status", "case_close", "case_reopen", "case_assign",
                 "share_add", "case_follow_up"):
        response = client.post(reverse(f"casework:{name}", args=[case.uuid]), {"text": "x", "kind": "notitie"})
        assert response.status_code == 404, name
    assert not _reads(case).exists()
    # Their own dashboard does not list it, and a search does not find it.
    response = client.post(reverse("casework:dashboard"), {"name": "Bondarenko"})
    assert case.number not in response.content.decode()


@pytest.mark.parametrize("who", ["belteam", "bestuur", "beheerder"])
def test_roles_that_never_read_cases_get_404_not_an_invitation_to_set_up_a_second_factor(case, personas, who):
    client = Client()
    client.force_login(getattr(personas, who))  # a password-only session, as in real life for these roles
    for url in (_detail(case), reverse("casework:dashboard"), reverse("casework:case_new")):
        assert client.get(url).status_code == 404, url


def test_superuser_without_a_casework_role_sees_no_case(case, cw):
    assert _client(cw.superuser).get(_detail(case)).status_code == 404


def test_password_only_session_is_sent_to_the_second_factor_without_content(case, personas):
    client = Client()
    client.force_login(personas.coordinator)
    for url in (_detail(case), reverse("casework:dashboard"), reverse("casework:case_new")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/2fa/" in response["Location"], url
    response = client.post(reverse("casework:entry_add", args=[case.uuid]), {"kind": "notitie", "text": "x"})
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    assert not _reads(case).exists()
    assert CaseEntry.objects.filter(case=case).count() == 2


def test_anonymous_is_sent_to_login(case):
    response = Client().get(_detail(case))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- gemeente with a share -----------------------------------------------------------------------------

def test_gemeente_with_a_share_reads_the_case_without_special_entries_and_cannot_write(case, cw, personas):
    _share(case, personas.gemeente_a, cw.special)
    client = _client(personas.gemeente_a)
    response = client.get(_detail(case))
    html = response.content.decode()
    assert response.status_code == 200
    assert PLAIN_TEXT in html and SPECIAL_TEXT not in html
    assert "Wie heeft dit ingezien" not in html and "Aantekening toevoegen" not in html
    assert set(_reads(case, user_id=personas.gemeente_a.pk).values_list("part", flat=True)) == {"case"}
    # The dashboard lists the shared case.
    assert case.number in client.get(reverse("casework:dashboard")).content.decode()
    # Read-only: every write is refused, nothing written.
    response = client.post(reverse("casework:entry_add", args=[case.uuid]), {"kind": "notitie", "text": "Gemeente"})
    assert response.status_code == 403
    assert client.post(reverse("casework:case_close", args=[case.uuid]), {"reason": "opgelost"}).status_code == 403
    case.refresh_from_db()
    assert case.status != CaseStatus.CLOSED and CaseEntry.objects.filter(case=case).count() == 2


def test_gemeente_share_with_special_shows_special_entries_and_logs_it(case, cw, personas):
    _share(case, personas.gemeente_a, cw.special, include_special=True)
    response = _client(personas.gemeente_a).get(_detail(case))
    assert SPECIAL_TEXT in response.content.decode()
    assert _reads(case, user_id=personas.gemeente_a.pk, part="special").count() == 1


def test_other_municipality_expired_and_revoked_shares_open_nothing(case, cw, personas):
    share = _share(case, personas.gemeente_a, cw.special)
    CaseShare.objects.filter(pk=share.pk).update(until=timezone.localdate() - dt.timedelta(days=1))
    assert _client(personas.gemeente_a).get(_detail(case)).status_code == 404
    assert _client(personas.gemeente_b).get(_detail(case)).status_code == 404
    share = _share(case, personas.gemeente_a, cw.special)
    assert _client(personas.gemeente_a).get(_detail(case)).status_code == 200
    response = _client(personas.coordinator).post(reverse("casework:share_revoke", args=[case.uuid, share.uuid]))
    assert response.status_code == 302
    assert _client(personas.gemeente_a).get(_detail(case)).status_code == 404


# --- dashboard ---------------------------------------------------------------------------------------

def test_dashboard_lists_my_cases_follow_ups_and_unowned(cw, personas):
    today = timezone.localdate()
    mine = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator,
                     follow_up_on=today)
    overdue = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator)
    type(overdue).objects.filter(pk=overdue.pk).update(follow_up_on=today - dt.timedelta(days=3))
    unowned = open_case(user=personas.coordinator, household=cw.household)
    type(unowned).objects.filter(pk=unowned.pk).update(created_at=timezone.now() - dt.timedelta(hours=30))
    html = _client(personas.coordinator).get(reverse("casework:dashboard")).content.decode()
    for c in (mine, overdue, unowned):
        assert c.number in html
    overdue_section = html.split('id="h-overdue"')[1].split("</section>")[0]
    assert overdue.number in overdue_section and mine.number not in overdue_section
    due_section = html.split('id="h-due"')[1].split("</section>")[0]
    assert mine.number in due_section
    unowned_section = html.split('id="h-unowned"')[1].split("</section>")[0]
    assert unowned.number in unowned_section and mine.number not in unowned_section


def test_dashboard_filters_take_codes_and_ids(cw, personas, world):
    school = open_case(user=personas.coordinator, household=cw.household, code="schoolverzuim")
    nuisance = open_case(user=personas.coordinator, household=cw.household, code="overlast")
    client = _client(personas.coordinator)
    html = client.get(reverse("casework:dashboard"), {"category": "schoolverzuim"}).content.decode()
    listed = html.split('id="h-filter"')[1]
    assert school.number in listed and nuisance.number not in listed
    html = client.get(reverse("casework:dashboard"), {"municipality": world.mun_b.pk}).content.decode()
    assert school.number not in html.split('id="h-filter"')[1]
    html = client.get(reverse("casework:dashboard"), {"location": world.loc_a.pk, "status": "open"}).content.decode()
    assert school.number in html.split('id="h-filter"')[1]
    assert client.get(reverse("casework:dashboard"), {"status": "kwijt"}).status_code == 400


def test_search_by_resident_is_a_post_and_finds_their_cases(cw, personas):
    about_child = open_case(user=personas.coordinator, household=cw.household, subject=cw.child)
    client = _client(personas.coordinator)
    response = client.post(reverse("casework:dashboard"), {"name": "Sofiia", "date_of_birth": "30-09-2015"})
    assert response.status_code == 200 and about_child.number in response.content.decode()
    response = client.post(reverse("casework:dashboard"), {"date_of_birth": "31-02-2015"})
    assert response.status_code == 400 and "geldige datum" in response.content.decode()
    response = client.post(reverse("casework:dashboard"), {})
    assert response.status_code == 400 and "Vul een naam, geboortedatum of V-nummer in." in response.content.decode()


def test_no_form_of_the_pages_sends_personal_data_by_get(case, personas):
    html = _client(personas.coordinator).get(reverse("casework:dashboard")).content.decode()
    for form in re.findall(r"<form[^>]*>.*?</form>", html, re.S):
        if 'method="get"' in form:
            assert not re.search(r'name="(name|date_of_birth|v_number)"', form)


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_dashboard_and_case_page_queries_do_not_grow_with_cases_entries_and_referrals(cw, personas):
    client = _client(personas.coordinator)
    first = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator,
                      follow_up_on=timezone.localdate())
    services.entry_add(user=personas.coordinator, case=first, kind="notitie", text="Notitie")
    services.referral_create(user=personas.coordinator, case=first, to_kind="wijkteam", to_organisation="W")
    _client(cw.colleague).post(_detail(first), {"reason": "Waarneming"})
    client.get(reverse("casework:dashboard"))  # warm the session
    dashboard = reverse("casework:dashboard") + "?status=doorverwezen"
    small = (_page_queries(client, dashboard), _page_queries(client, _detail(first)))
    for i in range(5):
        c = open_case(user=personas.coordinator, household=cw.household, owner=personas.coordinator,
                      follow_up_on=timezone.localdate())
        services.entry_add(user=personas.coordinator, case=c, kind="notitie", text=f"Notitie {i}")
        services.referral_create(user=personas.coordinator, case=c, to_kind="wijkteam", to_organisation=f"W{i}")
        services.entry_add(user=personas.coordinator, case=first, kind="overleg", text=f"Overleg {i}")
        services.referral_create(user=personas.coordinator, case=first, to_kind="politie", to_organisation=f"P{i}")
        _client(cw.colleague).post(_detail(first), {"reason": f"Waarneming {i}"})  # break-glass rows too
    assert (_page_queries(client, dashboard), _page_queries(client, _detail(first))) == small


# --- a new case --------------------------------------------------------------------------------------

def test_new_case_from_a_placement_page(cw, personas):
    client = _client(personas.coordinator)
    url = reverse("casework:case_new")
    response = client.get(url, {"plaatsing": cw.placement.uuid})
    assert response.status_code == 200 and "Sofiia" in response.content.decode()
    response = client.post(url, {
        "huishouden": cw.household.uuid, "step": "create", "subject": str(cw.child.pk),
        "category": category("schoolverzuim").pk, "urgency": "high", "summary": "Schoolgang",
        "follow_up_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(), "owner": personas.coordinator.pk})
    assert response.status_code == 302
    created = cw.household.cases.get(summary="Schoolgang")
    assert created.subject == cw.child and created.owner == personas.coordinator and created.urgency == "high"
    assert response["Location"] == _detail(created)


def test_placement_page_links_to_a_new_case_for_casework_users_only(cw, personas):
    url = reverse("placements:placement_detail", args=[cw.placement.uuid])
    link = f"{reverse('casework:case_new')}?plaatsing={cw.placement.uuid}"
    assert link in _client(personas.coordinator).get(url).content.decode()
    belteam = _client(personas.belteam).get(url)
    assert belteam.status_code == 200 and link not in belteam.content.decode()


def test_new_case_by_resident_search(cw, personas):
    client = _client(personas.coordinator)
    response = client.post(reverse("casework:case_new"), {"v_number": "1234567890"})
    html = response.content.decode()
    assert response.status_code == 200 and "Iryna" in html
    assert f"?huishouden={cw.household.uuid}" in html


def test_new_case_refuses_a_follow_up_in_the_past_and_writes_nothing(cw, personas):
    response = _client(personas.coordinator).post(reverse("casework:case_new"), {
        "huishouden": cw.household.uuid, "step": "create", "subject": "household",
        "category": category("overlast").pk, "urgency": "normal", "summary": "Geluidsoverlast",
        "follow_up_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat()})
    assert response.status_code == 400
    assert "De opvolgdatum ligt in het verleden." in response.content.decode()
    assert not cw.household.cases.exists()


def test_new_case_for_a_household_of_another_region_is_404(cw, personas):
    client = _client(personas.coordinator)
    assert client.get(reverse("casework:case_new"), {"huishouden": cw.household_zuid.uuid}).status_code == 404
    assert client.get(reverse("casework:case_new"), {"plaatsing": cw.placement_zuid.uuid}).status_code == 404
    assert client.get(reverse("casework:case_new"), {"huishouden": "geen-uuid"}).status_code == 404
    response = client.post(reverse("casework:case_new"), {
        "huishouden": cw.household_zuid.uuid, "step": "create", "subject": "household",
        "category": category("overlast").pk, "urgency": "normal", "summary": "X"})
    assert response.status_code == 404 and not cw.household_zuid.cases.exists()


# --- actions on the case page ---------------------------------------------------------------------------

def _post(user, name, case, data, *extra):
    return _client(user).post(reverse(f"casework:{name}", args=[case.uuid, *extra]), data)


def test_add_entry_special_defaults_and_needs_legal_basis(cw, personas):
    c = open_case(user=cw.special, household=cw.household, code="middelengebruik", owner=cw.special)
    page = _client(cw.special).get(_detail(c)).content.decode()
    assert re.search(r'name="special_category"[^>]*checked', page)  # defaults from the category
    cw.basis.delete()
    response = _post(cw.special, "entry_add", c, {"kind": "notitie", "text": "Gebruik besproken",
                                                  "special_category": "on"})
    assert response.status_code == 400
    assert "geen grondslag" in response.content.decode()
    assert not CaseEntry.objects.filter(case=c).exists()


def test_add_entry_without_text_is_a_dutch_400(case, personas):
    response = _post(personas.coordinator, "entry_add", case, {"kind": "notitie", "text": ""})
    assert response.status_code == 400 and "Schrijf de aantekening." in response.content.decode()
    assert CaseEntry.objects.filter(case=case).count() == 2
    # The page shown again with the error shows the case: that read is logged too.
    assert PLAIN_TEXT in response.content.decode()
    assert _reads(case, user_id=personas.coordinator.pk, part="case").count() == 1


def test_coordinator_without_the_right_cannot_mark_an_entry_special(case, personas):
    page = _client(personas.coordinator).get(_detail(case)).content.decode()
    assert 'name="special_category"' not in page
    response = _post(personas.coordinator, "entry_add", case, {"kind": "notitie", "text": "Zonder recht",
                                                               "special_category": "on"})
    assert response.status_code == 302
    assert not CaseEntry.objects.get(versions__text="Zonder recht").special_category


def test_edit_entry_author_only_and_new_version_after_lock(case, personas, cw):
    entry = CaseEntry.objects.get(versions__text=PLAIN_TEXT)
    url = reverse("casework:entry_edit", args=[case.uuid, entry.uuid])
    assert _client(cw.special).get(url).status_code == 403  # not the author
    assert _client(cw.special).post(url, {"text": "Overschreven"}).status_code == 403
    CaseEntry.objects.filter(pk=entry.pk).update(locks_at=timezone.now() - dt.timedelta(minutes=1))
    client = _client(personas.coordinator)
    assert client.get(url).status_code == 200
    assert _reads(case, user_id=personas.coordinator.pk, part="case").exists()
    assert client.post(url, {"text": "Gecorrigeerd verslag"}).status_code == 302
    html = client.get(_detail(case)).content.decode()
    assert "gewijzigd (versie 2)" in html and "Gecorrigeerd verslag" in html
    assert PLAIN_TEXT in html  # the earlier version stays viewable
    assert entry.versions.count() == 2


def test_referral_to_nobody_is_refused(case, personas):
    for data in ({"to_kind": ""}, {"to_kind": "wijkteam", "to_organisation": ""}, {"to_kind": "mental_coach"}):
        response = _post(personas.coordinator, "referral_add", case, data)
        assert response.status_code == 400, data
        assert "Kies" in response.content.decode() or "Vul de organisatie in" in response.content.decode()
    assert not Referral.objects.filter(case=case).exists()


def test_referral_create_accept_complete_and_reject_with_reason(case, personas, cw):
    assert _post(personas.coordinator, "referral_add", case,
                 {"to_kind": "mental_coach", "to_user": cw.coach.pk, "note": "Graag gesprek"}).status_code == 302
    referral = Referral.objects.get(case=case)
    assert referral.to_user == cw.coach
    # The coach is now in the caseload: no break-glass needed.
    assert _client(cw.coach).get(_detail(case)).status_code == 200
    assert _post(cw.coach, "referral_accept", case, {}, referral.uuid).status_code == 302
    assert _post(cw.coach, "referral_complete", case, {}, referral.uuid).status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED

    _post(personas.coordinator, "referral_add", case, {"to_kind": "wijkteam", "to_organisation": "Wijkteam Oost"})
    other = Referral.objects.get(case=case, to_kind="wijkteam")
    response = _post(personas.coordinator, "referral_reject", case, {"reason": ""}, other.uuid)
    assert response.status_code == 400 and "Geef een reden voor de afwijzing." in response.content.decode()
    other.refresh_from_db()
    assert other.status == ReferralStatus.SENT
    assert _post(personas.coordinator, "referral_reject", case, {"reason": "Geen plek"}, other.uuid).status_code == 302
    other.refresh_from_db()
    assert other.status == ReferralStatus.REJECTED


def test_status_close_with_reason_and_reopen(case, personas):
    assert _post(personas.coordinator, "case_status", case, {"status": "in_behandeling"}).status_code == 302
    response = _post(personas.coordinator, "case_close", case, {"reason": ""})
    assert response.status_code == 400 and "Kies een reden" in response.content.decode()
    assert _post(personas.coordinator, "case_close", case, {"reason": "opgelost"}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.closed_reason == "opgelost"
    # Closed: no entry can be added (409, nothing written); reopen works.
    response = _post(personas.coordinator, "entry_add", case, {"kind": "notitie", "text": "Na afsluiten"})
    assert response.status_code == 409 and not CaseEntry.objects.filter(versions__text="Na afsluiten").exists()
    assert _post(personas.coordinator, "case_reopen", case, {}).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS


def test_follow_up_in_the_past_is_refused_on_the_case_page(case, personas):
    response = _post(personas.coordinator, "case_follow_up", case, {
        "follow_up_on": (timezone.localdate() - dt.timedelta(days=2)).isoformat(), "urgency": "normal"})
    assert response.status_code == 400 and "De opvolgdatum ligt in het verleden." in response.content.decode()
    case.refresh_from_db()
    assert case.follow_up_on is None


def test_assign_owner_and_co_workers_of_the_region_only(case, personas, cw):
    response = _post(personas.coordinator, "case_assign", case, {"owner": cw.colleague.pk,
                                                                  "co_workers": [cw.coach.pk]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == cw.colleague and list(case.co_workers.all()) == [cw.coach]
    response = _post(cw.colleague, "case_assign", case, {"owner": cw.coordinator_zuid.pk})
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.owner == cw.colleague


def test_share_needs_purpose_and_end_date(case, personas, cw):
    for data, message in (({"to_user": personas.gemeente_a.pk, "purpose": "", "until": "2099-01-01"},
                           "Geef het doel van het delen."),
                          ({"to_user": personas.gemeente_a.pk, "purpose": "Onderwijs", "until": ""},
                           "Geef aan tot wanneer de casus gedeeld wordt.")):
        response = _post(personas.coordinator, "share_add", case, data)
        assert response.status_code == 400 and message in response.content.decode()
    response = _post(personas.coordinator, "share_add", case, {"to_user": personas.gemeente_b.pk,
                                                               "purpose": "Onderwijs", "until": "2099-01-01"})
    assert response.status_code == 400  # not a user of the municipality where the household stays
    assert not CaseShare.objects.exists()
    response = _post(personas.coordinator, "share_add", case, {
        "to_user": personas.gemeente_a.pk, "purpose": "Onderwijs",
        "until": (timezone.localdate() + dt.timedelta(days=5)).isoformat(), "include_special": "on"})
    assert response.status_code == 302
    share = CaseShare.objects.get()
    assert not share.include_special  # a coordinator without the right cannot share special data


def test_read_log_lists_who_when_part_channel_and_break_glass(case, cw, personas):
    _client(cw.coach).post(_detail(case), {"reason": "Waarneming dienst"})
    html = _client(personas.coordinator).get(_detail(case)).content.decode()
    log = html.split('id="read-log"')[1].split("</table>")[0]
    assert "coach" in log and "Waarneming dienst" in log and "Pagina" in log and "Bijzondere persoonsgegevens" in log


def test_a_read_that_cannot_be_logged_shows_no_content(case, personas, monkeypatch):
    def refuse(**kwargs):
        raise services.ReadNotLogged("x", code="read_not_logged")

    monkeypatch.setattr(services, "case_log_read", refuse)
    response = _client(personas.coordinator).get(_detail(case))
    assert response.status_code == 503
    html = response.content.decode()
    assert PLAIN_TEXT not in html and case.summary not in html and "Bondarenko" not in html


def test_unknown_case_is_404(personas, cw):
    assert _client(personas.coordinator).get(reverse("casework:case_detail", args=[uuid_mod.uuid4()])).status_code == 404


def test_menu_shows_casuistiek_only_to_casework_users_and_shared_gemeente(case, cw, personas):
    menu = 'href="/casussen/"'
    assert menu in _client(personas.coordinator).get(reverse("locations:overview")).content.decode()
    assert menu not in _client(personas.belteam).get(reverse("locations:overview")).content.decode()
    assert menu not in _client(personas.gemeente_a).get(reverse("locations:overview")).content.decode()
    _share(case, personas.gemeente_a, cw.special)
    assert menu in _client(personas.gemeente_a).get(reverse("locations:overview")).content.decode()


def test_referral_note_and_close_note_only_for_those_who_may_see_special_data(case, cw, personas):
    services.referral_create(user=cw.special, case=case, to_kind="huisarts_ggz", to_organisation="GGZ Noord",
                             note="Verwijzing wegens PTSS-klachten")
    services.case_close(user=cw.special, case=case, reason="overgedragen", note="Behandeling GGZ gestart")
    owner_html = _client(personas.coordinator).get(_detail(case)).content.decode()
    assert "GGZ Noord" in owner_html
    assert "PTSS-klachten" not in owner_html and "Behandeling GGZ gestart" not in owner_html
    special_html = _client(cw.special).get(_detail(case)).content.decode()
    assert "PTSS-klachten" in special_html and "Behandeling GGZ gestart" in special_html


def _every_url(case):
    """Every case page and POST, with a body that would succeed for the owner."""
    entry = CaseEntry.objects.filter(case=case).order_by("pk").first()
    referral = services.referral_create(user=case.owner, case=case, to_kind="wijkteam", to_organisation="Wijkteam")
    share = CaseShare.objects.filter(case=case).first()
    until = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    urls = [
        ("get", reverse("casework:case_detail", args=[case.uuid]), {}),
        ("post", reverse("casework:case_detail", args=[case.uuid]), {"reason": "Waarneming"}),
        ("get", reverse("casework:entry_edit", args=[case.uuid, entry.uuid]), {}),
        ("post", reverse("casework:entry_edit", args=[case.uuid, entry.uuid]), {"text": "Overschreven"}),
        ("post", reverse("casework:entry_add", args=[case.uuid]), {"kind": "notitie", "text": "Erbij"}),
        ("post", reverse("casework:referral_add", args=[case.uuid]), {"to_kind": "politie", "to_organisation": "P"}),
        ("post", reverse("casework:referral_accept", args=[case.uuid, referral.uuid]), {}),
        ("post", reverse("casework:referral_reject", args=[case.uuid, referral.uuid]), {"reason": "Nee"}),
        ("post", reverse("casework:referral_complete", args=[case.uuid, referral.uuid]), {}),
        ("post", reverse("casework:case_status", args=[case.uuid]), {"status": "in_behandeling"}),
        ("post", reverse("casework:case_follow_up", args=[case.uuid]), {"follow_up_on": until, "urgency": "acute"}),
        ("post", reverse("casework:case_assign", args=[case.uuid]), {"owner": ""}),
        ("post", reverse("casework:share_add", args=[case.uuid]),
         {"to_user": share.user_id if share else "", "purpose": "Doel", "until": until}),
        ("post", reverse("casework:case_close", args=[case.uuid]), {"reason": "opgelost"}),
        ("post", reverse("casework:case_reopen", args=[case.uuid]), {}),
    ]
    if share:
        urls.append(("post", reverse("casework:share_revoke", args=[case.uuid, share.uuid]), {}))
    return urls


def _state(case):
    case.refresh_from_db()
    return (case.status, case.owner_id, case.follow_up_on, case.urgency,
            CaseEntry.objects.filter(case=case).count(), sorted(
                Referral.objects.filter(case=case).values_list("status", flat=True)),
            sorted(CaseShare.objects.filter(case=case).values_list("revoked_at", flat=True), key=str),
            sorted(CaseEntry.objects.filter(case=case).values_list("versions__text", flat=True)))


@pytest.mark.parametrize("who", ["belteam", "bestuur", "beheerder", "outsider", "gemeente_a", "gemeente_b",
                                 "coordinator_zuid", "coach_zuid"])
def test_every_page_and_post_is_404_outside_scope_and_writes_nothing(case, cw, personas, who):
    user = getattr(personas, who, None) or getattr(cw, who)
    urls = _every_url(case)
    before = _state(case)
    reads = CaseAccess.objects.count()
    client = _client(user)
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert case.summary not in response.content.decode()
    assert _state(case) == before
    assert CaseAccess.objects.count() == reads


def test_every_page_and_post_of_a_shared_case_is_read_only_for_the_gemeente(case, cw, personas):
    _share(case, personas.gemeente_a, cw.special)
    urls = _every_url(case)
    before = _state(case)
    client = _client(personas.gemeente_a)
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        if url == _detail(case):
            assert response.status_code == 200
        else:
            assert response.status_code in (403, 404), (method, url, response.status_code)
    assert _state(case) == before


def test_every_page_and_post_needs_the_second_factor(case, cw, personas):
    urls = _every_url(case)
    before = _state(case)
    reads = CaseAccess.objects.count()
    client = Client()
    client.force_login(personas.coordinator)
    for method, url, data in urls:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and "/accounts/2fa/" in response["Location"], (method, url)
    assert _state(case) == before and CaseAccess.objects.count() == reads


def test_entry_time_is_taken_from_the_form_and_not_in_the_future(case, personas):
    response = _post(personas.coordinator, "entry_add", case, {"kind": "huisbezoek", "text": "Bezoek",
                                                               "occurred_at": "2026-01-05T14:30"})
    assert response.status_code == 302
    entry = CaseEntry.objects.get(versions__text="Bezoek")
    assert timezone.localtime(entry.occurred_at).strftime("%d-%m-%Y %H:%M") == "05-01-2026 14:30"
    later = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = _post(personas.coordinator, "entry_add", case, {"kind": "notitie", "text": "Straks",
                                                               "occurred_at": later})
    assert response.status_code == 400 and "Het tijdstip ligt in de toekomst." in response.content.decode()
    assert not CaseEntry.objects.filter(versions__text="Straks").exists()


def test_an_author_outside_the_caseload_edits_only_after_a_break_glass_reason(case, cw, personas):
    entry = CaseEntry.objects.get(versions__text=SPECIAL_TEXT)  # written by cw.special, a co-worker
    services.case_assign(user=personas.coordinator, case=case, owner=personas.coordinator, co_workers=[])
    url = reverse("casework:entry_edit", args=[case.uuid, entry.uuid])
    client = _client(cw.special)
    response = client.post(url, {"text": "Aangepast"})
    assert response.status_code == 403 and "Reden om deze casus in te zien" in response.content.decode()
    assert client.get(url).status_code == 403
    assert not entry.versions.filter(text="Aangepast").exists()
    client.post(_detail(case), {"reason": "Eigen aantekening corrigeren"})
    assert client.post(url, {"text": "Aangepast"}).status_code == 302


def test_read_log_shows_one_line_per_view_with_its_parts_but_keeps_every_row(case, cw, personas):
    _client(cw.special).get(_detail(case))
    _client(personas.coordinator).get(_detail(case))
    html = _client(personas.coordinator).get(_detail(case)).content.decode()
    log = html.split('id="read-log"')[1].split("</table>")[0]
    body = log.split("<tbody>")[1]
    assert body.count("<tr>") == 3  # three views ...
    assert "Casus, Bijzondere persoonsgegevens, Wie heeft dit ingezien" in body
    assert _reads(case).count() == 7  # ... of 3 + 2 + 2 rows (the current view is listed too)


def test_the_dashboard_records_every_case_it_lists_as_the_api_does(case, cw, personas):
    client = _client(cw.colleague)  # a coordinator of the region, outside this case's caseload
    client.get(reverse("casework:dashboard"))
    assert not _reads(case).exists()  # not in their lists: nothing shown, nothing recorded
    response = client.get(reverse("casework:dashboard"), {"status": case.status})
    assert case.number in response.content.decode()
    assert list(_reads(case).values_list("part", "break_glass", "user_id")) == [("case", False, cw.colleague.pk)]
    client.post(reverse("casework:dashboard"), {"name": "Bondarenko-Test"})
    assert _reads(case).count() == 2


def test_a_dashboard_whose_list_cannot_be_recorded_shows_no_case(case, personas, monkeypatch):
    def refuse(**kwargs):
        raise services.ReadNotLogged("x", code="read_not_logged")

    monkeypatch.setattr(services, "case_log_reads", refuse)
    response = _client(personas.coordinator).get(reverse("casework:dashboard"))
    assert response.status_code == 503
    assert case.number not in response.content.decode() and case.summary not in response.content.decode()
