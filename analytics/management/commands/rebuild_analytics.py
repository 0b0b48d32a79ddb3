"""`manage.py rebuild_analytics --since DATE [--until DATE]`: rebuild the daily summaries from raw rows."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analytics.summaries import rebuild_range


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = (
        "Rebuild the analytics daily summaries for local dates SINCE..UNTIL (default: today) from the raw "
        "complaints, events and feedback. Set-based and idempotent: run it as often as you like."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, help="First date to rebuild (YYYY-MM-DD).")
        parser.add_argument("--until", help="Last date to rebuild, inclusive (YYYY-MM-DD; default: today).")
        parser.add_argument(
            "--chunk-days", type=int, default=31, help="Dates rebuilt per transaction (default: %(default)s)."
        )

    def handle(self, *args, since: str, until: str | None, chunk_days: int, **options):
        first = _date(since)
        last = _date(until) if until else timezone.localdate()
        if last < first:
            raise CommandError("--until is before --since.")
        if chunk_days < 1:
            raise CommandError("--chunk-days must be at least 1.")
        interactive = self.stdout.isatty()

        def progress(done: int, total: int, through: dt.date) -> None:
            width = 30
            filled = width * done // total
            line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} days (through {through})"
            self.stdout.write(("\r" + line) if interactive else line, ending="" if interactive else "\n")

        rows = rebuild_range(first, last, chunk_days=chunk_days, progress=progress)
        if interactive:
            self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Rebuilt {first}..{last}: {rows} summary rows."))
