"""The board report of one region and month, from the command line.

    manage.py board_report --region CODE --period YYYY-MM --output FILE.pdf [--language en]

Builds the same PDF as the page and the monthly job (reporting/board.py), right here rather than
through the worker, and writes it next to FILE and then renames it, so a failed run never leaves
half a file behind. It does not store the report in the list of reports (the page does that).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from locations.models import Region
from reporting.board import LANGUAGES, build_board_report, parse_period


class Command(BaseCommand):
    help = "Schrijf de bestuursrapportage van een regio over een maand als PDF."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="Code van de regio, bijvoorbeeld drenthe.")
        parser.add_argument("--period", required=True, help="Maand, JJJJ-MM.")
        parser.add_argument("--output", required=True, help="Het PDF-bestand om te schrijven.")
        parser.add_argument("--language", default="nl", help="nl (standaard) of en.")

    def handle(self, *args, region: str, period: str, output: str, language: str, **options) -> None:
        language = language.lower()
        if language not in LANGUAGES:
            raise CommandError(_("Onbekende taal '%(language)s': kies nl of en.") % {"language": language})
        try:
            month = parse_period(period)
        except ValueError as error:
            raise CommandError(str(error)) from None
        target = Path(output)
        if not target.parent.is_dir():
            raise CommandError(_("De map %(dir)s bestaat niet.") % {"dir": target.parent})
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise CommandError(_("Geen regio met code '%(code)s'.") % {"code": region})
        built = build_board_report(found, period=month, language=language)
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(built.pdf)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stderr.write(_("Bestuursrapportage %(region)s %(month)s geschreven naar %(file)s (%(size)s bytes, "
                            "sha256 %(sha)s).") % {"region": found.code, "month": month.strftime("%Y-%m"),
                                                   "file": target, "size": len(built.pdf), "sha": built.sha256})
