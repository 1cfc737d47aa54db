"""The SIGNAL share in a real browser: a coordinator with a second factor writes the help asked
(with a name in it), sees the draft without the name and the list of what was removed, leaves a
name in on purpose and is refused, takes it out, shares, and copies the final text — under the
Content Security Policy nothing is refused (the copy button is static/js/copy.js) and axe finds
no WCAG violation. Screenshots: test-artifacts/signal-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from casework.models import SignalShare
from tests.browser.test_casework_browser import _axe, login_with_second_factor
from tests.browser.test_csp import violations  # noqa: F401  (fixture)
from tests.casework.conftest import cw, open_case  # noqa: F401  (cw: fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_reviews_edits_and_copies_a_signal_share(page: Page, live_server, personas, cw, screenshot,  # noqa: F811
                                                             violations):  # noqa: F811
    user = personas.coordinator
    case = open_case(user=user, household=cw.household, code="psychisch_trauma", owner=user, subject=cw.child)
    problems: dict[str, str] = {}
    path = f"/casussen/{case.uuid}/signal/"
    login_with_second_factor(page, live_server, user, path)

    page.get_by_role("textbox", name="Hulpvraag").fill("Sofiia zoekt traumazorg in het Oekraïens.")
    page.get_by_role("button", name="Concept maken").click()
    draft = page.get_by_role("textbox", name="Samenvatting voor SIGNAL")
    expect(draft).to_be_visible()
    assert "Sofiia" not in draft.input_value() and "Huishouden: 3 personen" in draft.input_value()
    expect(page.locator("#signal-findings")).to_contain_text("1 naam")
    _axe(page, "signal-draft", problems)
    screenshot("signal-draft")

    draft.fill(draft.input_value() + "\nContact via de moeder, Iryna.")
    page.get_by_role("button", name="Tekst is gecontroleerd: delen").click()
    expect(page.get_by_text("De tekst bevat nog herleidbare gegevens: 1 naam", exact=False).first).to_be_visible()
    assert "Iryna" not in page.get_by_role("textbox", name="Samenvatting voor SIGNAL").input_value()
    assert not SignalShare.objects.exists()
    _axe(page, "signal-refused", problems)

    page.get_by_role("button", name="Tekst is gecontroleerd: delen").click()
    page.wait_for_url(re.compile(r"/signal/[0-9a-f-]{36}/$"))
    share = SignalShare.objects.get()
    assert page.locator("#signal-text").input_value() == share.text
    copy = page.get_by_role("button", name="Kopieer")
    expect(copy).to_be_visible()  # copy.js ran under the CSP and showed the button
    copy.click()
    expect(page.locator("#signal-copy-status")).to_have_text(
        re.compile(r"Gekopieerd naar het klembord\.|Tekst geselecteerd: kopieer met Ctrl\+C\."))
    _axe(page, "signal-done", problems)
    screenshot("signal-done")
    assert not violations
    assert not problems, "\n\n".join(f"{name}:\n{report}" for name, report in problems.items())
