"""Serializers of the case API (casework/api.py).

Output serializers only shape what a view has already decided to show: the view fetches through
the scoping selectors and logs the read before it builds the response. Texts that may carry
special-category data (the close note, a referral's note and rejection reason) are shown only
when the view passes `show_special=True` in the context (`can_see_special_of(user, case)`);
special-category entries never reach these serializers for a user without that right
(`entries_visible_to` leaves them out).

Input serializers check shape and range (400 with field errors, Dutch); the services check
everything else and refuse before writing.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from placements.api import NamedChoiceField
from placements.models import Urgency

from .models import (
    AccessChannel,
    AccessPart,
    Case,
    CaseAccess,
    CaseEntry,
    CaseStatus,
    ClosedReason,
    EntryKind,
    Referral,
    ReferralKind,
    ReferralStatus,
)

BREAK_GLASS_MAX = 500
MAX_ID = 2**31 - 1  # user ids and the like: beyond this the database would refuse, here a 400
BREAK_GLASS_HELP = ("Why you open a case outside your own caseload (break-glass). Required then: without it the "
                    "answer is 403 'break_glass_required'. Logged with the read and shown to the case owner. "
                    "The same can be sent in the header Break-Glass-Reason.")
SETTABLE_STATUSES = [(value, label) for value, label in CaseStatus.choices if value != CaseStatus.CLOSED]


# --- output ---------------------------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()


class CaseCategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    special_category = serializers.BooleanField(
        help_text="Entries in a case of this category are special-category data unless the author says otherwise.")


class PlaceRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _place(obj: Case, kind: str) -> dict[str, Any] | None:
    pk = getattr(obj, f"current_{kind}_id", None)
    return None if pk is None else {"id": pk, "name": getattr(obj, f"current_{kind}_name", "")}


class CaseListSerializer(serializers.ModelSerializer):
    """Header fields only: no resident, no entries, no free text beyond the neutral title."""

    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = CaseCategoryRefSerializer(read_only=True)
    status = NamedChoiceField(enum_name="CaseStatusEnum", choices=CaseStatus.choices, read_only=True)
    urgency = NamedChoiceField(enum_name="CaseUrgencyEnum", choices=Urgency.choices, read_only=True)
    owner = UserRefSerializer(read_only=True, allow_null=True)
    location = serializers.SerializerMethodField(help_text="Where the household stays now (active placement).")
    municipality = serializers.SerializerMethodField(help_text="The municipality of that location.")

    class Meta:
        model = Case
        fields = ["uuid", "number", "region", "category", "status", "urgency", "summary", "follow_up_on", "owner",
                  "location", "municipality", "created_at", "last_activity_at"]
        read_only_fields = fields

    @extend_schema_field(PlaceRefSerializer(allow_null=True))
    def get_location(self, obj: Case) -> dict[str, Any] | None:
        return _place(obj, "location")

    @extend_schema_field(PlaceRefSerializer(allow_null=True))
    def get_municipality(self, obj: Case) -> dict[str, Any] | None:
        return _place(obj, "municipality")


class SubjectSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class CaseDetailSerializer(CaseListSerializer):
    household = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                             help_text="UUID of the placement request (the household).")
    subject = SubjectSerializer(read_only=True, allow_null=True,
                                help_text="The resident the case is about; null: the whole household.")
    co_workers = UserRefSerializer(many=True, read_only=True)
    closed_reason = NamedChoiceField(enum_name="CaseClosedReasonEnum", choices=ClosedReason.choices,
                                     allow_blank=True, read_only=True)
    closed_note = serializers.SerializerMethodField(
        help_text="Free text; only for users who may see the case's special-category data, else null.")
    in_caseload = serializers.SerializerMethodField(
        help_text="Owner, co-worker or the mental coach of a live referral: no break-glass needed.")

    class Meta(CaseListSerializer.Meta):
        fields = [*CaseListSerializer.Meta.fields, "household", "subject", "co_workers", "closed_reason",
                  "closed_note", "closed_at", "assigned_at"] + ["in_caseload"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_closed_note(self, obj: Case) -> str | None:
        return obj.closed_note if self.context.get("show_special") else None

    @extend_schema_field(serializers.BooleanField())
    def get_in_caseload(self, obj: Case) -> bool:
        return bool(self.context.get("in_caseload"))


class EntryVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    text = serializers.CharField()
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class EntrySerializer(serializers.ModelSerializer):
    kind = NamedChoiceField(enum_name="CaseEntryKindEnum", choices=EntryKind.choices, read_only=True)
    author = UserRefSerializer(read_only=True, allow_null=True)
    locked = serializers.SerializerMethodField(help_text="After locks_at an edit appends a new version.")
    version = serializers.SerializerMethodField(help_text="Number of the current version; above 1: edited.")
    text = serializers.SerializerMethodField(help_text="Text of the current version.")
    versions = serializers.SerializerMethodField(help_text="Every version, oldest first.")

    class Meta:
        model = CaseEntry
        fields = ["uuid", "kind", "special_category", "author", "occurred_at", "locks_at", "locked", "version",
                  "text", "versions", "pseudonymised_at", "created_at"]
        read_only_fields = fields

    def _versions(self, obj: CaseEntry) -> list[Any]:
        return sorted(obj.versions.all(), key=lambda v: v.number)  # prefetched by entries_visible_to

    @extend_schema_field(serializers.BooleanField())
    def get_locked(self, obj: CaseEntry) -> bool:
        return obj.is_locked(self.context.get("now"))

    @extend_schema_field(serializers.IntegerField())
    def get_version(self, obj: CaseEntry) -> int:
        versions = self._versions(obj)
        return versions[-1].number if versions else 0

    @extend_schema_field(serializers.CharField())
    def get_text(self, obj: CaseEntry) -> str:
        versions = self._versions(obj)
        return versions[-1].text if versions else ""

    @extend_schema_field(EntryVersionSerializer(many=True))
    def get_versions(self, obj: CaseEntry) -> list[dict[str, Any]]:
        return EntryVersionSerializer(self._versions(obj), many=True).data


class ReferralSerializer(serializers.ModelSerializer):
    to_kind = NamedChoiceField(enum_name="ReferralKindEnum", choices=ReferralKind.choices, read_only=True)
    to_user = UserRefSerializer(read_only=True, allow_null=True)
    status = NamedChoiceField(enum_name="ReferralStatusEnum", choices=ReferralStatus.choices, read_only=True)
    created_by = UserRefSerializer(read_only=True, allow_null=True)
    note = serializers.SerializerMethodField(
        help_text="Only for users who may see the case's special-category data, else null.")
    rejection_reason = serializers.SerializerMethodField(
        help_text="Only for users who may see the case's special-category data, else null.")

    class Meta:
        model = Referral
        fields = ["uuid", "to_kind", "to_user", "to_organisation", "status", "note", "rejection_reason",
                  "created_by", "sent_at", "answered_at", "completed_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_note(self, obj: Referral) -> str | None:
        return obj.note if self.context.get("show_special") else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_rejection_reason(self, obj: Referral) -> str | None:
        return obj.rejection_reason if self.context.get("show_special") else None


class CaseReadSerializer(serializers.ModelSerializer):
    """One row of "wie heeft dit ingezien"."""

    part = NamedChoiceField(enum_name="CaseAccessPartEnum", choices=AccessPart.choices, read_only=True)
    channel = NamedChoiceField(enum_name="CaseAccessChannelEnum", choices=AccessChannel.choices, read_only=True)

    class Meta:
        model = CaseAccess
        fields = ["at", "user_id", "username", "part", "channel", "break_glass", "reason"]
        read_only_fields = fields


# --- input ----------------------------------------------------------------------------------------


class BreakGlassSerializer(serializers.Serializer):
    break_glass_reason = serializers.CharField(max_length=BREAK_GLASS_MAX, required=False, allow_blank=True,
                                               default="", help_text=BREAK_GLASS_HELP)


class UserIdField(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class CaseCreateSerializer(serializers.Serializer):
    household = serializers.UUIDField(help_text="UUID of the placement request (household) the case is about.")
    subject = serializers.UUIDField(required=False, allow_null=True, default=None,
                                    help_text="UUID of one member of that household; leave out for the household.")
    category = serializers.SlugField(help_text="Code of an active case category, e.g. 'overlast'.")
    summary = serializers.CharField(max_length=200, help_text="A neutral title, without health data.")
    urgency = NamedChoiceField(enum_name="CaseUrgencyEnum", choices=Urgency.choices, default=Urgency.NORMAL)
    follow_up_on = serializers.DateField(required=False, allow_null=True, default=None,
                                         help_text="Follow-up date; not in the past.")
    owner = UserIdField(required=False, allow_null=True, default=None,
                        help_text="Id of a coordinator or mental coach of the region.")


class CaseUpdateSerializer(BreakGlassSerializer):
    category = serializers.SlugField(required=False, help_text="Code of an active case category.")
    summary = serializers.CharField(max_length=200, required=False, help_text="A neutral title.")
    urgency = NamedChoiceField(enum_name="CaseUrgencyEnum", choices=Urgency.choices, required=False)
    follow_up_on = serializers.DateField(required=False, allow_null=True, help_text="Not in the past; null: none.")
    subject = serializers.UUIDField(required=False, allow_null=True,
                                    help_text="UUID of a member of the household; null: the whole household.")
    status = NamedChoiceField(enum_name="CaseSettableStatusEnum", choices=SETTABLE_STATUSES, required=False,
                              help_text="Closing goes through the close action (it needs a reason).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not set(attrs) - {"break_glass_reason"}:
            raise serializers.ValidationError(_("Geef minstens één veld om te wijzigen."))
        return attrs


class CloseSerializer(BreakGlassSerializer):
    reason = NamedChoiceField(enum_name="CaseClosedReasonEnum", choices=ClosedReason.choices)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="",
                                 help_text="Optional; never copied into history.")


class AssignSerializer(BreakGlassSerializer):
    owner = UserIdField(allow_null=True, help_text="Id of a coordinator or mental coach of the region; null: nobody.")
    co_workers = serializers.ListField(child=UserIdField(), required=False, allow_empty=True, max_length=50,
                                       help_text="Ids of the co-workers (replaces the list); leave out to keep it.")


class EntryCreateSerializer(BreakGlassSerializer):
    kind = NamedChoiceField(enum_name="CaseEntryKindEnum", choices=EntryKind.choices, default=EntryKind.NOTE)
    text = serializers.CharField(max_length=20000, error_messages={
        "blank": gettext_lazy("Schrijf de aantekening."), "required": gettext_lazy("Schrijf de aantekening.")})
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None,
                                            help_text="When it happened; default now, not in the future.")
    special_category = serializers.BooleanField(
        required=False, allow_null=True, default=None,
        help_text="Special-category data (health and the like). Default: the category's setting. Needs the right "
                  "(403 'special_not_allowed') and a legal basis of the region (400 'no_legal_basis').")


class EntryEditSerializer(BreakGlassSerializer):
    text = serializers.CharField(max_length=20000, error_messages={
        "blank": gettext_lazy("Schrijf de aantekening."), "required": gettext_lazy("Schrijf de aantekening.")})


class ReferralCreateSerializer(BreakGlassSerializer):
    to_kind = NamedChoiceField(enum_name="ReferralKindEnum", choices=ReferralKind.choices)
    to_user = UserIdField(required=False, allow_null=True, default=None,
                          help_text="Id of a mental coach of the region; required for to_kind 'mental_coach'.")
    to_organisation = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                            help_text="Required for every other kind.")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class RejectSerializer(BreakGlassSerializer):
    reason = serializers.CharField(max_length=2000, error_messages={
        "blank": gettext_lazy("Geef een reden voor de afwijzing."),
        "required": gettext_lazy("Geef een reden voor de afwijzing.")})


class CaseSearchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                 help_text="Words of the first and/or last name.")
    date_of_birth = serializers.DateField(required=False, allow_null=True, default=None)
    v_number = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not (attrs["name"].strip() or attrs["date_of_birth"] or attrs["v_number"].strip()):
            raise serializers.ValidationError(_("Zoek op naam, geboortedatum en/of V-nummer."))
        return attrs


class CaseListQuerySerializer(serializers.Serializer):
    """The list's filters: none of them is a person's detail (search by person is a POST)."""

    status = NamedChoiceField(enum_name="CaseStatusEnum", choices=CaseStatus.choices, required=False)
    category = serializers.SlugField(max_length=40, required=False)
    municipality = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    location = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    owner = UserIdField(required=False)
