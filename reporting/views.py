"""The reporting start page: what this user may open in reporting."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from . import permissions

# (url name, title, description, who may open it)
SECTIONS = [
    ("reporting:board_reports", _("Bestuursrapportages"),
     _("Maandrapportage als PDF: plaatsen, bezetting, wat eindigt wanneer, wat het kost."), permissions.can_read_reports),
    ("reporting:board_items", _("Besluiten- en actielijst"),
     _("Besluiten, knelpunten en acties van het bestuur."), permissions.can_read_reports),
    ("reporting:trends", _("Trends"), _("Capaciteit en bezetting door de tijd, en de capaciteit die afloopt."),
     permissions.can_read_municipal_figures),
    ("reporting:targets", _("Taakstelling"), _("Verdeelsleutel, verdeling over de gemeenten en realisatie."),
     permissions.can_read_municipal_figures),
    ("reporting:compensation", _("Normbedrag en vergoeding"),
     _("Normbedragen en de vergoeding per gemeente uit de gerealiseerde plaatsen."),
     permissions.can_read_municipal_figures),
    ("reporting:costs", _("Kosten en declaraties"), _("Begroting, kosten, declaratieperiodes en de verdeling."),
     permissions.can_read_municipal_figures),
    ("reporting:kcio_history", _("KCIO-export"), _("Dagelijkse capaciteitsexport: geschiedenis, verschillen, opnieuw versturen."),
     permissions.can_manage_exports),
    ("reporting:mail_contacts", _("Bezettingsmail"), _("Ontvangers van de dagelijkse bezettingsmail per gemeente."),
     permissions.can_manage_mail_contacts),
]


def available_sections(user) -> list[dict]:
    sections = []
    for name, title, description, allowed in SECTIONS:
        if not allowed(user):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:  # a capability whose pages are not there (yet)
            continue
        sections.append({"url": url, "title": title, "description": description})
    return sections


@login_required
def index(request: HttpRequest) -> HttpResponse:
    sections = available_sections(request.user)
    if not sections:
        raise PermissionDenied
    return render(request, "reporting/index.html", {"sections": sections})
