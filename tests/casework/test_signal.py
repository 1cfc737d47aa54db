"""SIGNAL share: the anonymiser never lets a member's name or date of birth through (property
tests over random names in Latin and Ukrainian Cyrillic, hyphenated, and random texts and date
formats), the draft has what the group needs and nothing more, and the page refuses a text with
something identifying left, logs every read and the share, and shows nothing outside scope."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.models import AccessChannel, AccessPart, CaseAccess, CaseShare, SignalShare
from casework.services import share_create
from casework.signal import (
    PARTICLES,
    PLACEHOLDER,
    SUBSTRING_MIN,
    Terms,
    build_draft,
    scrub,
    scrub_terms,
    signal_draft,
)
from placements.models import HouseholdMember
from tests.casework.conftest import open_case
from tests.otp import verified_login

LATIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéëïöüçñÉÖ"
CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ"
LETTERS = LATIN + CYRILLIC
DUTCH_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
                "oktober", "november", "december")

name_part = st.text(alphabet=LETTERS, min_size=2, max_size=12).filter(lambda p: p.casefold() not in PARTICLES)
# "Bondarenko" or "Bondarenko-Kovalenko": hyphenated names, each part removed on its own too.
name = st.lists(name_part, min_size=1, max_size=2).map("-".join)
birth_date = st.dates(min_value=dt.date(1920, 1, 1), max_value=dt.date(2026, 12, 31))
filler = st.text(alphabet=LETTERS + "0123456789 .,;:!?()-/'", max_size=15)
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y", "%Y-%m-%d", "%d%m%Y", "%d-%m-%y", "%Y/%m/%d")


def formats_of(day: dt.date) -> list[str]:
    """The date of birth as people write it."""
    out = [day.strftime(f) for f in DATE_FORMATS]
    out += [f"{day.day}-{day.month}-{day.year}", f"{day.day} {DUTCH_MONTHS[day.month - 1]} {day.year}",
            f"{day.day} {DUTCH_MONTHS[day.month - 1][:3]} {day.year}", f"{day.strftime('%B')} {day.day}, {day.year}"]
    return out


def variants(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text.upper(), text.lower(), text.title(), text + "'s", text + "s"])


@st.composite
def household_text(draw: st.DrawFn) -> tuple[list[str], list[dt.date], str]:
    names = draw(st.lists(name, min_size=1, max_size=4))
    dobs = draw(st.lists(birth_date, min_size=1, max_size=3))
    pieces: list[str] = []
    for _ in range(draw(st.integers(1, 8))):
        pieces.append(draw(filler))
        pick = draw(st.integers(0, 3))
        if pick == 0:
            pieces.append(draw(variants(draw(st.sampled_from(names)))))
        elif pick == 1:  # one part of a hyphenated name, or first and last name together
            pieces.append(draw(variants(draw(st.sampled_from(names)).split("-")[-1])))
            pieces.append(draw(st.sampled_from(names)))
        elif pick == 2:
            pieces.append(draw(st.sampled_from(formats_of(draw(st.sampled_from(dobs))))))
    return names, dobs, " ".join(pieces)


def assert_clean(text: str, names: list[str], dobs: list[dt.date]) -> None:
    folded = text.casefold()
    for full in names:
        for part in full.split("-"):
            if len(part) >= SUBSTRING_MIN:
                assert part.casefold() not in folded, (part, text)
            else:  # short parts only count as a word of their own
                assert not re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text, re.IGNORECASE), (part, text)
    for day in dobs:
        for written in formats_of(day):
            assert written.casefold() not in folded, (written, text)


# --- the anonymiser, without the database -------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(household_text())
def test_scrub_never_leaks_a_name_or_date_of_birth(sample):
    names, dobs, text = sample
    out, findings = scrub_terms(text, Terms(names=tuple(names), dates_of_birth=tuple(dobs)))
    assert_clean(out, names, dobs)
    # What was removed is counted, and a second pass finds nothing left (so the page's own
    # draft passes the server's check unchanged).
    assert (PLACEHOLDER in out) == bool(findings)
    again, second = scrub_terms(out, Terms(names=tuple(names), dates_of_birth=tuple(dobs)))
    assert not second and again == out


@pytest.mark.parametrize(("text", "kind"), [
    ("bel 06-12345678", "phone"), ("bel +31 6 1234 5678", "phone"), ("+380 67 123 45 67", "phone"),
    ("tel. (0)592-123456", "phone"), ("V-nummer 1234567890", "v_number"), ("BSN 123456782", "bsn"),
    ("BSN 1234.56.782", "bsn"), ("mail naar test.persoon@example.org", "email"), ("postcode 9401 AB", "postcode"),
    ("9401ab", "postcode"), ("woont Kerkstraat 12a", "address"), ("kamer 1.07", "room"), ("chalet 07", "room"),
    ("zie www.example.org/profiel", "url"), ("op 3 maart", "date"), ("op 03-03-2025", "date"),
    ("sinds 2025-03-03", "date"), ("17 травня 1988", "date"), ("casus 2026-0042", "case_number"),
])
def test_scrub_recognises_identifiers(text, kind):
    out, findings = scrub_terms(text, Terms())
    assert findings.counts == {kind: 1}, (out, findings.counts)
    assert PLACEHOLDER in out


@pytest.mark.parametrize("text", [
    "Zij vraagt hulp bij schoolkeuze voor 2 kinderen van 8 en 11 jaar.",
    "In 2024 is het gezin 3 keer verhuisd; 18–64 jaar: 1 vrouw.",
    "Ongeveer 150 euro per maand, 1,5 uur reizen.",
])
def test_scrub_leaves_ordinary_text_alone(text):
    out, findings = scrub_terms(text, Terms(names=("Iryna", "Bondarenko-Test")))
    assert out == text and not findings


def test_findings_read_as_dutch_counts():
    _out, findings = scrub_terms("Iryna en Taras Bondarenko, geboren 17-05-1988 en 3-2-1986",
                                 Terms(names=("Iryna", "Taras", "Bondarenko")))
    assert findings.summary() == "2 namen, 2 data"
    assert scrub_terms("Iryna 06-12345678", Terms(names=("Iryna",)))[1].summary() == "1 naam, 1 telefoonnummer"


# --- with the case: household, region, locations ------------------------------------------------

@pytest.fixture
def case(cw, personas):
    return open_case(user=personas.coordinator, household=cw.household, code="psychisch_trauma",
                     owner=personas.coordinator, subject=cw.child)


def test_scrub_knows_the_case_household_and_region(case, world):
    text = ("Iryna BONDARENKO-TEST (17-05-1988) en Sofiia (30 september 2015) uit Het Anker in Aadorp, "
            "Stationsstraat 1, kamer A4; ook in De Beuk (Beekdal) gezien; V 1234567890; casus " + case.number)
    out, findings = scrub(text, case=case)
    for word in ("Iryna", "Bondarenko", "Sofiia", "Anker", "Aadorp", "Beuk", "Beekdal", "Stationsstraat",
                 "1988", "2015", "1234567890", case.number):
        assert word.casefold() not in out.casefold(), word
    assert findings.counts["name"] == 2 and findings.counts["date"] == 2 and findings.counts["location"] == 4
    # Another region's locations are not this case's business (and not removed).
    assert scrub("De Cirkel", case=case)[0] == "De Cirkel"


def test_draft_has_category_age_bands_sexes_region_and_help(case, world):
    draft = signal_draft(case=case, help_asked="Zoekt traumabehandeling voor het kind, liefst in het Oekraïens.")
    assert "SIGNAL-melding uit regio Regio Noord" in draft
    assert "Huishouden: 3 personen" in draft
    assert "18–64 jaar: 1 vrouw/meisje, 1 man/jongen" in draft
    assert "4–11 jaar: 1 vrouw/meisje" in draft
    assert "Betreft: één bewoner (4–11 jaar, vrouw)" in draft
    assert "Zoekt traumabehandeling voor het kind" in draft
    for word in ("Iryna", "Taras", "Sofiia", "Bondarenko", "Aadorp", "Het Anker", "1988", "1234567890", "A4"):
        assert word not in draft, word
    assert case.category.name in draft


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(name, name), min_size=3, max_size=3), dobs=st.lists(birth_date, min_size=3, max_size=3),
       help_text=household_text())
def test_draft_and_scrub_never_leak_random_household_names(case, names, dobs, help_text):
    """The real path: members with random names and dates of birth, a help text that mentions them
    (and other names) in several date formats."""
    members = list(HouseholdMember.objects.filter(request=case.household).order_by("position"))
    for member, (first, last), dob in zip(members, names, dobs, strict=True):
        member.first_name, member.last_name, member.date_of_birth = first, last, dob
    HouseholdMember.objects.bulk_update(members, ["first_name", "last_name", "date_of_birth"])
    all_names = [n for pair in names for n in pair]
    extra_names, extra_dobs, text = help_text
    mentioned = f"{text} {names[0][0]} {names[1][1]} {dobs[2]:%d-%m-%Y} {dobs[0]:%d/%m/%Y}"
    draft, _findings = build_draft(case=case, help_asked=mentioned)
    assert_clean(draft, all_names, dobs)
    out, _findings = scrub(mentioned, case=case)
    assert_clean(out, all_names, dobs)


# --- the pages ----------------------------------------------------------------------------------

def url(case):
    return reverse("casework:signal_share", kwargs={"uuid": case.uuid})


def signal_reads(case, user):
    return CaseAccess.objects.filter(case_id=case.pk, user_id=user.pk, part=AccessPart.SIGNAL,
                                     channel=AccessChannel.PAGE).count()


def test_page_logs_the_read_and_drafts_without_names(client, case, personas):
    verified_login(client, personas.coordinator)
    response = client.get(url(case))
    assert response.status_code == 200
    assert signal_reads(case, personas.coordinator) == 1
    response = client.post(url(case), {"step": "draft", "help_asked": "Iryna zoekt hulp, bel 06-12345678."})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Iryna" not in body and "12345678" not in body
    assert "1 naam" in body and "1 telefoonnummer" in body
    assert 'name="text"' in body and "Huishouden: 3 personen" in body
    assert signal_reads(case, personas.coordinator) == 2
    assert not SignalShare.objects.exists()


def test_share_refused_while_a_name_is_left_in(client, case, personas):
    verified_login(client, personas.coordinator)
    response = client.post(url(case), {"step": "share", "text": "Regio Noord. Hulp voor Taras, geboren 3-2-1986."})
    assert response.status_code == 400
    body = response.content.decode()
    assert "De tekst bevat nog herleidbare gegevens: 1 naam, 1 datum" in body
    assert "Taras" not in body and "1986" not in body  # the textarea gets the scrubbed text back
    assert not SignalShare.objects.exists()


@pytest.mark.parametrize("text", ["Hulp voor TARAS.", "Zie bondarenko-test.", "Geboren 17 mei 1988.",
                                  "Woont in Het Anker.", "V-nummer 1234567890."])
def test_share_refused_for_each_kind(client, case, personas, text):
    verified_login(client, personas.coordinator)
    assert client.post(url(case), {"step": "share", "text": text}).status_code == 400
    assert not SignalShare.objects.exists()


def test_share_is_stored_logged_and_shown_for_copying(client, case, personas):
    verified_login(client, personas.coordinator)
    draft = client.post(url(case), {"step": "draft", "help_asked": "Traumazorg gezocht voor het kind."})
    text = draft.context["text_form"].initial["text"] + "\nGraag contact via de coördinator."
    response = client.post(url(case), {"step": "share", "text": text})
    share = SignalShare.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:signal_done", kwargs={"uuid": case.uuid, "share_uuid": share.uuid})
    assert share.case == case and share.created_by == personas.coordinator and share.text == text.strip()
    done = client.get(response["Location"])
    body = done.content.decode()
    assert done.status_code == 200 and "Graag contact via de coördinator." in body
    assert 'data-copy="signal-text"' in body and "js/copy.js" in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)  # CSP: no inline scripts
    assert signal_reads(case, personas.coordinator) == 3  # the draft, the share and the final page


def test_outsiders_get_404(client, case, personas, cw):
    done_share = SignalShare.objects.create(case=case, text="Regio Noord", created_by=personas.coordinator)
    done = reverse("casework:signal_done", kwargs={"uuid": case.uuid, "share_uuid": done_share.uuid})
    for user in (personas.outsider, cw.coordinator_zuid, cw.coach_zuid, personas.belteam, personas.bestuur,
                 personas.beheerder):
        verified_login(client, user)
        assert client.get(url(case)).status_code == 404, user
        assert client.post(url(case), {"step": "share", "text": "Regio Noord"}).status_code == 404, user
        assert client.get(done).status_code == 404, user
        assert signal_reads(case, user) == 0
    assert SignalShare.objects.count() == 1


def test_gemeente_with_a_share_cannot_share_with_signal(client, case, personas, cw):
    share_create(user=personas.coordinator, case=case, to_user=personas.gemeente_a, purpose="Schoolkeuze",
                 until=dt.date.today() + dt.timedelta(days=10))
    assert CaseShare.objects.filter(user=personas.gemeente_a).exists()
    verified_login(client, personas.gemeente_a)
    assert client.get(url(case)).status_code == 404
    assert client.post(url(case), {"step": "share", "text": "Regio Noord"}).status_code == 404
    assert not SignalShare.objects.exists()


def test_password_only_session_gets_no_content(client, case, personas):
    client.force_login(personas.coordinator)
    response = client.get(url(case))
    assert response.status_code == 302 and "/accounts/2fa/" in response["Location"]
    assert client.post(url(case), {"step": "share", "text": "Regio Noord"}).status_code == 302
    assert signal_reads(case, personas.coordinator) == 0 and not SignalShare.objects.exists()


def test_outside_the_caseload_asks_for_a_reason_first(client, case, cw):
    verified_login(client, cw.colleague)
    response = client.get(url(case))
    assert response.status_code == 403
    assert "Huishouden" not in response.content.decode()
    assert signal_reads(case, cw.colleague) == 0


@pytest.mark.parametrize("written", ["17 5 1988", "1988 05 17", "17 - 05 - 1988", "5/17/1988", "17 mei '88"])
def test_scrub_removes_the_date_of_birth_in_any_order_and_separator(written):
    out, findings = scrub_terms(f"geboren {written} in Kyiv", Terms(dates_of_birth=(dt.date(1988, 5, 17),)))
    assert out == f"geboren {PLACEHOLDER} in Kyiv" and findings.counts == {"date": 1}


@pytest.mark.parametrize(("registered", "written"), [
    (("Iryna", "Bondarenko-Test"), "Ірина Бондаренко"), (("Sofiia",), "Софія"),
    (("Олена", "Коваленко"), "Olena Kovalenko"), (("Yurii",), "Юрій"), (("Kovalenko",), "KOVALÉNKO"),
])
def test_scrub_matches_names_across_scripts_and_accents(registered, written):
    out, findings = scrub_terms(f"Gesprek met {written} gehad.", Terms(names=registered))
    assert out == f"Gesprek met {PLACEHOLDER} gehad." and findings.counts == {"name": 1}


def test_the_case_page_links_to_the_signal_page(client, case, personas):
    verified_login(client, personas.coordinator)
    body = client.get(reverse("casework:case_detail", kwargs={"uuid": case.uuid})).content.decode()
    assert f'href="{url(case)}"' in body


def test_a_shared_text_keeps_its_lines_as_the_page_showed_them(client, case, personas):
    verified_login(client, personas.coordinator)
    client.post(url(case), {"step": "share", "text": "Regio Noord\r\nHulpvraag: traumazorg"})
    assert SignalShare.objects.get().text == "Regio Noord\nHulpvraag: traumazorg"
