"""HTML views of the registry: fetch → form → service → redirect. Access goes through the
scoping selectors; anything outside the user's scope answers 404."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from rcvs.errors import ApplicationError, add_to_form

from . import overview_export as export
from . import services
from .forms import ContactForm, LocationForm, OverviewFilterForm, RoomBlockForm, RoomForm
from .history import location_history
from .models import Location
from .selectors import (
    OverviewFilters,
    build_overview,
    editable_municipality_qs_for,
    location_detail,
    location_qs_for,
    location_rooms,
    municipality_qs_for,
    room_qs_for,
    user_can_edit_location,
)


def _status(request: HttpRequest, form: forms.Form) -> int:
    """400 for a form sent back with errors, so that a refusal is a refusal in the logs and to
    clients, while the page still shows the form with its Dutch messages."""
    return 400 if request.method == "POST" and form.errors else 200


def _editable_location(request: HttpRequest, uuid: UUID) -> Location:
    location = get_object_or_404(location_qs_for(request.user), uuid=uuid)
    if not user_can_edit_location(request.user, location):
        raise Http404  # read-only roles see the page, but the edit URLs do not exist for them
    return location


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    municipalities = municipality_qs_for(request.user)
    form = OverviewFilterForm(request.GET or None, municipalities=municipalities)
    filters = OverviewFilters()
    if form.is_valid():
        filters = export.filters_from_form(form.cleaned_data)  # the same filters as its export
    data = build_overview(user=request.user, filters=filters, as_of=timezone.localdate())
    template = "locations/overview.html#results" if request.htmx else "locations/overview.html"
    return render(request, template, {"form": form, "overview": data, "filters": filters,
                                      "can_create": editable_municipality_qs_for(request.user).exists()})


@login_required
def detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    try:
        location = location_detail(user=request.user, uuid=uuid)
    except Location.DoesNotExist as exc:
        raise Http404 from exc
    return render(request, "locations/detail.html", {
        "location": location,
        "rooms": location_rooms(location),
        "contacts": list(location.contacts.all()),
        "can_edit": user_can_edit_location(request.user, location),
        "block_form": RoomBlockForm(),
    })


@login_required
def location_create(request: HttpRequest) -> HttpResponse:
    municipalities = editable_municipality_qs_for(request.user)
    if not municipalities.exists():
        raise Http404
    form = LocationForm(request.POST or None, municipalities=municipalities)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_create(user=request.user, data=form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Locatie %(name)s is aangemaakt.") % {"name": location.name})
            return redirect("locations:detail", uuid=location.uuid)
    return render(request, "locations/location_form.html", {"form": form, "location": None},
                  status=_status(request, form))


@login_required
def location_edit(request: HttpRequest, uuid: UUID) -> HttpResponse:
    location = _editable_location(request, uuid)
    form = LocationForm(request.POST or None, instance=Location.objects.get(pk=location.pk),
                        municipalities=editable_municipality_qs_for(request.user))
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.location_update(user=request.user, location=location, data=changed)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("De wijzigingen zijn opgeslagen."))
            return redirect("locations:detail", uuid=location.uuid)
    return render(request, "locations/location_form.html", {"form": form, "location": location},
                  status=_status(request, form))


@login_required
def room_form(request: HttpRequest, uuid: UUID, room_id: int | None = None) -> HttpResponse:
    location = _editable_location(request, uuid)
    room = get_object_or_404(room_qs_for(request.user), pk=room_id, location=location) if room_id else None
    form = RoomForm(request.POST or None, instance=room)
    if request.method == "POST" and form.is_valid():
        try:
            if room is None:
                saved = services.room_create(user=request.user, location=location, data=form.cleaned_data)
            else:
                changed = {name: form.cleaned_data[name] for name in form.changed_data}
                saved = services.room_update(user=request.user, room=room, data=changed)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Kamer %(number)s is opgeslagen.") % {"number": saved.number})
            return redirect("locations:detail", uuid=location.uuid)
    return render(request, "locations/room_form.html", {"form": form, "location": location, "room": room},
                  status=_status(request, form))


@login_required
def room_block(request: HttpRequest, uuid: UUID, room_id: int) -> HttpResponse:
    location = _editable_location(request, uuid)
    room = get_object_or_404(room_qs_for(request.user), pk=room_id, location=location)
    form = RoomBlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.room_block(user=request.user, room=room, reason=form.cleaned_data["reason"],
                                until=form.cleaned_data["until"])
        except ApplicationError as error:
            add_to_form(form, error, rename={"blocked_reason": "reason", "blocked_until": "until"})
        else:
            messages.success(request, ngettext("Kamer %(number)s is geblokkeerd (%(beds)s bed buiten gebruik).",
                                               "Kamer %(number)s is geblokkeerd (%(beds)s bedden buiten gebruik).",
                                               room.beds) % {"number": room.number, "beds": room.beds})
            return redirect("locations:detail", uuid=location.uuid)
    return render(request, "locations/room_block.html", {"form": form, "location": location, "room": room},
                  status=_status(request, form))


@login_required
@require_POST
def room_unblock(request: HttpRequest, uuid: UUID, room_id: int) -> HttpResponse:
    location = _editable_location(request, uuid)
    room = get_object_or_404(room_qs_for(request.user), pk=room_id, location=location)
    services.room_unblock(user=request.user, room=room)
    messages.success(request, _("De blokkade van kamer %(number)s is opgeheven.") % {"number": room.number})
    return redirect("locations:detail", uuid=location.uuid)


@login_required
@require_POST
def room_delete(request: HttpRequest, uuid: UUID, room_id: int) -> HttpResponse:
    location = _editable_location(request, uuid)
    room = get_object_or_404(room_qs_for(request.user), pk=room_id, location=location)
    try:
        services.room_delete(user=request.user, room=room)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Kamer %(number)s is verwijderd.") % {"number": room.number})
    return redirect("locations:detail", uuid=location.uuid)


@login_required
def contact_form(request: HttpRequest, uuid: UUID, contact_id: int | None = None) -> HttpResponse:
    location = _editable_location(request, uuid)
    contact = get_object_or_404(location.contacts, pk=contact_id) if contact_id else None
    form = ContactForm(request.POST or None, instance=contact)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_save(user=request.user, location=location, contact=contact, data=form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("De contactpersoon is opgeslagen."))
            return redirect("locations:detail", uuid=location.uuid)
    return render(request, "locations/contact_form.html", {"form": form, "location": location, "contact": contact},
                  status=_status(request, form))


@login_required
@require_POST
def contact_delete(request: HttpRequest, uuid: UUID, contact_id: int) -> HttpResponse:
    location = _editable_location(request, uuid)
    contact = get_object_or_404(location.contacts, pk=contact_id)
    services.contact_delete(user=request.user, contact=contact)
    messages.success(request, _("De contactpersoon is verwijderd."))
    return redirect("locations:detail", uuid=location.uuid)


@login_required
def history(request: HttpRequest, uuid: UUID) -> HttpResponse:
    location = get_object_or_404(location_qs_for(request.user), uuid=uuid)
    page = Paginator(location_history(location), 50).get_page(request.GET.get("pagina"))
    return render(request, "locations/history.html", {"location": location, "page": page})


# --- overview export (issue 9, point 14) ---

@login_required
def overview_export(request: HttpRequest) -> HttpResponse:
    """The capacity overview as a file: the same filters and scope as the page (see
    locations/overview_export.py). Filters the page would refuse are refused here too (400), so
    that a file never holds other figures than the ones asked for."""
    fmt = request.GET.get("formaat", "xlsx")
    form = OverviewFilterForm(request.GET, municipalities=municipality_qs_for(request.user))
    if fmt not in export.FORMATS or not form.is_valid():
        if fmt not in export.FORMATS:
            messages.error(request, _("Kies als formaat xlsx of csv."))
        data = build_overview(user=request.user, filters=OverviewFilters(), as_of=timezone.localdate())
        return render(request, "locations/overview.html", {
            "form": form, "overview": data, "filters": OverviewFilters(),
            "can_create": editable_municipality_qs_for(request.user).exists()}, status=400)
    as_of = timezone.localdate()
    data = build_overview(user=request.user, filters=export.filters_from_form(form.cleaned_data), as_of=as_of)
    if fmt == "csv":
        response = HttpResponse(export.export_csv(data), content_type=export.CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(export.export_xlsx(data), content_type=export.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="capaciteit-{as_of.isoformat()}.{fmt}"'
    response["Cache-Control"] = "private, no-store"
    return response
