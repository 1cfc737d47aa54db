"""REST API of placements: requests (e.g. from an LCVS integration), candidates, and the placement
lifecycle as explicit operations (reserve, confirm, arrive, depart, release, transfer, swap).

Thin by design, like the registry API: every read starts from a scoping selector, so anything
outside the user's scope answers 404; every write goes through a service in placements/services.py.
What a role may *do* with an object it can see is decided once, in `ActionPermission` (403).

Persons: names and dates of birth appear only in the detail of a request or a placement, for the
roles that may see that object. Lists carry counts, never names. Casework and care details are
never part of this API; `care_need` is a flag only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from locations.models import ContactPerson, Municipality, Region
from locations.selectors import region_qs_for
from rcvs.api import ErrorSerializer, error_responses, exception_handler
from rcvs.errors import PermissionDenied

from . import matching
from .forms import MAX_HOUSEHOLD, MAX_ROOM_ID
from .models import (
    DepartureReason,
    HouseholdMember,
    Placement,
    PlacementRequest,
    PlacementRoom,
    PlacementStatus,
    RequestStatus,
    SupraRegionalRequest,
    SupraRegionalStatus,
)
from .selectors import (
    can_move,
    can_move_placement,
    can_place,
    can_register_stay,
    placement_qs_for,
    possible_duplicates,
    request_qs_for,
    request_queue,
)
from .services import (
    NotAvailable,
    placement_arrive,
    placement_confirm,
    placement_depart,
    placement_release,
    placement_reserve,
    placement_swap,
    placement_transfer,
    request_cancel,
    request_create,
    request_take,
)
from .supra import AGE_BANDS

UUID_PATTERN = "[0-9a-fA-F-]{36}"
PHONE_REGEX = r"^\+?[0-9 ()-]{8,20}$"


# --- small helpers ----------------------------------------------------------------------------


class NamedChoiceField(serializers.ChoiceField):
    """A choice field documented as one named enum component.

    Requests, placements, locations and supra-regional requests all have a `status` with its own
    values, and a choice set appears under several field names (departure_reason / reason):
    drf-spectacular would otherwise invent hashed enum names for them."""

    def __init__(self, *, enum_name: str, **kwargs: Any) -> None:
        self.enum_name = enum_name
        super().__init__(**kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field: NamedChoiceField = self.target
        component = ResolvedComponent(
            name=field.enum_name, type=ResolvedComponent.SCHEMA, object=field.enum_name,
            schema={"type": "string", "enum": list(field.choices),
                    "description": "\n".join(f"* `{value}` - {label}" for value, label in field.choices.items())},
        )
        auto_schema.registry.register_on_missing(component)
        if field.allow_blank:
            return {"oneOf": [component.ref, {"type": "string", "enum": [""]}]}
        return component.ref


def _flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors under the names the service uses too: `members[0].date_of_birth`."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY and prefix:
                name = prefix
            elif isinstance(key, int):
                name = f"{prefix}[{key}]"
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for sub, messages in _flatten_errors(value, name).items():
                flat.setdefault(sub, []).extend(messages)
    elif isinstance(errors, list) and any(isinstance(item, dict | list) for item in errors):
        for index, item in enumerate(errors):
            if item:
                for sub, messages in _flatten_errors(item, f"{prefix}[{index}]").items():
                    flat.setdefault(sub, []).extend(messages)
    elif isinstance(errors, list):
        flat[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(message) for message in errors]
    else:
        flat[prefix or api_settings.NON_FIELD_ERRORS_KEY] = [str(errors)]
    return flat


def _validated(serializer: serializers.Serializer) -> dict[str, Any]:
    if not serializer.is_valid():
        raise serializers.ValidationError(_flatten_errors(serializer.errors))
    return dict(serializer.validated_data)


def _region_for(user: Any, code: str | None) -> Region:
    """The region a new record belongs to: the user's only region, or the one named by code."""
    regions = region_qs_for(user)
    if code:
        region = regions.filter(code=code).first()
        if region is None:
            raise serializers.ValidationError({"region": [_("Onbekende regio of niet uw regio.")]})
        return region
    found = list(regions[:2])
    if len(found) != 1:
        raise serializers.ValidationError(
            {"region": [_("U werkt voor meerdere regio's: geef de code van de regio op.")]})
    return found[0]


def _composition_of(request: PlacementRequest) -> dict[str, int]:
    members = list(request.members.all())
    day = timezone.localtime(request.expected_arrival).date()
    infants = sum(1 for m in members if m.is_infant_on(day))
    adults = sum(1 for m in members if m.age_on(day) >= 18)
    return {"adults": adults, "children": len(members) - adults - infants, "infants": infants}


# --- serializers: shared pieces -----------------------------------------------------------------


class LocationRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    municipality = serializers.CharField(help_text="Name of the municipality.")


class AllocationField(serializers.ListField):
    """[[room_id, persons], ...]: the rooms of one location and how many persons go into each."""

    def __init__(self, **kwargs: Any) -> None:
        # Bounded so that a number beyond PostgreSQL's bigint is refused here with a 400, not by the
        # database; no household has more than 12 members.
        kwargs.setdefault("child", serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ROOM_ID), min_length=2, max_length=2))
        kwargs.setdefault("help_text", "Pairs [room id, persons]: every room of one location, and how many "
                                       "members of the household sleep in it.")
        super().__init__(**kwargs)


class AllocationSerializer(serializers.Serializer):
    allocation = AllocationField(min_length=1)

    def validate_allocation(self, value: list[list[int]]) -> list[tuple[int, int]]:
        rooms = [room_id for room_id, _persons in value]
        if len(set(rooms)) != len(rooms):
            raise serializers.ValidationError(_("Noem elke kamer één keer."))
        if any(persons > MAX_HOUSEHOLD for _room_id, persons in value):
            raise serializers.ValidationError(
                _("Een kamer krijgt hoogstens %(n)s personen.") % {"n": MAX_HOUSEHOLD})
        return [(room_id, persons) for room_id, persons in value]


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    phone = serializers.RegexField(PHONE_REGEX, max_length=20,
                                   error_messages={"invalid": gettext_lazy("Voer een geldig telefoonnummer in.")})
    email = serializers.EmailField(required=False, allow_blank=True, default="")


class CandidateRoomSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    beds = serializers.IntegerField()
    persons = serializers.IntegerField(help_text="Members of the household in this room.")


class CandidateSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 is the best proposal.")
    location = LocationRefSerializer()
    rooms = CandidateRoomSerializer(many=True)
    beds_used = serializers.IntegerField()
    snijverlies = serializers.IntegerField(help_text="Beds left unusable by this choice (cutting loss).")
    explanation = serializers.ListField(child=serializers.CharField(), help_text="Why this proposal, in Dutch.")
    contact = ContactSerializer(allow_null=True, help_text="The location's first point of contact.")
    allocation = AllocationField(help_text="Send this as `allocation` to reserve the proposal.")


class CandidateListSerializer(serializers.Serializer):
    candidates = CandidateSerializer(many=True)
    excluded = serializers.ListField(child=serializers.CharField(),
                                     help_text="Locations not proposed, each with the rules it breaks.")
    warnings = serializers.ListField(child=serializers.CharField(),
                                     help_text="Things to check first, e.g. an expected arrival that has passed.")


class CandidateConflictSerializer(ErrorSerializer):
    """The error body of a 409 on reserve or transfer, with fresh proposals computed after it."""

    candidates = CandidateSerializer(many=True, help_text="Proposals as they are now, after the refusal.")


def _contact(contact: ContactPerson | None) -> dict[str, str] | None:
    if contact is None:
        return None
    return {"name": contact.name, "phone": contact.phone, "email": contact.email}


def _candidate_data(candidate: matching.Candidate) -> dict[str, Any]:
    location = candidate.location
    return {
        "rank": candidate.rank,
        "location": {"uuid": location.uuid, "code": location.code, "name": location.name,
                     "municipality": candidate.municipality.name},
        "rooms": [{"id": room.pk, "number": room.number, "beds": room.beds, "persons": persons}
                  for room, persons in candidate.rooms],
        "beds_used": candidate.beds_used,
        "snijverlies": candidate.snijverlies,
        "explanation": list(candidate.explanation),
        "contact": _contact(candidate.contact),
        "allocation": [[room_id, persons] for room_id, persons in candidate.allocation],
    }


def _candidates(request_pk: int, *, limit: int = 10) -> tuple[list[dict[str, Any]], matching.MatchResult]:
    """Proposals for a request as the database holds it now (re-read, so never stale)."""
    request = (PlacementRequest.objects.select_related("region", "preferred_municipality")
               .prefetch_related(Prefetch("members", queryset=HouseholdMember.objects.order_by("position", "pk")))
               .get(pk=request_pk))
    result = matching.find_candidates(request, limit=limit)
    candidates = CandidateSerializer([_candidate_data(c) for c in result.candidates], many=True).data
    return candidates, result


def _conflict(exc: NotAvailable, view: Any, request_pk: int) -> Response:
    """409 in the usual error shape, plus the proposals that fit now."""
    response = exception_handler(exc, {"view": view, "request": view.request})
    if response is None:  # pragma: no cover - the handler renders every ApplicationError
        raise exc
    response.data["candidates"] = _candidates(request_pk)[0]
    return response


# --- serializers: requests ----------------------------------------------------------------------


class HouseholdMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = HouseholdMember
        fields = ["uuid", "first_name", "last_name", "date_of_birth", "sex", "nationality", "relation",
                  "v_number", "bsn"]
        read_only_fields = ["uuid"]
        # The BSN is taken in (the municipality needs it for the BRP) but never shown again.
        extra_kwargs = {"bsn": {"write_only": True}}
        validators: list[Any] = []  # one main applicant: checked by the service over the whole list


class CompositionSerializer(serializers.Serializer):
    adults = serializers.IntegerField(help_text="18 or older on the day of arrival.")
    children = serializers.IntegerField(help_text="Younger than 18, not infants.")
    infants = serializers.IntegerField(help_text="Infants (zuigelingen) on the day of arrival.")


class PlacementRequestSummarySerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = NamedChoiceField(enum_name="PlacementRequestStatusEnum", choices=RequestStatus.choices, read_only=True)
    persons = serializers.SerializerMethodField()
    composition = serializers.SerializerMethodField()
    preferred_municipality = serializers.SlugRelatedField(slug_field="cbs_code", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = PlacementRequest
        fields = ["uuid", "region", "source", "external_reference", "received_at", "urgency", "expected_arrival",
                  "status", "persons", "composition", "pets_kind", "pets_count", "needs_wheelchair",
                  "reduced_mobility", "care_need", "own_transport", "preferred_municipality", "preference_reason",
                  "assigned_to", "created_at", "updated_at"]
        read_only_fields = fields

    def get_persons(self, obj: PlacementRequest) -> int:
        return len(obj.members.all())


    @extend_schema_field(CompositionSerializer)
    def get_composition(self, obj: PlacementRequest) -> dict[str, int]:
        return _composition_of(obj)


# --- serializers: placements --------------------------------------------------------------------


class PlacementLocationSerializer(LocationRefSerializer):
    municipality = serializers.CharField(source="municipality.name", help_text="Name of the municipality.")


class PlacementRoomSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="room_id", help_text="Id of the room.")
    number = serializers.CharField(source="room.number")
    beds = serializers.IntegerField(source="room.beds")

    class Meta:
        model = PlacementRoom
        fields = ["id", "number", "beds", "persons", "active"]
        read_only_fields = fields


class PlacementSummarySerializer(serializers.ModelSerializer):
    request = serializers.SlugRelatedField(slug_field="uuid", read_only=True, help_text="UUID of the request.")
    location = PlacementLocationSerializer(read_only=True)
    status = NamedChoiceField(enum_name="PlacementStatusEnum", choices=PlacementStatus.choices, read_only=True)
    rooms = PlacementRoomSerializer(many=True, read_only=True)
    departure_reason = NamedChoiceField(enum_name="DepartureReasonEnum", choices=DepartureReason.choices,
                                        allow_blank=True, read_only=True)
    transferred_from = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                                    help_text="UUID of the placement this one replaced.")

    class Meta:
        model = Placement
        fields = ["uuid", "request", "location", "status", "persons", "rooms", "reserved_at", "reserved_until",
                  "confirmed_at", "arrived_at", "departed_on", "departure_reason", "transferred_from", "created_at",
                  "updated_at"]
        read_only_fields = fields


class PlacementDetailSerializer(PlacementSummarySerializer):
    expected_arrival = serializers.DateTimeField(source="request.expected_arrival", read_only=True)
    household = HouseholdMemberSerializer(source="request.members", many=True, read_only=True)

    class Meta(PlacementSummarySerializer.Meta):
        fields = [*PlacementSummarySerializer.Meta.fields, "departure_note", "expected_arrival", "household"]
        read_only_fields = fields

    def to_representation(self, instance: Placement) -> dict[str, Any]:
        data = super().to_representation(instance)
        if instance.departure_reason == DepartureReason.TRANSFER and not self._may_see_successor(instance):
            # The reason of a transfer often names where the household went; a viewer who may not
            # see that placement (a municipality, for a location in another one) learns only that
            # it moved.
            data["departure_note"] = _("verplaatst")
        return data

    def _may_see_successor(self, instance: Placement) -> bool:
        user = self.context.get("user") or getattr(self.context.get("request"), "user", None)
        successors = Placement.objects.filter(transferred_from=instance)
        return user is not None and not successors.exclude(pk__in=placement_qs_for(user).values("pk")).exists()


class PlacementRequestDetailSerializer(PlacementRequestSummarySerializer):
    members = HouseholdMemberSerializer(many=True, read_only=True)
    placements = PlacementSummarySerializer(many=True, read_only=True)

    class Meta(PlacementRequestSummarySerializer.Meta):
        fields = [*PlacementRequestSummarySerializer.Meta.fields, "requested_by_name", "requested_by_organisation",
                  "requested_by_phone", "notes", "members", "placements"]
        read_only_fields = fields


class PlacementRequestCreateSerializer(serializers.ModelSerializer):
    region = serializers.CharField(
        required=False, help_text="Code of the region; needed only when the user works for several regions.")
    preferred_municipality = serializers.SlugRelatedField(
        slug_field="cbs_code", queryset=Municipality.objects.none(), required=False, allow_null=True,
        help_text="CBS code (e.g. GM0106) of a municipality in the region; give a preference_reason with it.")
    members = HouseholdMemberSerializer(
        many=True, help_text="The whole household, exactly one with relation 'main'. Never health data.")

    class Meta:
        model = PlacementRequest
        fields = ["region", "source", "external_reference", "received_at", "requested_by_name",
                  "requested_by_organisation", "requested_by_phone", "urgency", "expected_arrival", "pets_kind",
                  "pets_count", "needs_wheelchair", "reduced_mobility", "care_need", "own_transport",
                  "preferred_municipality", "preference_reason", "notes", "members"]
        extra_kwargs = {
            "received_at": {"required": False, "help_text": "When the request came in; default now."},
            "care_need": {"help_text": "A flag only: details belong in casework, never in a request."},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["preferred_municipality"].queryset = Municipality.objects.filter(
                region__in=region_qs_for(request.user))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The database checks these too, for the whole row; here they are reported against the field.
        errors = {}
        if attrs.get("pets_count") and not attrs.get("pets_kind", "").strip():
            errors["pets_kind"] = [_("Vul de soort huisdier in.")]
        if attrs.get("preferred_municipality") and not attrs.get("preference_reason"):
            errors["preference_reason"] = [_("Geef een reden voor de voorkeursgemeente.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class DuplicateQuerySerializer(serializers.Serializer):
    first_name = serializers.CharField(required=False, allow_blank=True, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, default="")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    v_number = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["v_number"] and not (attrs["last_name"] and attrs["date_of_birth"]):
            raise serializers.ValidationError(_("Zoek op V-nummer, of op achternaam met geboortedatum."))
        return attrs


class DuplicateSerializer(serializers.Serializer):
    request = serializers.UUIDField(help_text="UUID of the request that holds a matching person.")
    status = NamedChoiceField(enum_name="PlacementRequestStatusEnum", choices=RequestStatus.choices)
    urgency = serializers.CharField()
    received_at = serializers.DateTimeField()
    matched_on = serializers.ListField(
        child=serializers.ChoiceField(choices=["v_number", "name_and_date_of_birth"]),
        help_text="What matched. Names are not repeated here: open the request to compare.")


# --- serializers: actions on placements ---------------------------------------------------------


class ConfirmSerializer(serializers.Serializer):
    notify_location = serializers.BooleanField(
        default=False, help_text="Mail the location's contact after the confirmation is saved.")


class ArriveSerializer(serializers.Serializer):
    at = serializers.DateTimeField(required=False, help_text="When the household arrived; default now.")

    def validate_at(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now():
            raise serializers.ValidationError(_("De aankomst ligt in de toekomst."))
        return value


class DepartSerializer(serializers.Serializer):
    on = serializers.DateField(help_text="Day of departure; not in the future.")
    reason = NamedChoiceField(enum_name="DepartureReasonEnum", choices=DepartureReason.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TransferSerializer(AllocationSerializer):
    reason = serializers.CharField(max_length=300)


class SwapSerializer(serializers.Serializer):
    first = serializers.UUIDField(help_text="UUID of one confirmed or arrived placement.")
    second = serializers.UUIDField(help_text="UUID of the other; both households exchange their rooms.")
    reason = serializers.CharField(max_length=300)


class SwapResultSerializer(serializers.Serializer):
    first = PlacementDetailSerializer(help_text="The new placement of the first household.")
    second = PlacementDetailSerializer(help_text="The new placement of the second household.")


# --- serializers: supra-regional requests -------------------------------------------------------


# The same age bands as an outgoing request's JSON (placements.supra.AGE_BANDS), so what one
# region sends, another region's installation can receive unchanged.
AgeBandsSerializer = type("AgeBandsSerializer", (serializers.Serializer,), {
    key: serializers.IntegerField(min_value=0, default=0, help_text=f"Persons aged {key} on the earliest date.")
    for key, *_rest in AGE_BANDS
})


class NeedsSerializer(serializers.Serializer):
    needs_wheelchair = serializers.BooleanField(default=False)
    reduced_mobility = serializers.BooleanField(default=False, help_text="No stairs and no top bunk.")
    care_need = serializers.BooleanField(default=False, help_text="A flag only; never details.")
    own_transport = serializers.BooleanField(default=False)
    pets_count = serializers.IntegerField(min_value=0, max_value=10, default=0)
    pets_kind = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["pets_count"] and not attrs["pets_kind"].strip():
            raise serializers.ValidationError({"pets_kind": [_("Vul de soort huisdier in.")]})
        return attrs


class SupraRegionalRequestSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    request = serializers.SlugRelatedField(slug_field="uuid", read_only=True, allow_null=True,
                                           help_text="UUID of the own placement request it concerns, if any.")
    status = NamedChoiceField(enum_name="SupraRegionalStatusEnum", choices=SupraRegionalStatus.choices, read_only=True)
    composition = serializers.JSONField(read_only=True, help_text="Number of persons per age band.")
    needs = serializers.JSONField(read_only=True, help_text="Flags and counts the receiving side needs.")
    contact = serializers.SerializerMethodField()

    class Meta:
        model = SupraRegionalRequest
        fields = ["uuid", "region", "request", "direction", "counterpart", "status", "household_size",
                  "composition", "needs", "earliest_date", "contact", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(ContactSerializer)
    def get_contact(self, obj: SupraRegionalRequest) -> dict[str, str]:
        return {"name": obj.contact_name, "phone": obj.contact_phone, "email": obj.contact_email}


class SupraRegionalIncomingSerializer(serializers.Serializer):
    """An incoming bovenregionale verplaatsing: only what the receiving region needs, no names."""

    region = serializers.CharField(
        required=False, help_text="Code of the receiving region; needed only when the user works for several.")
    counterpart = serializers.CharField(max_length=120, default="KCIO",
                                        help_text="Who asks: the other region, or KCIO.")
    household_size = serializers.IntegerField(min_value=1, max_value=12)
    composition = AgeBandsSerializer(help_text="Persons per age band; they add up to household_size.")
    needs = NeedsSerializer(required=False)
    earliest_date = serializers.DateField(help_text="First day the household can move; not in the past.")
    contact = ContactSerializer(help_text="Who to call about this request at the asking side.")

    def validate_earliest_date(self, value: dt.date) -> dt.date:
        if value < timezone.localdate():
            raise serializers.ValidationError(_("De datum ligt in het verleden."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if sum(attrs["composition"].values()) != attrs["household_size"]:
            raise serializers.ValidationError(
                {"composition": [_("De leeftijdsgroepen tellen niet op tot het aantal personen.")]})
        attrs["region"] = _region_for(self.context["request"].user, attrs.get("region"))
        return attrs

    def create(self, validated_data: dict[str, Any]) -> SupraRegionalRequest:
        contact = validated_data["contact"]
        needs = validated_data.get("needs") or dict(NeedsSerializer().to_internal_value({}))
        supra = SupraRegionalRequest(
            region=validated_data["region"], direction=SupraRegionalRequest.Direction.INCOMING,
            counterpart=validated_data["counterpart"], household_size=validated_data["household_size"],
            composition=dict(validated_data["composition"]), needs=dict(needs),
            earliest_date=validated_data["earliest_date"], contact_name=contact["name"],
            contact_phone=contact["phone"], contact_email=contact.get("email", ""),
            created_by=self.context["request"].user)
        with transaction.atomic():
            try:
                supra.full_clean()
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from None
            supra.save()
        return supra


# --- filters ------------------------------------------------------------------------------------


class PlacementRequestFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=RequestStatus.choices)
    urgency = filters.ChoiceFilter(choices=PlacementRequest._meta.get_field("urgency").choices)
    source = filters.ChoiceFilter(choices=PlacementRequest._meta.get_field("source").choices)

    class Meta:
        model = PlacementRequest
        fields: list[str] = []


class PlacementFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PlacementStatus.choices)
    location = filters.UUIDFilter(field_name="location__uuid", help_text="UUID of the location.")
    request = filters.UUIDFilter(field_name="request__uuid", help_text="UUID of the request.")

    class Meta:
        model = Placement
        fields: list[str] = []


class SupraRegionalRequestFilter(filters.FilterSet):
    direction = filters.ChoiceFilter(choices=SupraRegionalRequest.Direction.choices)
    status = filters.ChoiceFilter(choices=SupraRegionalStatus.choices)

    class Meta:
        model = SupraRegionalRequest
        fields: list[str] = []


# --- permissions --------------------------------------------------------------------------------

PLACE_ONLY = gettext_lazy("Alleen het belteam, coördinatoren en beheerders plaatsen.")
MOVE_ONLY = gettext_lazy("Alleen coördinatoren en beheerders plaatsen over of ruilen.")
STAY_ONLY = gettext_lazy("Aankomst en vertrek meldt het belteam of de gemeente van de locatie.")

Rule = tuple[Callable[..., bool], Any]


def _placing(user: Any, obj: Any = None) -> bool:
    return can_place(user)


def _moving(user: Any, obj: Any = None) -> bool:
    return can_move(user)


def _moving_this(user: Any, obj: Any) -> bool:
    """This placement: coordinators always, the belteam while a transfer request is open."""
    return can_move_placement(user, obj)


class ActionPermission(BasePermission):
    """What a role may do with what it can see. Scope comes first: an object outside the user's
    scope never reaches `has_object_permission`, the scoped queryset has answered 404 already."""

    message: Any = PLACE_ONLY
    code = "forbidden"

    def has_permission(self, request: Request, view: Any) -> bool:
        rule: Rule | None = getattr(view, "action_rules", {}).get(getattr(view, "action", None))
        if rule is None:
            return True
        check, self.message = rule
        return check(request.user)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        rule: Rule | None = getattr(view, "object_rules", {}).get(getattr(view, "action", None))
        if rule is None:
            return True
        check, self.message = rule
        return check(request.user, obj)


class PlacementsViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ActionPermission]
    filter_backends = [filters.DjangoFilterBackend]
    lookup_field = "uuid"
    lookup_value_regex = UUID_PATTERN
    action_rules: dict[str, Rule] = {}
    object_rules: dict[str, Rule] = {}


def _members() -> Prefetch:
    return Prefetch("members", queryset=HouseholdMember.objects.order_by("position", "pk"))


def _placements_with_rooms(qs: QuerySet[Placement]) -> QuerySet[Placement]:
    return qs.select_related("transferred_from").prefetch_related(
        Prefetch("rooms", queryset=PlacementRoom.objects.select_related("room")))


def _placement_detail_qs(user: Any) -> QuerySet[Placement]:
    return _placements_with_rooms(placement_qs_for(user)).prefetch_related(
        Prefetch("request__members", queryset=HouseholdMember.objects.order_by("position", "pk")))


def _placement_detail(user: Any, placement: Placement) -> dict[str, Any]:
    return PlacementDetailSerializer(_placement_detail_qs(user).get(pk=placement.pk), context={"user": user}).data


TRUE_VALUES, FALSE_VALUES = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}

PLACEMENT_ERRORS = error_responses(400, 401, 403, 404, 409)
CONFLICT_WITH_CANDIDATES = OpenApiResponse(
    CandidateConflictSerializer,
    description="The rooms are no longer available (code 'not_available', reasons in extra.reasons), with fresh "
                "proposals in 'candidates'; or the status does not allow this step (code 'invalid_transition').")


# --- viewsets: requests -------------------------------------------------------------------------


@extend_schema(tags=["placement requests"])
@extend_schema_view(
    list=extend_schema(
        summary="List placement requests",
        description="Requests of the user's regions, counts only (no names). With open=1 the queue of open "
                    "requests: acute first, then high urgency, then the oldest. Municipality and board users "
                    "see no requests.",
        parameters=[OpenApiParameter("open", OpenApiTypes.BOOL, description="Only open requests, in queue order.")],
        responses={200: PlacementRequestSummarySerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        summary="Retrieve a placement request",
        description="One request with its household (names, dates of birth) and its placements.",
        responses={200: PlacementRequestDetailSerializer, **error_responses(401, 404)},
    ),
    create=extend_schema(
        summary="Create a placement request",
        description="Register a request with its whole household, e.g. from the LCVS. Nothing is written when "
                    "any part is wrong; errors name the field, e.g. 'members[0].date_of_birth'.",
        request=PlacementRequestCreateSerializer,
        responses={201: PlacementRequestDetailSerializer, **error_responses(400, 401, 403)},
    ),
)
class PlacementRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlacementsViewSet):
    filterset_class = PlacementRequestFilter
    action_rules = {"create": (_placing, PLACE_ONLY)}
    object_rules = {name: (_placing, PLACE_ONLY) for name in ("take", "cancel", "candidates", "reserve")}

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return PlacementRequestSummarySerializer if self.action == "list" else PlacementRequestDetailSerializer

    def _open_only(self) -> bool:
        value = self.request.query_params.get("open")
        if value is None or value.lower() in FALSE_VALUES:
            return False
        if value.lower() in TRUE_VALUES:
            return True
        raise serializers.ValidationError({"open": [_("Gebruik 1 of 0.")]})

    def get_queryset(self) -> QuerySet[PlacementRequest]:
        user = self.request.user
        if self.action == "list":
            if self._open_only():
                return request_queue(user=user)
            return request_qs_for(user).prefetch_related(_members())
        placements = _placements_with_rooms(Placement.objects.select_related("location__municipality", "request"))
        return request_qs_for(user).prefetch_related(_members(), Prefetch("placements", queryset=placements))

    def _detail(self, obj: PlacementRequest, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(PlacementRequestDetailSerializer(self.get_queryset().get(pk=obj.pk)).data, status=status_code)

    def create(self, request: Request) -> Response:
        data = _validated(PlacementRequestCreateSerializer(data=request.data, context=self.get_serializer_context()))
        members = [dict(member) for member in data.pop("members")]
        region = _region_for(request.user, data.pop("region", None))
        created = request_create(user=request.user, region=region, data=data, members=members)
        return self._detail(created, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Find likely duplicates",
        description="Persons already waiting or placed with the same V-number, or the same surname and date of "
                    "birth (and first name when given). Answers which requests to look at; repeats no names. "
                    "A POST with the person in the body, so that names, dates of birth and V-numbers never "
                    "appear in a URL (and so in no access log or browser history). Writes nothing.",
        request=DuplicateQuerySerializer,
        responses={200: DuplicateSerializer(many=True), **error_responses(400, 401)},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def duplicates(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise serializers.ValidationError({api_settings.NON_FIELD_ERRORS_KEY: [
                _("Stuur een object met first_name, last_name, date_of_birth en/of v_number.")]})
        query = _validated(DuplicateQuerySerializer(data=request.data))
        found: dict[int, dict[str, Any]] = {}
        for member in possible_duplicates(user=request.user, **query):
            row = found.setdefault(member.request_id, {
                "request": member.request.uuid, "status": member.request.status,
                "urgency": member.request.urgency, "received_at": member.request.received_at, "matched_on": []})
            if query["v_number"] and member.v_number == query["v_number"]:
                row["matched_on"].append("v_number")
            if query["last_name"] and member.last_name.lower() == query["last_name"].strip().lower() \
                    and member.date_of_birth == query["date_of_birth"]:
                row["matched_on"].append("name_and_date_of_birth")
        rows = sorted(found.values(), key=lambda row: row["received_at"])
        for row in rows:
            row["matched_on"] = sorted(set(row["matched_on"]))
        return Response(DuplicateSerializer(rows, many=True).data)

    @extend_schema(summary="Take a request", description="Take a new request from the queue and work on it.",
                   request=None, responses={200: PlacementRequestDetailSerializer, **PLACEMENT_ERRORS})
    @action(detail=True, methods=["post"])
    def take(self, request: Request, uuid: str | None = None) -> Response:
        obj = request_take(user=request.user, request=self.get_object())
        return self._detail(obj)

    @extend_schema(summary="Cancel a request",
                   description="Cancel an open request with a reason; a reservation it holds is released.",
                   request=CancelSerializer, responses={200: PlacementRequestDetailSerializer, **PLACEMENT_ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, uuid: str | None = None) -> Response:
        obj = self.get_object()
        data = _validated(CancelSerializer(data=request.data))
        return self._detail(request_cancel(user=request.user, request=obj, reason=data["reason"]))

    @extend_schema(
        summary="Propose rooms",
        description="Locations and rooms that fit the whole household, best first, with why; and the locations "
                    "left out with the rules they break.",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many proposals "
                                                                             "(1 to 50, default 10).")],
        responses={200: CandidateListSerializer, **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def candidates(self, request: Request, uuid: str | None = None) -> Response:
        obj = self.get_object()
        limit = serializers.IntegerField(min_value=1, max_value=50)
        raw = request.query_params.get("limit", "10")
        try:
            count = limit.run_validation(raw)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"limit": exc.detail}) from None
        candidates, result = _candidates(obj.pk, limit=count)
        return Response({"candidates": candidates, "excluded": result.excluded_lines(), "warnings": result.warnings})

    @extend_schema(
        summary="Reserve rooms",
        description="Reserve beds for the whole household, e.g. a proposal's allocation. If a room was taken "
                    "meanwhile, nothing is written and the answer is 409 with fresh proposals.",
        request=AllocationSerializer,
        responses={201: PlacementDetailSerializer, 409: CONFLICT_WITH_CANDIDATES,
                   **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def reserve(self, request: Request, uuid: str | None = None) -> Response:
        obj = self.get_object()
        data = _validated(AllocationSerializer(data=request.data))
        try:
            placement = placement_reserve(user=request.user, request=obj, allocation=data["allocation"])
        except NotAvailable as exc:
            return _conflict(exc, self, obj.pk)
        return Response(_placement_detail(request.user, placement), status=status.HTTP_201_CREATED)


# --- viewsets: placements -----------------------------------------------------------------------


@extend_schema(tags=["placements"])
@extend_schema_view(
    list=extend_schema(
        summary="List placements",
        description="Placements of the user's regions, counts only (no names); a municipality user sees the "
                    "placements at its own locations, a board user none.",
        responses={200: PlacementSummarySerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(
        summary="Retrieve a placement",
        description="One placement with its rooms and its household (names, dates of birth).",
        responses={200: PlacementDetailSerializer, **error_responses(401, 404)},
    ),
)
class PlacementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlacementsViewSet):
    filterset_class = PlacementFilter
    # swap: the placing roles pass here; the view then needs a coordinator or an open transfer
    # request of one of the two placements (and the service re-checks that under its locks).
    action_rules = {"swap": (_placing, MOVE_ONLY)}
    object_rules = {
        "confirm": (_placing, PLACE_ONLY),
        "release": (_placing, PLACE_ONLY),
        "transfer": (_moving_this, MOVE_ONLY),
        "arrive": (can_register_stay, STAY_ONLY),
        "depart": (can_register_stay, STAY_ONLY),
    }

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return PlacementSummarySerializer if self.action == "list" else PlacementDetailSerializer

    def get_queryset(self) -> QuerySet[Placement]:
        if self.action == "list":
            return _placements_with_rooms(placement_qs_for(self.request.user))
        return _placement_detail_qs(self.request.user)

    def _detail(self, placement: Placement, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(_placement_detail(self.request.user, placement), status=status_code)

    @extend_schema(summary="Confirm a reservation",
                   description="Confirm reserved beds; optionally mail the location after the change is saved.",
                   request=ConfirmSerializer, responses={200: PlacementDetailSerializer, **PLACEMENT_ERRORS})
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, uuid: str | None = None) -> Response:
        placement = self.get_object()
        data = _validated(ConfirmSerializer(data=request.data))
        return self._detail(placement_confirm(user=request.user, placement=placement,
                                              notify_location=data["notify_location"]))

    @extend_schema(summary="Register the arrival",
                   description="The household has arrived at the location (placing roles, or the municipality "
                               "of the location).",
                   request=ArriveSerializer, responses={200: PlacementDetailSerializer, **PLACEMENT_ERRORS})
    @action(detail=True, methods=["post"])
    def arrive(self, request: Request, uuid: str | None = None) -> Response:
        placement = self.get_object()
        data = _validated(ArriveSerializer(data=request.data))
        return self._detail(placement_arrive(user=request.user, placement=placement, at=data.get("at")))

    @extend_schema(summary="Register the departure",
                   description="The household has left: the beds are free again. Placing roles, or the "
                               "municipality of the location.",
                   request=DepartSerializer, responses={200: PlacementDetailSerializer, **PLACEMENT_ERRORS})
    @action(detail=True, methods=["post"])
    def depart(self, request: Request, uuid: str | None = None) -> Response:
        placement = self.get_object()
        data = _validated(DepartSerializer(data=request.data))
        return self._detail(placement_depart(user=request.user, placement=placement, on=data["on"],
                                             reason=data["reason"], note=data["note"]))

    @extend_schema(summary="Release a reservation",
                   description="Give reserved (or confirmed, not yet arrived) beds back; the request returns to "
                               "the queue.",
                   request=ReleaseSerializer, responses={200: PlacementDetailSerializer, **PLACEMENT_ERRORS})
    @action(detail=True, methods=["post"])
    def release(self, request: Request, uuid: str | None = None) -> Response:
        placement = self.get_object()
        data = _validated(ReleaseSerializer(data=request.data))
        return self._detail(placement_release(user=request.user, placement=placement, reason=data["reason"]))

    @extend_schema(
        summary="Transfer a household",
        description="Overplaatsing within the region (coordinators and beheerders; the belteam while a "
                    "transfer request of the placement is open): leave the current rooms and "
                    "take the new ones in one step. The answer is the new placement; the old one is departed "
                    "with reason 'transfer'. If a room was taken meanwhile: 409 with fresh proposals.",
        request=TransferSerializer,
        responses={201: PlacementDetailSerializer, 409: CONFLICT_WITH_CANDIDATES,
                   **error_responses(400, 401, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, uuid: str | None = None) -> Response:
        placement = self.get_object()
        data = _validated(TransferSerializer(data=request.data))
        try:
            moved = placement_transfer(user=request.user, placement=placement, allocation=data["allocation"],
                                       reason=data["reason"], require_transfer_request=not can_move(request.user))
        except NotAvailable as exc:
            return _conflict(exc, self, placement.request_id)
        return self._detail(moved, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Swap two households",
        description="Ruiling (coordinators and beheerders; the belteam while one of the two has an open "
                    "transfer request): two confirmed or arrived households exchange their "
                    "rooms in one step. Both get a new placement; 409 when they do not fit in each other's "
                    "rooms.",
        request=SwapSerializer,
        responses={201: SwapResultSerializer, **PLACEMENT_ERRORS},
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def swap(self, request: Request) -> Response:
        data = _validated(SwapSerializer(data=request.data))
        visible = placement_qs_for(request.user)
        first = get_object_or_404(visible, uuid=data["first"])
        second = get_object_or_404(visible, uuid=data["second"])
        if not (can_move_placement(request.user, first) or can_move_placement(request.user, second)):
            raise PermissionDenied(str(MOVE_ONLY), code="forbidden")
        new_first, new_second = placement_swap(user=request.user, first=first, second=second, reason=data["reason"],
                                               require_transfer_request=not can_move(request.user))
        return Response({"first": _placement_detail(request.user, new_first),
                         "second": _placement_detail(request.user, new_second)}, status=status.HTTP_201_CREATED)


# --- viewsets: supra-regional requests ----------------------------------------------------------


@extend_schema(tags=["supra-regional requests"])
@extend_schema_view(
    list=extend_schema(summary="List supra-regional requests",
                       description="Bovenregionale verzoeken of the user's regions, outgoing and incoming.",
                       responses={200: SupraRegionalRequestSerializer(many=True), **error_responses(400, 401)}),
    retrieve=extend_schema(summary="Retrieve a supra-regional request",
                           responses={200: SupraRegionalRequestSerializer, **error_responses(401, 404)}),
    create=extend_schema(
        summary="Receive a request from another region",
        description="Register an incoming bovenregionale verplaatsing: size, composition by age, needs, the "
                    "earliest date and a contact. No names.",
        request=SupraRegionalIncomingSerializer,
        responses={201: SupraRegionalRequestSerializer, **error_responses(400, 401, 403)},
    ),
)
class SupraRegionalRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, PlacementsViewSet):
    serializer_class = SupraRegionalRequestSerializer
    filterset_class = SupraRegionalRequestFilter
    action_rules = {"create": (_placing, PLACE_ONLY)}

    def get_queryset(self) -> QuerySet[SupraRegionalRequest]:
        user = self.request.user
        if not can_place(user):
            return SupraRegionalRequest.objects.none()
        return SupraRegionalRequest.objects.filter(region__in=region_qs_for(user)).select_related("region", "request")

    def create(self, request: Request) -> Response:
        serializer = SupraRegionalIncomingSerializer(data=request.data, context=self.get_serializer_context())
        _validated(serializer)
        supra = serializer.save()
        return Response(self.get_serializer(self.get_queryset().get(pk=supra.pk)).data,
                        status=status.HTTP_201_CREATED)
