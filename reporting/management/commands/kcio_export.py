"""The day's KCIO export of one region, from the command line.

    manage.py kcio_export --region CODE --date YYYY-MM-DD --format csv|json|xlsx [--output FILE] [--hxl]

Takes the region's snapshot for that date, or reuses the one there is (reporting/snapshots.py:
only today can be newly taken), and writes it in the chosen format to FILE, or to standard
output for CSV and JSON. The file is written next to FILE and then renamed, so a failed run never
leaves half a file behind.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from locations.models import Region
from rcvs.errors import ApplicationError
from reporting import kcio
from reporting.snapshots import snapshot_take


class Command(BaseCommand):
    help = "Schrijf de KCIO-export van een regio voor een datum (CSV, JSON of XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", required=True, help="Code van de regio, bijvoorbeeld drenthe.")
        parser.add_argument("--date", required=True, help="Peildatum, JJJJ-MM-DD.")
        parser.add_argument("--format", required=True, dest="fmt", help="csv, json of xlsx.")
        parser.add_argument("--output", help="Bestand om naar te schrijven (standaard: het scherm, niet bij xlsx).")
        parser.add_argument("--hxl", action="store_true", help="CSV met een tweede kopregel van HXL-hashtags.")

    def handle(self, *args, region: str, date: str, fmt: str, output: str | None, hxl: bool, **options) -> None:
        fmt = fmt.lower()
        if fmt not in kcio.FORMATS:
            raise CommandError(_("Onbekend formaat '%(fmt)s': kies csv, json of xlsx.") % {"fmt": fmt})
        try:
            as_of = dt.date.fromisoformat(date)
        except ValueError:
            raise CommandError(_("Ongeldige datum '%(date)s': gebruik JJJJ-MM-DD, bijvoorbeeld 2026-12-01.")
                               % {"date": date}) from None
        if hxl and fmt != "csv":
            raise CommandError(_("--hxl hoort alleen bij het formaat csv."))
        if fmt == "xlsx" and not output:
            raise CommandError(_("Een XLSX-bestand kan niet naar het scherm: geef --output BESTAND op."))
        target = Path(output) if output else None
        if target is not None and not target.parent.is_dir():
            raise CommandError(_("De map %(dir)s bestaat niet.") % {"dir": target.parent})
        found = Region.objects.filter(code=region).first()
        if found is None:
            raise CommandError(_("Geen regio met code '%(code)s'.") % {"code": region})
        try:
            snapshot = snapshot_take(region=found, as_of=as_of)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        content = kcio.render(snapshot, fmt, hxl=hxl)
        if target is None:
            self.stdout.write(content.decode("utf-8"), ending="")
            return
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stderr.write(_("KCIO-export %(region)s %(day)s geschreven naar %(file)s (%(n)s locaties).") % {
            "region": found.code, "day": as_of.isoformat(), "file": target, "n": snapshot.locations.count()})
