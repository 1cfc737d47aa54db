"""Synthetic casework for the demo region: about 60 cases over every category, with timelines
(some entries special-category, some edited after they locked, so they show versions),
referrals in every status (to the demo mental coach and to invented organisations), a few
shares with the demo municipalities, SIGNAL shares, two transfer requests asked from cases,
the region's recorded mandate, and read-log rows (a few of them break-glass).

Every person is invented: the cases are about the demo's placed households (placements.demo),
and the texts are written here without names, dates of birth or numbers. Everything goes
through the casework services, so the demo obeys the same rules as a user (legal basis,
recipients, statuses); times are passed as `now`, drawn as day offsets from `as_of`, so the
data is the same function of (seed, as_of) on every run. Used only by `manage.py seed_demo`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable

from django.db.models import Max
from django.utils import timezone

from locations.models import Region
from placements.demo import DEMO_PREFIX
from placements.models import (
    ACTIVE_PLACEMENT_STATUSES,
    Placement,
    PlacementRequest,
    RequestStatus,
    TransferRequest,
    Urgency,
)
from rcvs.accounts.models import User

from . import services
from .models import (
    OPEN_CASE_STATUSES,
    AccessChannel,
    AccessPart,
    Case,
    CaseAccess,
    CaseCategory,
    CaseShare,
    CaseStatus,
    CaseTransfer,
    ClosedReason,
    EntryKind,
    LegalBasis,
    Referral,
    ReferralKind,
    ReferralStatus,
)
from .signal import build_draft, signal_share_submit

DEMO_CASES = 60
LEGAL_BASIS_REFERENCE = "Demobesluit mandaat casuïstiek (fictief)"
# (CBS code, demo user) of the municipalities that get a shared case.
SHARE_MUNICIPALITIES = (("GM0106", "gemeente.assen"), ("GM0114", "gemeente.emmen"))

# Neutral titles (never special-category: the title is historised) and timeline texts per category.
TITLES = {
    "schoolverzuim": ["Schoolgang kinderen", "Inschrijving school", "Verzuim voortgezet onderwijs"],
    "geweldsincident": ["Incident op de gang", "Ruzie tussen bewoners", "Melding beveiliging"],
    "lichamelijke_beperking": ["Aanpassing kamer", "Hulpmiddelen", "Toegankelijkheid locatie"],
    "psychisch_trauma": ["Begeleiding", "Gesprekken met bewoner", "Ondersteuning gezin"],
    "middelengebruik": ["Afspraken huisregels", "Begeleiding bewoner", "Signaal van de locatie"],
    "overlast": ["Geluidsoverlast", "Afspraken huisregels", "Klachten medebewoners"],
    "zorg": ["Zorgvraag", "Afstemming huisarts", "Medicatie en afspraken"],
    "overig": ["Vraag van de locatie", "Praktische hulp", "Administratieve vraag"],
}
TEXTS = {
    "schoolverzuim": [
        "De leerplichtambtenaar meldt dat een kind sinds enkele weken niet op school komt.",
        "Gesprek met de ouder: het kind durft niet met de bus; samen een oplossing gezocht.",
        "Afspraak met de intern begeleider over een taalklas.",
        "De school laat weten dat het kind weer elke dag aanwezig is.",
    ],
    "geweldsincident": [
        "Melding van de locatiemanager: een woordenwisseling in de gemeenschappelijke keuken liep uit de hand.",
        "Gesprek met beide betrokken bewoners; afspraken over gebruik van de keuken vastgelegd.",
        "De beveiliging heeft de situatie gesignaleerd; niemand raakte gewond.",
        "Na twee weken geen nieuwe meldingen.",
    ],
    "lichamelijke_beperking": [
        "Bewoner gebruikt een rolstoel; de kamer op de eerste verdieping is niet bereikbaar zonder lift.",
        "Ergotherapeut heeft advies gegeven over een douchestoel en een hoog-laagbed.",
        "Hulpmiddelen zijn aangevraagd via de gemeente.",
        "De fysiotherapie loopt; het lopen met rollator gaat beter.",
    ],
    "psychisch_trauma": [
        "Bewoner slaapt slecht en heeft herbelevingen van de oorlog; gesprek gevoerd.",
        "Doorverwijzing naar de huisarts besproken; bewoner staat ervoor open.",
        "Het kind is angstig bij harde geluiden; ouder krijgt uitleg over traumasensitief opvoeden.",
        "Stabiel; bewoner neemt deel aan de lotgenotengroep.",
    ],
    "middelengebruik": [
        "Locatie meldt alcoholgebruik op de kamer, tegen de huisregels in.",
        "Gesprek over gebruik en stress; bewoner wil hulp van de verslavingszorg.",
        "Eerste afspraak bij de verslavingszorg heeft plaatsgevonden.",
        "Geen nieuwe signalen van de locatie.",
    ],
    "overlast": [
        "Medebewoners klagen over muziek na tien uur 's avonds.",
        "Gesprek gevoerd over de huisregels; bewoner begrijpt de klacht.",
        "Bemiddelingsgesprek met de buren op de gang.",
        "De klachten zijn gestopt.",
    ],
    "zorg": [
        "Bewoner heeft diabetes en moet dagelijks insuline spuiten; koelkast op de kamer geregeld.",
        "Afstemming met de huisarts over herhaalrecepten.",
        "Thuiszorg komt twee keer per week langs.",
        "Medicatie is op orde; controle bij de huisarts gepland.",
    ],
    "overig": [
        "Vraag over het aanvragen van leefgeld en een bankrekening.",
        "Samen met de bewoner de brief van de gemeente doorgenomen.",
        "Doorverwezen naar het taalcafé van de bibliotheek.",
        "Vraag is afgehandeld.",
    ],
}
ADDITIONS = [
    "Aanvulling na overleg met de locatiemanager.",
    "Correctie: het gesprek was op de locatie, niet telefonisch.",
    "Aanvulling: de bewoner heeft zelf ook contact opgenomen.",
]
ORGANISATIONS = {
    ReferralKind.GP_MENTAL_HEALTH: "Huisartsenpraktijk De Brink (demo)",
    ReferralKind.NEIGHBOURHOOD_TEAM: "Wijkteam Demo-Centrum",
    ReferralKind.VEILIG_THUIS: "Veilig Thuis (demo)",
    ReferralKind.POLICE: "Wijkagent (demo)",
    ReferralKind.OTHER: "Vluchtelingenwerk, demo-spreekuur",
}
REJECTIONS = ["Geen plek binnen vier weken; verwezen naar de wachtlijst elders.",
              "Past niet bij ons aanbod; advies gegeven over de huisarts."]
SIGNAL_HELP = ["Wie heeft ervaring met traumabehandeling voor kinderen in het Oekraïens?",
               "Zoekt een regio met een aangepaste woonunit voor een rolstoelgebruiker."]
BREAK_GLASS_REASON = "Vervanging van de eigenaar tijdens verlof (demo)."


@dataclasses.dataclass
class DemoCaseCounts:
    cases: int = 0
    entries: int = 0
    referrals: int = 0
    shares: int = 0
    signal_shares: int = 0
    transfer_requests: int = 0
    reads: int = 0
    categories: Counter[str] = dataclasses.field(default_factory=Counter)


def has_demo_cases(region: Region) -> bool:
    return Case.objects.filter(region=region).exists()


def clear_demo_cases(region_codes: Iterable[str]) -> None:
    """Remove every case of these regions with what hangs on it (timeline, referrals, shares,
    SIGNAL shares, the transfer requests they asked for, history rows), their legal bases, and the
    read log.

    The read log can only shrink through the retention rule (database trigger), so this calls
    `services.read_log_purge` with a cutoff just after the newest row: a demo reset empties the
    whole read log, which in a demo database only ever holds demo reads."""
    codes = list(region_codes)
    cases = Case.objects.filter(region__code__in=codes)
    ids = list(cases.values_list("pk", flat=True))
    asked = list(CaseTransfer.objects.filter(case_id__in=ids).values_list("transfer_request_id", flat=True))
    cases.delete()  # cascades: entries and versions, referrals, shares, SIGNAL shares, transfer links
    # The requests the cases asked for go with them (the others go with the households).
    TransferRequest.objects.filter(pk__in=asked).delete()
    Case.history.filter(id__in=ids).delete()
    Referral.history.filter(case_id__in=ids).delete()
    CaseShare.history.filter(case_id__in=ids).delete()
    LegalBasis.objects.filter(region__code__in=codes).delete()
    newest = CaseAccess.objects.aggregate(newest=Max("at"))["newest"]
    if newest is not None:
        services.read_log_purge(before=newest + dt.timedelta(microseconds=1))


def _demo_user(username: str) -> User:
    return User.objects.get(username=username)


def create_demo_cases(region: Region, *, seed: int, as_of: dt.date, count: int = DEMO_CASES) -> DemoCaseCounts:
    """Build the casework demo of `region` (which must have no cases yet)."""
    rng = random.Random(f"{seed}:{region.code}:casework")
    counts = DemoCaseCounts()
    coordinator, coach = _demo_user("coordinator"), _demo_user("mentalcoach")
    beheerder = User.objects.filter(username="beheerder").first()

    def at(days_ago: int, hour: int, minute: int = 0) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=days_ago), dt.time(hour, minute)))

    LegalBasis.objects.update_or_create(region=region, reference=LEGAL_BASIS_REFERENCE, defaults={
        "description": "Mandaat gemeenten o.g.v. art. 6 en 7 Tw Oek", "valid_from": as_of - dt.timedelta(days=400),
        "valid_until": None, "recorded_by": beheerder})

    categories = list(CaseCategory.objects.filter(active=True).order_by("position", "code"))
    households = list(
        PlacementRequest.objects.filter(region=region, status=RequestStatus.PLACED,
                                        external_reference__startswith=DEMO_PREFIX)
        .order_by("external_reference").prefetch_related("members"))
    chosen = rng.sample(households, min(count, len(households)))
    municipality_of = dict(
        Placement.objects.filter(request__in=chosen, status__in=ACTIVE_PLACEMENT_STATUSES)
        .values_list("request_id", "location__municipality__cbs_code"))
    referral_statuses = [ReferralStatus.SENT, ReferralStatus.ACCEPTED, ReferralStatus.REJECTED,
                         ReferralStatus.COMPLETED]
    referral_n = 0
    open_owned: list[Case] = []
    cases: list[Case] = []

    for index, household in enumerate(chosen):
        # The first cases cover every category once; the rest are drawn.
        category = categories[index] if index < len(categories) else rng.choice(categories)
        members = list(household.members.all())
        subject = rng.choice(members) if rng.random() < 0.6 else None
        urgency = rng.choices([Urgency.NORMAL, Urgency.HIGH, Urgency.ACUTE], weights=(70, 22, 8))[0]
        opened_days = rng.randint(4, 120)
        opened = at(opened_days, rng.randint(9, 16), rng.choice((0, 15, 30, 45)))
        owner = rng.choices([coordinator, coach, None], weights=(50, 25, 25))[0]
        follow_up = (opened.date() + dt.timedelta(days=rng.randint(3, 40))) if rng.random() < 0.55 else None
        creator = owner or coordinator
        case = services.case_create(
            user=creator, household=household, category=category, summary=rng.choice(TITLES[category.code]),
            subject=subject, urgency=urgency, follow_up_on=follow_up, owner=owner, now=opened)
        Case.objects.filter(pk=case.pk).update(created_at=opened)
        counts.cases += 1
        counts.categories[category.code] += 1

        # The timeline: one to four entries between opening and yesterday, by the owner (or
        # the demo coordinator); some edited after they locked, so they have a second version.
        texts = TEXTS[category.code]
        moment = opened
        for n in range(rng.randint(1, 4)):
            moment = min(moment + dt.timedelta(days=rng.randint(0, 6), hours=rng.randint(1, 5)), at(1, 17))
            author = creator
            entry = services.entry_add(user=author, case=case, kind=rng.choice(EntryKind.values),
                                       text=texts[n % len(texts)], occurred_at=moment, now=moment)
            counts.entries += 1
            if rng.random() < 0.18:
                services.entry_edit(user=author, entry=entry, text=f"{texts[n % len(texts)]} {rng.choice(ADDITIONS)}",
                                    now=moment + dt.timedelta(hours=2))

        if owner is not None and rng.random() < 0.25:
            services.case_assign(user=creator, case=case, owner=owner,
                                 co_workers=[coach if owner == coordinator else coordinator], now=moment)

        if rng.random() < 0.5:
            to_kind = rng.choice([ReferralKind.MENTAL_COACH, ReferralKind.MENTAL_COACH, *ORGANISATIONS])
            moment += dt.timedelta(hours=rng.randint(1, 20))
            referral = services.referral_create(
                user=creator, case=case, to_kind=to_kind, to_user=coach if to_kind == ReferralKind.MENTAL_COACH else None,
                to_organisation=ORGANISATIONS.get(to_kind, ""), note="Graag contact opnemen met de bewoner.",
                now=moment)
            counts.referrals += 1
            # Statuses in turn, so that every status is on show.
            status = referral_statuses[referral_n % len(referral_statuses)]
            referral_n += 1
            answerer = coach if to_kind == ReferralKind.MENTAL_COACH else creator
            if status != ReferralStatus.SENT:
                moment += dt.timedelta(hours=rng.randint(2, 30))
                if status == ReferralStatus.REJECTED:
                    services.referral_reject(user=answerer, referral=referral, reason=rng.choice(REJECTIONS),
                                             now=moment)
                else:
                    services.referral_accept(user=answerer, referral=referral, now=moment)
                    if to_kind == ReferralKind.MENTAL_COACH:
                        # A mental coach's contact with the resident is an entry of the case.
                        moment += dt.timedelta(hours=rng.randint(2, 48))
                        services.entry_add(user=coach, case=case, kind=EntryKind.HOME_VISIT,
                                           text="Kennismaking met de mental coach op de kamer; vervolgafspraak gemaakt.",
                                           occurred_at=moment, now=moment)
                        counts.entries += 1
                    if status == ReferralStatus.COMPLETED:
                        moment += dt.timedelta(days=rng.randint(1, 10))
                        services.referral_complete(user=answerer, referral=referral, now=moment)
        elif rng.random() < 0.4:
            services.case_set_status(user=creator, case=case, status=CaseStatus.IN_PROGRESS, now=moment)

        moment = min(moment, at(1, 18))
        if rng.random() < 0.2:
            services.case_close(user=creator, case=case, reason=rng.choice(ClosedReason.values), now=moment)
        elif owner is not None:
            open_owned.append(case)
        cases.append(case)

    # Shares with the demo municipalities: the first open cases staying there.
    for cbs, username in SHARE_MUNICIPALITIES:
        gemeente = User.objects.filter(username=username).first()
        staying = [c for c in cases if municipality_of.get(c.household_id) == cbs and c.status in OPEN_CASE_STATUSES]
        if gemeente is None or not staying:
            continue
        for case in staying[:2]:
            when = at(rng.randint(1, 5), 11)
            services.share_create(user=case.owner or coordinator, case=case, to_user=gemeente,
                                  purpose="Afstemming over school en huisvesting (demo).",
                                  until=when.date() + dt.timedelta(days=60), now=when)
            counts.shares += 1

    # SIGNAL shares: the anonymised draft as the user would submit it.
    for case, help_asked in zip(open_owned[:2], SIGNAL_HELP, strict=False):
        text, _findings = build_draft(case=case, help_asked=help_asked, today=as_of)
        signal_share_submit(user=case.owner, case=case, text=text, now=at(2, 10))
        counts.signal_shares += 1

    # Two transfer requests asked from cases (one transfer, one swap), by the case owner.
    for case, kind in zip(open_owned[2:4], ("transfer", "swap"), strict=False):
        services.case_request_transfer(user=case.owner, case=case, kind=kind, now=at(1, 9))
        counts.transfer_requests += 1

    # Read log: who opened what, on the pages, through the API and as a PDF; and break-glass
    # reads by the mental coach of cases that are not theirs (listed for the coordinator).
    for case in rng.sample(cases, min(20, len(cases))):
        reader = case.owner or coordinator
        when = at(rng.randint(1, 10), rng.randint(8, 17))
        for part, channel in ((AccessPart.CASE, AccessChannel.PAGE), (AccessPart.ENTRIES, AccessChannel.PAGE),
                              rng.choice([(AccessPart.SPECIAL, AccessChannel.PAGE), (AccessPart.CASE, AccessChannel.API),
                                          (AccessPart.PDF, AccessChannel.PDF)])):
            services.case_log_read(user=reader, case=case, part=part, channel=channel, now=when)
            counts.reads += 1
    outside = [c for c in cases if c.owner_id == coordinator.pk and not c.co_workers.filter(pk=coach.pk).exists()
               and not c.referrals.filter(to_user=coach).exists()]
    for case in outside[:2]:
        services.case_log_read(user=coach, case=case, part=AccessPart.CASE, channel=AccessChannel.PAGE,
                               break_glass=True, reason=BREAK_GLASS_REASON, now=at(1, 14))
        counts.reads += 1
    return counts
