"""Production settings: what the example configuration starts with, what it refuses, and what every
page sends along (HTTPS, HSTS, the Content Security Policy); /healthz keeps its secrets."""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.db import OperationalError, connection
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _env_example() -> dict[str, str]:
    pairs = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def production_env(**overrides: str) -> dict[str, str]:
    """The environment docker compose gives the app: .env.example with real secrets filled in, plus
    the compose file's own variables, with the database and broker of this test machine."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    env.update(_env_example())
    env.update({name: str(value) for name, value in compose["x-app"]["environment"].items()})
    env.update({
        "SECRET_KEY": secrets.token_urlsafe(50),
        "POSTGRES_PASSWORD": secrets.token_urlsafe(20),
        "DATABASE_URL": DATABASE_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
    })
    env.update(overrides)
    return env


def run_django(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.test import Client
plain = Client(headers={"Host": "rcvs.example.org"})
proxied = Client(headers={"Host": "rcvs.example.org", "X-Forwarded-Proto": "https"})
page, claimed = plain.get("/locaties/"), proxied.get("/locaties/")
health = Client(headers={"Host": "localhost"}).get("/healthz")  # as the container health check asks
print(json.dumps({
    "page": [page.status_code, page.get("Location", "")],
    "health": health.status_code,
    "claimed": [claimed.status_code, claimed.get("Location", ""), claimed.get("Strict-Transport-Security", "")],
    "hsts": [settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS],
    "cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SESSION_COOKIE_HTTPONLY],
    "frame": settings.X_FRAME_OPTIONS,
}))
"""


def probe(**overrides: str) -> dict:
    result = run_django(production_env(DJANGO_SETTINGS_MODULE="rcvs.settings", **overrides), "-c", PROBE)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the example configuration ----------------------------------------------------------------

def test_check_deploy_passes_on_the_production_example():
    result = run_django(production_env(), "manage.py", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_example_secret_key_is_refused_with_a_way_to_make_one():
    example_key = _env_example()["SECRET_KEY"]
    assert "change-me" in example_key
    result = run_django(production_env(SECRET_KEY=example_key), "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY is a placeholder" in result.stderr
    assert "secrets.token_urlsafe(50)" in result.stderr


@pytest.mark.parametrize("key", [
    "", "a" * 80, "0123456789" * 8,  # empty; long but hardly random
    secrets.token_urlsafe(50)[:40],  # random but short
    "django-insecure-" + secrets.token_urlsafe(50),
    secrets.token_urlsafe(30) + "CHANGE-ME" + secrets.token_urlsafe(30),
], ids=["empty", "one-character", "ten-characters", "short", "django-insecure", "change-me-inside"])
def test_weak_secret_keys_are_refused(key):
    result = run_django(production_env(SECRET_KEY=key), "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY" in result.stderr, result.stderr


@pytest.mark.parametrize("hosts", ["*", "rcvs.example.org,*", "*.example.org"])
def test_a_wildcard_host_is_refused_in_production(hosts):
    result = run_django(production_env(ALLOWED_HOSTS=hosts), "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "ALLOWED_HOSTS" in result.stderr


def test_the_example_database_password_is_refused():
    password = _env_example()["POSTGRES_PASSWORD"]
    url = f"postgresql://rcvs:{password}@db:5432/rcvs"
    result = run_django(production_env(DATABASE_URL=url), "manage.py", "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "database password" in result.stderr


def test_compose_file_is_valid_and_trusts_forwarded_headers_only_from_the_proxy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"db", "redis", "migrate", "web", "worker", "beat"} <= services.keys()
    web = services["web"]["command"]
    allowed = web[web.index("--forwarded-allow-ips") + 1]
    assert allowed == "${FORWARDED_ALLOW_IPS:-127.0.0.1}" and "*" not in allowed
    for name in ("web", "worker", "beat", "migrate"):
        assert services[name]["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:")
    # Health checks run inside the app image, with what it has (Python, the venv's celery), not curl.
    assert services["web"]["healthcheck"]["test"][:2] == ["CMD", "python"]
    assert not any("curl" in " ".join(service.get("healthcheck", {}).get("test", []))
                   for service in services.values())


# --- HTTPS in production ----------------------------------------------------------------------

def test_production_redirects_to_https_with_hsts_but_not_the_health_check():
    seen = probe()
    assert seen["page"] == [301, "https://rcvs.example.org/locaties/"]
    assert seen["health"] == 200  # the container health check speaks plain HTTP on localhost
    assert seen["hsts"] == [31_536_000, True]
    assert seen["cookies"] == [True, True, True]
    assert seen["frame"] == "DENY"
    # Without the switch, a client claiming HTTPS in a header is not believed.
    assert seen["claimed"] == [301, "https://rcvs.example.org/locaties/", ""]


def test_behind_a_tls_proxy_the_forwarded_scheme_is_trusted_only_when_switched_on():
    seen = probe(BEHIND_TLS_PROXY="1")
    status, location, hsts = seen["claimed"]
    assert status == 302 and location.startswith("/accounts/login/")  # served, not redirected to https
    assert hsts == "max-age=31536000; includeSubDomains"


# --- every page: the Content Security Policy --------------------------------------------------

STRICT = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
          "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"]


def _directives(response) -> list[str]:
    return [part.strip() for part in response["Content-Security-Policy"].split(";")]


@pytest.mark.django_db
def test_pages_carry_the_strict_policy(client, login, personas, world):
    anonymous = client.get(reverse("login"))
    assert _directives(anonymous) == [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
        "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'",
        "frame-ancestors 'none'"]
    assert anonymous["X-Frame-Options"] == "DENY"
    page = login(personas.belteam).get(reverse("locations:overview"))
    assert set(STRICT) <= set(_directives(page))
    assert "unsafe" not in page["Content-Security-Policy"]


@pytest.mark.django_db
def test_api_docs_run_their_inline_code_by_nonce_only(login, personas):
    client = login(personas.belteam)
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    script_src = next(d for d in _directives(response) if d.startswith("script-src"))
    nonce = re.fullmatch(r"script-src 'self' 'nonce-([\w-]+)'", script_src).group(1)
    html = response.content.decode()
    inline = re.findall(r"<(?:script|style)(?![^>]*\bsrc=)[^>]*>", html)
    assert len(inline) == 2 and all(f'nonce="{nonce}"' in tag for tag in inline), inline
    # A nonce is per response, never reused.
    assert client.get(reverse("api-docs"))["Content-Security-Policy"] != response["Content-Security-Policy"]


# Inline code the policy would refuse. PDF templates (named *_pdf.html) are rendered by WeasyPrint,
# never served as HTML; the API docs' templates carry the nonce (checked above).
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:|hx-on", re.IGNORECASE)
NONCED = {"drf_spectacular/swagger_ui.html"}


def test_no_template_has_inline_script_style_or_handlers():
    templates = ROOT / "templates"
    offenders = []
    for path in sorted(templates.rglob("*.html")):
        name = path.relative_to(templates).as_posix()
        if name.endswith("_pdf.html") or name in NONCED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if INLINE.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


def test_htmx_is_configured_to_need_neither_eval_nor_inline_styles():
    base = (ROOT / "templates" / "base.html").read_text()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", base)
    assert json.loads(meta.group(1)) == {"includeIndicatorStyles": False, "allowEval": False}
    assert base.index('name="htmx-config"') < base.index("htmx-2.0.8.min.js")  # read when htmx loads
    assert ".htmx-request .htmx-indicator" in (ROOT / "static" / "css" / "rcvs.css").read_text()


# --- /healthz ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_healthz_failure_tells_an_anonymous_caller_nothing(client, monkeypatch, caplog):
    dsn = ('connection to server at "db-prod-7.internal" (10.20.30.40), port 5432 failed: FATAL: password '
           'authentication failed for user "rcvs_prod" (postgresql://rcvs_prod:Hunter2Secret@db-prod-7.internal/rcvs'
           " password=Hunter2Secret)")

    def broken_cursor(*args, **kwargs):
        raise OperationalError(dsn)

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    with caplog.at_level(logging.ERROR, logger="rcvs.views"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error"}
    for secret in ("db-prod-7", "10.20.30.40", "rcvs_prod", "5432", "Hunter2Secret"):
        assert secret not in response.content.decode()
    # The details go to the server log, still without the password.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "db-prod-7.internal" in logged and "OperationalError" in logged
    assert "Hunter2Secret" not in logged


# --- a fresh machine: every program the code and tests run is installed by the project --------

# Programs the Makefile installs (system-deps) or that come with the project's Python.
INSTALLED_BY_THE_PROJECT = {"chromium"}
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "system", "which", "getoutput"}


def _programs_run(path: Path) -> list[str]:
    """First word of every literal command line given to subprocess/os/shutil in one file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNNERS
                and isinstance(node.func.value, ast.Name) and node.func.value.id in {"subprocess", "os", "shutil"}
                and node.args):
            continue
        command = node.args[0]
        if isinstance(command, ast.List | ast.Tuple) and command.elts:
            command = command.elts[0]
        if isinstance(command, ast.Constant) and isinstance(command.value, str):
            found.append(command.value.split()[0])
    return found


def test_code_and_tests_run_no_program_a_fresh_machine_lacks():
    sources = [path for path in ROOT.rglob("*.py")
               if not {".venv", "var", "staticfiles", "node_modules"} & set(path.relative_to(ROOT).parts)]
    assert len(sources) > 50
    programs = {f"{path.relative_to(ROOT)}: {program}" for path in sources for program in _programs_run(path)
                if program not in INSTALLED_BY_THE_PROJECT}
    assert programs == set()
    makefile = (ROOT / "Makefile").read_text()
    for package in ("chromium", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"):
        assert package in makefile
    assert re.search(r"^pytest: .*\bsystem-deps\b", makefile, re.MULTILINE)
