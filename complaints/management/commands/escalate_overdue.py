"""`manage.py escalate_overdue`: the SLA sweep by hand (the beat task runs the same services)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from complaints.services import sweeps


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


BAR_WIDTH = 30


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "- rows/s"


class Command(BaseCommand):
    help = (
        "Escalate every open complaint past its due time one level up the department tree, then close "
        "resolved complaints whose reopen window has passed. Safe to run again and alongside the beat task."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Change nothing; list what would be escalated.")
        parser.add_argument("--limit", type=positive_int, help="Handle at most this many overdue complaints.")
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=sweeps.DEFAULT_BATCH_SIZE,
            help="Complaints claimed and committed together (default: %(default)s).",
        )
        parser.add_argument("--no-close", action="store_true", help="Do not close expired resolved complaints.")

    def handle(self, *args, dry_run: bool, limit: int | None, batch_size: int, no_close: bool, **options):
        verb = "would escalate" if dry_run else "escalated"

        started = time.perf_counter()
        # On a terminal the bar redraws in place; in a log (cron, CI) it is one line per batch.
        interactive = self.stdout.isatty()

        def progress(done: int, total: int) -> None:
            share = done / total if total else 1.0
            bar = "#" * round(share * BAR_WIDTH)
            elapsed = time.perf_counter() - started
            line = f"{verb} {done}/{total} ({int(share * 100)}%) [{bar:-<{BAR_WIDTH}}] {_rate(done, elapsed)}"
            if interactive:
                self.stdout.write(f"\r{line}", ending="\n" if done >= total else "")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        try:
            result = sweeps.escalate_overdue(limit=limit, batch_size=batch_size, dry_run=dry_run, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        if dry_run:
            for plan in result.planned:
                self.stdout.write(
                    f"  {plan.reference}: {plan.from_department} -> {plan.to_department} (level {plan.level})"
                )
            self.stdout.write(self.style.SUCCESS(f"Dry run: {len(result.planned)} complaint(s) would be escalated."))
        else:
            style = self.style.ERROR if result.errors else self.style.SUCCESS
            self.stdout.write(
                style(
                    f"Escalated {result.escalated} complaint(s) ({result.at_top} at the top of the tree), "
                    f"skipped {result.skipped}, errors {result.errors}."
                )
            )
        rows = len(result.planned) if dry_run else result.escalated
        self.stdout.write(f"{rows} row(s) in {seconds:.2f} s: {_rate(rows, seconds)}.")
        if result.at_max_level:
            self.stdout.write(
                f"{result.at_max_level} overdue complaint(s) are at their highest escalation level and stay with "
                "their department's manager."
            )
        if not no_close:
            closed = sweeps.close_expired_resolved(dry_run=dry_run)
            self.stdout.write(
                self.style.SUCCESS(
                    f"{'Would close' if dry_run else 'Closed'} {closed} resolved complaint(s) past the reopen window."
                )
            )
        if result.errors:
            raise CommandError(f"{result.errors} complaint(s) could not be escalated; see the log.")
