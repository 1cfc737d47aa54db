"""The English catalogue: complete, not fuzzy, compiled, and really used by the UI.

The msgids are Dutch (the users' language); English is a translation in
locale/en/LC_MESSAGES/django.po, compiled to the committed django.mo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.factories import family_of_four_with_infant, make_request

PO_PATH = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")\s*$')
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def plural(self) -> str | None:
        return self.fields.get("msgid_plural")

    @property
    def msgstrs(self) -> dict[str, str]:
        return {key: value for key, value in self.fields.items() if key.startswith("msgstr")}


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader (no polib): comments, flags, msgctxt/msgid/msgid_plural/msgstr[n]
    with continuation lines; obsolete (#~) entries are skipped."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: str | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            current, key = None, None
            continue
        if line.startswith("#~"):
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
        elif line.startswith("#"):
            continue
        elif match := _KEYWORD.match(line):
            key = match.group(1)
            current.fields[key] = _unquote(match.group(2))
        else:
            assert key is not None and line.startswith('"'), f"{path}:{number}: cannot parse {raw!r}"
            current.fields[key] += _unquote(line)
    return [entry for entry in entries if "msgid" in entry.fields]


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    assert PO_PATH.exists(), f"{PO_PATH} is missing; run makemessages -l en"
    assert MO_PATH.exists(), f"{MO_PATH} is missing; run compilemessages"
    parsed = parse_po(PO_PATH)
    assert len(parsed) > 100, "the English catalogue looks truncated"
    return parsed


def _messages(entries: list[Entry]) -> list[Entry]:
    return [entry for entry in entries if entry.msgid != ""]


def test_every_entry_is_translated(entries):
    untranslated = [
        f"line {entry.line}: {entry.msgid!r}"
        for entry in _messages(entries)
        if not entry.msgstrs or any(value == "" for value in entry.msgstrs.values())
    ]
    assert untranslated == [], "untranslated entries:\n" + "\n".join(untranslated)


def test_plural_entries_have_both_forms(entries):
    incomplete = [
        entry.msgid for entry in _messages(entries)
        if entry.plural is not None and set(entry.msgstrs) != {"msgstr[0]", "msgstr[1]"}
    ]
    assert incomplete == []


def test_no_entry_is_fuzzy(entries):
    fuzzy = [f"line {entry.line}: {entry.msgid!r}" for entry in _messages(entries) if "fuzzy" in entry.flags]
    assert fuzzy == [], "fuzzy entries:\n" + "\n".join(fuzzy)


def test_translations_keep_every_placeholder(entries):
    wrong = []
    for entry in _messages(entries):
        expected = set(_PLACEHOLDER.findall(entry.msgid)) | set(_PLACEHOLDER.findall(entry.plural or ""))
        for key, value in entry.msgstrs.items():
            if set(_PLACEHOLDER.findall(value)) != expected:
                wrong.append(f"{entry.msgid!r} {key}: {value!r}")
    assert wrong == [], "placeholders changed:\n" + "\n".join(wrong)


def test_compiled_catalogue_matches_the_po_file(entries):
    """Django, with English active, returns each msgstr of the .po file: the committed .mo is
    compiled from this .po (a stale .mo misses new or changed translations)."""
    messages = _messages(entries)
    singular = [entry for entry in messages if entry.plural is None and "msgctxt" not in entry.fields]
    plural = [entry for entry in messages if entry.plural is not None and "msgctxt" not in entry.fields]
    # a fixed sample that surely differs from the Dutch, plus every other entry for good measure
    sample = ["Capaciteitsoverzicht", "Gerealiseerde bedden", "Bezettingsgraad", "Snijverlies", "Buiten gebruik"]
    by_msgid = {entry.msgid: entry for entry in singular}
    assert all(msgid in by_msgid for msgid in sample)
    with translation.override("en"):
        for msgid in sample:
            assert translation.gettext(msgid) == by_msgid[msgid].fields["msgstr"] != msgid
        stale = [entry.msgid for entry in singular if translation.gettext(entry.msgid) != entry.fields["msgstr"]]
        for entry in plural:
            for n, key in ((1, "msgstr[0]"), (2, "msgstr[1]")):
                if translation.ngettext(entry.msgid, entry.plural, n) != entry.fields[key]:
                    stale.append(f"{entry.msgid} (n={n})")
    assert stale == [], "django.mo is out of date with django.po; run compilemessages:\n" + "\n".join(stale)


@pytest.fixture
def belteam_client(personas, world, login):
    return login(personas.belteam)


def test_overview_in_english_after_switching_language(belteam_client):
    response = belteam_client.post(reverse("set_language"), {"language": "en", "next": reverse("locations:overview")})
    assert response.status_code == 302
    with translation.override("en"):
        response = belteam_client.get(reverse("locations:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Capacity overview" in html
    assert "Realised beds" in html
    assert "Capaciteitsoverzicht" not in html


def test_overview_in_english_from_the_language_cookie(belteam_client):
    belteam_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = belteam_client.get(reverse("locations:overview")).content.decode()
    assert "Capacity overview" in html
    assert "Realised beds" in html
    assert "Occupancy rate" in html


def test_overview_in_dutch_by_default_and_on_request(belteam_client):
    html = belteam_client.get(reverse("locations:overview")).content.decode()
    assert "Capaciteitsoverzicht" in html
    assert "Capacity overview" not in html

    belteam_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    with translation.override("nl"):
        html = belteam_client.get(reverse("locations:overview")).content.decode()
    assert "Capaciteitsoverzicht" in html
    assert "Gerealiseerde bedden" in html


def test_placement_queue_in_english_from_the_language_cookie(belteam_client, world):
    make_request(region=world.noord, members=family_of_four_with_infant())
    belteam_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = belteam_client.get(reverse("placements:queue")).content.decode()
    assert "Placement request queue" in html
    assert "New request" in html
    assert "1 open request, urgent and oldest first" in html
    assert "4 persons" in html and "1 infant" in html
    for dutch in ("Nieuw verzoek", "Wachtrij plaatsingsverzoeken", "In behandeling bij", "zuigeling"):
        assert dutch not in html
