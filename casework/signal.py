"""SIGNAL share: an anonymised summary of a case for the inter-regional SIGNAL group.

The summary says what the group needs to recognise a pattern or offer help, and nothing that
leads back to a person: the category, the household in age bands (the same bands as the
supra-regional request, placements/supra.py) with their sexes, the region (not the municipality,
location or room: in a small village a municipality plus an age band is already a person), and
the help asked. The user reviews and edits the draft; the server scrubs the submitted text
again and refuses it while anything identifying remains.

`scrub()` removes what it can recognise: the household members' names (first and last names,
each part of a hyphenated name, with a Dutch or Ukrainian ending attached, in either script:
"Ірина" for a registered "Iryna", and without accents), dates in the common
Dutch, English and Ukrainian notations, the members' dates of birth in any order and separator,
V-numbers (10 digits), BSNs (9 digits), phone numbers, e-mail addresses, web links, postcodes,
the names, streets, places and postcodes of the region's locations and municipalities, room
numbers and case numbers. Every removal becomes the placeholder "[…]", which contains no letter
or digit, so a second scrub finds nothing in it.

What it cannot recognise — the name of a neighbour, a description only locals would place — is
why the user must review the text: the page says so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from locations.models import Location, Municipality
from placements.models import ACTIVE_PLACEMENT_STATUSES, PlacementRoom, Sex
from placements.supra import AGE_BANDS, age_band
from rcvs.errors import ApplicationError

from . import services
from .models import Case, SignalShare

if TYPE_CHECKING:
    from rcvs.accounts.models import User

PLACEHOLDER = "[…]"
# Longer than a summary should be; a whole case file pasted in is refused.
TEXT_MAX = 3000
HELP_ASKED_MAX = 1500
# A name part this long is removed wherever it occurs inside a word ("Ivans", "Ivanivna",
# "Iryna's"); a shorter one only as a word of its own (or with a plural/possessive s), because
# "Li" or "Eva" occur inside too many ordinary words.
SUBSTRING_MIN = 4
# Parts of a name that are not a name on their own (Dutch and other prefixes): "van Dijk" removes
# "Dijk", not every "van" in the text.
PARTICLES = frozenset({"van", "de", "der", "den", "het", "ter", "ten", "te", "op", "in", "la", "le", "du", "da",
                       "di", "von", "zu", "del", "el", "al", "'t"})


class Kind:
    """What was removed; the keys of Findings.counts."""

    NAME = "name"
    DATE = "date"
    V_NUMBER = "v_number"
    BSN = "bsn"
    PHONE = "phone"
    EMAIL = "email"
    URL = "url"
    POSTCODE = "postcode"
    LOCATION = "location"
    ADDRESS = "address"
    ROOM = "room"
    CASE_NUMBER = "case_number"
    NUMBER = "number"


def _kind_label(kind: str, n: int) -> str:
    labels = {
        Kind.NAME: ngettext("%(n)s naam", "%(n)s namen", n),
        Kind.DATE: ngettext("%(n)s datum", "%(n)s data", n),
        Kind.V_NUMBER: ngettext("%(n)s V-nummer", "%(n)s V-nummers", n),
        Kind.BSN: ngettext("%(n)s BSN", "%(n)s BSN's", n),
        Kind.PHONE: ngettext("%(n)s telefoonnummer", "%(n)s telefoonnummers", n),
        Kind.EMAIL: ngettext("%(n)s e-mailadres", "%(n)s e-mailadressen", n),
        Kind.URL: ngettext("%(n)s link", "%(n)s links", n),
        Kind.POSTCODE: ngettext("%(n)s postcode", "%(n)s postcodes", n),
        Kind.LOCATION: ngettext("%(n)s locatie- of plaatsnaam", "%(n)s locatie- of plaatsnamen", n),
        Kind.ADDRESS: ngettext("%(n)s adres", "%(n)s adressen", n),
        Kind.ROOM: ngettext("%(n)s kamernummer", "%(n)s kamernummers", n),
        Kind.CASE_NUMBER: ngettext("%(n)s casusnummer", "%(n)s casusnummers", n),
        Kind.NUMBER: ngettext("%(n)s ander nummer", "%(n)s andere nummers", n),
    }
    return labels[kind] % {"n": n}


KIND_ORDER = (Kind.NAME, Kind.DATE, Kind.V_NUMBER, Kind.BSN, Kind.PHONE, Kind.EMAIL, Kind.URL, Kind.POSTCODE,
              Kind.LOCATION, Kind.ADDRESS, Kind.ROOM, Kind.CASE_NUMBER, Kind.NUMBER)


@dataclasses.dataclass(frozen=True)
class Findings:
    """How many of each kind were removed (never the removed values themselves: they are
    personal data and must not reach a message, a log or the database)."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.counts.values())

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def items(self) -> list[tuple[str, int]]:
        return [(kind, self.counts[kind]) for kind in KIND_ORDER if self.counts.get(kind)]

    def labels(self) -> list[str]:
        """["2 namen", "1 datum"] in a fixed order."""
        return [_kind_label(kind, n) for kind, n in self.items()]

    def summary(self) -> str:
        """"2 namen, 1 datum" (empty when nothing was found)."""
        return ", ".join(self.labels())

    def __add__(self, other: Findings) -> Findings:
        return Findings(dict(Counter(self.counts) + Counter(other.counts)))


@dataclasses.dataclass(frozen=True)
class Terms:
    """What identifies the people of one case, gathered once per scrub (see terms_for)."""

    names: tuple[str, ...] = ()
    dates_of_birth: tuple[dt.date, ...] = ()
    places: tuple[str, ...] = ()  # location names, places, municipality names, streets
    postcodes: tuple[str, ...] = ()
    rooms: tuple[str, ...] = ()
    case_numbers: tuple[str, ...] = ()


# --- patterns -----------------------------------------------------------------------------------

MONTHS = (
    # Dutch
    "januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
    "november", "december", "jan", "feb", "mrt", "apr", "jun", "jul", "aug", "sep", "sept", "okt", "nov", "dec",
    # English
    "january", "february", "march", "may", "june", "july", "august", "october", "mar", "oct",
    # Ukrainian, genitive ("17 травня") and nominative ("травень 1988")
    "січня", "лютого", "березня", "квітня", "травня", "червня", "липня", "серпня", "вересня", "жовтня",
    "листопада", "грудня", "січень", "лютий", "березень", "квітень", "травень", "червень", "липень",
    "серпень", "вересень", "жовтень", "листопад", "грудень",
)
_MONTH = "(?:" + "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True)) + r")\.?"
_DAY_SUFFIX = r"(?:e|ste|de|st|nd|rd|th|-?го|-?е)?"
_SEP = r"\s?[-/.]\s?"

EMAIL_RE = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
DATE_RES = (
    # 17 mei 1988, 17e mei, 17. травня 1988, 3 Mar. 88
    re.compile(rf"(?<!\w)\d{{1,2}}{_DAY_SUFFIX}\.?\s*{_MONTH}(?:,?\s*'?\d{{2,4}})?(?!\w)", re.IGNORECASE),
    # May 17, 1988 / May 17th 1988
    re.compile(rf"(?<!\w){_MONTH}\s*\d{{1,2}}{_DAY_SUFFIX},?\s*\d{{2,4}}(?!\w)", re.IGNORECASE),
    # mei 1988
    re.compile(rf"(?<!\w){_MONTH}\s*'?\d{{4}}(?!\w)", re.IGNORECASE),
    # 17-05-1988, 17/5/88, 17.05.1988, 1988-05-17, 1988/5/17
    re.compile(rf"(?<!\d)\d{{1,2}}{_SEP}\d{{1,2}}{_SEP}(?:\d{{4}}|\d{{2}})(?!\d)"),
    re.compile(rf"(?<!\d)\d{{4}}{_SEP}\d{{1,2}}{_SEP}\d{{1,2}}(?!\d)"),
)
# Dutch postcodes as people write them: "9401 AB", "9401AB", "9401ab" (not "2024 is": a lowercase
# pair after a space is a year and a word far more often than a postcode).
POSTCODE_RE = re.compile(r"(?<!\w)[1-9]\d{3}(?:\s?[A-Z]{2}|[a-z]{2})(?!\w)")
STREET_RE = re.compile(
    r"(?<!\w)[\w'.-]*(?:straat|weg|laan|plein|dijk|pad|dreef|singel|gracht|kade|steeg|hof|park|markt|erf|"
    r"es|wijk|vaart|brink|allee|street|road|вулиця|вул\.)\s+\d+(?:\s?[a-zA-Z](?!\w))?(?:[-/]\d+)?(?!\w)",
    re.IGNORECASE)
ROOM_RE = re.compile(r"(?<!\w)(?:kamer(?:nummer)?|kamernr\.?|unit|chalet|appartement|room|кімната)\s*"
                     r"(?:nr\.?\s*)?[\w.-]*\d[\w.-]*", re.IGNORECASE)
CASE_NUMBER_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}-\d{4}(?!\d)")
# A run of digits with single separators: phone numbers, V-numbers, BSNs and other identifiers.
DIGITS_RE = re.compile(r"(?<![\w+])(?:\+|00)?(?:\(0\)\s?)?\d+(?:(?:\s?[-./]\s?|\s)\(?\d+\)?)*(?!\w)")
WORD_RE = re.compile(r"\w+", re.UNICODE)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


# Ukrainian to Latin as in Ukrainian passports (KMU 2010), so that "Ірина" in a text matches
# the registered "Iryna", and "Iryna" a name registered in Cyrillic. Only for comparing.
_UK_FIRST = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_UK = {"а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie", "ж": "zh", "з": "z",
       "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
       "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
       "щ": "shch", "ь": "", "ю": "iu", "я": "ia", "ы": "y", "э": "e", "ё": "io", "ъ": ""}


def _unmarked(text: str) -> str:
    """Without accents and other combining marks ("Kovalénko" → "kovalenko"), for comparing."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _keys(word: str) -> set[str]:
    """How a word is compared with a name: case-folded, without marks, and transliterated."""
    folded = _normalise(word).casefold()
    latin = "".join(_UK_FIRST[c] if i == 0 and c in _UK_FIRST else _UK.get(c, c) for i, c in enumerate(folded))
    return {_unmarked(folded), _unmarked(latin)}


def _name_parts(names: Iterable[str]) -> tuple[set[str], set[str]]:
    """(parts removed inside words, parts removed as whole words), as comparison keys."""
    inside: set[str] = set()
    whole: set[str] = set()
    for name in names:
        for part in WORD_RE.findall(_normalise(name)):
            if part.casefold() in PARTICLES or len(part) < 2:
                continue
            for key in _keys(part):
                if len(key) >= 2:
                    (inside if len(key) >= SUBSTRING_MIN else whole).add(key)
    return inside, whole


def _dob_patterns(dates: Iterable[dt.date]) -> list[re.Pattern[str]]:
    """A date of birth in any order (DMY, YMD, MDY), with any separator or none, a two- or
    four-digit year, with or without leading zeros, or with the month written out."""
    patterns = []
    dutch = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
             "november", "december")
    for d in set(dates):
        day = rf"0?{d.day}"
        month = rf"(?:0?{d.month}|{dutch[d.month - 1][:3]}\w*\.?)"
        year = rf"(?:{d.year}|'?{d.year % 100:02d})"
        sep = r"[\s./-]{0,3}"
        for order in ((day, month, year), (year, month, day), (month, day, year)):
            patterns.append(re.compile(r"(?<!\d)" + sep.join(order) + r"(?!\d)", re.IGNORECASE))
    return patterns


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    cleaned = {_normalise(p).strip() for p in phrases if p and len(p.strip()) >= 3}
    if not cleaned:
        return None
    # Longest first, so "Aa en Hunze" goes before "Hunze"; any run of spaces matches a space.
    alternatives = [r"\s+".join(re.escape(w) for w in p.split()) for p in sorted(cleaned, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


class _Scrubber:
    def __init__(self, text: str) -> None:
        self.text = _normalise(text)
        self.counts: Counter[str] = Counter()

    def sub(self, pattern: re.Pattern[str] | None, kind: str | None,
            classify: Callable[[re.Match[str]], str | None] | None = None) -> None:
        if pattern is None:
            return

        def replace(match: re.Match[str]) -> str:
            found = classify(match) if classify else kind
            if found is None:
                return match.group(0)
            self.counts[found] += 1
            return PLACEHOLDER

        self.text = pattern.sub(replace, self.text)

    def names(self, inside: set[str], whole: set[str]) -> None:
        """Replace every word that is or contains a name part; neighbouring name words (a first
        and last name, "Bondarenko-Test") count and become one placeholder."""
        spans = []
        for match in WORD_RE.finditer(self.text):
            for key in _keys(match.group(0)):
                if key in whole or (key.endswith("s") and key[:-1] in whole) or any(p in key for p in inside):
                    spans.append([match.start(), match.end()])
                    break
        merged: list[list[int]] = []
        for span in spans:
            if merged and re.fullmatch(r"[\s\-‐‑'’]*", self.text[merged[-1][1]:span[0]]):
                merged[-1][1] = span[1]
            else:
                merged.append(span)
        for start, end in reversed(merged):
            self.text = self.text[:start] + PLACEHOLDER + self.text[end:]
        if merged:
            self.counts[Kind.NAME] += len(merged)


def _digits_kind(match: re.Match[str]) -> str | None:
    raw = match.group(0)
    digits = re.sub(r"\D", "", raw)
    n = len(digits)
    if n < 7:
        return None
    if raw.startswith(("+", "00", "(0)")) or (digits.startswith("0") and n in (10, 11)):
        return Kind.PHONE
    if n == 9:
        return Kind.BSN
    if n == 10:
        return Kind.V_NUMBER
    if n == 8:
        for fmt in ("%d%m%Y", "%Y%m%d"):
            try:
                dt.datetime.strptime(digits, fmt)
            except ValueError:
                continue
            return Kind.DATE
    return Kind.NUMBER


def scrub_terms(text: str, terms: Terms) -> tuple[str, Findings]:
    """scrub() with the terms given (for callers that scrub many texts of one case)."""
    s = _Scrubber(text)
    s.sub(EMAIL_RE, Kind.EMAIL)
    s.sub(URL_RE, Kind.URL)
    for pattern in _dob_patterns(terms.dates_of_birth):
        s.sub(pattern, Kind.DATE)
    for pattern in DATE_RES:
        s.sub(pattern, Kind.DATE)
    s.sub(_phrase_pattern(terms.case_numbers), Kind.CASE_NUMBER)
    s.sub(CASE_NUMBER_RE, Kind.CASE_NUMBER)
    s.sub(_phrase_pattern(terms.postcodes), Kind.POSTCODE)
    s.sub(POSTCODE_RE, Kind.POSTCODE)
    s.sub(STREET_RE, Kind.ADDRESS)
    s.sub(_phrase_pattern(terms.places), Kind.LOCATION)
    s.sub(ROOM_RE, Kind.ROOM)
    s.sub(_phrase_pattern(terms.rooms), Kind.ROOM)
    s.sub(DIGITS_RE, None, classify=_digits_kind)
    s.names(*_name_parts(terms.names))
    return s.text, Findings(dict(s.counts))


def terms_for(case: Case) -> Terms:
    """Everything of this case that identifies someone: the household members (all of them,
    not only the subject), and the locations, places, streets and postcodes of the case's region
    and of wherever the household stays now."""
    members = list(case.household.members.values_list("first_name", "last_name", "date_of_birth"))
    names = [n for first, last, _dob in members for n in (first, last)]
    locations = Location.objects.filter(
        Q(municipality__region_id=case.region_id)
        | Q(placements__request_id=case.household_id, placements__status__in=ACTIVE_PLACEMENT_STATUSES))
    places: set[str] = set()
    postcodes: set[str] = set()
    for name, street, postcode, place in locations.values_list("name", "street", "postcode", "place").distinct():
        places.update((name, place))
        street_name = re.split(r"\s+\d", street, maxsplit=1)[0]
        places.update((street, street_name))
        postcodes.add(postcode)
        postcodes.add(postcode.replace(" ", ""))
    places.update(Municipality.objects.filter(region_id=case.region_id).values_list("name", flat=True))
    # Room numbers as such ("1.07", "Chalet 07"); bare digits are left to the number rules.
    rooms = {number for number in PlacementRoom.objects.filter(placement__request_id=case.household_id)
             .values_list("room__number", flat=True) if not number.isdigit()}
    return Terms(names=tuple(names), dates_of_birth=tuple(dob for *_n, dob in members),
                 places=tuple(sorted(places)), postcodes=tuple(sorted(postcodes)), rooms=tuple(sorted(rooms)),
                 case_numbers=(case.number,))


def scrub(text: str, *, case: Case) -> tuple[str, Findings]:
    """Remove what identifies the people of `case` from `text`; return the text and what was
    removed (counts per kind, never the values)."""
    return scrub_terms(text, terms_for(case))


# --- the draft ----------------------------------------------------------------------------------

SEX_WORDS = {
    Sex.FEMALE: lambda n: ngettext("%(n)s vrouw/meisje", "%(n)s vrouwen/meisjes", n),
    Sex.MALE: lambda n: ngettext("%(n)s man/jongen", "%(n)s mannen/jongens", n),
    Sex.OTHER: lambda n: ngettext("%(n)s geslacht anders of onbekend", "%(n)s geslacht anders of onbekend", n),
}


def _household_lines(case: Case, *, today: dt.date) -> list[str]:
    members = list(case.household.members.order_by("position", "pk").values_list("pk", "date_of_birth", "sex"))
    bands: dict[str, Counter[str]] = {key: Counter() for key, *_rest in AGE_BANDS}
    subject = None
    for pk, dob, sex in members:
        band = age_band(max(_age(dob, today), 0))
        bands[band][sex] += 1
        if pk == case.subject_id:
            subject = (band, sex)
    labels = {key: label for key, _y, _o, label in AGE_BANDS}
    lines = [ngettext("Huishouden: %(n)s persoon", "Huishouden: %(n)s personen", len(members)) % {"n": len(members)}]
    for key, *_rest in AGE_BANDS:
        if bands[key]:
            sexes = ", ".join(SEX_WORDS[s](bands[key][s]) % {"n": bands[key][s]} for s in Sex.values if bands[key][s])
            lines.append(f"- {labels[key]}: {sexes}")
    if subject is None:
        lines.append(_("Betreft: het hele huishouden"))
    else:
        lines.append(_("Betreft: één bewoner (%(band)s, %(sex)s)") % {
            "band": labels[subject[0]], "sex": Sex(subject[1]).label.lower()})
    return lines


def _age(dob: dt.date, on: dt.date) -> int:
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def build_draft(*, case: Case, help_asked: str, today: dt.date | None = None,
                terms: Terms | None = None) -> tuple[str, Findings]:
    """The draft and what was removed from it (from the help asked, in practice)."""
    today = today or timezone.localdate()
    help_asked = (help_asked or "").strip() or _("(beschrijf hier de hulpvraag)")
    lines = [
        _("SIGNAL-melding uit regio %(region)s") % {"region": case.region.name},
        _("Categorie: %(category)s") % {"category": case.category.name},
        *_household_lines(case, today=today),
        _("Hulpvraag: %(help)s") % {"help": help_asked},
    ]
    # The whole draft is scrubbed, not only the help asked: a name equal to a word of the
    # template still never reaches the group.
    return scrub_terms("\n".join(lines), terms or terms_for(case))


def signal_draft(*, case: Case, help_asked: str) -> str:
    """The anonymised summary of `case` for the SIGNAL group, to be reviewed and edited by the user."""
    return build_draft(case=case, help_asked=help_asked)[0]


class SignalRefused(ApplicationError):
    """The submitted text still identifies someone; `extra` has the counts per kind."""


def signal_share_submit(*, user: User, case: Case, text: str, now: dt.datetime | None = None) -> SignalShare:
    """Scrub the reviewed text once more and store it only if nothing identifying remains (the
    browser's copy of the draft is not trusted). The refusal names the kinds found, not the values."""
    text = _normalise(text).replace("\r\n", "\n").strip()  # browsers send a textarea's lines with CRLF
    if not text:
        raise ApplicationError(_("De samenvatting is leeg."), code="invalid", extra={"fields": {"text": [
            _("De samenvatting is leeg.")]}})
    if len(text) > TEXT_MAX:
        message = _("De samenvatting is te lang (hoogstens %(n)s tekens).") % {"n": TEXT_MAX}
        raise ApplicationError(message, code="too_long", extra={"fields": {"text": [message]}})
    scrubbed, findings = scrub(text, case=case)
    if findings:
        message = _("De tekst bevat nog herleidbare gegevens: %(found)s. Pas de tekst aan en deel opnieuw.") % {
            "found": findings.summary()}
        raise SignalRefused(message, code="identifying_data",
                            extra={"fields": {"text": [message]}, "findings": findings.counts, "scrubbed": scrubbed})
    return services.signal_share_create(user=user, case=case, text=text, now=now)
