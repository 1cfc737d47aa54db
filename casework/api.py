"""REST API of casework: `/api/v1/cases/` (issue 7).

Who: coordinators and mental coaches of the case's region (full access, special-category data
only with the right), gemeente users for a case explicitly shared with them (read only). Every
call needs the second factor (`IsOtpVerified`: an OTP-verified session, or an API key made from
one). Belteam, bestuur and beheerder get 403 "not_casework" on every operation: they never see
case content. Cases are addressed by UUID; every fetch goes through `case_qs_for(user)`, so a
case outside the user's scope answers 404.

The read log. Every response that contains case content is preceded by a CaseAccess row with
channel "api", written before the response is built; if it cannot be written the answer is 503
"read_not_logged" and no content (fail closed):
- detail, write actions (update, close, reopen, assign, entries, referrals): `case_open_for_read`
  with the part shown ("case", "entries", "referrals", "history"), plus a "special" row when
  special-category entries are in the answer. For a write the read is logged FIRST, in the same
  transaction as the write: a refused write (400/403/409) leaves neither the write nor the log row,
  and the caseload check (break-glass) looks at the case as it was before the change.
- the list and the search (decision): they show header fields only — number, category, status,
  urgency, the neutral title, owner, current location and municipality; never the resident,
  entries, referrals or any free text that may carry special-category data. Because the title and
  the category still say something about the people in a case, each listed case gets one row with
  part "case" (never break-glass: a list is not an opening of the case), all in one bulk insert
  (`case_log_reads`), so the list costs the same number of queries for 5 or 500 cases. Page size
  is at most 100; a larger `limit` is a 400, not silently lowered, so a client cannot write
  thousands of log rows with one call and knows what it got.
- case creation logs part "case" without a caseload check: the creator wrote it.

Break-glass: a coordinator or mental coach opening a case of their region outside their own
caseload gets 403 "break_glass_required" unless the request gives a reason, in the header
`Break-Glass-Reason` (the way for GET) or the body field `break_glass_reason`; the reason is
logged with every read and covers further reads of that case for an hour (casework.services).
A header can carry only ISO-8859-1; UTF-8 sent in it is decoded as UTF-8 where possible.

Personal data never travels in a URL: the list filters are ids and codes; search by name, date
of birth or V-number is a POST with a JSON body.
"""

from __future__ import annotations

import uuid as uuid_lib
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from placements.api import _flatten_errors
from placements.models import HouseholdMember, PlacementRequest
from rcvs.accounts.models import Role, User
from rcvs.accounts.otp import IsOtpVerified
from rcvs.api import ErrorSerializer, LimitOffsetPagination, error_responses
from rcvs.errors import NotFound, PermissionDenied

from . import selectors
from . import serializers as cs
from .models import AccessChannel, AccessPart, Case, CaseAccess, CaseCategory, Referral
from .services import (
    case_assign,
    case_close,
    case_create,
    case_log_read,
    case_log_reads,
    case_open_for_read,
    case_reopen,
    case_set_status,
    case_update,
    entry_add,
    entry_edit,
    referral_accept,
    referral_complete,
    referral_create,
    referral_reject,
)

API = AccessChannel.API
BREAK_GLASS_HEADER = "Break-Glass-Reason"
SEARCH_LIMIT = 50


# --- plumbing -------------------------------------------------------------------------------------


class CasePagination(LimitOffsetPagination):
    """At most 100 cases a page, and a larger limit is refused (each listed case is a read-log row)."""

    default_limit = 50
    max_limit = 100

    def get_limit(self, request: Any) -> int | None:
        limit = self._number(request, self.limit_query_param, minimum=1)
        if limit is None:
            return self.default_limit
        if limit > self.max_limit:
            raise ValidationError({self.limit_query_param: [
                _("Geef voor %(name)s een getal tot en met %(max)s.") % {"name": self.limit_query_param,
                                                                     "max": self.max_limit}]})
        return limit


class CaseworkPermission(BasePermission):
    """Case content is for coordinators and mental coaches; a gemeente user may read what is shared
    with them (the scoping selector decides which cases) but changes nothing. Everyone else: 403
    before anything is looked up."""

    message: Any = gettext_lazy("Casussen zijn alleen voor coördinatoren, mental coaches en gemeenten waarmee een "
                                "casus is gedeeld.")
    code = "not_casework"
    READ_ONLY_ACTIONS = frozenset({"list", "retrieve", "entries", "referrals", "search"})

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if selectors.can_casework(user):
            return True
        if getattr(user, "role", None) == Role.GEMEENTE and user.is_active:
            action_name = getattr(view, "action", None)
            if action_name in self.READ_ONLY_ACTIONS and (request.method in SAFE_METHODS or action_name == "search"):
                return True
            self.message = gettext_lazy("Een gemeente kan een gedeelde casus alleen inzien.")
            self.code = "forbidden"
        return False


def _validated(serializer: serializers.Serializer) -> dict[str, Any]:
    if not serializer.is_valid():
        raise ValidationError(_flatten_errors(serializer.errors))
    return dict(serializer.validated_data)


def _body_dict(request: Request) -> dict[str, Any]:
    if request.data in (None, "") or (hasattr(request.data, "keys") and not request.data):
        return {}
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("Stuur een JSON-object.")]})
    return request.data


def _header_reason(request: Request) -> str:
    raw = request.headers.get(BREAK_GLASS_HEADER, "")
    try:  # WSGI hands headers over as ISO-8859-1; a client that sent UTF-8 gets its text back
        raw = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return raw.strip()[: cs.BREAK_GLASS_MAX]


def _invalid_field(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


def _parse_uuid(value: str, field: str, message: str) -> uuid_lib.UUID:
    try:
        return uuid_lib.UUID(str(value))
    except ValueError:
        raise _invalid_field(field, message) from None


BREAK_GLASS_PARAMETER = OpenApiParameter(
    BREAK_GLASS_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Reason for opening a case outside your own caseload (break-glass); required then, else 403 "
                "'break_glass_required'. Logged with the read and shown to the owner. Write operations also take "
                "it as the body field break_glass_reason.")
CASE_UUID = OpenApiParameter("uuid", OpenApiTypes.UUID, OpenApiParameter.PATH, description="UUID of the case.")
ENTRY_UUID = OpenApiParameter("entry_uuid", OpenApiTypes.UUID, OpenApiParameter.PATH, description="UUID of the entry.")
REFERRAL_UUID = OpenApiParameter("referral_uuid", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                 description="UUID of the referral.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description=(
    "Not allowed: no second factor (code 'otp_required'), no casework role ('not_casework'), a gemeente user "
    "changing a shared case ('forbidden'), a case outside your caseload without a reason "
    "('break_glass_required'), special-category data without the right ('special_not_allowed')."))
NOT_LOGGED = OpenApiResponse(ErrorSerializer, description="The read could not be logged, so nothing is shown "
                                                          "(code 'read_not_logged').")
READ_ERRORS = {400: error_responses(400)[400], 401: error_responses(401)[401], 403: FORBIDDEN,
               404: error_responses(404)[404], 503: NOT_LOGGED}
WRITE_ERRORS = {**READ_ERRORS, 409: OpenApiResponse(ErrorSerializer, description=(
    "Conflicts with the current state, e.g. a closed case ('case_closed') or a referral's status "
    "('invalid_transition')."))}
LIST_PARAMETERS = [
    OpenApiParameter("status", OpenApiTypes.STR, enum=[c for c, _label in cs.CaseStatus.choices],
                     description="Only cases with this status."),
    OpenApiParameter("category", OpenApiTypes.STR, description="Code of a case category, e.g. 'overlast'."),
    OpenApiParameter("municipality", OpenApiTypes.INT, description="Id of the municipality the household stays in."),
    OpenApiParameter("location", OpenApiTypes.INT, description="Id of the location the household stays at."),
    OpenApiParameter("owner", OpenApiTypes.INT, description="Id of the owner."),
]


# --- the viewset ----------------------------------------------------------------------------------


@extend_schema(tags=["cases"])
@extend_schema_view(
    list=extend_schema(
        summary="List cases",
        description="Cases in the user's scope, most recently active first: header fields only (no resident, no "
                    "entries). Each listed case is logged as read (part 'case', channel 'api'). At most 100 a "
                    "page; a larger limit is a 400.",
        parameters=LIST_PARAMETERS, responses={200: cs.CaseListSerializer(many=True), **READ_ERRORS}),
    retrieve=extend_schema(
        summary="Retrieve a case",
        description="One case with its resident and co-workers; logged as read (part 'case'). Outside your own "
                    "caseload: give a break-glass reason.",
        parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], responses={200: cs.CaseDetailSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Open a case",
        description="About a resident (subject, a member of the household) or the whole household. Location and "
                    "municipality follow from the household's active placement.",
        request=cs.CaseCreateSerializer, responses={201: cs.CaseDetailSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(
        summary="Change a case",
        description="Category, urgency, title, follow-up date, subject, or status (open, in behandeling, "
                    "doorverwezen). Nothing is written when any part is refused.",
        parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], request=cs.CaseUpdateSerializer,
        responses={200: cs.CaseDetailSerializer, **WRITE_ERRORS}),
)
class CaseViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, CaseworkPermission, IsOtpVerified]
    pagination_class = CasePagination
    filter_backends: list[Any] = []
    serializer_class = cs.CaseDetailSerializer
    lookup_field = "uuid"
    lookup_value_regex = "[^/]+"  # a malformed UUID is a 400 with a message, not an HTML 404
    http_method_names = ["get", "post", "patch", "head", "options"]

    # -- fetching --

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return selectors.case_qs_for(self.request.user)

    def get_object(self) -> Case:
        key = _parse_uuid(self.kwargs["uuid"], "uuid", _("Dit is geen geldige casus-id (een UUID)."))
        case = self.get_queryset().prefetch_related("co_workers").filter(uuid=key).first()
        if case is None:
            raise NotFound(_("Deze casus bestaat niet."), code="not_found")
        return case

    def _reason(self) -> str:
        body = self.request.data.get("break_glass_reason") if isinstance(self.request.data, dict) else None
        if isinstance(body, str) and body.strip():
            return body.strip()[: cs.BREAK_GLASS_MAX]
        return _header_reason(self.request)

    def _open(self, case: Case, part: str) -> CaseAccess:
        return case_open_for_read(user=self.request.user, case=case, part=part, channel=API, reason=self._reason())

    def _special_too(self, case: Case, access: CaseAccess) -> None:
        case_log_read(user=self.request.user, case=case, part=AccessPart.SPECIAL, channel=API,
                      break_glass=access.break_glass, reason=access.reason)

    def _detail(self, case: Case, status_code: int = status.HTTP_200_OK) -> Response:
        user = self.request.user
        fresh = self.get_queryset().prefetch_related("co_workers").get(pk=case.pk)
        context = {"show_special": selectors.can_see_special_of(user, fresh),
                   "in_caseload": selectors.in_caseload(user, fresh)}
        return Response(cs.CaseDetailSerializer(fresh, context=context).data, status=status_code)

    def _entry(self, case: Case, entry_pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        entry = selectors.entries_visible_to(self.request.user, case).get(pk=entry_pk)
        return Response(cs.EntrySerializer(entry, context={"now": timezone.now()}).data, status=status_code)

    def _referral(self, case: Case, referral_pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        referral = selectors.referrals_of(self.request.user, case).get(pk=referral_pk)
        context = {"show_special": selectors.can_see_special_of(self.request.user, case)}
        return Response(cs.ReferralSerializer(referral, context=context).data, status=status_code)

    def _list(self, cases: list[Case]) -> list[dict[str, Any]]:
        case_log_reads(user=self.request.user, cases=cases, part=AccessPart.CASE, channel=API)
        return cs.CaseListSerializer(cases, many=True).data

    # -- the case --

    def list(self, request: Request) -> Response:
        query = _validated(cs.CaseListQuerySerializer(data=request.query_params))
        filters = selectors.CaseFilters(category=query.get("category", ""), status=query.get("status", ""),
                                        location_id=query.get("location"), municipality_id=query.get("municipality"),
                                        owner_id=query.get("owner"))
        page = self.paginate_queryset(selectors.case_list(user=request.user, filters=filters))
        return self.get_paginated_response(self._list(list(page)))

    def retrieve(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        self._open(case, AccessPart.CASE)
        return self._detail(case)

    def create(self, request: Request) -> Response:
        data = _validated(cs.CaseCreateSerializer(data=_body_dict(request)))
        user = request.user
        regions = selectors.casework_regions(user)
        household = PlacementRequest.objects.filter(uuid=data["household"], region__in=regions).first()
        if household is None:
            raise _invalid_field("household", _("Dit huishouden bestaat niet of hoort niet bij uw regio."))
        subject = None
        if data["subject"] is not None:
            subject = HouseholdMember.objects.filter(uuid=data["subject"], request=household).first()
            if subject is None:
                raise _invalid_field("subject", _("Deze bewoner hoort niet bij dit huishouden."))
        category = self._category(data["category"])
        owner = self._user(data["owner"], "owner") if data["owner"] is not None else None
        with transaction.atomic():
            case = case_create(user=user, household=household, category=category, summary=data["summary"],
                               subject=subject, urgency=data["urgency"], follow_up_on=data["follow_up_on"],
                               owner=owner)
            # The creator wrote what the answer shows: logged, without a caseload check.
            case_log_read(user=user, case=case, part=AccessPart.CASE, channel=API)
        return self._detail(case, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        data = _validated(cs.CaseUpdateSerializer(data=_body_dict(request), partial=True))
        data.pop("break_glass_reason", None)
        new_status = data.pop("status", None)
        if "category" in data:
            data["category"] = self._category(data["category"])
        if data.get("subject") is not None:
            data["subject"] = HouseholdMember.objects.filter(uuid=data["subject"], request_id=case.household_id).first()
            if data["subject"] is None:
                raise _invalid_field("subject", _("Deze bewoner hoort niet bij dit huishouden."))
        with transaction.atomic():
            self._open(case, AccessPart.CASE)
            if data:
                case = case_update(user=request.user, case=case, data=data)
            if new_status is not None:
                case = case_set_status(user=request.user, case=case, status=new_status)
        return self._detail(case)

    def _category(self, code: str) -> CaseCategory:
        category = CaseCategory.objects.filter(code=code, active=True).first()
        if category is None:
            raise _invalid_field("category", _("Onbekende categorie."))
        return category

    def _user(self, pk: int, field: str) -> User:
        found = User.objects.filter(pk=pk).first()
        if found is None:
            raise _invalid_field(field, _("Onbekende gebruiker."))
        return found

    # -- actions on the case --

    @extend_schema(summary="Close a case", description="With a reason (and an optional note, never in history).",
                   parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], request=cs.CloseSerializer,
                   responses={200: cs.CaseDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        data = _validated(cs.CloseSerializer(data=_body_dict(request)))
        with transaction.atomic():
            self._open(case, AccessPart.CASE)
            case = case_close(user=request.user, case=case, reason=data["reason"], note=data["note"])
        return self._detail(case)

    @extend_schema(summary="Reopen a closed case", parameters=[CASE_UUID, BREAK_GLASS_PARAMETER],
                   request=cs.BreakGlassSerializer, responses={200: cs.CaseDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        _validated(cs.BreakGlassSerializer(data=_body_dict(request)))
        with transaction.atomic():
            self._open(case, AccessPart.CASE)
            case = case_reopen(user=request.user, case=case)
        return self._detail(case)

    @extend_schema(summary="Assign owner and co-workers",
                   description="Coordinators or mental coaches of the case's region. The caseload check looks at "
                               "the case before the change.",
                   parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], request=cs.AssignSerializer,
                   responses={200: cs.CaseDetailSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        data = _validated(cs.AssignSerializer(data=_body_dict(request)))
        owner = self._user(data["owner"], "owner") if data["owner"] is not None else None
        co_workers = None
        if "co_workers" in data:
            ids = set(data["co_workers"])
            co_workers = list(User.objects.filter(pk__in=ids))
            if len(co_workers) != len(ids):
                raise _invalid_field("co_workers", _("Onbekende gebruiker."))
        with transaction.atomic():
            self._open(case, AccessPart.CASE)
            case = case_assign(user=request.user, case=case, owner=owner, co_workers=co_workers)
        return self._detail(case)

    # -- entries --

    @extend_schema(methods=["GET"], summary="The case's timeline",
                   description="Entries, newest first, each with all its versions. Special-category entries only "
                               "for users with that right (or a share that includes them); shown, they are logged "
                               "as part 'special' besides 'entries'.",
                   parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], responses={200: cs.EntrySerializer(many=True), **READ_ERRORS})
    @extend_schema(methods=["POST"], summary="Add an entry",
                   description="Special-category entries need the right (403 'special_not_allowed') and a legal "
                               "basis of the region (400 'no_legal_basis'); nothing is written otherwise.",
                   parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], request=cs.EntryCreateSerializer,
                   responses={201: cs.EntrySerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def entries(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        user = request.user
        if request.method == "POST":
            data = _validated(cs.EntryCreateSerializer(data=_body_dict(request)))
            with transaction.atomic():
                access = self._open(case, AccessPart.ENTRIES)
                entry = entry_add(user=user, case=case, kind=data["kind"], text=data["text"],
                                  occurred_at=data["occurred_at"], special_category=data["special_category"])
                if entry.special_category:
                    self._special_too(case, access)
            return self._entry(case, entry.pk, status.HTTP_201_CREATED)
        access = self._open(case, AccessPart.ENTRIES)
        entries = list(selectors.entries_visible_to(user, case))
        if any(entry.special_category for entry in entries):
            self._special_too(case, access)
        return Response(cs.EntrySerializer(entries, many=True, context={"now": timezone.now()}).data)

    @extend_schema(summary="Edit an entry",
                   description="Only the author. Before the entry locks the text is rewritten; after, a new version "
                               "is added (earlier versions stay readable).",
                   parameters=[CASE_UUID, ENTRY_UUID, BREAK_GLASS_PARAMETER], request=cs.EntryEditSerializer,
                   responses={200: cs.EntrySerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["patch"], url_path=r"entries/(?P<entry_uuid>[^/]+)", url_name="entry")
    def entry(self, request: Request, uuid: str | None = None, entry_uuid: str | None = None) -> Response:
        case = self.get_object()
        key = _parse_uuid(entry_uuid or "", "entry_uuid", _("Dit is geen geldige id van een aantekening."))
        entry = selectors.entries_visible_to(request.user, case).filter(uuid=key).first()
        if entry is None:
            raise NotFound(_("Deze aantekening bestaat niet."), code="not_found")
        data = _validated(cs.EntryEditSerializer(data=_body_dict(request)))
        with transaction.atomic():
            self._open(case, AccessPart.SPECIAL if entry.special_category else AccessPart.ENTRIES)
            entry_edit(user=request.user, entry=entry, text=data["text"])
        return self._entry(case, entry.pk)

    # -- referrals --

    @extend_schema(methods=["GET"], summary="The case's referrals",
                   description="Note and rejection reason only for users who may see special-category data.",
                   parameters=[CASE_UUID, BREAK_GLASS_PARAMETER],
                   responses={200: cs.ReferralSerializer(many=True), **READ_ERRORS})
    @extend_schema(methods=["POST"], summary="Refer",
                   description="To a mental coach of the team (to_user) or an organisation (to_organisation); a "
                               "referral to nobody is a 400 'no_recipient'.",
                   parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], request=cs.ReferralCreateSerializer,
                   responses={201: cs.ReferralSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def referrals(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        user = request.user
        if request.method == "POST":
            data = _validated(cs.ReferralCreateSerializer(data=_body_dict(request)))
            to_user = self._user(data["to_user"], "to_user") if data["to_user"] is not None else None
            with transaction.atomic():
                self._open(case, AccessPart.REFERRALS)
                referral = referral_create(user=user, case=case, to_kind=data["to_kind"], to_user=to_user,
                                           to_organisation=data["to_organisation"], note=data["note"])
            return self._referral(case, referral.pk, status.HTTP_201_CREATED)
        self._open(case, AccessPart.REFERRALS)
        referrals = list(selectors.referrals_of(user, case))
        context = {"show_special": selectors.can_see_special_of(user, case)}
        return Response(cs.ReferralSerializer(referrals, many=True, context=context).data)

    def _referral_of(self, case: Case, referral_uuid: str | None) -> Referral:
        key = _parse_uuid(referral_uuid or "", "referral_uuid", _("Dit is geen geldige id van een verwijzing."))
        referral = selectors.referrals_of(self.request.user, case).filter(uuid=key).first()
        if referral is None:
            raise NotFound(_("Deze verwijzing bestaat niet."), code="not_found")
        referral.case = case
        return referral

    def _answer(self, referral_uuid: str | None, serializer: serializers.Serializer, service: Any,
                **kwargs: Any) -> Response:
        case = self.get_object()
        referral = self._referral_of(case, referral_uuid)
        data = _validated(serializer)
        with transaction.atomic():
            self._open(case, AccessPart.REFERRALS)
            service(user=self.request.user, referral=referral, **{k: data[v] for k, v in kwargs.items()})
        return self._referral(case, referral.pk)

    @extend_schema(summary="Accept a referral", description="The mental coach it went to, or a coordinator "
                                                            "recording an organisation's answer.",
                   parameters=[CASE_UUID, REFERRAL_UUID, BREAK_GLASS_PARAMETER], request=cs.BreakGlassSerializer,
                   responses={200: cs.ReferralSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"], url_path=r"referrals/(?P<referral_uuid>[^/]+)/accept",
            url_name="referral-accept")
    def referral_accept(self, request: Request, uuid: str | None = None,
                        referral_uuid: str | None = None) -> Response:
        return self._answer(referral_uuid, cs.BreakGlassSerializer(data=_body_dict(request)), referral_accept)

    @extend_schema(summary="Reject a referral", description="With a reason (never in history).",
                   parameters=[CASE_UUID, REFERRAL_UUID, BREAK_GLASS_PARAMETER], request=cs.RejectSerializer,
                   responses={200: cs.ReferralSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"], url_path=r"referrals/(?P<referral_uuid>[^/]+)/reject",
            url_name="referral-reject")
    def referral_reject(self, request: Request, uuid: str | None = None,
                        referral_uuid: str | None = None) -> Response:
        return self._answer(referral_uuid, cs.RejectSerializer(data=_body_dict(request)), referral_reject,
                            reason="reason")

    @extend_schema(summary="Complete a referral", parameters=[CASE_UUID, REFERRAL_UUID, BREAK_GLASS_PARAMETER],
                   request=cs.BreakGlassSerializer, responses={200: cs.ReferralSerializer, **WRITE_ERRORS})
    @action(detail=True, methods=["post"], url_path=r"referrals/(?P<referral_uuid>[^/]+)/complete",
            url_name="referral-complete")
    def referral_complete(self, request: Request, uuid: str | None = None,
                          referral_uuid: str | None = None) -> Response:
        return self._answer(referral_uuid, cs.BreakGlassSerializer(data=_body_dict(request)), referral_complete)

    # -- the read log, search --

    @extend_schema(summary="Who has seen this case",
                   description="\"Wie heeft dit ingezien\": the read log of the case, newest first, for the "
                               "coordinators and mental coaches of its region. Itself logged (part 'history').",
                   parameters=[CASE_UUID, BREAK_GLASS_PARAMETER], responses={200: cs.CaseReadSerializer(many=True), **READ_ERRORS})
    @action(detail=True, methods=["get"])
    def reads(self, request: Request, uuid: str | None = None) -> Response:
        case = self.get_object()
        if not selectors.can_see_read_log(request.user, case):
            raise PermissionDenied(_("Alleen coördinatoren en mental coaches van de regio zien wie dit inzag."),
                                   code="forbidden")
        self._open(case, AccessPart.HISTORY)
        page = self.paginate_queryset(selectors.case_reads(case))
        return self.get_paginated_response(cs.CaseReadSerializer(page, many=True).data)

    @extend_schema(summary="Find a resident's cases",
                   description="By name, date of birth and/or V-number (every part given must match), in the body "
                               "of a POST so that none of it appears in a URL. Header fields only, at most 50; each "
                               "case found is logged as read (part 'case'). Writes nothing else.",
                   request=cs.CaseSearchSerializer, responses={200: cs.CaseListSerializer(many=True), **READ_ERRORS})
    @action(detail=False, methods=["post"], pagination_class=None)
    def search(self, request: Request) -> Response:
        data = _validated(cs.CaseSearchSerializer(data=_body_dict(request)))
        search = selectors.CaseSearch(name=data["name"], date_of_birth=data["date_of_birth"],
                                      v_number=data["v_number"])
        cases = list(selectors.case_search(user=request.user, search=search)[:SEARCH_LIMIT])
        return Response(self._list(cases))

