"""The cost split to the cent and the normbedrag (issue 8, points 6 and 7)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rcvs.errors import ApplicationError
from reporting.money import RatePeriod, compensation, largest_remainder, rate_on, split_by_population

D = Decimal


# --- split by population ---------------------------------------------------------------------------

def test_split_by_population_hand_example():
    # €100.00 = 10000 cents over populations 2 : 3 : 6 (sum 11):
    #   A: 10000 × 2/11 = 1818.18… → 1818, remainder .18
    #   B: 10000 × 3/11 = 2727.27… → 2727, remainder .27
    #   C: 10000 × 6/11 = 5454.54… → 5454, remainder .54
    #   floors add up to 9999; the 1 cent left goes to the largest remainder, C.
    assert split_by_population(D("100.00"), {"GM0003": 2, "GM0002": 3, "GM0001": 6}) == {
        "GM0003": D("18.18"), "GM0002": D("27.27"), "GM0001": D("54.55")}


def test_split_ties_go_to_the_smallest_key_whatever_the_order():
    # 1000.00 / 3 = 333.333…: each gets 333.33, one cent left, all remainders equal → smallest key.
    expected = {"GM0001": D("333.34"), "GM0002": D("333.33"), "GM0003": D("333.33")}
    assert split_by_population(D("1000.00"), {"GM0003": 7, "GM0001": 7, "GM0002": 7}) == expected
    assert split_by_population(D("1000.00"), {"GM0002": 7, "GM0003": 7, "GM0001": 7}) == expected


def test_split_the_2024_budget_total_over_a_region():
    # The example budget of DOMAIN.md (€1,544,714) over three municipalities of 50,000 / 30,000 /
    # 20,000 inhabitants: exact shares 772,357.00 / 463,414.20 / 308,942.80, no rounding needed.
    parts = split_by_population(D("1544714.00"), {"a": 50_000, "b": 30_000, "c": 20_000})
    assert parts == {"a": D("772357.00"), "b": D("463414.20"), "c": D("308942.80")}
    assert all(p.as_tuple().exponent == -2 for p in parts.values())  # always two decimals


def test_a_municipality_without_inhabitants_pays_nothing():
    assert split_by_population(D("10.01"), {"a": 0, "b": 1}) == {"a": D("0.00"), "b": D("10.01")}


@settings(max_examples=300, deadline=None)
@given(cents=st.integers(min_value=0, max_value=10**11),
       populations=st.dictionaries(st.text(min_size=1, max_size=6), st.integers(min_value=0, max_value=2_000_000),
                                   min_size=1, max_size=15).filter(lambda d: sum(d.values()) > 0))
def test_split_parts_sum_to_the_whole_and_stay_within_a_cent(cents, populations):
    total = Decimal(cents).scaleb(-2)
    parts = split_by_population(total, populations)
    assert set(parts) == set(populations)
    assert sum(parts.values()) == total
    whole = sum(populations.values())
    for key, part in parts.items():
        exact = Fraction(cents, 100) * populations[key] / whole
        assert abs(Fraction(part) - exact) < Fraction(1, 100), (key, part, exact)
        assert part >= 0


@pytest.mark.parametrize(("total", "populations", "code"), [
    (D("-0.01"), {"a": 1}, "negative_total"),
    (D("10.005"), {"a": 1}, "not_whole_cents"),
    (D("10.00"), {}, "no_weights"),
    (D("10.00"), {"a": 0, "b": 0}, "zero_weights"),
    (D("10.00"), {"a": -5, "b": 10}, "invalid_weight"),
    (10.0, {"a": 1}, "invalid_amount"),
    (D("NaN"), {"a": 1}, "invalid_amount"),
])
def test_split_refuses_bad_input_in_dutch(total, populations, code):
    with pytest.raises(ApplicationError) as err:
        split_by_population(total, populations)
    assert err.value.code == code
    assert "kan" in err.value.message or "moet" in err.value.message or "niets" in err.value.message


def test_largest_remainder_for_whole_places():
    # 101 places over 1 : 1 : 1 → 33.67 each: 33 each, two places left → the two smallest keys.
    assert largest_remainder(101, {3: 1, 1: 1, 2: 1}) == {1: 34, 2: 34, 3: 33}


# --- normbedrag (pure part: the rate table as plain data) ----------------------------------------

RATES = [
    RatePeriod(dt.date(2022, 3, 1), dt.date(2022, 10, 14), D("100.00")),
    RatePeriod(dt.date(2022, 10, 15), dt.date(2023, 12, 31), D("83.00")),
    RatePeriod(dt.date(2024, 1, 1), dt.date(2024, 12, 31), D("61.00")),
    RatePeriod(dt.date(2025, 1, 1), None, D("44.00")),
]


def test_rate_on_picks_the_period_of_the_day():
    assert rate_on(dt.date(2022, 10, 14), RATES) == D("100.00")
    assert rate_on(dt.date(2022, 10, 15), RATES) == D("83.00")
    assert rate_on(dt.date(2023, 12, 31), RATES) == D("83.00")
    assert rate_on(dt.date(2024, 1, 1), RATES) == D("61.00")
    assert rate_on(dt.date(2031, 6, 1), RATES) == D("44.00")


def test_compensation_across_a_rate_change():
    # 14 Oct 2022: 10 places × €100 = €1,000
    # 15 Oct 2022: 10 places × €83  = €  830
    # 16 Oct 2022:  5 places × €83  = €  415      total €2,245.00
    places = {dt.date(2022, 10, 16): 5, dt.date(2022, 10, 14): 10, dt.date(2022, 10, 15): 10}
    assert compensation(places_per_day=places, rates=RATES) == D("2245.00")
    # 31 Dec 2023: 3 × 83 = 249; 1 Jan 2024: 3 × 61 = 183; 31 Dec 2024: 2 × 61 = 122; 1 Jan 2025: 2 × 44 = 88
    places = {dt.date(2023, 12, 31): 3, dt.date(2024, 1, 1): 3, dt.date(2024, 12, 31): 2, dt.date(2025, 1, 1): 2}
    assert compensation(places_per_day=places, rates=RATES) == D("642.00")


def test_a_day_without_a_rate_is_an_error_not_zero():
    with pytest.raises(ApplicationError) as err:
        compensation(places_per_day={dt.date(2022, 3, 1): 1, dt.date(2022, 2, 28): 1}, rates=RATES)
    assert err.value.code == "no_norm_rate"
    assert err.value.message == "Er is geen normbedrag vastgesteld voor 2022-02-28."


def test_overlapping_plain_rates_are_refused():
    overlapping = [*RATES, RatePeriod(dt.date(2024, 6, 1), dt.date(2024, 6, 30), D("70.00"))]
    with pytest.raises(ApplicationError) as err:
        rate_on(dt.date(2024, 6, 15), overlapping)
    assert err.value.code == "overlapping_norm_rates"


@pytest.mark.parametrize("places", [-1, 1.5, True])
def test_compensation_refuses_bad_place_counts(places):
    with pytest.raises(ApplicationError) as err:
        compensation(places_per_day={dt.date(2024, 5, 1): places}, rates=RATES)
    assert err.value.code == "invalid_places"


# --- normbedrag in the database ----------------------------------------------------------------

@pytest.mark.django_db
def test_published_rates_are_seeded_and_looked_up_by_day():
    from reporting.money import norm_rate_on

    assert norm_rate_on(dt.date(2022, 3, 1)) == D("100.00")
    assert norm_rate_on(dt.date(2022, 10, 14)) == D("100.00")
    assert norm_rate_on(dt.date(2022, 10, 15)) == D("83.00")
    assert norm_rate_on(dt.date(2024, 1, 1)) == D("61.00")
    assert norm_rate_on(dt.date(2025, 12, 31)) == D("44.00")
    with pytest.raises(ApplicationError) as err:
        norm_rate_on(dt.date(2026, 1, 1))  # not yet entered: refused, not paid at the 2025 rate
    assert err.value.code == "no_norm_rate"


@pytest.mark.django_db
def test_compensation_from_the_table_across_the_2024_change():
    # 30 Dec 2023: 40 × 83 = 3,320; 31 Dec 2023: 40 × 83 = 3,320; 1 Jan 2024: 38 × 61 = 2,318
    places = {dt.date(2023, 12, 30): 40, dt.date(2023, 12, 31): 40, dt.date(2024, 1, 1): 38}
    assert compensation(places_per_day=places) == D("8958.00")


@pytest.mark.django_db
def test_service_adds_a_rate_and_refuses_an_overlap_in_dutch():
    from reporting.models import NormRate
    from reporting.services import norm_rate_create

    rate = norm_rate_create(valid_from=dt.date(2026, 1, 1), amount=D("40.00"), note="Brief 2026")
    assert NormRate.objects.get(pk=rate.pk).valid_until is None
    count = NormRate.objects.count()
    with pytest.raises(ApplicationError) as err:
        norm_rate_create(valid_from=dt.date(2025, 12, 31), valid_until=dt.date(2025, 12, 31), amount=D("50.00"))
    assert err.value.code == "norm_rate_overlap" and err.value.status_code == 409
    assert err.value.message.startswith("Deze periode overlapt met het normbedrag van € 44.00 (2025-01-01")
    with pytest.raises(ApplicationError) as err:
        norm_rate_create(valid_from=dt.date(2030, 1, 1), amount=D("30.00"))  # inside the open-ended 2026 rate
    assert err.value.code == "norm_rate_overlap" and "open einde" in err.value.message
    assert NormRate.objects.count() == count


@pytest.mark.django_db
def test_service_refuses_a_bad_amount_or_period():
    from reporting.models import NormRate
    from reporting.services import norm_rate_create

    count = NormRate.objects.count()
    for kwargs, code in [({"amount": D("0")}, "norm_rate_amount"), ({"amount": D("40.001")}, "norm_rate_amount"),
                         ({"amount": D("40"), "valid_until": dt.date(2026, 12, 31)}, "norm_rate_period")]:
        with pytest.raises(ApplicationError) as err:
            norm_rate_create(valid_from=dt.date(2027, 1, 1), **kwargs)
        assert err.value.code == code
    assert NormRate.objects.count() == count


@pytest.mark.django_db
def test_database_refuses_overlapping_periods_without_the_service():
    from django.db import IntegrityError, transaction

    from reporting.models import NormRate

    for start, end in [(dt.date(2024, 12, 31), dt.date(2025, 1, 1)),  # touches both 2024 and 2025
                       (dt.date(2023, 1, 1), None),                   # open-ended over everything after
                       (dt.date(2025, 12, 31), dt.date(2025, 12, 31))]:  # the last day (bounds inclusive)
        with pytest.raises(IntegrityError), transaction.atomic():
            NormRate.objects.bulk_create([NormRate(valid_from=start, valid_until=end, amount=D("1.00"))])
    # Adjacent is fine: the day after the last period.
    NormRate.objects.create(valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 6, 30), amount=D("40.00"))


# --- admin: staff read the national table, only a superuser writes -------------------------------

@pytest.mark.django_db
def test_normrate_admin_is_readable_by_staff_and_writable_by_superusers_only(personas, client, django_user_model):
    from django.contrib.auth.models import Permission
    from django.urls import reverse

    from reporting.models import NormRate

    rate = NormRate.objects.get(valid_from=dt.date(2024, 1, 1))
    changelist = reverse("admin:reporting_normrate_changelist")
    change = reverse("admin:reporting_normrate_change", args=[rate.pk])
    beheerder = personas.beheerder
    beheerder.is_staff = True
    beheerder.save()
    beheerder.user_permissions.set(Permission.objects.all())  # even with every permission
    client.force_login(beheerder)
    assert "61,00" in client.get(changelist).text or "61.00" in client.get(changelist).text
    assert client.get(change).status_code == 200  # read-only view
    assert client.post(change, {"valid_from": "2024-01-01", "valid_until": "2024-12-31", "amount": "99.00",
                                "note": ""}).status_code == 403
    assert client.get(reverse("admin:reporting_normrate_add")).status_code == 403
    assert client.post(reverse("admin:reporting_normrate_delete", args=[rate.pk]), {"post": "yes"}).status_code == 403
    rate.refresh_from_db()
    assert rate.amount == D("61.00")

    client.force_login(personas.gemeente_a)  # not staff: the admin is not theirs
    assert client.get(changelist).status_code == 302

    client.force_login(django_user_model.objects.create_superuser("root", "root@example.org", "x-wachtwoord-123"))
    response = client.post(reverse("admin:reporting_normrate_add"), {
        "valid_from": "2025-06-01", "valid_until": "", "amount": "40.00", "note": "overlapt"})
    assert response.status_code == 200  # the form shows the overlap instead of an error page
    assert "Deze periode overlapt met een bestaand normbedrag." in response.text
    assert not NormRate.objects.filter(note="overlapt").exists()
    response = client.post(reverse("admin:reporting_normrate_add"), {
        "valid_from": "2026-01-01", "valid_until": "", "amount": "40.00", "note": "2026"})
    assert response.status_code == 302
    assert NormRate.objects.get(note="2026").amount == D("40.00")



@pytest.mark.django_db
def test_an_overlap_that_slips_past_the_query_is_refused_by_the_database_in_dutch(monkeypatch):
    """A concurrent request can commit its rate between our overlap query and our insert. Simulated
    by making the first query see nothing: the exclusion constraint refuses the insert and the
    service still answers with the Dutch conflict, with nothing written."""
    from django.db.models import QuerySet

    from reporting.models import NormRate
    from reporting.services import norm_rate_create

    count = NormRate.objects.count()
    calls: list[int] = []
    original_first = QuerySet.first

    def first_misses_once(self):
        calls.append(1)
        return None if len(calls) == 1 else original_first(self)

    monkeypatch.setattr(QuerySet, "first", first_misses_once)
    with pytest.raises(ApplicationError) as err:
        norm_rate_create(valid_from=dt.date(2025, 6, 1), valid_until=dt.date(2025, 6, 30), amount=D("50.00"))
    assert len(calls) == 2  # the query missed, the insert was refused, the lookup named the clash
    assert err.value.code == "norm_rate_overlap"
    assert err.value.message.startswith("Deze periode overlapt met het normbedrag van € 44.00 (2025-01-01")
    monkeypatch.undo()
    assert NormRate.objects.count() == count


@pytest.mark.django_db(transaction=True)
def test_the_published_rates_exist_again_after_a_flush():
    from django.core.management import call_command

    from reporting.models import NormRate

    call_command("flush", interactive=False, verbosity=0)
    assert NormRate.objects.count() == 4
    from reporting.money import norm_rate_on

    assert norm_rate_on(dt.date(2024, 6, 1)) == Decimal("61.00")
