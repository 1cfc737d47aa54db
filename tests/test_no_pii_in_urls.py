"""No personal data in URLs or logs (issue 6, point 9).

Names, dates of birth, V-numbers and BSNs end up in access logs, proxy logs and browser history
when they travel in a URL. People and cases are addressed by UUID; lookups by a person's details
are POSTs. These tests look at every place a URL is made: the URL patterns, the API's parameters,
the GET forms and htmx GETs of the pages as rendered, and the links on them; and at the log
records of a whole placement."""

from __future__ import annotations

import datetime as dt
import logging
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from placements.models import Placement, PlacementRequest
from placements.services import placement_confirm, placement_reserve, placement_transfer
from tests.factories import make_request

pytestmark = pytest.mark.django_db

# Parameter and field names that carry a person's details. "name" alone: first_name, last_name,
# achternaam, ...; the few harmless names with "name" in them are listed by exception below.
PERSONAL = re.compile(r"name|naam|birth|geboorte|dob|v_?number|v_?nummer|bsn|nationalit|sex|geslacht|phone|telefoon"
                      r"|email|mail", re.IGNORECASE)
HARMLESS = {"username"}  # the login form posts it; never in a URL


def _personal(name: str) -> bool:
    return bool(PERSONAL.search(name)) and name not in HARMLESS


def _walk(resolver: URLResolver, prefix: str = "") -> list[tuple[str, list[str]]]:
    found = []
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        names = sorted(set(getattr(pattern, "converters", {}) or {}) | set(pattern.regex.groupindex))
        if isinstance(entry, URLResolver):
            for route, inner in _walk(entry, prefix + str(pattern)):
                found.append((route, names + inner))
        else:
            found.append((prefix + str(pattern), names))
    return found


def test_no_url_pattern_takes_personal_data():
    routes = _walk(get_resolver())
    assert len(routes) > 50
    assert any("<uuid:uuid>" in route for route, _names in routes)
    offending = [(route, names) for route, names in routes if any(_personal(n) for n in names)]
    assert offending == []
    # People and cases (requests, placements, supra-regional requests) are addressed by UUID only.
    for route, names in routes:
        if route.startswith(("plaatsingen/verzoek/", "plaatsingen/plaatsing/", "plaatsingen/bovenregionaal/")):
            assert names in ([], ["uuid"]), route


def test_no_api_operation_takes_personal_data_in_its_url():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    offending = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("query", "path") and _personal(parameter["name"]):
                    offending.append((method, path, parameter["name"]))
    assert offending == []
    duplicates = schema["paths"]["/api/v1/placement-requests/duplicates/"]
    assert set(duplicates) - {"parameters"} == {"post"}


class _Page(HTMLParser):
    """Collects, from one rendered page, the fields of GET forms, elements that send a GET via htmx
    with the fields inside them, and every link's query parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool]] = []  # (tag, sends a GET with its fields)
        self.get_fields: list[str] = []
        self.link_params: list[str] = []
        self.hx_gets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        sends_get = (tag == "form" and a.get("method", "get").lower() == "get" and "hx-post" not in a) \
            or "hx-get" in a
        if "hx-get" in a:
            self.hx_gets.append(a["hx-get"])
        for url_attr in ("href", "hx-get", "action", "src"):
            if a.get(url_attr):
                self.link_params += list(parse_qs(urlsplit(a[url_attr]).query, keep_blank_values=True))
        if tag in ("input", "select", "textarea", "button") and a.get("name") and \
                any(get for _tag, get in self.stack) and a.get("type") != "submit":
            self.get_fields.append(a["name"])
        if tag not in ("input", "br", "img", "meta", "link", "hr"):
            self.stack.append((tag, sends_get))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break


@pytest.fixture
def placed(world, personas):
    request = make_request(region=world.noord)
    placement = placement_reserve(user=personas.belteam, request=request, allocation=[(world.rooms_a[2].pk, 1)])
    return placement_confirm(user=personas.belteam, placement=placement)


def test_pages_send_no_personal_data_by_get(world, personas, client, placed):
    """Every page a person's details appear on: no GET form or htmx GET carries a personal field,
    and no link puts one in its query string. The new-request page's live candidates are a POST."""
    open_request = make_request(region=world.noord)
    pages = {
        personas.belteam: [reverse("placements:queue"), reverse("placements:request_new"),
                           reverse("placements:request_detail", args=[open_request.uuid]),
                           reverse("placements:placement_detail", args=[placed.uuid]),
                           reverse("placements:residents", args=[world.loc_a.uuid]),
                           reverse("placements:request_forward", args=[open_request.uuid]),
                           reverse("placements:supra_list"), reverse("locations:overview"),
                           reverse("locations:detail", args=[world.loc_a.uuid])],
        personas.coordinator: [reverse("placements:placement_transfer", args=[placed.uuid]),
                               reverse("placements:placement_swap", args=[placed.uuid])],
        personas.gemeente_a: [reverse("placements:residents", args=[world.loc_a.uuid]),
                              reverse("placements:placement_detail", args=[placed.uuid])],
    }
    seen_member_fields = False
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            page = _Page()
            page.feed(response.content.decode())
            assert [f for f in page.get_fields if _personal(f)] == [], url
            assert [p for p in page.link_params if _personal(p)] == [], url
            seen_member_fields |= "members-0-last_name" in response.content.decode()
    assert seen_member_fields  # the new-request page was really looked at


def test_the_live_candidates_panel_posts_the_typed_household(personas, login):
    content = login(personas.belteam).get(reverse("placements:request_new")).content.decode()
    form = re.search(r'<form[^>]*id="request-form"[^>]*>', content) or re.search(r"<form[^>]*hx-post[^>]*>", content)
    assert form and f'hx-post="{reverse("placements:preview")}"' in form.group(0)
    assert "hx-get" not in content
    assert login(personas.belteam).get(reverse("placements:preview")).status_code == 405


def test_a_placement_writes_no_personal_data_to_the_logs(world, personas, login, api_for, caplog):
    """A whole placement through the pages and the API, with a refused step and a 404 among them:
    the log records carry ids, never a name, V-number or date of birth."""
    born = dt.date(1987, 11, 23)
    member = {"first_name": "Zoryana", "last_name": "Logvinenko-Proef", "date_of_birth": born, "sex": "f",
              "relation": "main", "v_number": "7734512890", "nationality": "Oekraïens"}
    secrets = ["Zoryana", "Logvinenko", "7734512890", born.isoformat(), born.strftime("%d-%m-%Y")]
    arrival = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(hour=14, minute=0)
    client = login(personas.belteam)
    with caplog.at_level(logging.DEBUG):
        data = {
            "region": str(world.noord.pk), "source": "lcvs", "urgency": "normal",
            "arrival_date": arrival.date().isoformat(), "arrival_time": "14:00", "pets_count": "0",
            "members-TOTAL_FORMS": "1", "members-INITIAL_FORMS": "1", "members-MIN_NUM_FORMS": "0",
            "members-MAX_NUM_FORMS": "12",
            **{f"members-0-{k}": (v.isoformat() if isinstance(v, dt.date) else v) for k, v in member.items()},
        }
        assert client.post(reverse("placements:preview"), data).status_code == 200
        response = client.post(reverse("placements:request_new"), {
            **data, "allocation": f"{world.rooms_a[2].pk}:1", "action": "confirm", "notify_location": "on"})
        assert response.status_code == 302, response.content[:3000]
        placement = Placement.objects.get(request__members__v_number="7734512890")
        # a refused double confirm (409), a bad allocation (400), a 404 and the API's duplicate check
        assert client.post(reverse("placements:placement_confirm", args=[placement.uuid])).status_code == 409
        assert client.post(reverse("placements:request_place", args=[placement.request.uuid]),
                           {"allocation": "abc"}).status_code == 400
        assert client.get(reverse("placements:placement_detail", args=[PlacementRequest.objects.get().uuid])
                          ).status_code == 404
        api = api_for(personas.belteam)
        assert api.post("/api/v1/placement-requests/duplicates/", {
            "last_name": member["last_name"], "date_of_birth": born.isoformat(), "v_number": "7734512890"},
            format="json").status_code == 200
        assert api.post("/api/v1/placement-requests/duplicates/", {"last_name": member["last_name"]},
                        format="json").status_code == 400
        moved = placement_transfer(user=personas.coordinator, placement=placement,
                                   allocation=[(world.rooms_b[1].pk, 1)], reason="Dichter bij school")
        assert client.post(reverse("placements:placement_arrive", args=[moved.uuid])).status_code == 302
        assert client.post(reverse("placements:placement_depart", args=[moved.uuid]), {
            "on": timezone.localdate().isoformat(), "reason": "own_housing"}).status_code == 302
    assert caplog.records, "nothing was logged at all: the test would prove nothing"
    assert any(r.name == "django.request" for r in caplog.records)  # the 4xx answers were logged
    for record in caplog.records:
        text = f"{record.getMessage()} {record.args!r} {getattr(record, 'request', '')!s}"
        for secret in secrets:
            assert secret not in text, (record.name, text)


def test_no_template_sends_personal_fields_by_get():
    """The same rule read from the templates themselves, for pages the test above does not open:
    a GET form or an element with hx-get names no personal field (by name= or by form.<field>)."""
    from pathlib import Path

    from django.conf import settings

    offending = []
    for directory in settings.TEMPLATES[0]["DIRS"]:
        for template in Path(directory).rglob("*.html"):
            text = template.read_text()
            blocks = re.findall(r"<form(?![^>]*method=\"post\")[^>]*>.*?</form>", text, re.S | re.I)
            # An element that GETs via htmx, up to its closing tag (the first one: near enough here).
            blocks += [m.group(0) for m in re.finditer(r"<([a-z]+)[^>]*hx-get=[^>]*>.*?</\1>", text, re.S | re.I)]
            for block in blocks:
                names = (re.findall(r"name=\"([^\"{]+)\"", block) + re.findall(r"form\.(\w+)", block)
                         + re.findall(r"\[name=['\"]?([\w-]+)", block))  # hx-include="[name=...]"
                offending += [(str(template), name) for name in names if _personal(name)]
    assert offending == []
