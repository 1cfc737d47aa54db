"""Reporting pages: mail (urls in reporting/urls_mail.py) — the weekday occupancy mail's contacts
per municipality (list, add, edit, switch off and on, delete), a preview of the last mail, and the
contact's own unsubscribe link (no login).

Access: the role rule permissions.can_manage_mail_contacts (staff, gemeente; else 403) and the
municipality's scope, locations.selectors.municipality_qs_for (outside it: 404)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from locations.models import Municipality
from locations.selectors import municipality_qs_for
from rcvs.errors import ApplicationError, add_to_form

from . import permissions
from .models import MailContact, OccupancyMailing, SwitchedOffVia
from .occupancy_mail import (
    mail_contact_create,
    mail_contact_delete,
    mail_contact_qs_for,
    mail_contact_switch_off,
    mail_contact_switch_on,
    mail_contact_update,
    mail_contacts_by_municipality,
    occupancy_mail_content,
    unsubscribe_contact,
)


class MailContactForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Naam"), max_length=160)
    email = forms.EmailField(label=gettext_lazy("E-mailadres"), max_length=254)
    function = forms.CharField(label=gettext_lazy("Functie"), max_length=120, required=False,
                               help_text=gettext_lazy("Bijvoorbeeld: beleidsadviseur opvang."))


def _require(request: HttpRequest) -> None:
    if not permissions.can_manage_mail_contacts(request.user):
        raise PermissionDenied


def _municipality(request: HttpRequest, municipality_id: int) -> Municipality:
    return get_object_or_404(municipality_qs_for(request.user), pk=municipality_id)


def _contact(request: HttpRequest, contact_id: int) -> MailContact:
    return get_object_or_404(mail_contact_qs_for(request.user), pk=contact_id)


def _status(request: HttpRequest, form: forms.Form) -> int:
    return 400 if request.method == "POST" and form.errors else 200


@login_required
def contacts(request: HttpRequest) -> HttpResponse:
    _require(request)
    return render(request, "reporting/mail_contacts.html", {"groups": mail_contacts_by_municipality(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def contact_add(request: HttpRequest, municipality_id: int) -> HttpResponse:
    _require(request)
    municipality = _municipality(request, municipality_id)
    form = MailContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mail_contact_create(user=request.user, municipality=municipality, data=form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("De ontvanger is toegevoegd aan %(municipality)s.")
                             % {"municipality": municipality.name})
            return redirect("reporting:mail_contacts")
    return render(request, "reporting/mail_contact_form.html",
                  {"form": form, "municipality": municipality, "contact": None}, status=_status(request, form))


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request)
    contact = _contact(request, contact_id)
    form = MailContactForm(request.POST or None,
                           initial={"name": contact.name, "email": contact.email, "function": contact.function})
    if request.method == "POST" and form.is_valid():
        try:
            mail_contact_update(user=request.user, contact=contact, data=form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("De ontvanger is opgeslagen."))
            return redirect("reporting:mail_contacts")
    return render(request, "reporting/mail_contact_form.html",
                  {"form": form, "municipality": contact.municipality, "contact": contact},
                  status=_status(request, form))


@login_required
@require_POST
def contact_switch_off(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request)
    contact = mail_contact_switch_off(contact=_contact(request, contact_id), user=request.user,
                                      via=SwitchedOffVia.STAFF)
    messages.success(request, _("%(name)s ontvangt de bezettingsmail niet meer.") % {"name": contact.name})
    return redirect("reporting:mail_contacts")


@login_required
@require_POST
def contact_switch_on(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request)
    contact = mail_contact_switch_on(contact=_contact(request, contact_id), user=request.user)
    messages.success(request, _("%(name)s ontvangt de bezettingsmail weer.") % {"name": contact.name})
    return redirect("reporting:mail_contacts")


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, contact_id: int) -> HttpResponse:
    _require(request)
    contact = _contact(request, contact_id)
    if request.method == "POST":
        name = contact.name
        mail_contact_delete(user=request.user, contact=contact)
        messages.success(request, _("%(name)s is verwijderd als ontvanger.") % {"name": name})
        return redirect("reporting:mail_contacts")
    return render(request, "reporting/mail_contact_delete.html", {"contact": contact})


@login_required
def preview(request: HttpRequest, municipality_id: int) -> HttpResponse:
    """The last mail this municipality was sent, as it was sent (figures and changes)."""
    _require(request)
    municipality = _municipality(request, municipality_id)
    mailing = (OccupancyMailing.objects.filter(municipality=municipality).select_related("municipality", "previous")
               .order_by("-as_of").first())
    content = occupancy_mail_content(mailing) if mailing is not None else None
    return render(request, "reporting/mail_preview.html", {"municipality": municipality, "content": content})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The contact's own link in the mail: no login. GET shows what it does and asks to confirm
    (mail scanners follow links; they must not switch anyone off), POST switches off."""
    try:
        contact = unsubscribe_contact(token)
    except ApplicationError as error:
        return render(request, "reporting/mail_unsubscribe.html", {"error": error.message}, status=400)
    if contact is None or not contact.active:
        return render(request, "reporting/mail_unsubscribe.html", {"done": True, "already": True,
                                                                   "contact": contact})
    if request.method == "POST":
        mail_contact_switch_off(contact=contact, user=None, via=SwitchedOffVia.LINK)
        return render(request, "reporting/mail_unsubscribe.html", {"done": True, "contact": contact})
    return render(request, "reporting/mail_unsubscribe.html", {"contact": contact})
