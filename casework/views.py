"""The case pages under /casussen/: dashboard, new case, the case page with its timeline,
referrals, shares and "wie heeft dit ingezien", and the actions on a case.

Every view: logged in AND passed the second factor (`require_verified`); cases are fetched only
through `selectors.case_qs_for` (404 outside scope); `services.case_open_for_read` logs the read
BEFORE anything of the case is rendered (part "case", "special" when special-category entries are
shown, "history" for the read log). Outside one's own caseload that gate asks for a written reason
(break-glass): the page then shows the reason form and nothing of the case. A read that cannot be
logged is a 503 without content. Searches come by POST; URLs carry uuids, ids and codes only.

fetch → form → service → redirect, as in placements.views.
"""

from __future__ import annotations

import functools
from typing import Any
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from placements.models import ACTIVE_PLACEMENT_STATUSES, Placement, PlacementRequest
from rcvs.accounts.models import Role, User
from rcvs.accounts.otp import needs_second_factor, require_verified
from rcvs.errors import ApplicationError, NotFound, add_to_form

from . import selectors, services
from .forms import (
    AssignForm,
    BreakGlassForm,
    CaseForm,
    CloseForm,
    EntryEditForm,
    EntryForm,
    FilterForm,
    FollowUpForm,
    ReferralForm,
    RejectForm,
    SearchForm,
    ShareForm,
    StatusForm,
)
from .models import AccessChannel, AccessPart, Case, CaseAccess, CaseEntry, CaseShare

LIST_LIMIT = 100
READ_LOG_LIMIT = 200


def casework_page(view: Any) -> Any:
    """login_required + the second factor, for every case page. A role that can never read case
    content (belteam, bestuur, beheerder) gets the 404 at once, rather than an invitation to set
    up a second factor it has no use for."""
    verified = require_verified(view)

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not needs_second_factor(request.user):
            raise Http404
        return verified(request, *args, **kwargs)

    return login_required(wrapped)


class Refused(Exception):
    """The gate said no: the response to send instead of the content (break-glass form, 503)."""

    def __init__(self, response: HttpResponse):
        self.response = response


# --- helpers ------------------------------------------------------------------------------------

def _require_casework(request: HttpRequest) -> None:
    if not selectors.can_casework(request.user):
        raise Http404


def _case_for(request: HttpRequest, uuid: UUID) -> Case:
    try:
        return selectors.case_get(user=request.user, uuid=uuid)
    except NotFound as exc:
        raise Http404 from exc


def _status_of(error: ApplicationError) -> int:
    return error.status_code if 400 <= error.status_code < 500 else 400


def _break_glass_page(request: HttpRequest, case: Case, form: BreakGlassForm | None = None,
                      status: int = 403) -> HttpResponse:
    """Only the case number and the form: nothing of the case before the reason is logged."""
    return render(request, "casework/break_glass.html", {"case_number": case.number, "case_uuid": case.uuid,
                                                         "form": form or BreakGlassForm()}, status=status)


def _log_listed(request: HttpRequest, cases: list[Case]) -> bool:
    """A list shows cases' header fields (number, title, category, status, location): record that,
    one row per case in one statement, as the case API does. False: not recorded, show nothing."""
    unique = list({case.pk: case for case in cases}.values())
    try:
        services.case_log_reads(user=request.user, cases=unique, part=AccessPart.CASE, channel=AccessChannel.PAGE)
    except services.ReadNotLogged:
        return False
    return True


def _not_logged_page(request: HttpRequest) -> HttpResponse:
    return render(request, "casework/read_not_logged.html", status=503)


def _open(request: HttpRequest, case: Case, parts: list[str], *, reason: str = "") -> None:
    """Log the read of each part (the first one is the gate: scope and break-glass). Raises
    Refused with the page to show instead when the read may not or could not be logged."""
    try:
        for part in parts:
            services.case_open_for_read(user=request.user, case=case, part=part, channel=AccessChannel.PAGE,
                                        reason=reason)
    except services.ReadNotLogged as exc:
        raise Refused(_not_logged_page(request)) from exc
    except ApplicationError as error:
        if error.code == "break_glass_required":
            raise Refused(_break_glass_page(request, case)) from error
        if isinstance(error, NotFound):
            raise Http404 from error
        raise


def _may_act(request: HttpRequest, case: Case) -> bool:
    """A write in a case outside one's own caseload needs a break-glass reason given for it
    recently (the same window in which the gate reuses that reason)."""
    if selectors.in_caseload(request.user, case):
        return True
    return services.break_glass_reusable(user=request.user, case=case, now=timezone.now()).exists()


def _display_name(user: User | None) -> str:
    if user is None:
        return _("onbekend")
    return user.get_full_name() or user.username


def _subject_label(case: Case) -> str:
    if case.subject is not None:
        return f"{case.subject.first_name} {case.subject.last_name}"
    return _("Hele huishouden")


# --- dashboard ------------------------------------------------------------------------------------

def _shared_cases(request: HttpRequest) -> list[Case]:
    return list(selectors.case_qs_for(request.user).order_by("-last_activity_at", "-pk")[:LIST_LIMIT])


@casework_page
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not selectors.can_casework(user):
        if user.role != Role.GEMEENTE:
            raise Http404
        shared = _shared_cases(request)
        if not shared:
            raise Http404
        if not _log_listed(request, shared):
            return _not_logged_page(request)
        return render(request, "casework/dashboard_shared.html", {"cases": shared, "today": timezone.localdate()})
    now = timezone.now()
    board = selectors.case_dashboard(user=user, now=now)
    filter_form = FilterForm(request.GET or None, user=user)
    status = 200
    if filter_form.is_bound and not filter_form.is_valid():
        status = 400
    listed = (list(selectors.case_list(user=user, filters=filter_form.filters())[:LIST_LIMIT])
              if filter_form.active else None)
    search_form, results = SearchForm(), None
    if request.method == "POST":
        search_form = SearchForm(request.POST)
        if search_form.is_valid():
            results = list(selectors.case_search(user=user, search=search_form.search())[:LIST_LIMIT])
        else:
            status = 400
    glass_cases = {c.pk: c for c in Case.objects.filter(pk__in={a.case_id for a in board.break_glass})
                   .only("pk", "uuid", "number")}
    shown = [*board.my_cases, *board.follow_ups_due, *board.follow_ups_overdue, *board.unowned,
             *(listed or []), *(results or [])]
    if not _log_listed(request, shown):
        return _not_logged_page(request)
    return render(request, "casework/dashboard.html", {
        "board": board, "today": timezone.localdate(now),
        "unowned_hours": settings.CASEWORK_UNOWNED_HOURS,
        "filter_form": filter_form, "listed": listed,
        "search_form": search_form, "results": results,
        "break_glass": [{"access": a, "case": glass_cases.get(a.case_id)} for a in board.break_glass],
    }, status=status)


# --- a new case -----------------------------------------------------------------------------------

def _household_for(request: HttpRequest) -> PlacementRequest | None:
    """The household to open a case for: from a placement page (?plaatsing=<uuid>) or a search
    result (?huishouden=<uuid>); only households of the user's casework regions."""
    source = request.POST if request.method == "POST" else request.GET
    households = PlacementRequest.objects.filter(region__in=selectors.casework_regions(request.user))
    try:
        if source.get("huishouden"):
            return households.get(uuid=UUID(source["huishouden"]))
        if source.get("plaatsing"):
            placement = get_object_or_404(Placement.objects.filter(request__in=households),
                                          uuid=UUID(source["plaatsing"]))
            return placement.request
    except (ValueError, PlacementRequest.DoesNotExist) as exc:
        raise Http404 from exc
    return None


def _location_of(household: PlacementRequest) -> Placement | None:
    return (Placement.objects.filter(request=household, status__in=ACTIVE_PLACEMENT_STATUSES)
            .select_related("location__municipality").first())


@casework_page
def case_new(request: HttpRequest) -> HttpResponse:
    _require_casework(request)
    household = _household_for(request)
    if household is None:
        # Step 1: find the resident (POST search), then pick their household.
        search_form, members, status = SearchForm(), None, 200
        if request.method == "POST":
            search_form = SearchForm(request.POST)
            if search_form.is_valid():
                members = list(selectors.members_search(user=request.user, search=search_form.search()))
            else:
                status = 400
        return render(request, "casework/case_new_search.html",
                      {"search_form": search_form, "members": members}, status=status)
    form = CaseForm(request.POST if request.POST.get("step") == "create" else None,
                    household=household, user=request.user)
    status = 200
    if form.is_bound:
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                case = services.case_create(
                    user=request.user, household=household, category=data["category"], summary=data["summary"],
                    subject=form.subject_member(), urgency=data["urgency"], follow_up_on=data["follow_up_on"],
                    owner=data["owner"])
            except ApplicationError as error:
                add_to_form(form, error)
                status = _status_of(error)
            else:
                messages.success(request, _("Casus %(number)s is geopend.") % {"number": case.number})
                return redirect("casework:case_detail", uuid=case.uuid)
    return render(request, "casework/case_new.html", {
        "form": form, "household": household, "placement": _location_of(household),
        "members": list(household.members.order_by("pk")),
    }, status=status)


# --- the case page ----------------------------------------------------------------------------------

def _entries(request: HttpRequest, case: Case) -> list[dict[str, Any]]:
    rows = []
    now = timezone.now()
    for entry in selectors.entries_visible_to(request.user, case):
        versions = list(entry.versions.all())  # prefetched, oldest first
        latest = versions[-1] if versions else None
        rows.append({"entry": entry, "latest": latest, "earlier": list(reversed(versions[:-1])),
                     "can_edit": entry.author_id == request.user.pk and not case.is_closed
                     and entry.pseudonymised_at is None,
                     "locked": entry.is_locked(now)})
    return rows


READ_GROUP_WINDOW = 2  # seconds: the parts logged for one page view


def _grouped_reads(reads: list[CaseAccess]) -> list[dict[str, Any]]:
    """One line per view in "wie heeft dit ingezien": the parts one page view logged (case
    first, then special and history) within a moment, by the same user through the same path,
    are shown together. Every row stays in the log; this only groups them for reading."""
    lines: list[dict[str, Any]] = []
    for access in reads:  # newest first
        last = lines[-1] if lines else None
        if (last is not None and not last["complete"] and last["access"].user_id == access.user_id
                and last["access"].channel == access.channel and last["access"].break_glass == access.break_glass
                and last["access"].reason == access.reason
                and (last["first_at"] - access.at).total_seconds() <= READ_GROUP_WINDOW):
            last["parts"].insert(0, access.get_part_display())
            last["first_at"] = access.at
            last["complete"] = access.part == AccessPart.CASE
            continue
        lines.append({"access": access, "parts": [access.get_part_display()], "first_at": access.at,
                      "complete": access.part == AccessPart.CASE})
    return lines


def _render_case(request: HttpRequest, case: Case, *, reason: str = "", status: int = 200,
                 **forms_: forms.Form) -> HttpResponse:
    user = request.user
    casework = selectors.can_casework(user)
    see_special = selectors.can_see_special_of(user, case)
    see_log = selectors.can_see_read_log(user, case)
    entries = _entries(request, case)  # read, not yet rendered: the log comes first
    parts = [AccessPart.CASE]
    if any(row["entry"].special_category for row in entries):
        parts.append(AccessPart.SPECIAL)
    if see_log:
        parts.append(AccessPart.HISTORY)
    try:
        _open(request, case, parts, reason=reason)
    except Refused as refused:
        return refused.response
    may_special = selectors.can_read_special(user)
    context: dict[str, Any] = {
        "case": case, "subject_label": _subject_label(case), "entries": entries,
        "co_workers": list(case.co_workers.order_by("username")),
        "referrals": list(selectors.referrals_of(user, case)),
        "see_special": see_special, "can_act": casework and not case.is_closed, "casework": casework,
        "share": selectors.share_for(user, case),
        "main_member": case.household.members.filter(relation="main").first(),
    }
    if casework:
        context.update({
            "shares": list(CaseShare.objects.filter(case=case).select_related("user", "created_by")
                           .order_by("-created_at", "-pk")),
            "entry_form": EntryForm(case=case, may_special=may_special),
            "referral_form": ReferralForm(case=case),
            "reject_form": RejectForm(),
            "status_form": StatusForm(initial={"status": case.status}),
            "close_form": CloseForm(),
            "follow_up_form": FollowUpForm(initial={"follow_up_on": case.follow_up_on, "urgency": case.urgency}),
            "assign_form": AssignForm(case=case, initial={"owner": case.owner_id,
                                                          "co_workers": [u.pk for u in context["co_workers"]]}),
            "share_form": ShareForm(case=case, may_special=may_special),
            "today": timezone.localdate(),
        })
    if see_log:
        context["reads"] = _grouped_reads(list(selectors.case_reads(case)[:READ_LOG_LIMIT]))
    context.update(forms_)
    context["failed"] = next((f for f in forms_.values() if f.errors), None)
    return render(request, "casework/case_detail.html", context, status=status)


@casework_page
def case_detail(request: HttpRequest, uuid: UUID) -> HttpResponse:
    case = _case_for(request, uuid)
    if request.method == "POST":  # the break-glass reason
        form = BreakGlassForm(request.POST)
        if not form.is_valid():
            return _break_glass_page(request, case, form, status=400)
        return _render_case(request, case, reason=form.cleaned_data["reason"])
    return _render_case(request, case)


def _case_action(request: HttpRequest, uuid: UUID, *, form: forms.Form, form_name: str, run: Any,
                 success: str) -> HttpResponse:
    """A write on the case page: coordinators and mental coaches only (a gemeente user with a
    share reads only: 403), and outside one's own caseload only after a break-glass reason."""
    case = _case_for(request, uuid)
    if not selectors.can_casework(request.user):
        return render(request, "casework/read_only.html", status=403)
    if not _may_act(request, case):
        return _break_glass_page(request, case)
    status = 400
    if form.is_valid():
        try:
            run(case, form.cleaned_data)
        except ApplicationError as error:
            add_to_form(form, error)
            status = _status_of(error)
        else:
            messages.success(request, success)
            return redirect("casework:case_detail", uuid=case.uuid)
    case = _case_for(request, uuid)  # fresh: nothing was written
    return _render_case(request, case, status=status, **{form_name: form})


def _may_special(request: HttpRequest) -> bool:
    return selectors.can_read_special(request.user)


@casework_page
@require_POST
def entry_add(request: HttpRequest, uuid: UUID) -> HttpResponse:
    case = _case_for(request, uuid)
    form = EntryForm(request.POST, case=case, may_special=_may_special(request))

    def run(case: Case, data: dict[str, Any]) -> None:
        services.entry_add(user=request.user, case=case, kind=data["kind"], text=data["text"],
                           occurred_at=data["occurred_at"], special_category=form.special())

    return _case_action(request, uuid, form=form, form_name="entry_form", run=run,
                        success=_("De aantekening is toegevoegd."))


def _entry_for(request: HttpRequest, case: Case, entry_uuid: UUID) -> CaseEntry:
    return get_object_or_404(selectors.entries_visible_to(request.user, case), uuid=entry_uuid)


@casework_page
def entry_edit(request: HttpRequest, uuid: UUID, entry_uuid: UUID) -> HttpResponse:
    case = _case_for(request, uuid)
    _require_casework(request)
    entry = _entry_for(request, case, entry_uuid)
    if entry.author_id != request.user.pk:
        return render(request, "casework/read_only.html", {"not_author": True}, status=403)
    if request.method == "POST" and not _may_act(request, case):
        return _break_glass_page(request, case)
    latest = entry.versions.order_by("-number").first()
    form = EntryEditForm(request.POST or None, initial={"text": latest.text if latest else ""})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.entry_edit(user=request.user, entry=entry, text=form.cleaned_data["text"])
            except ApplicationError as error:
                add_to_form(form, error)
                status = _status_of(error)
            else:
                messages.success(request, _("De aantekening is gewijzigd."))
                return redirect("casework:case_detail", uuid=case.uuid)
    parts = [AccessPart.CASE] + ([AccessPart.SPECIAL] if entry.special_category else [])
    try:
        _open(request, case, parts)
    except Refused as refused:
        return refused.response
    return render(request, "casework/entry_edit.html", {
        "case": case, "entry": entry, "form": form, "locked": entry.is_locked(),
        "next_version": (latest.number + 1) if latest else 1}, status=status)


@casework_page
@require_POST
def referral_add(request: HttpRequest, uuid: UUID) -> HttpResponse:
    case = _case_for(request, uuid)
    form = ReferralForm(request.POST, case=case)

    def run(case: Case, data: dict[str, Any]) -> None:
        services.referral_create(user=request.user, case=case, to_kind=data["to_kind"], to_user=data["to_user"],
                                 to_organisation=data["to_organisation"], note=data["note"])

    return _case_action(request, uuid, form=form, form_name="referral_form", run=run,
                        success=_("De verwijzing is verstuurd."))


def _referral_action(request: HttpRequest, uuid: UUID, referral_uuid: UUID, *, form: forms.Form,
                     run: Any, success: str) -> HttpResponse:
    case = _case_for(request, uuid)
    referral = get_object_or_404(selectors.referrals_of(request.user, case), uuid=referral_uuid)
    return _case_action(request, uuid, form=form, form_name="reject_form",
                        run=lambda case, data: run(referral, data), success=success)


@casework_page
@require_POST
def referral_accept(request: HttpRequest, uuid: UUID, referral_uuid: UUID) -> HttpResponse:
    return _referral_action(request, uuid, referral_uuid, form=forms.Form(request.POST),
                            run=lambda r, d: services.referral_accept(user=request.user, referral=r),
                            success=_("De verwijzing is geaccepteerd."))


@casework_page
@require_POST
def referral_reject(request: HttpRequest, uuid: UUID, referral_uuid: UUID) -> HttpResponse:
    return _referral_action(request, uuid, referral_uuid, form=RejectForm(request.POST),
                            run=lambda r, d: services.referral_reject(user=request.user, referral=r,
                                                                      reason=d["reason"]),
                            success=_("De verwijzing is afgewezen."))


@casework_page
@require_POST
def referral_complete(request: HttpRequest, uuid: UUID, referral_uuid: UUID) -> HttpResponse:
    return _referral_action(request, uuid, referral_uuid, form=forms.Form(request.POST),
                            run=lambda r, d: services.referral_complete(user=request.user, referral=r),
                            success=_("De verwijzing is afgerond."))


@casework_page
@require_POST
def case_status(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _case_action(request, uuid, form=StatusForm(request.POST), form_name="status_form",
                        run=lambda case, d: services.case_set_status(user=request.user, case=case, status=d["status"]),
                        success=_("De status is gewijzigd."))


@casework_page
@require_POST
def case_close(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _case_action(request, uuid, form=CloseForm(request.POST), form_name="close_form",
                        run=lambda case, d: services.case_close(user=request.user, case=case, reason=d["reason"],
                                                                note=d["note"]),
                        success=_("De casus is afgesloten."))


@casework_page
@require_POST
def case_reopen(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _case_action(request, uuid, form=forms.Form(request.POST), form_name="reopen_form",
                        run=lambda case, d: services.case_reopen(user=request.user, case=case),
                        success=_("De casus is heropend."))


@casework_page
@require_POST
def case_follow_up(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _case_action(request, uuid, form=FollowUpForm(request.POST), form_name="follow_up_form",
                        run=lambda case, d: services.case_update(
                            user=request.user, case=case,
                            data={"follow_up_on": d["follow_up_on"], "urgency": d["urgency"]}),
                        success=_("Opvolgdatum en urgentie zijn opgeslagen."))


@casework_page
@require_POST
def case_assign(request: HttpRequest, uuid: UUID) -> HttpResponse:
    case = _case_for(request, uuid)
    return _case_action(request, uuid, form=AssignForm(request.POST, case=case), form_name="assign_form",
                        run=lambda case, d: services.case_assign(user=request.user, case=case, owner=d["owner"],
                                                                 co_workers=list(d["co_workers"])),
                        success=_("Eigenaar en medewerkers zijn opgeslagen."))


@casework_page
@require_POST
def share_add(request: HttpRequest, uuid: UUID) -> HttpResponse:
    case = _case_for(request, uuid)
    form = ShareForm(request.POST, case=case, may_special=_may_special(request))
    return _case_action(request, uuid, form=form, form_name="share_form",
                        run=lambda case, d: services.share_create(
                            user=request.user, case=case, to_user=d["to_user"], purpose=d["purpose"],
                            until=d["until"], include_special=d.get("include_special", False)),
                        success=_("De casus is gedeeld."))


@casework_page
@require_POST
def share_revoke(request: HttpRequest, uuid: UUID, share_uuid: UUID) -> HttpResponse:
    case = _case_for(request, uuid)
    share = get_object_or_404(CaseShare.objects.filter(case=case), uuid=share_uuid)
    return _case_action(request, uuid, form=forms.Form(request.POST), form_name="revoke_form",
                        run=lambda case, d: services.share_revoke(user=request.user, share=share),
                        success=_("Het delen is ingetrokken."))


# --- SIGNAL -----------------------------------------------------------------------------------------
# The anonymised summary for the inter-regional SIGNAL group (casework/signal.py): the help asked →
# a draft the user reviews and edits → the server scrubs it again and stores it only when nothing
# identifying is left → the final text with a copy button. Coordinators and mental coaches only.

from .models import SignalShare  # noqa: E402 - this section's own imports, kept with it
from .signal import HELP_ASKED_MAX, TEXT_MAX, Findings, SignalRefused, build_draft, signal_share_submit  # noqa: E402


class SignalHelpForm(forms.Form):
    help_asked = forms.CharField(
        label=_("Hulpvraag"), max_length=HELP_ASKED_MAX, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Wat vraagt u aan de andere regio's? Zonder namen, data, nummers of plaatsen."),
        error_messages={"required": _("Beschrijf de hulpvraag.")})


class SignalTextForm(forms.Form):
    text = forms.CharField(
        label=_("Samenvatting voor SIGNAL"), max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Lees en bewerk de tekst. Wat het systeem herkende is vervangen door […]; namen van "
                    "anderen of beschrijvingen die iemand herkenbaar maken herkent het niet."),
        error_messages={"required": _("De samenvatting is leeg.")})


def _signal_case(request: HttpRequest, uuid: UUID) -> Case:
    """A case of the user's caseload or region (the SIGNAL share is casework, not for a gemeente
    user with a share: 404, as for everyone else without casework rights)."""
    _require_casework(request)
    return _case_for(request, uuid)


def _signal_page(request: HttpRequest, case: Case, *, help_form: SignalHelpForm | None = None,
                 text_form: SignalTextForm | None = None, findings: Findings | None = None,
                 status: int = 200) -> HttpResponse:
    return render(request, "casework/signal.html", {
        "case": case, "help_form": help_form or SignalHelpForm(), "text_form": text_form,
        "findings": findings.labels() if findings else [],
    }, status=status)


@casework_page
def signal_share(request: HttpRequest, uuid: UUID) -> HttpResponse:
    case = _signal_case(request, uuid)
    try:
        _open(request, case, [AccessPart.SIGNAL])
    except Refused as refused:
        return refused.response
    step = request.POST.get("step") if request.method == "POST" else None
    if step == "draft":
        help_form = SignalHelpForm(request.POST)
        if not help_form.is_valid():
            return _signal_page(request, case, help_form=help_form, status=400)
        draft, findings = build_draft(case=case, help_asked=help_form.cleaned_data["help_asked"])
        return _signal_page(request, case, help_form=help_form, text_form=SignalTextForm(initial={"text": draft}),
                            findings=findings)
    if step == "share":
        text_form = SignalTextForm(request.POST)
        if not text_form.is_valid():
            return _signal_page(request, case, text_form=text_form, status=400)
        try:
            share = signal_share_submit(user=request.user, case=case, text=text_form.cleaned_data["text"])
        except SignalRefused as error:
            # The textarea gets the scrubbed text back: the user reviews it once more.
            text_form = SignalTextForm({"text": error.extra["scrubbed"]})
            text_form.is_valid()
            text_form.add_error("text", error.message)
            return _signal_page(request, case, text_form=text_form, findings=Findings(error.extra["findings"]),
                                status=400)
        except ApplicationError as error:
            add_to_form(text_form, error)
            return _signal_page(request, case, text_form=text_form, status=_status_of(error))
        return redirect("casework:signal_done", uuid=case.uuid, share_uuid=share.uuid)
    if request.method == "POST":
        return _signal_page(request, case, status=400)
    return _signal_page(request, case)


@casework_page
def signal_done(request: HttpRequest, uuid: UUID, share_uuid: UUID) -> HttpResponse:
    case = _signal_case(request, uuid)
    share = get_object_or_404(SignalShare.objects.filter(case=case), uuid=share_uuid)
    try:
        _open(request, case, [AccessPart.SIGNAL])
    except Refused as refused:
        return refused.response
    return render(request, "casework/signal_done.html", {"case": case, "share": share})


# --- subject access ---------------------------------------------------------------------------------
# Inzageverzoek (AVG art. 15): coordinators with the special-category right search a person by POST,
# see a summary (no case content), and download the dossier as JSON or PDF with a second POST that
# carries the search again — nothing of the person in a URL. Every download is logged per case
# (part "subject_access") before it is put together; see casework/subject_access.py.

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied  # noqa: E402

from . import subject_access as subject_access_module  # noqa: E402
from .forms import DATE_FORMATS as _SUBJECT_DATE_FORMATS  # noqa: E402


class SubjectAccessForm(forms.Form):
    v_number = forms.CharField(label=_("V-nummer"), max_length=10, required=False)
    bsn = forms.CharField(label=_("BSN"), max_length=9, required=False)
    first_name = forms.CharField(label=_("Voornaam"), max_length=80, required=False)
    last_name = forms.CharField(label=_("Achternaam"), max_length=80, required=False)
    date_of_birth = forms.DateField(label=_("Geboortedatum"), required=False, input_formats=_SUBJECT_DATE_FORMATS,
                                    help_text=_("dd-mm-jjjj"),
                                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors and not self.search().is_enough:
            raise forms.ValidationError(_("Vul een V-nummer of BSN in, of een achternaam met geboortedatum."))
        return data

    def search(self) -> subject_access_module.SubjectSearch:
        data = self.cleaned_data
        return subject_access_module.SubjectSearch(
            first_name=(data.get("first_name") or "").strip(), last_name=(data.get("last_name") or "").strip(),
            date_of_birth=data.get("date_of_birth"), v_number=(data.get("v_number") or "").strip(),
            bsn=(data.get("bsn") or "").strip())


def _subject_access_page(request: HttpRequest, form: SubjectAccessForm, *, match: Any = None,
                         status: int = 200) -> HttpResponse:
    return render(request, "casework/subject_access.html", {"form": form, "match": match}, status=status)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@casework_page
def subject_access(request: HttpRequest) -> HttpResponse:
    if not subject_access_module.can_subject_access(request.user):
        raise DjangoPermissionDenied
    if request.method != "POST":
        return _subject_access_page(request, SubjectAccessForm())
    form = SubjectAccessForm(request.POST)
    if not form.is_valid():
        return _subject_access_page(request, form, status=400)
    action = request.POST.get("action", "search")
    try:
        if action == "search":
            match = subject_access_module.subject_access_find(user=request.user, search=form.search())
            return _no_store(_subject_access_page(request, form, match=match))
        if action not in ("json", "pdf"):
            return _subject_access_page(request, form, status=400)
        channel = AccessChannel.PDF if action == "pdf" else AccessChannel.EXPORT
        dossier = subject_access_module.subject_access_dossier(user=request.user, search=form.search(),
                                                               channel=channel)
    except services.ReadNotLogged:
        return _not_logged_page(request)
    except ApplicationError as error:
        add_to_form(form, error)
        return _subject_access_page(request, form, status=_status_of(error))
    filename = f"inzageverzoek-{timezone.localdate():%Y%m%d}"
    if action == "pdf":
        response = HttpResponse(subject_access_module.dossier_as_pdf(dossier), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
    else:
        response = HttpResponse(subject_access_module.dossier_as_json(dossier),
                                content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return _no_store(response)


# --- transfer requests ---------------------------------------------------------------------------
# (cw-transfer) Ask the belteam for a transfer or swap from the case page; the section on the
# case page is the `{% case_transfers case %}` tag (casework/templatetags/casework_transfers.py).

class TransferRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("Soort"), choices=[("transfer", _("Overplaatsing")), ("swap", _("Ruil"))],
                             error_messages={"required": _("Kies overplaatsing of ruil."),
                                             "invalid_choice": _("Kies overplaatsing of ruil.")})


@casework_page
@require_POST
def transfer_request(request: HttpRequest, uuid: UUID) -> HttpResponse:
    return _case_action(
        request, uuid, form=TransferRequestForm(request.POST), form_name="transfer_form",
        run=lambda case, data: services.case_request_transfer(user=request.user, case=case, kind=data["kind"]),
        success=_("De aanvraag staat in de wachtrij van het belteam."))


@casework_page
@require_POST
def transfer_cancel(request: HttpRequest, uuid: UUID, transfer_uuid: UUID) -> HttpResponse:
    def run(case: Case, data: dict[str, Any]) -> None:
        from .models import CaseTransfer

        link = get_object_or_404(CaseTransfer.objects.select_related("transfer_request", "case"),
                                 case=case, transfer_request__uuid=transfer_uuid)
        services.case_cancel_transfer(user=request.user, case_transfer=link)

    return _case_action(request, uuid, form=forms.Form(request.POST), form_name="transfer_cancel_form", run=run,
                        success=_("De aanvraag is ingetrokken."))
