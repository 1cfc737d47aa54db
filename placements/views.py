"""The belteam screens: queue, new request with live candidates, placing, the placement page with
whom to call, residents per location, and forwarding to the KCIO.

fetch → form → service → redirect. Access goes through the scoping selectors; anything outside
the user's scope answers 404. Candidates for a request that is still being typed are computed by
creating it inside a savepoint and rolling back, so matching has one input (a saved request) and
the preview never leaves a row behind.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.db.models import Case, Prefetch, Value, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from locations.models import Location
from locations.selectors import location_qs_for, region_qs_for
from rcvs.errors import ApplicationError, Conflict, add_to_form

from . import matching, notifications, origins, selectors, services
from . import supra as supra_module
from .forms import (
    CancelForm,
    ConfirmForm,
    DepartForm,
    ErrorForm,
    ReasonForm,
    RequestForm,
    SupraForm,
    SupraStatusForm,
    SwapForm,
    TransferForm,
    member_formset,
    parse_allocation,
)
from .models import (
    ACTIVE_PLACEMENT_STATUSES,
    OPEN_REQUEST_STATUSES,
    Placement,
    PlacementRequest,
    PlacementStatus,
    Relation,
    RequestStatus,
    SupraRegionalRequest,
    SupraRegionalStatus,
)

STATUS_LABELS = {**dict(PlacementStatus.choices), **dict(RequestStatus.choices)}


# --- helpers ----------------------------------------------------------------------------------

def _require_placer(request: HttpRequest) -> None:
    if not selectors.can_place(request.user):
        raise Http404


_MEMBER_KEY = re.compile(r"members\[(\d+)\](?:\.(\w+))?")


def _apply_request_error(form: RequestForm, formset: Any, error: ApplicationError) -> None:
    """Spread request_create's errors over the request form, the member rows and the household."""
    fields = error.extra.get("fields") or {}
    if not fields:
        form.add_error(None, error.message)
    filled = formset.filled_forms()
    for key, msgs in fields.items():
        member = _MEMBER_KEY.fullmatch(key)
        if member and int(member[1]) < len(filled):
            row, name = filled[int(member[1])], member[2]
            row.add_error(name if name in row.fields else None, msgs)
        elif key == "members" or member:
            formset.household_errors.extend(msgs)
        elif key == "expected_arrival":
            form.add_error("arrival_date", msgs)
        else:
            form.add_error(key if key in form.fields else None, msgs)


def _problems(form: RequestForm, formset: Any) -> list[dict[str, str]]:
    """Every error of the new-request screen, each with the id of the input it is about."""
    problems = [{"text": e, "anchor": "members"} for e in formset.household_errors]
    problems += [{"text": e, "anchor": "members"} for e in formset.non_form_errors()]
    problems += [{"text": e, "anchor": "request-form"} for e in form.non_field_errors()]
    for index, row in enumerate(formset.forms, 1):
        for error in row.non_field_errors():
            problems.append({"text": _("Gezinslid %(n)s: %(error)s") % {"n": index, "error": error},
                             "anchor": row["first_name"].id_for_label})
        for field in row:
            for error in field.errors:
                problems.append({"text": _("Gezinslid %(n)s, %(field)s: %(error)s") % {
                    "n": index, "field": field.label.lower(), "error": error}, "anchor": field.id_for_label})
    for field in form:
        for error in field.errors:
            problems.append({"text": f"{field.label}: {error}", "anchor": field.id_for_label})
    return problems


def _forms_valid(form: RequestForm, formset: Any) -> bool:
    valid = form.is_valid()
    valid = formset.is_valid() and valid
    return valid and not formset.household_errors


def _members(formset: Any) -> list[dict[str, Any]]:
    return [row.service_data() for row in formset.filled_forms()]


def _create_request(request: HttpRequest, form: RequestForm, formset: Any) -> PlacementRequest:
    return services.request_create(user=request.user, region=form.cleaned_data["region"],
                                   data=form.service_data(), members=_members(formset))


RESUBMIT_WINDOW = dt.timedelta(minutes=10)
RESUBMIT_LOCK = 1380144723  # advisory lock namespace of this check ("RCVS")


def _refuse_resubmit(request: HttpRequest, formset: Any) -> None:
    """A second click on Plaatsen or Opslaan (or the browser resending the POST) must not register
    the household twice. Inside the caller's transaction, one lock per user serialises the clicks,
    so the second one sees the request the first one just committed: the same user, the same
    household (every member by surname and date of birth), a few minutes ago → 409."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [RESUBMIT_LOCK, request.user.pk])
    people = {(m["last_name"].strip().lower(), m["date_of_birth"]) for m in _members(formset)}
    recent = (selectors.request_qs_for(request.user)
              .filter(created_by=request.user, created_at__gte=timezone.now() - RESUBMIT_WINDOW)
              .exclude(status=RequestStatus.CANCELLED)
              .prefetch_related("members").order_by("-created_at"))
    for earlier in recent[:20]:
        if {(m.last_name.lower(), m.date_of_birth) for m in earlier.members.all()} == people:
            raise Conflict(_("Dit huishouden is zojuist al opgeslagen (verzoek %(ref)s): open dat verzoek in de "
                             "wachtrij.") % {"ref": str(earlier.uuid)[:8]}, code="already_submitted")


def _parse_allocation(raw: str) -> list[tuple[int, int]]:
    """The chosen candidate's rooms, or a 400 with the Dutch message when the text is not one."""
    allocation = parse_allocation(raw)
    if allocation is None:
        raise ApplicationError(_("Kies een plek uit de lijst met kandidaten."), code="invalid")
    return allocation


def _status_of(error: ApplicationError) -> int:
    """The HTTP status of a refused action: 409 when the state changed under the user (taken,
    placed, moved meanwhile), 400 for input that could never work, 403/404 as the service says."""
    return error.status_code if 400 <= error.status_code < 500 else 400


def _why_not(error: services.NotAvailable) -> str:
    """'Kamer 1.04 is niet meer beschikbaar.': the reasons, under a heading that already says
    "Niet meer beschikbaar"."""
    reasons = "; ".join(str(r) for r in error.extra.get("reasons", [])) or error.message
    return reasons[:1].upper() + reasons[1:] + "."


def _contact_dict(contact: Any) -> dict[str, str] | None:
    if contact is None:
        return None
    return {"name": contact.name, "function": contact.function, "phone": contact.phone, "email": contact.email}


def _panel_from_result(result: Any) -> dict[str, Any]:
    """Plain data for the candidates panel. Built while the previewed request still exists."""
    candidates = []
    for candidate in result.candidates:
        candidates.append({
            "rank": candidate.rank,
            "location": candidate.location,
            "municipality": candidate.municipality.name,
            "rooms": [{"number": room.number, "beds": room.beds, "persons": persons}
                      for room, persons in candidate.rooms],
            "beds_used": candidate.beds_used,
            "snijverlies": candidate.snijverlies,
            "explanation": [str(line) for line in candidate.explanation],
            "contact": _contact_dict(candidate.contact),
            "allocation": ",".join(f"{room_id}:{persons}" for room_id, persons in candidate.allocation),
        })
    household = result.household
    return {"candidates": candidates, "excluded": [str(line) for line in result.excluded_lines()],
            "warnings": [str(line) for line in result.warnings], "ready": True,
            "household": {"size": household.size, "infants": household.infants, "pets": household.pets,
                          "wheelchair": household.wheelchair, "reduced_mobility": household.reduced_mobility,
                          "arrival": household.arrival, "night": household.night_arrival}}


def _duplicates(user: Any, members: list[dict[str, Any]],
                exclude: PlacementRequest | None = None) -> list[dict[str, str]]:
    lines = []
    for other in selectors.possible_duplicates(user=user, people=members, exclude_request=exclude):
        lines.append({
            "text": _("Mogelijk dubbel: %(name)s (%(born)s) staat al in verzoek %(ref)s (status %(status)s)") % {
                "name": f"{other.first_name} {other.last_name}", "born": other.date_of_birth.strftime("%d-%m-%Y"),
                "ref": str(other.request.uuid)[:8], "status": other.request.get_status_display().lower()},
            "url": reverse("placements:request_detail", args=[other.request.uuid])})
    return lines


def _new_request_panel(request: HttpRequest, form: RequestForm, formset: Any) -> dict[str, Any]:
    """Candidates for a request that is still on the screen: create it in a savepoint, match,
    read everything needed for rendering, roll back."""
    valid = _forms_valid(form, formset)
    members = [row.service_data() for row in formset.forms if row.is_valid() and row.has_changed()]
    panel: dict[str, Any] = {"ready": False, "candidates": [], "excluded": [], "problems": [],
                             "duplicates": _duplicates(request.user, members)}
    if not valid:
        panel["problems"] = _problems(form, formset)
        return panel
    try:
        with transaction.atomic():
            created = _create_request(request, form, formset)
            panel.update(_panel_from_result(matching.find_candidates(created)))
            transaction.set_rollback(True)
    except ApplicationError as error:
        _apply_request_error(form, formset, error)
        panel["problems"] = _problems(form, formset)
    return panel


def _household_summary(placement_request: PlacementRequest) -> dict[str, Any]:
    """Size, ages and names as plain data; from prefetched members, so no queries in a list."""
    members = list(placement_request.members.all())
    day = timezone.localtime(placement_request.expected_arrival).date()
    main = next((m for m in members if m.relation == Relation.MAIN), members[0] if members else None)
    return {
        "size": len(members),
        "ages": [m.age_on(day) for m in members],
        "infants": sum(1 for m in members if m.is_infant_on(day)),
        "main": {"first_name": main.first_name, "last_name": main.last_name} if main else None,
        "members": [{"first_name": m.first_name, "last_name": m.last_name, "age": m.age_on(day),
                     "infant": m.is_infant_on(day), "relation": m.get_relation_display(),
                     "date_of_birth": m.date_of_birth, "sex": m.get_sex_display(),
                     "nationality": m.nationality, "v_number": m.v_number} for m in members],
    }


def _placement_summary(placement_request: PlacementRequest, placement: Placement) -> dict[str, Any]:
    """What the confirmation step shows; built inside the dry run, so only plain data leaves it."""
    rooms = [{"number": pr.room.number, "beds": pr.room.beds, "persons": pr.persons,
              "lost": pr.room.beds - pr.persons if pr.exclusive else 0}
             for pr in placement.rooms.select_related("room")]
    location = Location.objects.select_related("municipality").get(pk=placement.location_id)
    return {
        "household": _household_summary(placement_request),
        "needs": _needs(placement_request),
        "location": location,
        "rooms": rooms,
        "snijverlies": sum(room["lost"] for room in rooms),
        "persons": placement.persons,
        "arrival": placement_request.expected_arrival,
        "night": matching.is_night(placement_request.expected_arrival),
        "contact": _contact_dict(location.primary_contact()),
    }


def _needs(placement_request: PlacementRequest) -> list[str]:
    needs = []
    if placement_request.pets_count:
        needs.append(_("%(n)s huisdier(en): %(kind)s") % {"n": placement_request.pets_count,
                                                           "kind": placement_request.pets_kind})
    if placement_request.needs_wheelchair:
        needs.append(_("rolstoel"))
    if placement_request.reduced_mobility:
        needs.append(_("beperkt mobiel"))
    if placement_request.care_need:
        needs.append(_("zorgbehoefte"))
    if placement_request.own_transport:
        needs.append(_("eigen vervoer"))
    return needs


def _carry(post: Any) -> list[tuple[str, str]]:
    """The typed request as hidden fields, so the confirmation step can send it back unchanged."""
    skip = {"csrfmiddlewaretoken", "action", "allocation", "notify_location"}
    return [(name, value) for name, values in post.lists() if name not in skip for value in values]


# --- queue and new request --------------------------------------------------------------------

def _active_placements_prefetch() -> Prefetch:
    return Prefetch("placements", to_attr="active_placements",
                    queryset=Placement.objects.filter(status__in=ACTIVE_PLACEMENT_STATUSES).select_related("location"))


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    _require_placer(request)
    requests = list(selectors.request_queue(user=request.user).prefetch_related(
        _active_placements_prefetch()))
    rows = [{"request": r, "household": _household_summary(r), "placement": next(iter(r.active_placements), None),
             "arrival_in": timeuntil(r.expected_arrival, depth=1)} for r in requests]
    asked = list(selectors.open_transfer_requests(user=request.user))
    described = origins.describe(request.user, asked)
    transfers = [{"transfer_request": tr, "placement": tr.placement, "request": tr.placement.request,
                  "household": _household_summary(tr.placement.request), "origin": described.get(tr.pk)}
                 for tr in asked]
    return render(request, "placements/queue.html", {"rows": rows, "transfers": transfers, "now": timezone.now()})


def _transfer_request_context(request: HttpRequest, placement: Placement) -> dict[str, Any]:
    """The open request to move this placement, and where it came from as this viewer may see it
    (a case number for all; a link to the case only for those who may open it)."""
    asked = selectors.open_transfer_request_of(placement)
    origin = origins.describe(request.user, [asked]).get(asked.pk) if asked else None
    return {"transfer_request": asked, "transfer_origin": origin}


def _render_new(request: HttpRequest, form: RequestForm, formset: Any, *, panel: dict[str, Any] | None = None,
                not_available: str = "", status: int | None = None) -> HttpResponse:
    problems = _problems(form, formset) if form.is_bound else []
    if panel and problems:
        panel["problems_above"] = True  # listed once, in the error summary
    if status is None:
        status = 409 if not_available else 400 if problems else 200
    return render(request, "placements/request_new.html", {
        "form": form, "formset": formset, "panel": panel or {"ready": False}, "problems": problems,
        "not_available": not_available, "place_form": "request-form", "place_label": _("Plaatsen"),
        "forward_in_form": True,
    }, status=status)


@login_required
def request_new(request: HttpRequest) -> HttpResponse:
    _require_placer(request)
    regions = region_qs_for(request.user).order_by("name")
    if request.method != "POST":
        formset = member_formset()
        formset.forms[0].fields["first_name"].widget.attrs["autofocus"] = True
        return _render_new(request, RequestForm(regions=regions), formset)
    action, allocation = request.POST.get("action", ""), request.POST.get("allocation", "")
    data = request.POST
    if action == "add_member":  # without JavaScript: one more row, nothing checked yet
        data = request.POST.copy()
        total = data.get("members-TOTAL_FORMS") or "0"
        data["members-TOTAL_FORMS"] = str(int(total) + 1) if total.isascii() and total.isdigit() and len(total) < 4 else total
    form, formset = RequestForm(data, regions=regions), member_formset(data)
    if action == "add_member":
        return render(request, "placements/request_new.html", {
            "form": form, "formset": formset, "panel": {"ready": False}, "problems": [],
            "place_form": "request-form", "place_label": _("Plaatsen"), "forward_in_form": True})
    if action in ("confirm", "reserve"):
        return _new_place(request, form, formset, allocation, confirm=action == "confirm")
    if allocation and action != "back":
        return _new_confirmation_step(request, form, formset, allocation)
    if action in ("save", "forward") and _forms_valid(form, formset):
        try:
            with transaction.atomic():
                _refuse_resubmit(request, formset)
                created = _create_request(request, form, formset)
        except ApplicationError as error:
            _apply_request_error(form, formset, error)
            return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset),
                               status=_status_of(error))
        else:
            messages.success(request, _("Het verzoek is opgeslagen."))
            if action == "forward":
                return redirect("placements:request_forward", uuid=created.uuid)
            return redirect("placements:queue")
    # "Kandidaten zoeken" without JavaScript, "Terug" from the confirmation step, or errors.
    return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset))


@login_required
@require_POST
def preview(request: HttpRequest) -> HttpResponse:
    """The candidates panel for the form as typed so far (htmx). Writes nothing."""
    _require_placer(request)
    regions = region_qs_for(request.user).order_by("name")
    form, formset = RequestForm(request.POST, regions=regions), member_formset(request.POST)
    panel = _new_request_panel(request, form, formset)
    return render(request, "placements/request_new.html#panel", {
        "panel": panel, "place_form": "request-form", "place_label": _("Plaatsen"), "forward_in_form": True})


def _new_confirmation_step(request: HttpRequest, form: RequestForm, formset: Any, raw: str) -> HttpResponse:
    """One extra screen: who goes where. Dry run of create + reserve, rolled back."""
    if _forms_valid(form, formset):
        try:
            allocation = _parse_allocation(raw)
            with transaction.atomic():
                created = _create_request(request, form, formset)
                placement = services.placement_reserve(user=request.user, request=created, allocation=allocation)
                summary = _placement_summary(created, placement)
                transaction.set_rollback(True)
        except services.NotAvailable as error:
            return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset),
                               not_available=_why_not(error))
        except ApplicationError as error:
            _apply_request_error(form, formset, error)
            return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset),
                               status=_status_of(error))
        else:
            return render(request, "placements/confirm.html", {
                **summary, "allocation": raw, "carry": _carry(request.POST),
                "action_url": reverse("placements:request_new"), "back_url": None,
                "confirm_form": ConfirmForm(initial={"notify_location": bool(summary["contact"]
                                                                             and summary["contact"]["email"])}),
                "reservation_hours": settings.PLACEMENT_RESERVATION_HOURS,
            })
    return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset))


def _new_place(request: HttpRequest, form: RequestForm, formset: Any, raw: str, *, confirm: bool) -> HttpResponse:
    """Create the request and reserve (and confirm) in one transaction: all or nothing."""
    notify = ConfirmForm(request.POST)
    notify_location = notify.is_valid() and notify.cleaned_data["notify_location"]
    if _forms_valid(form, formset):
        try:
            allocation = _parse_allocation(raw)
            with transaction.atomic():
                _refuse_resubmit(request, formset)
                created = _create_request(request, form, formset)
                placement = services.placement_reserve(user=request.user, request=created, allocation=allocation)
                if confirm:
                    services.placement_confirm(user=request.user, placement=placement,
                                               notify_location=notify_location)
        except services.NotAvailable as error:
            return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset),
                               not_available=_why_not(error))
        except ApplicationError as error:
            _apply_request_error(form, formset, error)
            return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset),
                               status=_status_of(error))
        else:
            messages.success(request, _placed_message(placement, confirm, notify_location))
            return redirect("placements:placement_detail", uuid=placement.uuid)
    return _render_new(request, form, formset, panel=_new_request_panel(request, form, formset))


def _placed_message(placement: Placement, confirm: bool, notify_location: bool) -> str:
    if not confirm:
        return _("Gereserveerd tot %(until)s. Bevestig de plaatsing voor die tijd.") % {
            "until": timezone.localtime(placement.reserved_until).strftime("%d-%m-%Y %H:%M")}
    if notify_location:
        return _("Geplaatst en bevestigd. De locatie krijgt een e-mail.")
    return _("Geplaatst en bevestigd.")


# --- an existing request ----------------------------------------------------------------------

def _request_for(request: HttpRequest, uuid: UUID) -> PlacementRequest:
    _require_placer(request)
    return get_object_or_404(selectors.request_qs_for(request.user), uuid=uuid)


def _request_panel(request: HttpRequest, placement_request: PlacementRequest) -> dict[str, Any]:
    panel: dict[str, Any] = {"ready": False, "candidates": [], "excluded": [], "problems": []}
    if placement_request.status in (RequestStatus.NEW, RequestStatus.IN_PROGRESS):
        panel.update(_panel_from_result(matching.find_candidates(placement_request)))
    members = [{"first_name": m.first_name, "last_name": m.last_name, "date_of_birth": m.date_of_birth,
                "v_number": m.v_number} for m in placement_request.members.all()]
    panel["duplicates"] = _duplicates(request.user, members, exclude=placement_request)
    return panel


def _render_request(request: HttpRequest, placement_request: PlacementRequest, *,
                    cancel_form: CancelForm | None = None, failed: forms.Form | None = None,
                    not_available: str = "", status: int = 200) -> HttpResponse:
    events = placement_request.events.select_related("actor", "placement__location").order_by("at", "pk")
    placements = placement_request.placements.select_related("location").order_by("-reserved_at")
    return render(request, "placements/request_detail.html", {
        "req": placement_request,
        "household": _household_summary(placement_request),
        "needs": _needs(placement_request),
        "events": [{"event": e, "from": STATUS_LABELS.get(e.from_status, e.from_status),
                    "to": STATUS_LABELS.get(e.to_status, e.to_status)} for e in events],
        "placements": list(placements),
        "panel": _request_panel(request, placement_request),
        "is_open": placement_request.status in OPEN_REQUEST_STATUSES,
        "can_take": placement_request.status in (RequestStatus.NEW, RequestStatus.IN_PROGRESS)
                    and placement_request.assigned_to_id != request.user.pk,
        "cancel_form": cancel_form or CancelForm(),
        "failed": failed,
        "not_available": not_available,
        "place_form": "place-form", "place_label": _("Plaatsen"), "forward_in_form": False,
    }, status=status)


@login_required
def request_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _render_request(request, _request_for(request, uuid))


@login_required
@require_POST
def request_take(request: HttpRequest, uuid: UUID) -> HttpResponse:
    placement_request = _request_for(request, uuid)
    try:
        services.request_take(user=request.user, request=placement_request)
    except ApplicationError as error:
        placement_request.refresh_from_db()
        return _render_request(request, placement_request, failed=ErrorForm(error.message),
                               status=_status_of(error))
    messages.success(request, _("U heeft het verzoek in behandeling genomen."))
    return redirect("placements:request_detail", uuid=placement_request.uuid)


@login_required
@require_POST
def request_cancel(request: HttpRequest, uuid: UUID) -> HttpResponse:
    placement_request = _request_for(request, uuid)
    form = CancelForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.request_cancel(user=request.user, request=placement_request, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            add_to_form(form, error)
            status = _status_of(error)
            placement_request.refresh_from_db()
        else:
            messages.success(request, _("Het verzoek is geannuleerd."))
            return redirect("placements:queue")
    return _render_request(request, placement_request, cancel_form=form, failed=form, status=status)


@login_required
@require_POST
def request_place(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """Plaatsen from the request page: first the confirmation step, then reserve (and confirm)."""
    placement_request = _request_for(request, uuid)
    action, raw = request.POST.get("action", ""), request.POST.get("allocation", "")
    try:
        allocation = _parse_allocation(raw)
        if action in ("confirm", "reserve"):
            notify = ConfirmForm(request.POST)
            notify_location = notify.is_valid() and notify.cleaned_data["notify_location"]
            with transaction.atomic():
                placement = services.placement_reserve(user=request.user, request=placement_request,
                                                       allocation=allocation)
                if action == "confirm":
                    services.placement_confirm(user=request.user, placement=placement,
                                               notify_location=notify_location)
            messages.success(request, _placed_message(placement, action == "confirm", notify_location))
            return redirect("placements:placement_detail", uuid=placement.uuid)
        with transaction.atomic():
            placement = services.placement_reserve(user=request.user, request=placement_request,
                                                   allocation=allocation)
            summary = _placement_summary(placement_request, placement)
            transaction.set_rollback(True)
    except services.NotAvailable as error:
        placement_request.refresh_from_db()  # fresh candidates: the panel is computed from the request as it is now
        return _render_request(request, placement_request, not_available=_why_not(error), status=409)
    except ApplicationError as error:
        placement_request.refresh_from_db()
        return _render_request(request, placement_request, failed=ErrorForm(error.message),
                               status=_status_of(error))
    return render(request, "placements/confirm.html", {
        **summary, "allocation": raw, "carry": [],
        "action_url": reverse("placements:request_place", args=[placement_request.uuid]),
        "back_url": reverse("placements:request_detail", args=[placement_request.uuid]),
        "confirm_form": ConfirmForm(initial={"notify_location": bool(summary["contact"]
                                                                     and summary["contact"]["email"])}),
        "reservation_hours": settings.PLACEMENT_RESERVATION_HOURS,
    })


# --- forwarding to the KCIO (bovenregionaal) ----------------------------------------------------

def _supra_qs(request: HttpRequest) -> Any:
    _require_placer(request)
    return SupraRegionalRequest.objects.filter(region__in=region_qs_for(request.user)).select_related("request")


@login_required
def supra_list(request: HttpRequest) -> HttpResponse:
    """Supra-regional requests of the user's regions, open ones (sent) first, newest first."""
    rows = (_supra_qs(request).select_related("created_by")
            .order_by(Case(When(status=SupraRegionalStatus.SENT, then=Value(0)), default=Value(1)), "-created_at"))
    return render(request, "placements/supra_list.html", {"rows": rows[:200]})


@login_required
def request_forward(request: HttpRequest, uuid: UUID) -> HttpResponse:
    placement_request = _request_for(request, uuid)
    if placement_request.status not in (RequestStatus.NEW, RequestStatus.IN_PROGRESS):
        raise Http404
    form = SupraForm(request.POST or None, initial={
        "contact_name": request.user.get_full_name() or request.user.username, "contact_email": request.user.email})
    if request.method == "POST" and form.is_valid():
        try:
            created = supra_module.supra_request_create(user=request.user, request=placement_request, **form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Het verzoek is doorgezet naar de KCIO."))
            return redirect("placements:supra_detail", uuid=created.uuid)
    return render(request, "placements/supra_form.html", {
        "form": form, "req": placement_request, "household": _household_summary(placement_request),
        "needs": _needs(placement_request)}, status=400 if form.errors else 200)


@login_required
def supra_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    supra = get_object_or_404(_supra_qs(request), uuid=uuid)
    download = request.GET.get("formaat")
    filename = f"bovenregionaal-{str(supra.uuid)[:8]}"
    if download == "json":
        response = JsonResponse(supra_module.supra_as_json(supra), json_dumps_params={"ensure_ascii": False,
                                                                                      "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
        return response
    if download == "txt":
        response = HttpResponse(supra_module.supra_as_text(supra), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.txt"'
        return response
    if download == "pdf":
        response = HttpResponse(supra_module.supra_as_pdf(supra), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
        return response
    form = SupraStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            supra_module.supra_request_set_status(user=request.user, supra=supra, **form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("De status is bijgewerkt."))
            return redirect("placements:supra_detail", uuid=supra.uuid)
    return render(request, "placements/supra_detail.html", {
        "supra": supra, "form": form, "text": supra_module.supra_as_text(supra),
        "can_change": supra.status == SupraRegionalStatus.SENT}, status=400 if form.errors else 200)


# --- a placement ------------------------------------------------------------------------------

def _placement_for(request: HttpRequest, uuid: UUID) -> Placement:
    return get_object_or_404(selectors.placement_qs_for(request.user), uuid=uuid)


def _transferred_to(request: HttpRequest, placement: Placement) -> dict[str, Any]:
    """Where the household went after a transfer, if it went anywhere. The new placement is shown
    (name, link) only when it lies within the viewer's own scope: a municipality learns that its
    household moved ("verplaatst"), not to which location of another municipality."""
    moved = Placement.objects.filter(transferred_from=placement).values_list("pk", flat=True).first()
    if moved is None:
        return {"transferred": False, "transferred_to": None}
    return {"transferred": True, "transferred_to": selectors.placement_qs_for(request.user).filter(pk=moved).first()}


def _render_placement(request: HttpRequest, placement: Placement, *, failed: forms.Form | None = None,
                      status: int = 200, **forms_: forms.Form) -> HttpResponse:
    can_place = selectors.can_place(request.user)
    contact = placement.location.primary_contact()
    context = {
        "placement": placement,
        "location": placement.location,
        "rooms": list(placement.rooms.select_related("room").order_by("room__number")),
        "contact": contact,
        "household": _household_summary(placement.request),
        "can_place": can_place,
        "can_move": selectors.can_move_placement(request.user, placement),
        "can_stay": selectors.can_register_stay(request.user, placement),
        "confirmation_text": notifications.confirmation_text(placement) if can_place else "",
        "confirm_form": ConfirmForm(initial={"notify_location": bool(contact and contact.email)}),
        "arrive_form": forms.Form(),
        "depart_form": DepartForm(),
        "release_form": ReasonForm(),
        "failed": failed,
        **_transferred_to(request, placement),
        **(_transfer_request_context(request, placement) if can_place else {}),
        "events": [],
    }
    if can_place:
        events = placement.request.events.select_related("actor").order_by("at", "pk")
        context["events"] = [{"event": e, "from": STATUS_LABELS.get(e.from_status, e.from_status),
                              "to": STATUS_LABELS.get(e.to_status, e.to_status)} for e in events]
    context.update(forms_)
    return render(request, "placements/placement_detail.html", context, status=status)


@login_required
def placement_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _render_placement(request, _placement_for(request, uuid))


def _placement_action(request: HttpRequest, uuid: UUID, *, form: forms.Form, form_name: str, allowed: bool,
                      run: Any, success: str, rename: dict[str, str] | None = None) -> HttpResponse:
    placement = _placement_for(request, uuid)
    if not allowed(placement):
        raise Http404
    status = 400
    if form.is_valid():
        try:
            run(placement, form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error, rename)
            status = _status_of(error)  # e.g. 409 for a second click on a step already done
        else:
            messages.success(request, success)
            return redirect("placements:placement_detail", uuid=placement.uuid)
    placement = _placement_for(request, uuid)  # fresh: nothing was written
    return _render_placement(request, placement, failed=form, status=status, **{form_name: form})


@login_required
@require_POST
def placement_confirm(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _placement_action(
        request, uuid, form=ConfirmForm(request.POST), form_name="confirm_form",
        allowed=lambda p: selectors.can_place(request.user),
        run=lambda p, data: services.placement_confirm(user=request.user, placement=p,
                                                       notify_location=data["notify_location"]),
        success=_("De plaatsing is bevestigd."))


@login_required
@require_POST
def placement_arrive(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _placement_action(
        request, uuid, form=forms.Form(request.POST), form_name="arrive_form",
        allowed=lambda p: selectors.can_register_stay(request.user, p),
        run=lambda p, data: services.placement_arrive(user=request.user, placement=p),
        success=_("De aankomst is geregistreerd."))


@login_required
@require_POST
def placement_depart(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _placement_action(
        request, uuid, form=DepartForm(request.POST), form_name="depart_form",
        allowed=lambda p: selectors.can_register_stay(request.user, p),
        run=lambda p, data: services.placement_depart(user=request.user, placement=p, on=data["on"],
                                                      reason=data["reason"], note=data["note"]),
        success=_("Het vertrek is geregistreerd; de bedden zijn weer vrij."))


@login_required
@require_POST
def placement_release(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _placement_action(
        request, uuid, form=ReasonForm(request.POST), form_name="release_form",
        allowed=lambda p: selectors.can_place(request.user),
        run=lambda p, data: services.placement_release(user=request.user, placement=p, reason=data["reason"]),
        success=_("De plaatsing is vrijgegeven; het verzoek staat weer in de wachtrij."))


def _movable(request: HttpRequest, uuid: UUID) -> Placement:
    placement = _placement_for(request, uuid)
    if not selectors.can_move_placement(request.user, placement):
        raise Http404  # the coordinators' work; the belteam's only when someone asked for it
    return placement


def _only_if_asked(request: HttpRequest) -> bool:
    """A placing user who is not a coordinator moves only while a request is open: the service
    checks that again under its locks (the request may be withdrawn between page and click)."""
    return not selectors.can_move(request.user)


@login_required
def placement_transfer(request: HttpRequest, uuid: UUID) -> HttpResponse:
    placement = _movable(request, uuid)
    form = TransferForm(request.POST or None)
    not_available, status = "", 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            new = services.placement_transfer(user=request.user, placement=placement,
                                              allocation=_parse_allocation(request.POST.get("allocation", "")),
                                              reason=form.cleaned_data["reason"],
                                              require_transfer_request=_only_if_asked(request))
        except services.NotAvailable as error:
            not_available, status = _why_not(error), 409
        except ApplicationError as error:
            add_to_form(form, error)
            status = _status_of(error)
        else:
            messages.success(request, _("Overgeplaatst naar %(location)s.") % {"location": new.location.name})
            return redirect("placements:placement_detail", uuid=new.uuid)
        placement = _placement_for(request, uuid)
    panel = {"ready": False, "candidates": [], "excluded": []}
    if placement.status in (PlacementStatus.CONFIRMED, PlacementStatus.ARRIVED):
        panel = _panel_from_result(matching.find_candidates(placement.request))
    return render(request, "placements/transfer.html", {
        "placement": placement, "form": form, "panel": panel, "not_available": not_available,
        "rooms": list(placement.rooms.filter(active=True).select_related("room")),
        "household": _household_summary(placement.request),
        "place_form": "transfer-form", "place_label": _("Verplaatsen"), "forward_in_form": False,
        "hide_forward": True, **_transfer_request_context(request, placement),
    }, status=status)


@login_required
def placement_swap(request: HttpRequest, uuid: UUID) -> HttpResponse:
    placement = _movable(request, uuid)
    others = (selectors.placement_qs_for(request.user)
              .filter(request__region_id=placement.request.region_id,
                      status__in=[PlacementStatus.CONFIRMED, PlacementStatus.ARRIVED])
              .exclude(pk=placement.pk).prefetch_related("rooms__room").order_by("location__name", "reserved_at"))
    form = SwapForm(request.POST or None, others=others)
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            new, _other = services.placement_swap(user=request.user, first=placement, second=form.cleaned_data["other"],
                                                  reason=form.cleaned_data["reason"],
                                                  require_transfer_request=_only_if_asked(request))
        except ApplicationError as error:
            add_to_form(form, error)
            status = _status_of(error)
        else:
            messages.success(request, _("Geruild: dit huishouden gaat naar %(location)s.") % {
                "location": new.location.name})
            return redirect("placements:placement_detail", uuid=new.uuid)
    return render(request, "placements/swap.html", {
        "placement": placement, "form": form, "has_others": others.exists(),
        "rooms": list(placement.rooms.filter(active=True).select_related("room")),
        "household": _household_summary(placement.request), **_transfer_request_context(request, placement)},
        status=status)


# --- residents of a location ------------------------------------------------------------------

@login_required
def residents(request: HttpRequest, uuid: UUID) -> HttpResponse:
    """Who stays (or is expected) at a location: names and ages, nothing else. A municipality sees
    its own locations; the board sees no persons at all."""
    if not (selectors.can_place(request.user) or request.user.is_gemeente):
        raise Http404
    location = get_object_or_404(location_qs_for(request.user), uuid=uuid)
    day = timezone.localdate()
    households = []
    for placement in selectors.residents_of(user=request.user, location_id=location.pk):
        households.append({
            "placement": placement,
            "rooms": [pr for pr in placement.rooms.all() if pr.active],
            "members": [{"first_name": m.first_name, "last_name": m.last_name, "age": m.age_on(day)}
                        for m in placement.request.members.all()],
        })
    return render(request, "placements/residents.html", {
        "location": location, "households": households,
        "persons": sum(h["placement"].persons for h in households)})


# --- find anyone (issue 9, point 2) -----------------------------------------------------------

@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Find a household by name, date of birth or V-number. GET shows the empty form; the lookup
    itself is a POST, so no personal data reaches a URL, a log or the history, and the page is
    never cached. Refused input answers 400 with the reason in the form."""
    from django.core.exceptions import PermissionDenied
    from django.utils.cache import add_never_cache_headers

    from . import search as search_module

    if not search_module.can_search(request.user):
        raise PermissionDenied
    status, result = 200, None
    if request.method == "POST":
        form = search_module.SearchForm(request.POST)
        if form.is_valid():
            result = search_module.household_search(
                user=request.user, name_terms=form.cleaned_data["name"],
                date_of_birth=form.cleaned_data["date_of_birth"], v_number=form.cleaned_data["v_number"])
        else:
            status = 400
    else:
        form = search_module.SearchForm()
    response = render(request, "placements/search.html", {
        "form": form, "result": result, "can_place": selectors.can_place(request.user),
        "limit": search_module.SEARCH_LIMIT}, status=status)
    add_never_cache_headers(response)
    return response
