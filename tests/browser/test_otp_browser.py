"""The second factor in a real browser: a coordinator logs in with the password, is asked for the
code, types it (real key events) and reaches a page behind require_verified; a new user sets up
the app from the QR page. Codes are computed from the device key, as an authenticator app does.
Under the Content Security Policy nothing is refused, and axe finds no WCAG violation."""

from __future__ import annotations

import base64
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from tests.accounts.otp_urls import SECRET
from tests.browser.test_accessibility import WCAG
from tests.browser.test_csp import violations  # noqa: F401  (fixture)
from tests.conftest import PASSWORD
from tests.otp import totp_code, totp_device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.accounts.otp_urls")]


def _password_login(page: Page, live_server, user, next_path: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()


def _axe(page: Page, name: str, problems: dict[str, str]) -> None:
    results = Axe().run(page, options=WCAG)
    if results.violations_count:
        problems[name] = results.generate_report()


def test_coordinator_types_the_code_after_the_password(page: Page, live_server, personas, screenshot, violations):  # noqa: F811
    user = personas.coordinator
    device = totp_device(user, name="demo")
    problems: dict[str, str] = {}
    _password_login(page, live_server, user, "/test/casus/")
    page.wait_for_url(re.compile(r"/accounts/2fa/controleren/\?next=%2Ftest%2Fcasus%2F$"))
    expect(page.get_by_role("heading", name="Code invoeren")).to_be_visible()
    _axe(page, "verify", problems)

    # The case page is still closed with the password alone.
    page.goto(f"{live_server.url}/test/casus/")
    page.wait_for_url(re.compile(r"/accounts/2fa/controleren/"))

    # A wrong code first: a Dutch message, still on the code page.
    code_field = page.get_by_label("Code")
    code_field.click()
    page.keyboard.type(f"{(int(totp_code(device)) + 1) % 1_000_000:06d}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").first).to_contain_text("Deze code klopt niet")
    _axe(page, "verify-with-error", problems)

    # Wait out the throttle (one failure: 1 s) without sleeping in the test: move the stamp back.
    device.refresh_from_db()
    device.throttling_failure_timestamp = device.throttling_failure_timestamp.replace(year=2000)
    device.save()
    page.get_by_label("Code").fill("")
    page.get_by_label("Code").click()
    page.keyboard.type(totp_code(device))
    page.get_by_role("button", name="Controleren").click()
    page.wait_for_url(f"{live_server.url}/test/casus/")
    expect(page.locator("body")).to_have_text(SECRET)

    page.goto(f"{live_server.url}/accounts/2fa/")
    expect(page.get_by_text("Deze sessie is met een code bevestigd.")).to_be_visible()
    _axe(page, "status", problems)
    path = screenshot("otp-verified-status")
    assert path.exists()
    assert not violations, "\n".join(violations)
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())


def test_new_user_sets_up_the_app_from_the_qr_page(page: Page, live_server, personas, screenshot, violations):  # noqa: F811
    user = personas.gemeente_a
    problems: dict[str, str] = {}
    _password_login(page, live_server, user, "/locaties/")
    page.wait_for_url(re.compile(r"/locaties/$"))  # a gemeente user without a device may use other pages
    expect(page.get_by_text("Stel een tweede factor in")).to_be_visible()

    page.goto(f"{live_server.url}/test/casus/")  # a case page sends them to the set-up
    page.wait_for_url(re.compile(r"/accounts/2fa/instellen/\?next=%2Ftest%2Fcasus%2F$"))
    qr = page.get_by_role("img", name="QR-code om je authenticator-app in te stellen")
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box and box["width"] >= 150 and box["height"] >= 150
    _axe(page, "setup", problems)
    screenshot("otp-setup")

    # What a person types into their app by hand: the secret shown as text.
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret)
    page.get_by_label("Code uit je app").click()
    page.keyboard.type(f"{TOTP(key).token():06d}")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Tweede factor ingesteld")).to_be_visible()
    codes = page.locator(".recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-7]{8}", c) for c in codes)
    _axe(page, "setup-done", problems)
    page.get_by_role("link", name="Verder").click()
    page.wait_for_url(f"{live_server.url}/test/casus/")
    expect(page.locator("body")).to_have_text(SECRET)
    assert not violations, "\n".join(violations)
    assert not problems, "\n\n".join(f"== {name}\n{report}" for name, report in problems.items())
