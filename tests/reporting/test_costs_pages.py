"""The cost pages: who sees what (staff everything of their regions, bestuur totals without
invoices, gemeente its own share, belteam nothing, the outsider 404), refusals as 400 with a Dutch
message and nothing written, the attachment only through the scoped view."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reporting import costs
from reporting.models import CostEntry, DeclarationDocument, DeclarationPeriod, DeclarationStatus

pytestmark = pytest.mark.django_db

D = Decimal
PDF = b"%PDF-1.4\n% test invoice\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def data(world):
    for m, population in ((world.mun_a, 30_000), (world.mun_b, 10_000)):
        m.population, m.population_year = population, 2024
        m.save()
    budget = costs.budget_create(user=None, region=world.noord, year=2024,
                                 lines=[("kernteam", D("538026.00")), ("overige kosten", D("130000.00"))])
    overig = budget.lines.get(name="overige kosten")
    entry = costs.cost_entry_create(user=None, region=world.noord, data={
        "budget_line": overig, "date": dt.date(2024, 3, 5), "category": "vervoer", "supplier": "Geheime Bus BV",
        "description": "Bus naar de IND", "amount_excl_vat": D("82.64"), "amount_incl_vat": D("100.00"),
        "invoice_reference": "INV-77", "declarable": False, "non_declarable_reason": "Buiten de regeling"},
        attachment=SimpleUploadedFile("factuur Jansen.pdf", PDF, content_type="application/pdf"))
    h1, h2 = costs.declaration_periods_ensure(user=None, region=world.noord, year=2024)
    return {"budget": budget, "overig": overig, "entry": entry, "h1": h1, "h2": h2}


def _url(name, *args, **query):
    url = reverse(f"reporting:{name}", args=args)
    if query:
        from django.utils.http import urlencode

        url += "?" + urlencode(query)
    return url


def _all_urls(data):
    e, p = data["entry"], data["h1"]
    doc = costs.declaration_documents_build(period=p)[1]
    return {
        "costs": _url("costs", regio="noord", jaar=2024),
        "costs_budget": _url("costs_budget", regio="noord", jaar=2024),
        "costs_entries": _url("costs_entries", regio="noord", jaar=2024),
        "costs_entry_add": _url("costs_entry_add", regio="noord", jaar=2024),
        "costs_entry_edit": _url("costs_entry_edit", e.uuid),
        "costs_entry_delete": _url("costs_entry_delete", e.uuid),
        "costs_attachment": _url("costs_attachment", e.uuid),
        "costs_periods": _url("costs_periods", regio="noord", jaar=2024),
        "costs_period": _url("costs_period", p.pk),
        "costs_period_edit": _url("costs_period_edit", p.pk),
        "costs_document": _url("costs_document", doc.pk),
    }


def test_coordinator_pages(login, personas, data):
    client = login(personas.coordinator)
    for name, url in _all_urls(data).items():
        assert client.get(url).status_code == 200, name
    page = client.get(_url("costs", regio="noord", jaar=2024)).text
    assert "€ 668.026,00" in page and "€ 100,00" in page and "2024 eerste halfjaar" in page
    response = client.get(_url("costs_attachment", data["entry"].uuid))
    assert b"".join(response.streaming_content) == PDF
    assert "Jansen" not in response["Content-Disposition"]  # the uploader's file name is not echoed back
    assert data["entry"].attachment.name.startswith("reporting/costs/") and "Jansen" not in data["entry"].attachment.name


def test_add_entry_through_the_page(login, personas, data):
    client = login(personas.coordinator)
    response = client.post(_url("costs_entry_add"), {
        "regio": "noord", "budget_line": data["overig"].pk, "date": "2024-07-02", "category": "ict",
        "supplier": "Laptops BV", "description": "Laptop", "amount_excl_vat": "1.000,00",
        "amount_incl_vat": "1.210,00", "invoice_reference": "L-1", "declarable": "on",
        "attachment": SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n0000", content_type="image/png")})
    assert response.status_code == 302
    entry = CostEntry.objects.get(supplier="Laptops BV")
    assert entry.amount_incl_vat == D("1210.00") and entry.created_by == personas.coordinator
    assert entry.attachment.name.endswith(".png")


@pytest.mark.parametrize(("change", "message"), [
    ({"amount_excl_vat": "-5,00", "amount_incl_vat": "-5,00"}, "negatief"),
    ({"date": "2024-03-01"}, "die ingediend is"),
    ({"declarable": ""}, "niet declarabel"),
    ({"attachment": SimpleUploadedFile("a.exe", b"MZ\x90\x00", content_type="application/pdf")}, "PDF, PNG of JPEG"),
])
def test_refusals_are_400_with_a_dutch_message_and_nothing_written(login, personas, data, change, message):
    costs.declaration_period_transition(user=personas.coordinator, period=data["h1"],
                                        to_status=DeclarationStatus.SUBMITTED)
    client = login(personas.coordinator)
    post = {"regio": "noord", "budget_line": data["overig"].pk, "date": "2024-07-02", "category": "ict",
            "supplier": "Nieuw BV", "description": "Iets", "amount_excl_vat": "10,00", "amount_incl_vat": "12,10",
            "declarable": "on", **change}
    response = client.post(_url("costs_entry_add"), post)
    assert response.status_code == 400
    assert message in response.text
    assert not CostEntry.objects.filter(supplier="Nieuw BV").exists()


def test_attachment_too_large_refused(login, personas, data, settings):
    settings.COSTS_ATTACHMENT_MAX_BYTES = 10
    client = login(personas.coordinator)
    response = client.post(_url("costs_entry_edit", data["entry"].uuid), {
        "budget_line": data["overig"].pk, "date": "2024-03-05", "category": "vervoer", "supplier": "Geheime Bus BV",
        "description": "Bus", "amount_excl_vat": "82,64", "amount_incl_vat": "100,00", "declarable": "",
        "non_declarable_reason": "Buiten de regeling",
        "attachment": SimpleUploadedFile("f.pdf", PDF, content_type="application/pdf")})
    assert response.status_code == 400 and "te groot" in response.text


def test_closed_period_edit_and_delete_refused_on_the_page(login, personas, data):
    costs.declaration_period_transition(user=personas.coordinator, period=data["h1"],
                                        to_status=DeclarationStatus.SUBMITTED)
    client = login(personas.coordinator)
    response = client.post(_url("costs_entry_delete", data["entry"].uuid))
    assert response.status_code == 400 and "ingediend" in response.text
    assert CostEntry.objects.filter(pk=data["entry"].pk).exists()


def test_period_transition_on_the_page(login, personas, data, django_capture_on_commit_callbacks):
    client = login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("costs_period_transition", data["h1"].pk), {"to_status": "ingediend", "note": ""})
    assert response.status_code == 302
    data["h1"].refresh_from_db()
    assert data["h1"].status == "ingediend"
    assert DeclarationDocument.objects.filter(period=data["h1"]).count() == 2
    response = client.post(_url("costs_period_transition", data["h1"].pk), {"to_status": "ingediend"})
    assert response.status_code == 400 and "kan niet naar" in response.text


def test_bad_year_is_400(login, personas, data):
    client = login(personas.coordinator)
    response = client.get(_url("costs", regio="noord", jaar="abc"))
    assert response.status_code == 400 and "Kies een jaar" in response.text


def test_bestuur_reads_totals_not_invoices(login, personas, data):
    client = login(personas.bestuur)
    urls = _all_urls(data)
    page = client.get(urls["costs"])
    assert page.status_code == 200 and "€ 668.026,00" in page.text
    assert "Geheime Bus BV" not in page.text and "INV-77" not in page.text
    period = client.get(urls["costs_period"])
    assert period.status_code == 200 and "€ 75,00" in period.text  # Aadorp's 3/4 of € 100
    assert "Geheime Bus BV" not in period.text and "INV-77" not in period.text
    for name in ("costs_budget", "costs_entries", "costs_entry_add", "costs_entry_edit", "costs_entry_delete",
                 "costs_attachment", "costs_periods", "costs_period_edit", "costs_document"):
        assert client.get(urls[name]).status_code == 403, name
    assert client.post(_url("costs_period_transition", data["h1"].pk), {"to_status": "ingediend"}).status_code == 403
    assert client.post(_url("costs_period_build", data["h1"].pk)).status_code == 403


def test_gemeente_sees_only_its_own_share(login, personas, data):
    client = login(personas.gemeente_a)
    urls = _all_urls(data)
    page = client.get(urls["costs"])
    assert page.status_code == 200
    assert "Aadorp" in page.text and "€ 75,00" in page.text
    assert "Beekdal" not in page.text and "€ 25,00" not in page.text
    assert "Geheime Bus BV" not in page.text and "€ 668.026,00" not in page.text
    for name, url in urls.items():
        if name != "costs":
            assert client.get(url).status_code == 403, name


def test_belteam_gets_403_everywhere(login, personas, data):
    client = login(personas.belteam)
    for name, url in _all_urls(data).items():
        assert client.get(url).status_code == 403, name


def test_outsider_gets_404_for_noord(login, personas, data):
    client = login(personas.outsider)
    for name, url in _all_urls(data).items():
        assert client.get(url).status_code == 404, name
    assert client.post(_url("costs_period_transition", data["h1"].pk), {"to_status": "ingediend"}).status_code == 404
    assert client.post(_url("costs_entry_delete", data["entry"].uuid)).status_code == 404
    assert client.post(_url("costs_period_build", data["h1"].pk)).status_code == 404
    assert CostEntry.objects.filter(pk=data["entry"].pk).exists()
    assert DeclarationPeriod.objects.get(pk=data["h1"].pk).status == "concept"
    # Its own region (Zuid) has no budget: a page, not someone else's figures.
    assert client.get(_url("costs")).status_code == 200


def test_anonymous_is_sent_to_login(client, data):
    response = client.get(_url("costs_attachment", data["entry"].uuid))
    assert response.status_code == 302 and "login" in response["Location"]


def test_budget_page_creates_the_budget_and_refuses_a_duplicate_line(login, personas, world):
    client = login(personas.coordinator)
    url = _url("costs_budget")
    assert client.post(url, {"regio": "noord", "jaar": "2025", "name": "kernteam", "amount": "538.026,00"}).status_code == 302
    from reporting.models import Budget

    budget = Budget.objects.get(region=world.noord, year=2025)
    assert budget.lines.get().amount == D("538026.00")
    response = client.post(url, {"regio": "noord", "jaar": "2025", "name": "Kernteam", "amount": "1,00"})
    assert response.status_code == 400 and "al een post" in response.text
    response = client.post(url, {"regio": "noord", "jaar": "2025", "name": "x", "amount": "-1,00"})
    assert response.status_code == 400 and "negatief" in response.text
    assert budget.lines.count() == 1
    line = budget.lines.get()
    assert client.post(url, {"regio": "noord", "jaar": "2025", "post": line.pk, "name": "kernteam",
                             "amount": "600.000,00"}).status_code == 302
    line.refresh_from_db()
    assert line.amount == D("600000.00")
    # The outsider cannot write into Noord's budget.
    outsider = login(personas.outsider)
    assert outsider.post(url, {"regio": "noord", "jaar": "2025", "name": "y", "amount": "1,00"}).status_code == 404
    assert budget.lines.count() == 1


def test_periods_page_adds_and_refuses_an_overlap(login, personas, data):
    client = login(personas.coordinator)
    response = client.post(_url("costs_periods"), {"regio": "noord", "label": "Q2", "start": "2024-04-01",
                                                   "end": "2024-09-30"})
    assert response.status_code == 400 and "overlapt" in response.text
    response = client.post(_url("costs_periods"), {"regio": "noord", "label": "2025 Q1", "start": "2025-01-01",
                                                   "end": "2025-03-31"})
    assert response.status_code == 302
    period = DeclarationPeriod.objects.get(label="2025 Q1")
    assert period.deadline == dt.date(2025, 3, 31)  # the fourth month's end lies after the period's: its end


def test_deleting_an_entry_removes_its_attachment_after_commit(login, personas, data,
                                                              django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    name = data["entry"].attachment.name
    assert default_storage.exists(name)
    client = login(personas.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(_url("costs_entry_delete", data["entry"].uuid)).status_code == 302
    assert not default_storage.exists(name)


def test_entries_page_queries_do_not_grow_with_entries(login, personas, data, django_assert_max_num_queries):
    for i in range(25):
        costs.cost_entry_create(user=None, region=data["budget"].region, data={
            "budget_line": data["overig"], "date": dt.date(2024, 8, 1 + i), "category": "ict", "supplier": f"L{i}",
            "description": "d", "amount_excl_vat": D("1.00"), "amount_incl_vat": D("1.00"), "invoice_reference": "",
            "declarable": True, "non_declarable_reason": ""})
    client = login(personas.coordinator)
    client.get(_url("costs_entries", regio="noord", jaar=2024))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(_url("costs_entries", regio="noord", jaar=2024))
    assert response.status_code == 200 and "L24" in response.text


def test_edit_form_shows_the_date_as_a_date_input_understands_it(login, personas, data):
    """An <input type="date"> takes only ISO dates; a Dutch 05-03-2024 would come back empty."""
    page = login(personas.coordinator).get(_url("costs_entry_edit", data["entry"].uuid)).text
    assert 'type="date"' in page and 'value="2024-03-05"' in page


def test_period_edit(login, personas, data):
    url = _url("costs_period_edit", data["h2"].pk)
    assert login(personas.bestuur).get(url).status_code == 403
    assert login(personas.outsider).post(url, {"label": "x", "start": "2024-07-01", "end": "2024-12-31"}).status_code == 404
    client = login(personas.coordinator)
    assert client.get(url).status_code == 200
    response = client.post(url, {"label": "2024 H2", "start": "2024-06-01", "end": "2024-12-31"})
    assert response.status_code == 400 and "overlapt" in response.text
    response = client.post(url, {"label": "2024 H2", "start": "2024-07-01", "end": "2024-12-31",
                                 "deadline": "2024-11-15"})
    assert response.status_code == 302
    data["h2"].refresh_from_db()
    assert (data["h2"].label, data["h2"].deadline) == ("2024 H2", dt.date(2024, 11, 15))
    assert "was 2024 tweede halfjaar" in data["h2"].events.last().note
    costs.declaration_period_transition(user=personas.coordinator, period=data["h1"],
                                        to_status=DeclarationStatus.SUBMITTED)
    response = client.post(_url("costs_period_edit", data["h1"].pk),
                           {"label": "x", "start": "2024-01-01", "end": "2024-06-30"})
    assert response.status_code == 400 and "niet meer concept" in response.text
    assert DeclarationPeriod.objects.get(pk=data["h1"].pk).label == "2024 eerste halfjaar"


def test_missing_attachment_file_is_a_404_not_a_500(login, personas, data):
    from django.core.files.storage import default_storage

    default_storage.delete(data["entry"].attachment.name)
    assert login(personas.coordinator).get(_url("costs_attachment", data["entry"].uuid)).status_code == 404
