"""The KCIO pages: history, download, what changed, resend and "export now". Staff of the region
only: belteam, bestuur and gemeente get 403, the outsider (beheerder of Zuid) 404, and nothing is
written by a refused request."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from rcvs.outbox.models import OutboxMessage, OutboxStatus
from rcvs.outbox.services import outbox_deliver
from reporting import kcio
from reporting.models import CapacitySnapshot, KcioDelivery, LocationSnapshot
from reporting.snapshots import snapshot_take, snapshot_today
from tests.factories import LocationFactory, RoomFactory, room_set_occupants

from .test_delivery import TOKEN, Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver():
    with Receiver() as server:
        yield server


@pytest.fixture
def https_on(settings, receiver):
    settings.KCIO_DELIVERY_METHOD = "https"
    settings.KCIO_DELIVERY_URL = receiver.url
    settings.KCIO_DELIVERY_TOKEN = TOKEN
    settings.KCIO_DELIVERY_FORMAT = "csv"
    settings.KCIO_DELIVERY_EXPECT_ACK = False
    return receiver


@pytest.fixture
def today_noord(world):
    room_set_occupants(room=world.rooms_a[0], occupants=1)
    return snapshot_take(region=world.noord, as_of=snapshot_today())


def _line(snapshot, **values):
    base = dict(municipality_cbs_code="GM9001", municipality_name="Aadorp", location_code="AAD-001",
                location_name="Het Anker", street="", postcode="", place="", kind="goo", status="open",
                end_date=None, suitable_infants=False, suitable_pets=False, suitable_wheelchair=False,
                intake_24_7=False, realised=13, occupied=0, available=13, snijverlies=0, out_of_service=0, planned=0)
    base.update(values)
    return LocationSnapshot.objects.create(snapshot=snapshot, **base)


@pytest.fixture
def yesterday_noord(world, today_noord):
    """Yesterday as it was recorded then: Het Anker with 12 beds and nobody in, De Beuk absent,
    and a location that has gone since."""
    snapshot = CapacitySnapshot.objects.create(region=world.noord, as_of=today_noord.as_of - dt.timedelta(days=1),
                                               taken_at=timezone.now() - dt.timedelta(days=1))
    today_a = today_noord.locations.get(location_code="AAD-001")
    _line(snapshot, **{f: getattr(today_a, f) for f in ("street", "postcode", "place", "kind", "status",
                                                        "suitable_infants", "suitable_pets", "suitable_wheelchair",
                                                        "intake_24_7")},
          realised=12, occupied=0, available=12)
    _line(snapshot, location_code="AAD-077", location_name="Oude School", realised=4, available=4)
    return snapshot


def _urls(snapshot):
    return {
        "history": ("get", reverse("reporting:kcio_history") + f"?regio={snapshot.region.code}"),
        "download": ("get", reverse("reporting:kcio_download", args=[snapshot.pk, "csv"])),
        "diff": ("get", reverse("reporting:kcio_diff", args=[snapshot.pk])),
        "resend_form": ("get", reverse("reporting:kcio_resend", args=[snapshot.pk])),
        "resend": ("post", reverse("reporting:kcio_resend", args=[snapshot.pk])),
        "export_now": ("post", reverse("reporting:kcio_export_now", args=[snapshot.region.code])),
    }


# --- who may -----------------------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["belteam", "bestuur", "gemeente_a"])
def test_other_roles_get_403_everywhere_and_nothing_is_written(client, personas, today_noord, https_on, persona):
    client.force_login(getattr(personas, persona))
    for name, (method, url) in _urls(today_noord).items():
        assert getattr(client, method)(url).status_code == 403, name
    assert not KcioDelivery.objects.exists() and not OutboxMessage.objects.exists()
    assert CapacitySnapshot.objects.count() == 1


def test_the_outsider_gets_404_for_everything_of_noord(client, personas, today_noord, https_on):
    client.force_login(personas.outsider)
    for name, (method, url) in _urls(today_noord).items():
        assert getattr(client, method)(url).status_code == 404, name
    assert not KcioDelivery.objects.exists() and not OutboxMessage.objects.exists()
    # Their own region works, and Noord is not offered there.
    page = client.get(reverse("reporting:kcio_history"))
    assert page.status_code == 200 and "Regio Zuid" in page.text and "Regio Noord" not in page.text


def test_anonymous_is_sent_to_the_login(client, today_noord):
    for name, (method, url) in _urls(today_noord).items():
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response["Location"], name


def test_the_start_page_lists_the_section_for_staff_only(client, personas, world):
    client.force_login(personas.coordinator)
    assert reverse("reporting:kcio_history") in client.get(reverse("reporting:index")).text
    client.force_login(personas.bestuur)
    assert reverse("reporting:kcio_history") not in client.get(reverse("reporting:index")).text


# --- history ----------------------------------------------------------------------------------

def test_history_shows_totals_status_attempts_and_last_error(client, personas, today_noord, yesterday_noord,
                                                             https_on, django_capture_on_commit_callbacks):
    https_on.script = [(503, b"")]
    client.force_login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(_urls(today_noord)["export_now"][1])
    assert response.status_code == 302
    sent = KcioDelivery.objects.get()
    assert outbox_deliver(message_id=sent.outbox_message_id) == "retry"

    page = client.get(_urls(today_noord)["history"][1])
    assert page.status_code == 200
    text = page.text
    row = text[text.index(f'id="snapshot-{today_noord.pk}"'):text.index(f'id="snapshot-{yesterday_noord.pk}"')]
    assert today_noord.as_of.strftime("%d-%m-%Y") in row
    assert '<td class="num">20</td>' in row  # 13 + 7 beds realised
    assert "wacht op verzending" in row and "1 poging" in row
    assert "Het KCIO antwoordde met HTTP 503. Nieuwe poging volgt." in row and "DeliveryRetry" not in row
    assert reverse("reporting:kcio_download", args=[today_noord.pk, "xlsx"]) in row
    old_row = text[text.index(f'id="snapshot-{yesterday_noord.pk}"'):]
    assert "niet verstuurd" in old_row and '<td class="num">16</td>' in old_row


def test_history_query_count_does_not_grow_with_days(client, personas, world, django_assert_max_num_queries):
    today = snapshot_today()
    for days in range(1, 20):
        snapshot = CapacitySnapshot.objects.create(region=world.noord, as_of=today - dt.timedelta(days=days),
                                                   taken_at=timezone.now())
        _line(snapshot)
        _line(snapshot, location_code="BEE-001", location_name="De Beuk")
    client.force_login(personas.coordinator)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("reporting:kcio_history"))
    assert page.status_code == 200 and page.text.count('id="snapshot-') == 19


# --- download ---------------------------------------------------------------------------------

def test_download_in_every_format(client, personas, today_noord):
    client.force_login(personas.coordinator)
    day = today_noord.as_of.isoformat()
    response = client.get(reverse("reporting:kcio_download", args=[today_noord.pk, "csv"]))
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == f'attachment; filename="kcio-noord-{day}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert [r[5] for r in rows[1:]] == ["AAD-001", "BEE-001"]
    hxl = client.get(reverse("reporting:kcio_download", args=[today_noord.pk, "csv"]) + "?hxl=1")
    assert list(csv.reader(io.StringIO(hxl.content.decode())))[1][5] == "#loc+code"
    xlsx = client.get(reverse("reporting:kcio_download", args=[today_noord.pk, "xlsx"]))
    sheet = load_workbook(io.BytesIO(xlsx.content))["Locaties"]
    assert [c.value for c in sheet["F"]][1:] == ["AAD-001", "BEE-001"]
    js = client.get(reverse("reporting:kcio_download", args=[today_noord.pk, "json"]))
    assert js.json()["totals"]["realised"] == 20 and js.content == kcio.render(today_noord, "json")
    assert client.get(reverse("reporting:kcio_download", args=[today_noord.pk, "pdf"])).status_code == 404
    assert client.get(reverse("reporting:kcio_download", args=[999999, "csv"])).status_code == 404


# --- what changed -----------------------------------------------------------------------------

def test_diff_lists_added_removed_and_changed_per_location(client, personas, today_noord, yesterday_noord):
    client.force_login(personas.coordinator)
    page = client.get(reverse("reporting:kcio_diff", args=[today_noord.pk]))
    assert page.status_code == 200
    text = page.text
    added = text[text.index('id="added"'):text.index("</ul>", text.index('id="added"'))]
    removed = text[text.index('id="removed"'):text.index("</ul>", text.index('id="removed"'))]
    changed = text[text.index('id="changed"'):text.index("</table>", text.index('id="changed"'))]
    assert "BEE-001 De Beuk" in added and "7 bedden gerealiseerd" in added
    assert "AAD-077 Oude School" in removed
    assert "AAD-001 Het Anker" in changed
    # Het Anker: 13 beds now (12 then), 1 occupied (none then), 12 available as then.
    diff = page.context["diff"]
    [item] = diff.changed
    assert {(c.field, c.before, c.after) for c in item.changes} == {("realised", 12, 13), ("occupied", 0, 1)}
    assert diff.unchanged_count == 0


def test_diff_without_an_earlier_snapshot_says_so(client, personas, today_noord):
    client.force_login(personas.coordinator)
    page = client.get(reverse("reporting:kcio_diff", args=[today_noord.pk]))
    assert "geen eerdere momentopname" in page.text


def test_diff_of_identical_days_says_no_changes(client, personas, world, today_noord):
    earlier = CapacitySnapshot.objects.create(region=world.noord, as_of=today_noord.as_of - dt.timedelta(days=3),
                                              taken_at=timezone.now())
    for line in today_noord.locations.all():
        values = {f.name: getattr(line, f.name) for f in LocationSnapshot._meta.fields
                  if f.name not in ("id", "snapshot", "location")}
        LocationSnapshot.objects.create(snapshot=earlier, **values)
    client.force_login(personas.coordinator)
    page = client.get(reverse("reporting:kcio_diff", args=[today_noord.pk]))
    assert 'id="no-changes"' in page.text and "2 locaties ongewijzigd" in page.text


# --- resend and export now --------------------------------------------------------------------

def test_export_now_twice_the_same_day_sends_once(client, personas, world, https_on,
                                                  django_capture_on_commit_callbacks):
    client.force_login(personas.coordinator)
    url = reverse("reporting:kcio_export_now", args=["noord"])
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, follow=True)
    assert "wordt verstuurd" in first.text
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(url, follow=True)
    assert "er is niets opnieuw verstuurd" in second.text
    assert CapacitySnapshot.objects.filter(region=world.noord).count() == 1
    sent = KcioDelivery.objects.get()
    assert sent.requested_by == personas.coordinator and sent.reason == "export_now"
    # Eager Celery in tests: the after-commit push delivered it to the receiver, once.
    assert len(https_on.requests) == 1
    assert OutboxMessage.objects.get().status == OutboxStatus.DELIVERED
    assert client.get(url).status_code == 405  # POST only


def test_export_now_with_delivery_off_only_takes_the_snapshot(client, personas, world, settings):
    settings.KCIO_DELIVERY_METHOD = "off"
    client.force_login(personas.coordinator)
    page = client.post(reverse("reporting:kcio_export_now", args=["noord"]), follow=True)
    assert "staat uit" in page.text
    assert CapacitySnapshot.objects.filter(region=world.noord).count() == 1 and not KcioDelivery.objects.exists()


def test_resend_asks_then_sends_with_the_same_key(client, personas, today_noord, https_on,
                                                  django_capture_on_commit_callbacks):
    client.force_login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reporting:kcio_export_now", args=["noord"]))
    form = client.get(reverse("reporting:kcio_resend", args=[today_noord.pk]))
    assert form.status_code == 200 and f"kcio-noord-{today_noord.as_of.isoformat()}" in form.text
    assert KcioDelivery.objects.count() == 1  # the GET only asks
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reporting:kcio_resend", args=[today_noord.pk]))
    assert response.status_code == 302
    assert list(KcioDelivery.objects.order_by("sequence").values_list("sequence", "reason")) == [
        (1, "export_now"), (2, "resend")]
    assert [r["headers"]["Idempotency-Key"] for r in https_on.requests] == [
        f"kcio-noord-{today_noord.as_of.isoformat()}"] * 2


def test_resend_refused_while_waiting_answers_400_in_dutch(client, personas, today_noord, https_on,
                                                           django_capture_on_commit_callbacks):
    client.force_login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=False):  # not pushed: it waits
        client.post(reverse("reporting:kcio_export_now", args=["noord"]))
    response = client.post(reverse("reporting:kcio_resend", args=[today_noord.pk]))
    assert response.status_code == 400 and "wacht nog op aflevering" in response.text
    assert KcioDelivery.objects.count() == 1 and OutboxMessage.objects.count() == 1


def test_export_now_for_a_region_that_does_not_exist_is_404(client, personas, world):
    client.force_login(personas.coordinator)
    assert client.post(reverse("reporting:kcio_export_now", args=["nergens"])).status_code == 404


def test_a_new_location_after_the_snapshot_does_not_change_the_download(client, personas, world, today_noord):
    """The file of a day is the snapshot's, not today's registry."""
    new = LocationFactory(municipality=world.mun_a, code="AAD-100", name="Nieuw Pand")
    RoomFactory(location=new, number="1", beds=3)
    client.force_login(personas.coordinator)
    response = client.get(reverse("reporting:kcio_download", args=[today_noord.pk, "csv"]))
    assert "AAD-100" not in response.content.decode()
