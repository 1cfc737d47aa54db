"""The trends page in a real browser (Debian's Chromium through Playwright, never a downloaded one):
both charts load as images under the Content Security Policy, nothing is refused, and the data
table opens from its <details>. A screenshot is left in test-artifacts/ to look at."""

from __future__ import annotations

from pathlib import Path

import pytest

# Debian's chromium and the Dutch browser context of the browser tests (tests/browser/conftest.py).
from tests.browser.conftest import browser_context_args, browser_type_launch_args  # noqa: F401
from tests.conftest import PASSWORD
from tests.reporting.test_trends import build_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline"));
});
"""


def test_charts_render_under_the_csp_in_chromium(world, personas, live_server, page):
    """pytest-playwright's page (tests/browser/conftest.py launches Debian's chromium): a second
    sync Playwright in the same process would clash with its event loop."""
    build_history(world)
    problems: list[str] = []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.on("console", lambda m: problems.append(m.text) if (
        "Content Security Policy" in m.text or "CSP violation" in m.text or m.text.startswith("Refused")) else None)
    page.on("pageerror", lambda error: problems.append(f"page error {error}"))
    page.add_init_script(REPORT_VIOLATIONS)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Gebruikersnaam").fill(personas.bestuur.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state("networkidle")
    response = page.goto(f"{live_server.url}/rapportage/trends/?periode=eigen&van=2026-10-01&tot=2026-11-30")
    assert response.status == 200
    assert "img-src 'self' data:" in response.header_value("content-security-policy")
    page.wait_for_load_state("networkidle")
    images = page.eval_on_selector_all(
        "img.chart__image", "els => els.map(e => [e.complete, e.naturalWidth, e.naturalHeight])")
    assert len(images) == 2
    assert all(complete and width > 300 and height > 100 for complete, width, height in images), images
    table = page.locator("#trend-chart table")
    assert not table.is_visible()
    page.locator("#trend-chart summary").click()
    assert table.is_visible()
    assert "64,3 %" in table.inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "trends_page.png"), full_page=True)
    assert problems == []
