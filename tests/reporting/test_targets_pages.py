"""Targets (issue 8, point 5): the split (default and edited), realised against target from the
snapshots, and the targets, normbedrag and compensation pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from locations.models import Municipality
from rcvs.errors import ApplicationError
from reporting.models import TargetInputs
from reporting.targets import target_progress
from tests.reporting.snapshot_helpers import make_snapshot

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def inputs_2026(world):
    """Hand calculation of the target of Noord for 2026:
    Iv = 60,000 + 40,000 = 100,000;  In = 18,000,000      → Iv/In = 1/180
    Gv = 120 + 80 = 200 km²;          Gn = 36,000 km²      → Gv/Gn = 1/180
    mean = 1/180;  On − 50,000 = 90,000 − 50,000 = 40,000  → 40,000/180 = 222.22…
    Ov = 2,000 + 222.22… = 2,222.22… → 2,222 places.
    Split by population 60 : 40 → Aadorp 1,333.2 → 1,333, Beekdal 888.8 → 889 (largest remainder)."""
    for mun, population, area in ((world.mun_a, 60_000, D("120.00")), (world.mun_b, 40_000, D("80.00"))):
        mun.population, mun.population_year, mun.land_area_km2 = population, 2025, area
        mun.save()
    return TargetInputs.objects.create(year=2026, national_places_asked=90_000, national_population=18_000_000,
                                       national_land_area_km2=D("36000.00"), source_note="CBS 1-1-2025 (test)")


@pytest.fixture
def snapshot_march(world):
    # The snapshot on or before 15 March counts (the later one does not).
    make_snapshot(world.noord, dt.date(2026, 3, 1), {("GM9001", "Aadorp"): [100], ("GM9002", "Beekdal"): [50]})
    make_snapshot(world.noord, dt.date(2026, 3, 10), {("GM9001", "Aadorp"): [600, 400],
                                                      ("GM9002", "Beekdal"): [889]})
    make_snapshot(world.noord, dt.date(2026, 3, 20), {("GM9001", "Aadorp"): [5000]})
    make_snapshot(world.zuid, dt.date(2026, 3, 10), {("GM9003", "Cranendonck-Test"): [77]})


def test_target_progress_against_a_hand_calculation(world, inputs_2026, snapshot_march,
                                                    django_assert_max_num_queries):
    with django_assert_max_num_queries(12):  # + the dated population table, per selector
        progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert progress.missing == []
    assert progress.snapshot_as_of == dt.date(2026, 3, 10)
    assert progress.region_target.places == 2222
    rows = [(r.cbs_code, r.municipality_name, r.target, r.realised, r.difference, r.percentage)
            for r in progress.rows]
    # Aadorp: 1,000 realised of 1,333 → −333, 75.0 % (1000/1333 = 75.018…);
    # Beekdal: 889 of 889 → 0, 100.0 %.
    assert rows == [("GM9001", "Aadorp", 1333, 1000, -333, D("75.0")),
                    ("GM9002", "Beekdal", 889, 889, 0, D("100.0"))]
    # Total: 1,889 of 2,222 → −333, 85.0 % (1889/2222 = 85.013…).
    total = progress.total
    assert (total.target, total.realised, total.difference, total.percentage) == (2222, 1889, -333, D("85.0"))
    assert progress.edited is False


def test_target_progress_says_what_is_missing_and_shows_no_number(world, snapshot_march):
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert progress.missing == ["Er is geen invoer voor de verdeelsleutel van 2026."]
    assert [r.target for r in progress.rows] == [None, None]
    assert [r.realised for r in progress.rows] == [1000, 889]
    assert progress.total.target is None and progress.total.percentage is None


def test_target_progress_names_a_municipality_without_population_of_the_year_before(world, inputs_2026,
                                                                                      snapshot_march):
    # Only figures of 2024 were ever recorded for Beekdal (no 2025 version in its history either).
    Municipality.objects.filter(pk=world.mun_b.pk).update(population_year=2024)
    Municipality.history.filter(id=world.mun_b.pk).update(population_year=2024)
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert len(progress.missing) == 1 and "Beekdal" in progress.missing[0] and "2025" in progress.missing[0]
    assert progress.total.target is None


def test_target_progress_without_a_snapshot(world, inputs_2026):
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert progress.missing == ["Er is geen momentopname van de capaciteit op of vóór 15-03-2026; de "
                                "gerealiseerde plaatsen zijn onbekend."]
    assert [r.target for r in progress.rows] == [1333, 889]
    assert [r.realised for r in progress.rows] == [None, None]


def test_target_progress_narrowed_to_own_municipalities(world, inputs_2026, snapshot_march):
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15), municipalities=[world.mun_b])
    assert [r.cbs_code for r in progress.rows] == ["GM9002"]
    assert (progress.total.target, progress.total.realised) == (889, 889)


# --- the edited split: service, database guard, history ------------------------------------------

def test_split_set_stores_the_parts_and_an_event(world, personas, inputs_2026):
    from reporting.models import TargetSplit, TargetSplitEvent
    from reporting.services import target_split_set
    from reporting.targets import region_split

    target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 1222, world.mun_b.pk: 1000},
                     user=personas.coordinator)
    split = region_split(world.noord, 2026)
    assert split.edited and split.set_by == personas.coordinator
    assert [(r.municipality.cbs_code, r.places, r.default_places) for r in split.rows] == [
        ("GM9001", 1222, 1333), ("GM9002", 1000, 889)]
    assert TargetSplit.objects.get().region_places == 2222
    event = TargetSplitEvent.objects.get()
    assert (event.action, event.parts, event.user) == ("set", {"GM9001": 1222, "GM9002": 1000}, personas.coordinator)
    # A second edit replaces the parts (one split per region and year).
    target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 1200, world.mun_b.pk: 1022},
                     user=personas.beheerder)
    assert TargetSplit.objects.count() == 1
    assert [r.places for r in region_split(world.noord, 2026).rows] == [1200, 1022]
    assert TargetSplitEvent.objects.count() == 2
    progress = target_progress(world.noord, year=2026, as_of=dt.date(2026, 3, 15))
    assert progress.edited and [r.target for r in progress.rows] == [1200, 1022]


@pytest.mark.parametrize(("a", "b", "phrase"), [
    (1333, 897, "2.230 plaatsen, maar de taakstelling van de regio is 2.222: 8 plaatsen te veel."),
    (1333, 888, "2.221 plaatsen, maar de taakstelling van de regio is 2.222: 1 plaats te weinig."),
])
def test_split_that_does_not_add_up_is_refused_naming_the_difference(world, personas, inputs_2026, a, b, phrase):
    from reporting.models import TargetSplit, TargetSplitEvent
    from reporting.services import target_split_set

    with pytest.raises(ApplicationError) as err:
        target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: a, world.mun_b.pk: b},
                         user=personas.coordinator)
    assert err.value.code == "target_split_sum" and phrase in err.value.message
    assert not TargetSplit.objects.exists() and not TargetSplitEvent.objects.exists()


def test_split_must_name_exactly_the_regions_municipalities(world, personas, inputs_2026):
    from reporting.services import target_split_set

    with pytest.raises(ApplicationError) as err:
        target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 2222, world.mun_c.pk: 0},
                         user=personas.coordinator)
    assert err.value.code == "target_split_municipalities"


def test_split_without_inputs_is_refused(world, personas):
    from reporting.services import target_split_set

    with pytest.raises(ApplicationError) as err:
        target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 1, world.mun_b.pk: 1},
                         user=personas.coordinator)
    assert err.value.code == "target_input_missing"


def test_reset_goes_back_to_the_split_by_population(world, personas, inputs_2026):
    from reporting.models import TargetSplit, TargetSplitEvent
    from reporting.services import target_split_reset, target_split_set
    from reporting.targets import region_split

    target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 1222, world.mun_b.pk: 1000},
                     user=personas.coordinator)
    assert target_split_reset(region=world.noord, year=2026, user=personas.coordinator) is True
    assert not TargetSplit.objects.exists()
    assert [r.places for r in region_split(world.noord, 2026).rows] == [1333, 889]
    assert list(TargetSplitEvent.objects.values_list("action", flat=True)) == ["reset", "set"]
    assert target_split_reset(region=world.noord, year=2026, user=personas.coordinator) is False


def test_a_split_made_for_another_target_no_longer_applies(world, personas, inputs_2026):
    from reporting.services import target_split_set
    from reporting.targets import region_split

    target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 1222, world.mun_b.pk: 1000},
                     user=personas.coordinator)
    inputs_2026.national_places_asked = 100_000  # the ministry asks for more: the target changes
    inputs_2026.save()
    split = region_split(world.noord, 2026)
    assert not split.edited and split.stale and split.stale_places == 2222
    assert sum(r.places for r in split.rows) == split.target.places


def _guard_now():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS reporting_targetsplitpart_sum, reporting_targetsplit_sum IMMEDIATE")


def test_the_database_refuses_parts_that_do_not_add_up(world, inputs_2026):
    """Written around the service: the deferred trigger of migration 0005 refuses it."""
    from django.db import IntegrityError, transaction

    from reporting.models import TargetSplit, TargetSplitPart

    with pytest.raises(IntegrityError, match="add up to 2221, not 2222"), transaction.atomic():
        split = TargetSplit.objects.create(region=world.noord, year=2026, region_places=2222)
        TargetSplitPart.objects.create(split=split, municipality=world.mun_a, places=1333)
        TargetSplitPart.objects.create(split=split, municipality=world.mun_b, places=888)
        _guard_now()


def test_the_database_refuses_a_part_of_another_regions_municipality(world, inputs_2026):
    from django.db import IntegrityError, transaction

    from reporting.models import TargetSplit, TargetSplitPart

    with pytest.raises(IntegrityError, match="another region"), transaction.atomic():
        split = TargetSplit.objects.create(region=world.noord, year=2026, region_places=2222)
        TargetSplitPart.objects.create(split=split, municipality=world.mun_a, places=2222)
        TargetSplitPart.objects.create(split=split, municipality=world.mun_c, places=0)
        _guard_now()


def test_the_database_refuses_a_changed_part_and_a_changed_target(world, personas, inputs_2026):
    from django.db import IntegrityError, transaction

    from reporting.models import TargetSplit, TargetSplitPart
    from reporting.services import target_split_set

    split = target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 1222, world.mun_b.pk: 1000},
                             user=personas.coordinator)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSplitPart.objects.filter(split=split, municipality=world.mun_a).update(places=1223)
        _guard_now()
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSplit.objects.filter(pk=split.pk).update(region_places=2223)
        _guard_now()
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetSplitPart.objects.filter(split=split, municipality=world.mun_b).delete()
        _guard_now()
    # Deleting the whole split (parts with it) is fine.
    with transaction.atomic():
        split.delete()
        _guard_now()


# --- pages ----------------------------------------------------------------------------------------

TARGETS = "/rapportage/taakstelling/"
SPLIT = "/rapportage/taakstelling/verdeling/"
RESET = "/rapportage/taakstelling/verdeling/standaard/"
RATES = "/rapportage/normbedrag/"
COMPENSATION = "/rapportage/vergoeding/"


def test_url_names():
    from django.urls import reverse

    assert [reverse(f"reporting:{n}") for n in ("targets", "targets_split", "targets_split_reset", "rates",
                                                "compensation")] == [TARGETS, SPLIT, RESET, RATES, COMPENSATION]


def test_targets_page_shows_the_formula_filled_in_and_realised_against_target(
        world, personas, inputs_2026, snapshot_march, login, django_assert_max_num_queries):
    client = login(personas.coordinator)
    with django_assert_max_num_queries(26):
        response = client.get(TARGETS, {"regio": "noord", "jaar": 2026, "peildatum": "2026-03-15"})
    assert response.status_code == 200
    page = response.text
    # The inputs, dated, and each step of the hand calculation of inputs_2026.
    assert "CBS 1-1-2025 (test)" in page and "Vastgelegd op" in page
    assert "100.000/18.000.000 + 200,00/36.000,00" in page
    assert "0,005556 + 0,005556" in page and "0,005556 × 40.000" in page
    assert "2000 + 222,22 = 2.222,22" in page
    assert "Taakstelling van de regio: 2.222 plaatsen" in page
    assert "momentopname van 10-03-2026" in page
    assert "naar inwoners (standaard)" in page
    # Rows: target, realised, difference, percentage; total.
    assert ">1.333<" in page and ">1.000<" in page and "-333" in page and "75,0 %" in page
    assert ">889<" in page and "100,0 %" in page and "85,0 %" in page
    assert "Verdeling aanpassen" in page


def test_targets_page_names_what_is_missing_and_shows_no_number(world, personas, snapshot_march, login):
    Municipality.objects.filter(pk=world.mun_a.pk).update(population_year=2024)
    Municipality.history.filter(id=world.mun_a.pk).update(population_year=2024)
    TargetInputs.objects.create(year=2026, national_places_asked=90_000, national_population=18_000_000,
                                national_land_area_km2=D("36000.00"))
    response = login(personas.bestuur).get(TARGETS, {"jaar": 2026, "peildatum": "2026-03-15"})
    assert response.status_code == 200
    assert "werk die eerst bij voor: Aadorp" in response.text
    assert "onbekend" in response.text and "Taakstelling van de regio" not in response.text
    assert "Verdeling aanpassen" not in response.text  # bestuur reads only


def test_targets_page_gemeente_sees_its_own_row_only(world, personas, inputs_2026, snapshot_march, login):
    response = login(personas.gemeente_a).get(TARGETS, {"jaar": 2026, "peildatum": "2026-03-15"})
    assert response.status_code == 200
    assert "Aadorp" in response.text and "Beekdal" not in response.text and "GM9002" not in response.text
    assert "Verdeling aanpassen" not in response.text


@pytest.mark.parametrize("query", [{"jaar": "abc"}, {"jaar": 1999}, {"peildatum": "2026-02-30"}])
def test_targets_page_bad_input_is_400_in_dutch(world, personas, login, query):
    response = login(personas.coordinator).get(TARGETS, query)
    assert response.status_code == 400
    assert "Controleer de invoer" in response.text


def test_targets_page_refusals(world, personas, inputs_2026, login, client):
    assert login(personas.belteam).get(TARGETS).status_code == 403
    assert login(personas.outsider).get(TARGETS, {"regio": "noord"}).status_code == 404
    assert login(personas.gemeente_a).get(TARGETS, {"regio": "zuid"}).status_code == 404
    own = login(personas.outsider).get(TARGETS)
    assert own.status_code == 200 and "Regio Zuid" in own.text and "Aadorp" not in own.text
    client.logout()
    assert client.get(TARGETS).status_code == 302


def test_split_page_edit_refuse_and_reset(world, personas, inputs_2026, login):
    from reporting.models import TargetSplit

    client = login(personas.coordinator)
    page = client.get(SPLIT, {"regio": "noord", "jaar": 2026})
    assert page.status_code == 200 and "Standaard (naar inwoners): 1333" in page.text
    fields = {"regio": "noord", "jaar": "2026"}
    bad = client.post(SPLIT, fields | {f"m{world.mun_a.pk}": "1333", f"m{world.mun_b.pk}": "897"})
    assert bad.status_code == 400 and "8 plaatsen te veel" in bad.text
    assert not TargetSplit.objects.exists()
    negative = client.post(SPLIT, fields | {f"m{world.mun_a.pk}": "2223", f"m{world.mun_b.pk}": "-1"})
    assert negative.status_code == 400 and not TargetSplit.objects.exists()
    good = client.post(SPLIT, fields | {f"m{world.mun_a.pk}": "1222", f"m{world.mun_b.pk}": "1000"})
    assert good.status_code == 302 and good["Location"] == f"{TARGETS}?regio=noord&jaar=2026"
    assert TargetSplit.objects.get().set_by == personas.coordinator
    shown = client.get(TARGETS, {"regio": "noord", "jaar": 2026})
    assert "aangepast door" in shown.text and ">1.222<" in shown.text
    assert client.get(SPLIT, {"regio": "noord", "jaar": 2026}).text.count("Terug naar de standaardverdeling") >= 1
    assert client.get(RESET).status_code == 405
    assert client.post(RESET, fields).status_code == 302
    assert not TargetSplit.objects.exists()


def test_split_page_without_inputs_says_so(world, personas, login):
    response = login(personas.coordinator).get(SPLIT, {"regio": "noord", "jaar": 2026})
    assert response.status_code == 400 and "Er is geen invoer voor de verdeelsleutel van 2026." in response.text


def test_split_pages_refusals(world, personas, inputs_2026, login):
    from reporting.models import TargetSplit

    fields = {"regio": "noord", "jaar": "2026", f"m{world.mun_a.pk}": "1222", f"m{world.mun_b.pk}": "1000"}
    for persona in (personas.bestuur, personas.gemeente_a, personas.belteam):
        client = login(persona)
        assert client.get(SPLIT, {"regio": "noord", "jaar": 2026}).status_code == 403
        assert client.post(SPLIT, fields).status_code == 403
        assert client.post(RESET, fields).status_code == 403
    outsider = login(personas.outsider)
    assert outsider.get(SPLIT, {"regio": "noord", "jaar": 2026}).status_code == 404
    assert outsider.post(SPLIT, fields).status_code == 404
    assert outsider.post(RESET, fields).status_code == 404
    assert not TargetSplit.objects.exists()


def test_rates_page_read_by_every_reader_and_added_by_a_superuser_only(world, personas, login, django_user_model):
    from reporting.models import NormRate

    for persona in (personas.bestuur, personas.gemeente_a, personas.coordinator):
        page = login(persona).get(RATES)
        assert page.status_code == 200 and "€ 83,00" in page.text and "15-10-2022" in page.text
        assert "Normbedrag toevoegen" not in page.text
    assert login(personas.belteam).get(RATES).status_code == 403
    new = {"valid_from": "2026-01-01", "valid_until": "", "amount": "40,00", "note": "Brief 2026"}
    assert login(personas.coordinator).post(RATES, new).status_code == 403
    assert not NormRate.objects.filter(valid_from=dt.date(2026, 1, 1)).exists()

    root = login(django_user_model.objects.create_superuser("root", "root@example.org", "x-wachtwoord-123"))
    overlap = root.post(RATES, new | {"valid_from": "2025-06-01"})
    assert overlap.status_code == 400 and "overlapt met het normbedrag van € 44.00" in overlap.text
    assert root.post(RATES, new | {"amount": "-1"}).status_code == 400
    assert root.post(RATES, new | {"valid_until": "2025-12-01"}).status_code == 400
    assert NormRate.objects.count() == 4
    added = root.post(RATES, new)
    assert added.status_code == 302
    assert NormRate.objects.get(valid_from=dt.date(2026, 1, 1)).amount == D("40.00")


@pytest.fixture
def october_2022(world):
    a, b = ("GM9001", "Aadorp"), ("GM9002", "Beekdal")
    make_snapshot(world.noord, dt.date(2022, 10, 13), {a: [6, 4], b: [5]})
    make_snapshot(world.noord, dt.date(2022, 10, 14), {a: [8, 4], b: [5]})
    make_snapshot(world.noord, dt.date(2022, 10, 16), {a: [20], b: [3, 4]})


def test_compensation_page_against_the_hand_calculation(world, personas, october_2022, login,
                                                        django_assert_max_num_queries):
    client = login(personas.coordinator)
    with django_assert_max_num_queries(20):
        response = client.get(COMPENSATION, {"regio": "noord", "van": "2022-10-13", "tot": "2022-10-16"})
    assert response.status_code == 200
    page = response.text
    # See tests/reporting/test_compensation.py for the hand calculation.
    assert "€ 3.860,00" in page and "€ 1.581,00" in page and "€ 5.441,00" in page
    assert ">42<" in page and ">17<" in page and ">59<" in page
    assert "€ 100,00: 2 dagen, 22 plaatsdagen, € 2.200,00" in page and "€ 83,00: 1 dag, 20 plaatsdagen" in page
    assert "Voor 1 dag in de periode is geen momentopname" in page and "15-10-2022" in page


def test_compensation_page_gemeente_sees_its_own_row_only(world, personas, october_2022, login):
    response = login(personas.gemeente_b).get(COMPENSATION, {"van": "2022-10-13", "tot": "2022-10-16"})
    assert response.status_code == 200
    assert "€ 1.581,00" in response.text and "Aadorp" not in response.text and "3.860" not in response.text


def test_compensation_page_defaults_to_last_month(world, personas, login):
    from reporting.forms_targets import last_month

    assert last_month(dt.date(2026, 3, 15)) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert last_month(dt.date(2026, 1, 1)) == (dt.date(2025, 12, 1), dt.date(2025, 12, 31))
    response = login(personas.coordinator).get(COMPENSATION)
    start, end = last_month(dt.date.today())
    assert response.status_code == 200 and start.strftime("%d-%m-%Y") in response.text


@pytest.mark.parametrize("query", [{"van": "gisteren"}, {"van": "2022-10-16", "tot": "2022-10-13"},
                                   {"van": "2015-01-01", "tot": "2022-10-13"}])
def test_compensation_page_bad_period_is_400_in_dutch(world, personas, login, query):
    response = login(personas.coordinator).get(COMPENSATION, query)
    assert response.status_code == 400
    assert "Controleer de invoer" in response.text or "hoogstens 1096 dagen" in response.text


def test_compensation_page_refusals(world, personas, october_2022, login):
    assert login(personas.belteam).get(COMPENSATION).status_code == 403
    assert login(personas.outsider).get(COMPENSATION, {"regio": "noord"}).status_code == 404
    assert login(personas.gemeente_a).get(COMPENSATION, {"regio": "zuid"}).status_code == 404


def test_sections_appear_on_the_reporting_start_page(world, personas, login):
    page = login(personas.gemeente_a).get("/rapportage/").text
    assert TARGETS in page and COMPENSATION in page


def test_admin_shows_own_splits_read_only_and_nothing_of_zuid(world, personas, inputs_2026, client):
    from django.contrib.auth.models import Permission

    from reporting.models import TargetSplit, TargetSplitPart
    from reporting.services import target_split_set

    own = target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: 1222, world.mun_b.pk: 1000},
                           user=personas.coordinator)
    zuid = TargetSplit.objects.create(region=world.zuid, year=2026, region_places=5)
    TargetSplitPart.objects.create(split=zuid, municipality=world.mun_c, places=5)
    beheerder = personas.beheerder
    beheerder.user_permissions.set(Permission.objects.filter(content_type__app_label="reporting"))
    client.force_login(beheerder)
    listing = client.get("/admin/reporting/targetsplit/")
    assert listing.status_code == 200 and "Regio Noord" in listing.text and "Regio Zuid" not in listing.text
    change = client.get(f"/admin/reporting/targetsplit/{own.pk}/change/")
    assert change.status_code == 200 and "1222" in change.text and 'name="_save"' not in change.text
    assert client.get(f"/admin/reporting/targetsplit/{zuid.pk}/change/").status_code == 404
    assert client.post(f"/admin/reporting/targetsplit/{own.pk}/delete/", {"post": "yes"}).status_code == 403
    assert TargetSplit.objects.filter(pk=own.pk).exists()
    events = client.get("/admin/reporting/targetsplitevent/")
    assert events.status_code == 200 and "Regio Noord" in events.text


def test_demo_seed_adds_the_inputs_once_and_leaves_a_users_alone(world):
    from reporting.demo.targets import seed

    for mun in (world.mun_a, world.mun_b):
        mun.population_year = 2025
        mun.save()
    line = seed(world.noord, seed=1, as_of=dt.date(2026, 12, 2))
    inputs = TargetInputs.objects.get()
    assert inputs.year == 2026 and "synthetisch" in inputs.source_note
    # Iv = 100,000, Gv = 240 (factory: 120 km² each): 2000 + ((100000/17942942 + 240/33670)/2) × 50000
    #    = 2000 + ((0.0055733 + 0.0071280)/2) × 50000 = 2000 + 317.53 → 2,318
    assert line == "Taakstelling 2026: 2.318 plaatsen (verdeelsleutel)"
    assert seed(world.noord, seed=1, as_of=dt.date(2026, 12, 2)) == line
    assert TargetInputs.objects.count() == 1
    inputs.national_places_asked = 90_000
    inputs.save()
    seed(world.noord, seed=1, as_of=dt.date(2026, 12, 2))
    assert TargetInputs.objects.get().national_places_asked == 90_000


@pytest.mark.django_db(transaction=True)
def test_two_edits_at_once_leave_one_split_that_adds_up_and_the_guard_holds_at_commit(world, personas):
    """Two staff members save a split at the same moment: one split with parts that add up remains
    (one per region and year: the unique constraint; the second edit replaces the first's parts) and
    both edits are in the history. Written around the service, bad parts are refused by the database
    when the transaction commits (the deferred trigger: this part fails without it)."""
    import threading

    from django.db import IntegrityError, connection, transaction

    from reporting.models import TargetSplit, TargetSplitEvent, TargetSplitPart
    from reporting.services import target_split_set

    for mun, population, area in ((world.mun_a, 60_000, D("120.00")), (world.mun_b, 40_000, D("80.00"))):
        mun.population, mun.population_year, mun.land_area_km2 = population, 2025, area
        mun.save()
    TargetInputs.objects.create(year=2026, national_places_asked=90_000, national_population=18_000_000,
                                national_land_area_km2=D("36000.00"))
    barrier = threading.Barrier(2)
    errors = []

    def edit(user, a):
        try:
            barrier.wait()
            target_split_set(region=world.noord, year=2026, places={world.mun_a.pk: a, world.mun_b.pk: 2222 - a},
                             user=user)
        except Exception as exc:  # noqa: BLE001 - asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(personas.coordinator, 1200)),
               threading.Thread(target=edit, args=(personas.beheerder, 1300))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    split = TargetSplit.objects.get()
    assert sum(split.parts.values_list("places", flat=True)) == 2222 and split.parts.count() == 2
    assert TargetSplitEvent.objects.count() == 2

    with pytest.raises(IntegrityError, match="parts add up to"):
        with transaction.atomic():
            TargetSplitPart.objects.filter(split=split, municipality=world.mun_a).update(places=1)
    assert sum(split.parts.values_list("places", flat=True)) == 2222


def test_compensation_csv_reads_back_with_the_hand_calculation(world, personas, october_2022, login):
    import csv
    import io

    response = login(personas.coordinator).get(COMPENSATION, {"regio": "noord", "van": "2022-10-13",
                                                              "tot": "2022-10-16", "formaat": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="vergoeding-noord-2022-10-13-2022-10-16.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == [["CBS-code", "Gemeente", "Plaatsdagen", "Bedrag (€)"],
                    ["GM9001", "Aadorp", "42", "3860,00"], ["GM9002", "Beekdal", "17", "1581,00"],
                    ["", "Totaal", "59", "5441,00"], ["Dagen zonder momentopname", "2022-10-15"]]
    own = login(personas.gemeente_b).get(COMPENSATION, {"van": "2022-10-13", "tot": "2022-10-16", "formaat": "csv"})
    assert "Aadorp" not in own.content.decode() and "1581,00" in own.content.decode()
    assert login(personas.belteam).get(COMPENSATION, {"formaat": "csv"}).status_code == 403
    assert login(personas.outsider).get(COMPENSATION, {"regio": "noord", "formaat": "csv"}).status_code == 404


def test_compensation_csv_writes_a_formula_like_name_as_text():
    from reporting.views_targets import _cell

    assert _cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and _cell("Aadorp") == "Aadorp"
