"""Print the current second-factor code of a demo user, for trying the demo without a phone.

It must never reveal a code in production: it runs only with DEBUG on, and only for a device named
"demo" — a name only `seed_demo` (itself DEBUG-only) gives; a device set up on the 2FA page is
called "default", and the admin does not show or edit devices at all."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

DEMO_DEVICE_NAME = "demo"


class Command(BaseCommand):
    help = "Toont de huidige 2FA-code van een demogebruiker (alleen met DEBUG=1)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="Bijvoorbeeld coordinator of mentalcoach.")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_otp toont codes van demogebruikers en draait daarom alleen met DEBUG=1, "
                               "nooit in productie.")
        device = TOTPDevice.objects.filter(user__username=username, name=DEMO_DEVICE_NAME, confirmed=True,
                                           user__is_active=True).first()
        if device is None:
            raise CommandError(f"{username} heeft geen demo-authenticator (alleen demogebruikers van seed_demo).")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        left = device.step - int(totp.time - device.t0) % device.step
        self.stdout.write(f"{totp.token():0{device.digits}d}")
        self.stderr.write(f"(code van {username}, nog {left} s geldig)")
