"""REST API of the registry: regions, municipalities, locations and rooms.

Thin by design: every read starts from a scoping selector (so anything outside the user's scope
answers 404, exactly as in the UI) and every write goes through a service (which checks the
user's right to change the municipality, validates the model and records history).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.validators import UniqueValidator

from rcvs.api import error_responses

from .models import (
    ContactPerson,
    Location,
    LocationKind,
    LocationStatus,
    Municipality,
    Region,
    Room,
    RoomOccupancy,
    RoomState,
)
from .selectors import (
    Capacity,
    editable_municipality_qs_for,
    location_qs_for,
    locations_with_capacity,
    municipalities_with_capacity,
    municipality_qs_for,
    region_qs_for,
    regions_with_capacity,
    room_qs_for,
    rooms_with_capacity,
    user_can_edit_location,
)
from .services import (
    LOCATION_CODE_TAKEN,
    RegistryValidationError,
    location_create,
    location_update,
    room_block,
    room_create,
    room_delete,
    room_unblock,
    room_update,
)

# --- serializers ------------------------------------------------------------------------------


class CapacitySerializer(serializers.Serializer):
    realised = serializers.IntegerField(help_text="Beds in rooms of locations that are open or closing.")
    occupied = serializers.IntegerField(help_text="Persons staying in those rooms.")
    available = serializers.IntegerField(
        help_text="Beds a new placement can use now: every bed of an empty household room and the free "
                  "beds of shared rooms."
    )
    snijverlies = serializers.IntegerField(
        help_text="Free beds that cannot be used: the rest of a household room that one household occupies."
    )
    out_of_service = serializers.IntegerField(help_text="Beds in blocked rooms.")
    planned = serializers.IntegerField(help_text="Beds in locations that are in preparation (a closed location counts nowhere).")
    largest_free_room = serializers.IntegerField(help_text="Available beds in the largest free room.")
    occupancy_rate = serializers.DecimalField(
        max_digits=4, decimal_places=1, coerce_to_string=False, allow_null=True,
        help_text="occupied / (realised - out_of_service) as a percentage with one decimal; null when "
                  "nothing is in service.",
    )


@extend_schema_field(CapacitySerializer)
class CapacityField(serializers.Field):
    """Capacity figures of an object annotated by one of the *_with_capacity selectors.

    realised = occupied + available + snijverlies + out_of_service at every level."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> dict[str, Any]:
        return CapacitySerializer(Capacity.from_obj(value)).data


class RegionSerializer(serializers.ModelSerializer):
    capacity = CapacityField()

    class Meta:
        model = Region
        fields = ["id", "code", "name", "capacity"]


class MunicipalitySerializer(serializers.ModelSerializer):
    capacity = CapacityField()

    class Meta:
        model = Municipality
        fields = ["id", "cbs_code", "name", "population", "population_year", "land_area_km2", "region",
                  "capacity"]


class ContactPersonSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactPerson
        fields = ["id", "name", "function", "phone", "email", "is_primary"]


class LocationSerializer(serializers.ModelSerializer):
    municipality = serializers.PrimaryKeyRelatedField(
        queryset=Municipality.objects.none(),
        help_text="Id of the municipality; it must be one whose locations you may change.",
    )
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    municipality_cbs_code = serializers.CharField(source="municipality.cbs_code", read_only=True)
    region = serializers.IntegerField(source="municipality.region_id", read_only=True)
    # The service normalises the postcode ("9401ab" becomes "9401 AB") before validating it.
    postcode = serializers.CharField(max_length=16, help_text="Dutch postcode, e.g. 9401 AB.")
    contacts = ContactPersonSerializer(many=True, read_only=True)
    capacity = CapacityField()

    class Meta:
        model = Location
        fields = [
            "uuid", "code", "name", "municipality", "municipality_name", "municipality_cbs_code", "region",
            "street", "postcode", "place", "latitude", "longitude", "kind", "status", "opening_date",
            "end_date", "suitable_infants", "suitable_pets", "suitable_wheelchair", "suitable_care",
            "has_stairs", "has_bunk_beds", "is_remote", "intake_24_7", "target_families", "target_singles",
            "target_single_men", "notes", "contacts", "capacity", "created_at", "updated_at",
        ]
        read_only_fields = ["uuid", "created_at", "updated_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only municipalities the user can see are valid; the service decides who may write.
            self.fields["municipality"].queryset = municipality_qs_for(request.user)
        for validator in self.fields["code"].validators:
            if isinstance(validator, UniqueValidator):
                # Codes are unique nationally: a taken code may be another region's; do not say whose.
                validator.message = LOCATION_CODE_TAKEN

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The database checks this too; here it is reported against the field it concerns.
        opening = attrs.get("opening_date", getattr(self.instance, "opening_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if opening and end and end < opening:
            raise serializers.ValidationError(
                {"end_date": [_("De einddatum mag niet voor de openingsdatum liggen.")]}
            )
        return attrs


class RoomSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Location.objects.none(),
        help_text="UUID of the location; set when the room is created, it cannot be changed.",
    )
    location_name = serializers.CharField(source="location.name", read_only=True)
    capacity = CapacityField()

    class Meta:
        model = Room
        fields = [
            "id", "location", "location_name", "number", "floor", "beds", "bunk_beds", "step_free",
            "wheelchair_accessible", "occupancy", "state", "blocked_reason", "blocked_until", "occupants",
            "capacity", "created_at", "updated_at",
        ]
        # State changes only through the block/unblock actions; occupants only through placements.
        read_only_fields = ["state", "blocked_reason", "blocked_until", "occupants", "created_at",
                            "updated_at"]
        # The service validates the model, including "one number per location", in Dutch.
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["location"].queryset = location_qs_for(request.user)

    def validate_location(self, value: Location) -> Location:
        if self.instance is not None and value.pk != self.instance.location_id:
            raise serializers.ValidationError(_("Een kamer kan niet naar een andere locatie worden verplaatst."))
        return value


class RoomBlockSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="Why the room is out of service.")
    until = serializers.DateField(required=False, allow_null=True,
                                  help_text="Expected last day of the blockade (optional).")


# --- filters ----------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(filters.NumberFilter):
    """A whole, non-negative number (NumberFilter alone accepts decimals), bounded so that a number
    beyond any room or location is a 400 with a Dutch message, never a query with it."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 100_000)
        super().__init__(*args, **kwargs)


def _id_or_code(value: str, *, id_lookup: str, code_lookup: str) -> Q:
    value = value.strip()
    if value.isascii() and value.isdigit():
        return Q(**{id_lookup: int(value)})
    return Q(**{code_lookup: value})


class RegionFilter(filters.FilterSet):
    ordering = filters.OrderingFilter(
        fields=(("name", "name"), ("code", "code"), ("cap_available", "available"),
                ("cap_occupied", "occupied"), ("cap_realised", "realised")),
        help_text="Sort by name, code, available, occupied or realised; prefix '-' for descending.",
    )

    class Meta:
        model = Region
        fields: list[str] = []


class MunicipalityFilter(filters.FilterSet):
    region = filters.CharFilter(method="filter_region", help_text="Region id or region code.")
    ordering = filters.OrderingFilter(
        fields=(("name", "name"), ("cbs_code", "cbs_code"), ("population", "population"),
                ("cap_available", "available"), ("cap_realised", "realised")),
        help_text="Sort by name, cbs_code, population, available or realised; prefix '-' for descending.",
    )

    class Meta:
        model = Municipality
        fields: list[str] = []

    def filter_region(self, queryset: QuerySet[Municipality], name: str, value: str) -> QuerySet[Municipality]:
        return queryset.filter(_id_or_code(value, id_lookup="region_id", code_lookup="region__code"))


class LocationFilter(filters.FilterSet):
    municipality = filters.CharFilter(method="filter_municipality",
                                      help_text="Municipality id or CBS code (e.g. GM0106).")
    region = filters.CharFilter(method="filter_region", help_text="Region id or region code.")
    kind = filters.ChoiceFilter(choices=LocationKind.choices)
    status = filters.ChoiceFilter(choices=LocationStatus.choices)
    suitable_infants = filters.BooleanFilter(help_text="Suitable for infants.")
    suitable_pets = filters.BooleanFilter(help_text="Suitable for pets.")
    suitable_wheelchair = filters.BooleanFilter(help_text="Suitable for wheelchair users.")
    suitable_care = filters.BooleanFilter(help_text="Suitable for residents with care needs.")
    intake_24_7 = filters.BooleanFilter(help_text="Takes people in day and night (24/7 intake).")
    is_remote = filters.BooleanFilter(help_text="Remote: residents need their own transport.")
    min_free_in_room = IntegerFilter(
        field_name="cap_largest_free_room", lookup_expr="gte",
        help_text="Only locations whose largest free room has at least this many available beds.",
    )
    ending_before = filters.DateFilter(field_name="end_date", lookup_expr="lt",
                                       help_text="Only locations whose end date lies before this date.")
    search = filters.CharFilter(method="filter_search", help_text="Text in the name, place or location code.")
    ordering = filters.OrderingFilter(
        fields=(("municipality__name", "municipality"), ("name", "name"), ("code", "code"),
                ("end_date", "end_date"), ("opening_date", "opening_date"), ("cap_available", "available"),
                ("cap_occupied", "occupied"), ("cap_realised", "realised")),
        help_text="Sort by municipality, name, code, end_date, opening_date, available, occupied or "
                  "realised; prefix '-' for descending.",
    )

    class Meta:
        model = Location
        fields: list[str] = []

    def filter_municipality(self, queryset: QuerySet[Location], name: str, value: str) -> QuerySet[Location]:
        return queryset.filter(_id_or_code(value, id_lookup="municipality_id",
                                           code_lookup="municipality__cbs_code__iexact"))

    def filter_region(self, queryset: QuerySet[Location], name: str, value: str) -> QuerySet[Location]:
        return queryset.filter(_id_or_code(value, id_lookup="municipality__region_id",
                                           code_lookup="municipality__region__code"))

    def filter_search(self, queryset: QuerySet[Location], name: str, value: str) -> QuerySet[Location]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(place__icontains=value) | Q(code__icontains=value))


class RoomFilter(filters.FilterSet):
    location = filters.UUIDFilter(field_name="location__uuid", help_text="UUID of the location.")
    state = filters.ChoiceFilter(choices=RoomState.choices)
    occupancy = filters.ChoiceFilter(choices=RoomOccupancy.choices)
    min_beds = IntegerFilter(field_name="beds", lookup_expr="gte", help_text="Rooms with at least this many beds.")
    min_available = IntegerFilter(field_name="cap_available", lookup_expr="gte",
                                  help_text="Rooms with at least this many available beds.")
    ordering = filters.OrderingFilter(
        fields=(("number", "number"), ("floor", "floor"), ("beds", "beds"), ("cap_available", "available")),
        help_text="Sort by number, floor, beds or available; prefix '-' for descending.",
    )

    class Meta:
        model = Room
        fields: list[str] = []


# --- permissions ------------------------------------------------------------------------------


class CanChangeRegistry(BasePermission):
    """Reading follows the scoping selectors; changing is for gemeente users (their own
    municipalities) and beheerders (their regions). The services check the same again; this
    class only makes the refusal come before the input is examined. Objects outside the user's
    scope never reach it: the scoped queryset has already answered 404."""

    message = gettext_lazy("U mag locaties van deze gemeente niet wijzigen.")
    code = "forbidden"

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS or getattr(view, "action", None) != "create":
            return True
        return editable_municipality_qs_for(request.user).exists()

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        location = obj if isinstance(obj, Location) else obj.location
        return user_can_edit_location(request.user, location)


# --- viewsets ---------------------------------------------------------------------------------


class RegistryViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, CanChangeRegistry]
    filter_backends = [filters.DjangoFilterBackend]

    def reread(self, obj: Any) -> Any:
        """The object as list and detail show it: through the scoped queryset, with capacity."""
        return self.get_queryset().get(pk=obj.pk)


READ_ERRORS = error_responses(401, 404)
WRITE_ERRORS = error_responses(400, 401, 403, 404)


@extend_schema(tags=["regions"])
@extend_schema_view(
    list=extend_schema(
        summary="List regions",
        description="Regions in the user's scope with their capacity. For a municipality user the figures "
                    "cover only that user's municipalities.",
        responses={200: RegionSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(summary="Retrieve a region", description="One region with its capacity.",
                           responses={200: RegionSerializer, **READ_ERRORS}),
)
class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = RegionSerializer
    filterset_class = RegionFilter

    def get_queryset(self) -> QuerySet[Region]:
        user = self.request.user
        regions = region_qs_for(user)
        if user.is_authenticated and user.is_gemeente and not user.is_superuser:
            # Filtering on the municipalities before annotating makes the sums run over the same
            # join, so a municipality user sees the capacity of its own municipalities only.
            regions = regions.filter(municipalities__in=municipality_qs_for(user))
        return regions_with_capacity(regions)


@extend_schema(tags=["municipalities"])
@extend_schema_view(
    list=extend_schema(summary="List municipalities",
                       description="Municipalities in the user's scope with population, land area and "
                                   "capacity.",
                       responses={200: MunicipalitySerializer(many=True), **error_responses(400, 401)}),
    retrieve=extend_schema(summary="Retrieve a municipality", description="One municipality with its capacity.",
                           responses={200: MunicipalitySerializer, **READ_ERRORS}),
)
class MunicipalityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = MunicipalitySerializer
    filterset_class = MunicipalityFilter

    def get_queryset(self) -> QuerySet[Municipality]:
        return municipalities_with_capacity(municipality_qs_for(self.request.user))


@extend_schema(tags=["locations"])
@extend_schema_view(
    list=extend_schema(
        summary="List locations",
        description="Reception locations in the user's scope with contacts and capacity.",
        responses={200: LocationSerializer(many=True), **error_responses(400, 401)},
    ),
    retrieve=extend_schema(summary="Retrieve a location", description="One location, looked up by its UUID.",
                           responses={200: LocationSerializer, **READ_ERRORS}),
    create=extend_schema(
        summary="Create a location",
        description="Municipality users create locations in their own municipalities, beheerders in "
                    "their regions.",
        responses={201: LocationSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Update a location",
        description="Change some fields of a location. Locations are never deleted: close one by setting "
                    "its status to 'closing' or 'closed' (and its end date), so that history and reports "
                    "keep it.",
        responses={200: LocationSerializer, **WRITE_ERRORS},
    ),
)
class LocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    """Locations are closed by status, never deleted."""

    serializer_class = LocationSerializer
    filterset_class = LocationFilter
    lookup_field = "uuid"

    def get_queryset(self) -> QuerySet[Location]:
        return locations_with_capacity(location_qs_for(self.request.user)).prefetch_related("contacts")

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = location_create(user=request.user, data=dict(serializer.validated_data))
        return Response(self.get_serializer(self.reread(location)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, uuid: str | None = None) -> Response:
        location = self.get_object()
        serializer = self.get_serializer(location, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        location = location_update(user=request.user, location=location, data=dict(serializer.validated_data))
        return Response(self.get_serializer(self.reread(location)).data)


BLOCK_FIELD_NAMES = {"blocked_reason": "reason", "blocked_until": "until"}


def _with_api_field_names(exc: RegistryValidationError, names: dict[str, str]) -> RegistryValidationError:
    """Report a service's field errors under the names the client sent."""
    fields = exc.extra.get("fields", {})
    exc.extra["fields"] = {names.get(key, key): messages for key, messages in fields.items()}
    return exc


@extend_schema(tags=["rooms"])
@extend_schema_view(
    list=extend_schema(summary="List rooms",
                       description="Rooms of the locations in the user's scope, with per-room capacity.",
                       responses={200: RoomSerializer(many=True), **error_responses(400, 401)}),
    retrieve=extend_schema(summary="Retrieve a room", description="One room with its capacity.",
                           responses={200: RoomSerializer, **READ_ERRORS}),
    create=extend_schema(summary="Create a room",
                         description="Add a room (1 to 6 beds) to a location the user may change.",
                         responses={201: RoomSerializer, **WRITE_ERRORS}),
    partial_update=extend_schema(
        summary="Update a room",
        description="Change the layout of a room. The number of occupants is kept by placements and is "
                    "read-only here; state changes go through the block and unblock actions.",
        responses={200: RoomSerializer, **WRITE_ERRORS},
    ),
    destroy=extend_schema(summary="Delete a room", description="Delete an empty room.",
                          responses={204: None, **WRITE_ERRORS}),
)
class RoomViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegistryViewSet):
    serializer_class = RoomSerializer
    filterset_class = RoomFilter

    def get_queryset(self) -> QuerySet[Room]:
        return rooms_with_capacity(room_qs_for(self.request.user))

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        room = room_create(user=request.user, location=data.pop("location"), data=data)
        return Response(self.get_serializer(self.reread(room)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        room = self.get_object()
        serializer = self.get_serializer(room, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("location", None)  # validated to be unchanged
        room = room_update(user=request.user, room=room, data=data)
        return Response(self.get_serializer(self.reread(room)).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        room_delete(user=request.user, room=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Block a room",
        description="Take an empty room out of service, with a reason and optionally an end date. A room "
                    "with occupants cannot be blocked (code 'room_occupied'): transfer them first.",
        request=RoomBlockSerializer,
        responses={200: RoomSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def block(self, request: Request, pk: str | None = None) -> Response:
        room = self.get_object()
        serializer = RoomBlockSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            room = room_block(user=request.user, room=room, reason=serializer.validated_data["reason"],
                              until=serializer.validated_data.get("until"))
        except RegistryValidationError as exc:
            raise _with_api_field_names(exc, BLOCK_FIELD_NAMES) from None
        return Response(self.get_serializer(self.reread(room)).data)

    @extend_schema(
        summary="Unblock a room",
        description="Put a blocked room back into service.",
        request=None,
        responses={200: RoomSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def unblock(self, request: Request, pk: str | None = None) -> Response:
        room = room_unblock(user=request.user, room=self.get_object())
        return Response(self.get_serializer(self.reread(room)).data)
