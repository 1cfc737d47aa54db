"""Run the scheduled jobs once, now, exactly as Celery beat would start them.

For `make run` (a demo without a beat process) and for an operator catching up after the beat was
down: every entry of settings.CELERY_BEAT_SCHEDULE is started by its task name, in the order of
the schedule. Every job is idempotent (a second run the same day does nothing), so running this
beside a live beat is harmless.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from rcvs.celery import app as celery_app


class Command(BaseCommand):
    help = ("Start de geplande taken (Celery beat) nu één keer, in de volgorde van het schema. Elke taak "
            "is idempotent: nog een keer draaien op dezelfde dag doet niets.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", nargs="+", metavar="NAAM", default=None,
                            help="Alleen deze schema-items (bijv. kcio-take-daily-snapshots board-report-monthly).")
        parser.add_argument("--skip", nargs="+", metavar="NAAM", default=[], help="Deze schema-items overslaan.")
        parser.add_argument("--list", action="store_true", help="Toon de schema-items en stop.")

    def handle(self, *args: Any, only: list[str] | None, skip: list[str], list: bool, **options: Any) -> None:  # noqa: A002
        schedule = settings.CELERY_BEAT_SCHEDULE
        unknown = sorted(name for name in [*(only or []), *skip] if name not in schedule)
        if unknown:
            raise CommandError(f"Onbekend schema-item: {', '.join(unknown)}. Bekend: {', '.join(schedule)}.")
        if list:
            for name, entry in schedule.items():
                self.stdout.write(f"{name:<32} {entry['task']}  ({entry['schedule']})")
            return
        celery_app.loader.import_default_modules()  # the apps' tasks modules, as a worker imports them
        failed = []
        for name, entry in schedule.items():
            if (only is not None and name not in only) or name in skip:
                continue
            task = celery_app.tasks.get(entry["task"])
            if task is None:
                raise CommandError(f"{name}: taak {entry['task']} bestaat niet.")
            started = time.perf_counter()
            try:
                result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}))
                error = result.result if result.failed() else None
            except Exception as exc:  # noqa: BLE001 - eager tasks propagate; report and go on with the next
                error = exc
            seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
            if error is not None:
                failed.append(name)
                self.stderr.write(f"  {name}: mislukt ({type(error).__name__}) na {seconds} s")
            else:
                self.stdout.write(f"  {name}: klaar in {seconds} s")
        if failed:
            raise CommandError(f"Mislukt: {', '.join(failed)}.")
